#include <gtest/gtest.h>

#include "engine/csv.hpp"
#include "engine/schema.hpp"

namespace insightstream::engine {
namespace {

std::vector<std::vector<std::string>> ReadAll(std::string_view data, const CsvDialect& d,
                                              std::vector<int64_t>* lines = nullptr, bool* unterminated = nullptr) {
    CsvReader r(d, data, 1);
    CsvRecord rec;
    std::vector<std::vector<std::string>> out;
    while (r.Next(&rec)) {
        out.emplace_back(rec.fields.begin(), rec.fields.end());
        if (lines) lines->push_back(rec.line);
        if (unterminated && rec.unterminated_quote) *unterminated = true;
    }
    return out;
}

TEST(CsvReader, QuotedFieldsKeepDelimitersQuotesAndNewlines) {
    CsvDialect d;
    std::vector<int64_t> lines;
    auto rows = ReadAll("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nlast,2,3\n", d, &lines);
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "say \"hi\"", "two\nlines"}));
    EXPECT_EQ(rows[2][0], "last");
    EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 4}));  // physical lines: the quoted newline counts
}

TEST(CsvReader, CrlfCrBlankLinesAndMissingFinalNewline) {
    CsvDialect d;
    EXPECT_EQ(ReadAll("a,b\r\n1,2\r\n\r\n3,4", d), (std::vector<std::vector<std::string>>{{"a", "b"}, {"1", "2"}, {"3", "4"}}));
    CsvDialect cr = SniffCsv("a;b\r1;2\r");
    EXPECT_EQ(cr.newline, '\r');
    EXPECT_EQ(cr.delimiter, ';');
    EXPECT_EQ(ReadAll("a;b\r1;2\r", cr), (std::vector<std::vector<std::string>>{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReader, EmptyFieldsAndTrailingDelimiter) {
    CsvDialect d;
    EXPECT_EQ(ReadAll("a,,c\n,,\n", d), (std::vector<std::vector<std::string>>{{"a", "", "c"}, {"", "", ""}}));
    CsvDialect t = SniffCsv("a,b,\n1,2,\n3,4,\n");
    EXPECT_TRUE(t.trailing_delimiter);
    EXPECT_EQ(ReadAll("a,b,\n1,2,\n", t), (std::vector<std::vector<std::string>>{{"a", "b"}, {"1", "2"}}));
}

TEST(CsvReader, UnterminatedQuoteAtEndIsFlagged) {
    CsvDialect d;
    bool unterminated = false;
    auto rows = ReadAll("a,b\n1,\"never closed\n2,3\n", d, nullptr, &unterminated);
    EXPECT_TRUE(unterminated);
    ASSERT_EQ(rows.size(), 2U);
}

TEST(CsvSniffer, PicksTheConsistentDelimiter) {
    EXPECT_EQ(SniffCsv("a,b,c\n1,2,3\n4,5,6\n").delimiter, ',');
    EXPECT_EQ(SniffCsv("a;b;c\n1,5;2;3\n4;5,5;6\n").delimiter, ';');
    EXPECT_EQ(SniffCsv("a\tb\n1\t2\n").delimiter, '\t');
    EXPECT_EQ(SniffCsv("a|b|c\n1|2|3\n").delimiter, '|');
    EXPECT_EQ(SniffCsv("name,note\n\"x\",\"a;b;c;d\"\n\"y\",\"e;f;g;h\"\n").delimiter, ',');
}

TEST(ColumnNames, AreMadeUniqueAndNonEmpty) {
    EXPECT_EQ(UniqueColumnNames({"id", "", "id", " name ", "id"}),
              (std::vector<std::string>{"id", "column_2", "id_2", "name", "id_3"}));
}

}  // namespace
}  // namespace insightstream::engine
