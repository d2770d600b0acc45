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

// Rows are analysed in batches after the reader has moved on (Partial::FlushRows): a field the
// reader had to unescape (CSV "") and a JSON string the parser unescaped into its own buffer must
// still read as they were. Every row's key is its own, over many batches and blocks.
TEST(Blocks, UnescapedFieldsKeepTheirValuesUntilTheirBatchIsAnalysed) {
    for (const std::string format : {"csv", "ndjson"}) {
        SCOPED_TRACE(format);
        std::string data = format == "csv" ? "id,name,amount\n" : "";
        const int rows = 1000;
        for (int i = 0; i < rows; ++i) {
            const std::string n = std::to_string(i % 300);
            if (format == "csv") {
                data += std::to_string(i) + ",\"say \"\"" + n + "\"\" now\"," + std::to_string(i % 7) + "\n";
            } else {
                data += "{\"id\":" + std::to_string(i) + ",\"name\":\"say \\\"" + n + "\\\" now\",\"amount\":" +
                        std::to_string(i % 7) + "}\n";
            }
        }
        testing::RunOptions o;
        o.format = format;
        o.block_bytes = 4096;  // many blocks, each several batches
        o.hints["name"].role = ColumnRole::kDimension;
        auto r = testing::RunEngine(data, o);
        ASSERT_TRUE(r.has_value()) << r.error().ToString();
        EXPECT_EQ(r->rows, rows);
        const int name = testing::Col(*r, "name");
        const GroupsData* groups = nullptr;
        for (const auto& g : r->groups) {
            if (g.dimension == name) groups = &g;
        }
        ASSERT_NE(groups, nullptr);
        EXPECT_EQ(groups->distinct, 300u);
        EXPECT_EQ(groups->all_rows, rows);
        for (const auto& g : groups->groups) {
            ASSERT_TRUE(g.key.has_value());
            const std::string& k = *g.key;
            ASSERT_TRUE(k.starts_with("say \"") && k.ends_with("\" now")) << k;
            const int n = std::stoi(k.substr(5, k.size() - 10));
            EXPECT_EQ(g.rows, n < 100 ? 4 : 3) << k;  // 1000 rows over 300 names
        }
    }
}

// A group key too long to keep whole is its start and a hash, made per row: every row of a batch
// keeps its own (ten long values, each on every tenth row, make ten groups of equal size).
TEST(Blocks, LongGroupKeysOfOneBatchStayApart) {
    std::string csv = "id,name\n";
    for (int i = 0; i < 1000; ++i) csv += std::to_string(i) + "," + std::string(2000, 'x') + std::to_string(i % 10) + "\n";
    testing::RunOptions o;
    o.hints["name"].role = ColumnRole::kDimension;
    auto r = testing::RunEngine(csv, o);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    const int name = testing::Col(*r, "name");
    const GroupsData* groups = nullptr;
    for (const auto& g : r->groups) {
        if (g.dimension == name) groups = &g;
    }
    ASSERT_NE(groups, nullptr);
    ASSERT_EQ(groups->groups.size(), 10u);
    for (const auto& g : groups->groups) {
        ASSERT_TRUE(g.key.has_value());
        EXPECT_LT(g.key->size(), 1100u) << "cut, with its hash";
        EXPECT_EQ(g.rows, 100);
    }
}

// The issues kept at the cap are the first by line and then column name, however the rows were
// spread over threads and blocks: here every line has two bad values, in columns whose names sort
// the other way round from their positions ("b" before "a"), and the cap falls inside a line.
TEST(Blocks, TheIssuesKeptAtTheCapAreTheSameForAnyThreadsAndBlocks) {
    std::string csv = "b,a,n\n";
    for (int i = 0; i < 400; ++i) csv += "x" + std::to_string(i) + ",y" + std::to_string(i) + "," + std::to_string(i) + "\n";
    for (int i = 0; i < 50; ++i) csv += std::to_string(i) + "," + std::to_string(i) + "," + std::to_string(i) + "\n";
    std::string want;
    for (int threads : {1, 2, 3}) {
        for (size_t block : {size_t{64}, size_t{1000}, size_t{8 << 20}}) {
            testing::RunOptions o;
            o.threads = threads;
            o.block_bytes = block;
            o.max_issues = 7;
            o.hints["a"].type = ColumnType::kInteger;
            o.hints["b"].type = ColumnType::kInteger;
            auto r = testing::RunEngine(csv, o);
            ASSERT_TRUE(r.has_value()) << r.error().ToString();
            std::string got;
            for (const auto& i : r->issues) got += std::to_string(i.line) + " " + i.column + "; ";
            EXPECT_EQ(r->issue_count, 800);
            if (want.empty()) want = got;
            EXPECT_EQ(got, want) << threads << " threads, blocks of " << block;
        }
    }
    EXPECT_EQ(want, "2 a; 2 b; 3 a; 3 b; 4 a; 4 b; 5 a; ");
}

}  // namespace
}  // namespace insightstream::engine
