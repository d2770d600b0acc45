// The catalogue of nasty inputs: tests/data/engine/<case>/input.{csv,json,ndjson} with the
// expected outcome in expected.json, so adding a case takes no C++. Inputs too big for the
// repository (a 10 MB field, 10 000 columns) are generated below.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "unit/engine/engine_test_util.hpp"

#ifndef INSIGHTSTREAM_TEST_DATA
#error "INSIGHTSTREAM_TEST_DATA must name tests/data"
#endif

namespace insightstream::engine {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::string Read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<fs::path> Cases() {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(fs::path(INSIGHTSTREAM_TEST_DATA) / "engine")) {
        if (e.is_directory()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Catalogue : public ::testing::TestWithParam<fs::path> {};

TEST_P(Catalogue, MatchesItsExpectedOutcome) {
    fs::path dir = GetParam();
    fs::path input;
    std::string format;
    for (const char* ext : {"csv", "json", "ndjson"}) {
        if (fs::exists(dir / (std::string("input.") + ext))) {
            input = dir / (std::string("input.") + ext);
            format = ext;
        }
    }
    ASSERT_FALSE(input.empty()) << "no input file in " << dir;
    auto expected = json::parse(Read(dir / "expected.json")).as_object();
    for (int threads : {1, 2}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        auto s = testing::RunEngine(Read(input), {.format = format, .threads = threads, .feed_bytes = 3});
        if (expected.contains("error")) {
            ASSERT_FALSE(s) << "expected an error";
            EXPECT_NE(s.error().detail().find(std::string(expected.at("error").as_string())), std::string::npos)
                << s.error().detail();
            EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
            continue;
        }
        ASSERT_TRUE(s) << s.error().ToString();
        if (expected.contains("rows")) EXPECT_EQ(s->rows, expected.at("rows").as_int64());
        if (expected.contains("rejected")) EXPECT_EQ(s->rejected, expected.at("rejected").as_int64());
        if (expected.contains("column_count")) {
            EXPECT_EQ(static_cast<int64_t>(s->schema.columns.size()), expected.at("column_count").as_int64());
        }
        if (expected.contains("columns")) {
            for (const auto& [name, want] : expected.at("columns").as_object()) {
                SCOPED_TRACE(std::string(name));
                int c = testing::Col(*s, std::string(name));
                const auto& spec = s->schema.columns[static_cast<size_t>(c)];
                const auto& sum = s->columns[static_cast<size_t>(c)];
                const auto& w = want.as_object();
                if (w.contains("type")) EXPECT_EQ(TypeName(spec.type), w.at("type").as_string());
                if (w.contains("role")) EXPECT_EQ(RoleName(spec.role), w.at("role").as_string());
                if (w.contains("nulls")) EXPECT_EQ(sum.nulls, w.at("nulls").as_int64());
                if (w.contains("sum")) EXPECT_EQ(sum.sum.value_or("(none)"), w.at("sum").as_string());
                if (w.contains("min")) EXPECT_EQ(sum.min.value_or("(none)"), w.at("min").as_string());
                if (w.contains("max")) EXPECT_EQ(sum.max.value_or("(none)"), w.at("max").as_string());
            }
        }
        if (expected.contains("issues")) {
            const auto& want = expected.at("issues").as_array();
            ASSERT_GE(s->issues.size(), want.size());
            for (size_t i = 0; i < want.size(); ++i) {
                const auto& w = want[i].as_object();
                EXPECT_EQ(s->issues[i].line, w.at("line").as_int64()) << i;
                EXPECT_NE(s->issues[i].reason.find(std::string(w.at("reason").as_string())), std::string::npos)
                    << s->issues[i].reason;
                if (w.contains("column")) EXPECT_EQ(s->issues[i].column, w.at("column").as_string());
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Engine, Catalogue, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param.filename().string(); });

TEST(CatalogueGenerated, ATenMegabyteField) {
    std::string csv = "id,blob,n\n1,\"" + std::string(10 << 20, 'x') + "\",5\n2,small,6\n";
    auto s = testing::RunEngine(csv, {.block_bytes = 1 << 20, .feed_bytes = 1 << 16});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 2);
    EXPECT_EQ(testing::Summary(*s, "n").sum, "11");
}

TEST(CatalogueGenerated, TenThousandColumns) {
    std::string csv;
    for (int c = 0; c < 10000; ++c) csv += (c ? ",c" : "c") + std::to_string(c);
    csv += '\n';
    for (int r = 0; r < 20; ++r) {
        for (int c = 0; c < 10000; ++c) csv += (c ? "," : "") + std::to_string(r + c);
        csv += '\n';
    }
    auto s = testing::RunEngine(csv);
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->schema.columns.size(), 10000U);
    EXPECT_EQ(s->rows, 20);
    EXPECT_EQ(testing::Summary(*s, "c9999").sum, std::to_string(20 * 9999 + 190));
}

TEST(CatalogueGenerated, DeeplyNestedJsonIsKeptAsText) {
    std::string deep = "1";
    for (int i = 0; i < 200; ++i) deep = "{\"k\":" + deep + "}";
    auto s = testing::RunEngine("{\"id\": 1, \"deep\": " + deep + "}\n", {.format = "ndjson"});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 1);
    bool kept = false;
    for (const auto& c : s->schema.columns) kept = kept || c.name.starts_with("deep.k.k");
    EXPECT_TRUE(kept);
}

}  // namespace
}  // namespace insightstream::engine
