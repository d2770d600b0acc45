#include <gtest/gtest.h>

#include "http/multipart.hpp"

namespace insightstream::http {
namespace {

struct Collect final : MultipartSink {
    std::vector<MultipartPart> parts;
    std::vector<std::string> data;
    int ended = 0;
    core::Result<void> OnPartBegin(const MultipartPart& p) override {
        parts.push_back(p);
        data.emplace_back();
        return {};
    }
    core::Result<void> OnPartData(std::string_view d) override {
        data.back().append(d);
        return {};
    }
    core::Result<void> OnPartEnd() override {
        ++ended;
        return {};
    }
};

const std::string kBody =
    "preamble\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"name\"\r\n\r\n"
    "sales 2024\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
    "Content-Type: text/csv\r\n\r\n"
    "a,b\r\n1,2\r\n--X not a boundary\r\n\r\n"
    "--XyZ--\r\n"
    "epilogue";

TEST(Multipart, ParsesPartsWhateverTheChunking) {
    // Every split point, so a delimiter cut across two reads is always found.
    for (size_t cut = 0; cut <= kBody.size(); ++cut) {
        MultipartReader r("XyZ");
        Collect c;
        ASSERT_TRUE(r.Feed(std::string_view(kBody).substr(0, cut), c)) << cut;
        ASSERT_TRUE(r.Feed(std::string_view(kBody).substr(cut), c)) << cut;
        ASSERT_TRUE(r.Finish()) << cut;
        ASSERT_EQ(c.parts.size(), 2U) << cut;
        EXPECT_EQ(c.parts[0].name, "name");
        EXPECT_EQ(c.data[0], "sales 2024");
        EXPECT_EQ(c.parts[1].name, "file");
        EXPECT_EQ(c.parts[1].filename, "s.csv");
        EXPECT_EQ(c.parts[1].content_type, "text/csv");
        EXPECT_EQ(c.data[1], "a,b\r\n1,2\r\n--X not a boundary\r\n") << cut;
        EXPECT_EQ(c.ended, 2);
    }
}

TEST(Multipart, ByteByByteFeedingGivesTheSameParts) {
    MultipartReader r("XyZ");
    Collect c;
    for (char ch : kBody) ASSERT_TRUE(r.Feed(std::string_view(&ch, 1), c));
    ASSERT_TRUE(r.Finish());
    EXPECT_EQ(c.data[1], "a,b\r\n1,2\r\n--X not a boundary\r\n");
}

TEST(Multipart, MissingClosingBoundaryIsAnError) {
    MultipartReader r("XyZ");
    Collect c;
    ASSERT_TRUE(r.Feed(kBody.substr(0, kBody.find("--XyZ--")), c));
    auto done = r.Finish();
    ASSERT_FALSE(done);
    EXPECT_EQ(done.error().slug(), "malformed-multipart");
}

TEST(Multipart, RejectsPartsWithoutAName) {
    MultipartReader r("b");
    Collect c;
    auto res = r.Feed("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", c);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().slug(), "malformed-multipart");
}

TEST(Multipart, ReadsTheBoundaryParameter) {
    EXPECT_EQ(*MultipartReader::BoundaryFrom("multipart/form-data; boundary=abc"), "abc");
    EXPECT_EQ(*MultipartReader::BoundaryFrom("multipart/form-data; charset=x; boundary=\"a b\""), "a b");
    EXPECT_FALSE(MultipartReader::BoundaryFrom("multipart/form-data"));
    EXPECT_FALSE(MultipartReader::BoundaryFrom("multipart/form-data; boundary=" + std::string(71, 'x')));
}

}  // namespace
}  // namespace insightstream::http
