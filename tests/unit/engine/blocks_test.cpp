// Results never depend on where the engine cuts the input into blocks: a block ends only where the
// reader ends a record. Quotes decide that in files whose quoted fields hold line breaks, and a
// quote inside an unquoted field is a character there, not the start of a quoted field.
#include <gtest/gtest.h>

#include "unit/engine/engine_test_util.hpp"

namespace insightstream::engine {
namespace {

void ExpectSameForEveryBlockSize(const std::string& csv) {
    std::optional<std::pair<int64_t, int64_t>> first;
    for (size_t block : {size_t{16}, size_t{64}, size_t{1000}, size_t{8 << 20}}) {
        testing::RunOptions o;
        o.block_bytes = block;
        o.feed_bytes = 5;
        auto r = testing::RunEngine(csv, o);
        ASSERT_TRUE(r.has_value()) << r.error().ToString();
        std::pair<int64_t, int64_t> got{r->rows, r->rejected};
        if (!first) first = got;
        EXPECT_EQ(got, *first) << "block " << block;
    }
}

TEST(Blocks, ALooseQuoteInAnUnquotedFieldNeverEndsABlockInsideAQuotedOne) {
    // Line 2 has a quote inside an unquoted field, then a quoted field that spans three lines.
    std::string csv = "a,b,c\n";
    csv += "x\"y,1,\"multi\nline\nvalue\"\n";
    for (int i = 0; i < 40; ++i) csv += "p\"q,2,\"spans\ntwo\"\n";
    csv += "ok,3,plain\n";
    ExpectSameForEveryBlockSize(csv);
    testing::RunOptions o;
    o.block_bytes = 16;
    auto r = testing::RunEngine(csv, o);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->rows, 42);
    EXPECT_EQ(r->rejected, 0);
}

TEST(Blocks, TextAfterAClosingQuoteAndEscapedQuotesKeepTheRecordTogether) {
    std::string csv = "a,b\n";
    for (int i = 0; i < 30; ++i) csv += "\"one \"\"two\"\"\nthree\"tail,\"x\"\"\n\"\"y\"\n";
    ExpectSameForEveryBlockSize(csv);
}

TEST(Blocks, AFuzzerFoundFileOfBrokenQuotesReadsTheSameInAnyBlocks) {
    // Bytes that are not UTF-8, quotes in the middle of fields, a quoted field over blank lines.
    const std::string csv = "a,,2\nH\xdd\x97\x96\"b,,\"column_9024\n\n\n\n\n\n\n-p1;02hi31\xdf\"\n\x84"
                            "2,2\n\xdd\xdd\x97\"s\x96\"\n\n,\n";
    ExpectSameForEveryBlockSize(csv);
}

}  // namespace
}  // namespace insightstream::engine
