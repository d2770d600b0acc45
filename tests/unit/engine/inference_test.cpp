#include <gtest/gtest.h>

#include "unit/engine/engine_test_util.hpp"

namespace insightstream::engine {
namespace {

using testing::RunEngine;
using testing::Spec;
using testing::Summary;

TEST(Inference, TypesRolesAndFormats) {
    std::string csv =
        "order_id,zip,day,when,price,amount,share,active,region,score,note\n"
        "1001,02134,2024-01-31,2024-01-31 10:00:00,$1,234.50,12.50,5%,yes,North,1.5e3,hello\n"
        "1002,10001,2024-02-29,2024-02-29 11:30:00,($5.00),7,12.5%,no,South,2e-3,world\n"
        "1003,90210,2024-03-01,2024-03-01T12:00:00Z,$0.99,0.001,0%,yes,North,3,again\n";
    // The price column holds "$1,234.50" quoted by nobody: use a semicolon file instead.
    std::string semi = csv;
    for (char& c : semi) {
        if (c == ',') c = ';';
    }
    // Restore the thousands separator inside the money value.
    size_t at = semi.find("$1;234.50");
    semi.replace(at, 9, "$1,234.50");
    auto s = RunEngine(semi);
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(Spec(*s, "order_id").type, ColumnType::kInteger);
    EXPECT_EQ(Spec(*s, "order_id").role, ColumnRole::kIdentifier);
    EXPECT_EQ(Spec(*s, "zip").type, ColumnType::kString) << "leading zeros are kept";
    EXPECT_EQ(Spec(*s, "zip").role, ColumnRole::kIdentifier);
    EXPECT_EQ(Summary(*s, "zip").min, "02134");
    EXPECT_EQ(Spec(*s, "day").type, ColumnType::kDate);
    EXPECT_EQ(Spec(*s, "day").role, ColumnRole::kTime);
    EXPECT_EQ(Spec(*s, "when").type, ColumnType::kTimestamp);
    EXPECT_EQ(Spec(*s, "price").type, ColumnType::kDecimal);
    EXPECT_TRUE(Spec(*s, "price").currency);
    EXPECT_EQ(Summary(*s, "price").sum, "1230.49");
    EXPECT_EQ(Spec(*s, "amount").type, ColumnType::kDecimal);
    EXPECT_EQ(Summary(*s, "amount").sum, "19.501");
    EXPECT_TRUE(Spec(*s, "share").percent);
    EXPECT_EQ(Spec(*s, "active").type, ColumnType::kBoolean);
    EXPECT_EQ(Summary(*s, "active").trues, 2);
    EXPECT_EQ(Spec(*s, "region").role, ColumnRole::kDimension);
    EXPECT_EQ(Spec(*s, "score").type, ColumnType::kFloat);
    EXPECT_EQ(Spec(*s, "score").role, ColumnRole::kMeasure);
    EXPECT_EQ(Spec(*s, "note").type, ColumnType::kString);
    EXPECT_EQ(s->schema.primary_time, testing::Col(*s, "day"));
    EXPECT_EQ(s->schema.main_measure, testing::Col(*s, "amount"));
}

TEST(Inference, DayMonthOrderIsDecidedByTheWholeColumn) {
    // The sample (first rows) cannot tell; a late 25/12 shows day comes first.
    std::string csv = "d,v\n";
    for (int i = 0; i < 50; ++i) csv += "01/02/2024,1\n";
    csv += "25/12/2024,2\n";
    auto s = RunEngine(csv, {.sample_bytes = 64});
    ASSERT_TRUE(s);
    EXPECT_EQ(Summary(*s, "d").date_order, "DMY");
    EXPECT_EQ(Summary(*s, "d").min, "2024-02-01");
    EXPECT_EQ(Summary(*s, "d").max, "2024-12-25");
    ASSERT_EQ(s->time_series.size(), 1U);
    EXPECT_EQ(FormatDate(s->time_series[0].days.front()), "2024-02-01");
    // The same values with a late 12/25 are month first.
    std::string mdy = "d,v\n";
    for (int i = 0; i < 50; ++i) mdy += "01/02/2024,1\n";
    mdy += "12/25/2024,2\n";
    auto m = RunEngine(mdy, {.sample_bytes = 64});
    EXPECT_EQ(Summary(*m, "d").date_order, "MDY");
    EXPECT_EQ(FormatDate(m->time_series[0].days.front()), "2024-01-02");
}

TEST(Inference, ValuesBreakingTheTypeAreCountedNotNulled) {
    std::string csv = "id,amount\n";
    for (int i = 0; i < 200; ++i) csv += std::to_string(i) + "," + std::to_string(i) + ".5\n";
    csv += "x,oops\n";
    auto s = RunEngine(csv, {.sample_bytes = 512});
    ASSERT_TRUE(s);
    EXPECT_EQ(Summary(*s, "amount").invalid, 1);
    EXPECT_EQ(Summary(*s, "amount").nulls, 0);
    EXPECT_EQ(s->invalid_values, 2);
    ASSERT_FALSE(s->issues.empty());
    EXPECT_EQ(s->issues[0].line, 202);
    EXPECT_EQ(s->issues[0].column, "amount");
    EXPECT_EQ(s->issues[0].raw, "oops");
}

TEST(Inference, TypeHintsWin) {
    std::string csv = "code,n\n1,2\n2,3\n";
    auto s = RunEngine(csv, {.hints = {{"code", TypeHint{ColumnType::kString, ColumnRole::kDimension}}}});
    ASSERT_TRUE(s);
    EXPECT_EQ(Spec(*s, "code").type, ColumnType::kString);
    EXPECT_EQ(Spec(*s, "code").role, ColumnRole::kDimension);
    EXPECT_TRUE(Spec(*s, "code").hinted);
}

TEST(Inference, ZeroOneIsBooleanOnlyWithAFlagName) {
    auto s = RunEngine("is_member,count\n1,1\n0,0\n1,1\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(Spec(*s, "is_member").type, ColumnType::kBoolean);
    EXPECT_EQ(Spec(*s, "count").type, ColumnType::kInteger);
}

}  // namespace
}  // namespace insightstream::engine

namespace insightstream::engine {
namespace {

// Found by csv_fuzzer: a file without measure columns indexed an empty accumulator array.
TEST(EngineRegression, AFileWithoutMeasures) {
    auto s = testing::RunEngine("date;amount\r\n01/02/2024;$1(5.00)\r\n");
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 1);
    EXPECT_TRUE(s->measures.empty());
}

}  // namespace
}  // namespace insightstream::engine
