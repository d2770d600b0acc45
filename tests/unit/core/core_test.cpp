#include <gtest/gtest.h>

#include "core/crypto.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json_text.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "core/text.hpp"

namespace insightstream::core {
namespace {

Result<int> Half(int v) {
    if (v % 2 != 0) return Error::InvalidArgument("odd");
    return v / 2;
}

Result<int> Quarter(int v) {
    IS_TRY(int h, Half(v));
    IS_TRY(int q, Half(h));
    return q;
}

TEST(Result, TryReturnsTheFirstError) {
    EXPECT_EQ(*Quarter(8), 2);
    auto r = Quarter(6);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().detail(), "odd");
}

TEST(Error, SlugDefaultsToTheCodeAndCanBeOverridden) {
    EXPECT_EQ(Error::NotFound("x").slug(), "not-found");
    EXPECT_EQ(Error::Conflict("x").WithSlug("email-taken").slug(), "email-taken");
    EXPECT_EQ(HttpStatus(ErrorCode::kRateLimited), 429);
    EXPECT_TRUE(Error::Unavailable("db down").retriable());
    EXPECT_FALSE(Error::InvalidArgument("bad").retriable());
    // Internal errors never show their cause to a client.
    auto e = Error::Internal("segfault in libfoo at 0xdead");
    EXPECT_EQ(e.detail().find("libfoo"), std::string::npos);
    EXPECT_NE(e.internal().find("libfoo"), std::string::npos);
}

TEST(Base64Url, RoundTripsEveryLength) {
    std::string bytes;
    for (int n = 0; n < 70; ++n) {
        auto enc = Base64UrlEncode(bytes);
        EXPECT_EQ(enc.find('='), std::string::npos);
        auto dec = Base64UrlDecode(enc);
        ASSERT_TRUE(dec) << n;
        EXPECT_EQ(*dec, bytes);
        bytes += static_cast<char>(n * 37);
    }
}

TEST(Base64Url, RejectsNonCanonicalAndForeignCharacters) {
    EXPECT_FALSE(Base64UrlDecode("ab+c"));
    EXPECT_FALSE(Base64UrlDecode("abc="));
    EXPECT_FALSE(Base64UrlDecode("a"));
    EXPECT_TRUE(Base64UrlDecode("QQ"));   // "A"
    EXPECT_FALSE(Base64UrlDecode("QR"));  // same bytes, non-zero padding bits
}

TEST(Sha256, MatchesTheKnownVector) {
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 h;
    h.Update("a", 1);
    h.Update("bc", 2);
    EXPECT_EQ(HexEncode(h.Final()), Sha256Hex("abc"));
}

// Pieces below 64 KiB are hashed inline, larger ones on the hasher's thread, in any mix: the
// digest is the one of the whole, and a piece is done with once Wait returns.
TEST(Sha256Aside, PiecesHashedBesideTheCallerGiveTheDigestOfTheWhole) {
    std::string data(3 << 20, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761U) >> 13);
    for (size_t piece : {size_t{1000}, size_t{64} << 10, size_t{300'001}, size_t{1} << 20}) {
        SCOPED_TRACE(piece);
        Sha256Aside h;
        std::string buffer;
        for (size_t at = 0; at < data.size(); at += piece) {
            buffer = data.substr(at, piece);  // reused: each piece must be hashed before it is overwritten
            h.Start(buffer.data(), buffer.size());
            h.Wait();
            if (at == 0) {  // an empty piece changes nothing
                h.Start("", 0);
                h.Wait();
            }
        }
        EXPECT_EQ(HexEncode(h.Final()), Sha256Hex(data));
    }
    Sha256Aside unused;  // no piece: no thread, the digest of nothing
    EXPECT_EQ(HexEncode(unused.Final()), Sha256Hex(""));
}

TEST(Ids, AreRandomValidAndPrefixed) {
    RandomIdSource ids;
    auto a = ids.NewId("ds_");
    auto b = ids.NewId("ds_");
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("ds_", 0), 0U);
    EXPECT_EQ(a.size(), 3U + 26U);
    EXPECT_TRUE(IsValidId(a));
    EXPECT_FALSE(IsValidId("../etc"));
    EXPECT_FALSE(IsValidId(""));
    EXPECT_FALSE(IsValidId(std::string(65, 'a')));
    EXPECT_FALSE(IsValidId("a/b"));
}

TEST(JsonText, EscapesControlsAndReplacesInvalidUtf8) {
    std::string out;
    AppendJsonString(out, std::string("a\"b\\\n\x01\xff\xc3\xa9", 9));
    EXPECT_EQ(out, "\"a\\\"b\\\\\\n\\u0001\xEF\xBF\xBD\xC3\xA9\"");
    out.clear();
    // Runs of plain bytes are copied whole: at the start, between escapes, at the end, alone.
    AppendJsonString(out, "plain start\tmiddle \xC3\xA9 end");
    AppendJsonString(out, "");
    AppendJsonString(out, "\"");
    EXPECT_EQ(out, "\"plain start\\tmiddle \xC3\xA9 end\"\"\"\"\\\"\"");
    out.clear();
    AppendJsonDouble(out, 0.1);
    EXPECT_EQ(out, "0.1");
    out.clear();
    AppendJsonDouble(out, 1.0 / 0.0);
    EXPECT_EQ(out, "null");
}

TEST(Metrics, RendersCountersAndCumulativeHistograms) {
    Metrics m;
    m.Describe("x_total", "counter", "Things.");
    m.Add("x_total", {{"route", "/a"}});
    m.Add("x_total", {{"route", "/a"}}, 2);
    m.Observe("lat_seconds", {{"route", "/a"}}, 0.003);
    m.Observe("lat_seconds", {{"route", "/a"}}, 2);
    std::string text = m.Render();
    EXPECT_NE(text.find("# TYPE x_total counter"), std::string::npos);
    EXPECT_NE(text.find("x_total{route=\"/a\"} 3"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"0.005\"} 1"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2"), std::string::npos);
    EXPECT_NE(text.find("lat_seconds_count{route=\"/a\"} 2"), std::string::npos);
    EXPECT_EQ(m.Value("x_total", {{"route", "/a"}}), 3);
}

TEST(Text, AcceptsUtf8AndRefusesWhatNoDatabaseShouldStore) {
    using core::TextProblem;
    EXPECT_FALSE(TextProblem(""));
    EXPECT_FALSE(TextProblem("Ums\xC3\xA4tze \xE2\x82\xAC \xF0\x9F\x93\x88\ttab"));
    EXPECT_EQ(TextProblem(std::string("a\0b", 3)).value_or(""), "contains a NUL character");
    EXPECT_EQ(TextProblem("a\x01").value_or(""), "contains a control character");
    EXPECT_EQ(TextProblem("a\x7F").value_or(""), "contains a control character");
    EXPECT_EQ(TextProblem("a\xC2\x85").value_or(""), "contains a control character");  // NEL, C1
    EXPECT_TRUE(TextProblem("line\nbreak"));
    EXPECT_FALSE(TextProblem("line\r\nbreak", {.allow_line_breaks = true}));
    for (const char* bad : {"\xFF", "\xFF\xFE", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                            "\xC3", "\xE2\x82", "\x80", "\xF8\x88\x80\x80\x80"}) {
        EXPECT_EQ(TextProblem(bad).value_or(""), "is not valid UTF-8") << bad;
    }
    EXPECT_EQ(core::ValidUtf8("a\xFF" "b\xC3\xA4"), "a\xEF\xBF\xBD" "b\xC3\xA4");
}

}  // namespace
}  // namespace insightstream::core
