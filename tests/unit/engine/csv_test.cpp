#include <gtest/gtest.h>

#include <random>

#include "engine/csv.hpp"
#include "engine/schema.hpp"
#include "unit/engine/csv_reference.hpp"

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

TEST(CsvReader, AgreesWithTheByteByByteReferenceOnRandomInput) {
    // Short alphabets make every structure frequent: quotes at and after field starts, "",
    // CR, LF, CRLF, blank lines, delimiters at the end, unterminated quotes; lengths around the
    // 64-byte chunks the fast reader scans.
    std::mt19937 rng(20261125);
    const std::string alphabets[] = {"a,\"\n", "ab,;\"\r\n ", "x\t\"\n\r", "a|b\"\"\n,"};
    size_t records = 0;
    for (int round = 0; round < 4000; ++round) {
        const std::string& alpha = alphabets[round % 4];
        CsvDialect d;
        d.delimiter = round % 4 == 2 ? '\t' : round % 4 == 3 ? '|' : ',';
        d.newline = round % 7 == 3 ? '\r' : '\n';
        d.trailing_delimiter = round % 5 == 1;
        d.multiline_quotes = round % 3 != 2;
        std::string data;
        size_t len = rng() % (round % 10 == 0 ? 400 : 140);
        for (size_t k = 0; k < len; ++k) data += alpha[rng() % alpha.size()];
        auto expected = testing::ReferenceCsv(d, data, 7);
        CsvReader r(d, data, 7);
        CsvRecord rec;
        std::vector<testing::ReferenceRecord> got;
        while (r.Next(&rec)) {
            testing::ReferenceRecord g;
            g.fields.assign(rec.fields.begin(), rec.fields.end());
            g.line = rec.line;
            g.raw = std::string(rec.raw);
            g.unterminated = rec.unterminated_quote;
            g.loose = rec.loose_quote;
            g.lines = rec.lines;
            got.push_back(std::move(g));
        }
        ASSERT_EQ(got.size(), expected.size()) << "input: " << ::testing::PrintToString(data);
        for (size_t k = 0; k < got.size(); ++k) {
            ASSERT_EQ(got[k].fields, expected[k].fields) << "record " << k << " of " << ::testing::PrintToString(data);
            ASSERT_EQ(got[k].line, expected[k].line) << "record " << k << " of " << ::testing::PrintToString(data);
            ASSERT_EQ(got[k].raw, expected[k].raw);
            ASSERT_EQ(got[k].unterminated, expected[k].unterminated);
            ASSERT_EQ(got[k].loose, expected[k].loose);
            ASSERT_EQ(got[k].lines, expected[k].lines);
        }
        records += got.size();
    }
    EXPECT_GT(records, 20'000U) << "the inputs must hold many records";
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
