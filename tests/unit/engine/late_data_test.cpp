// What the sample cannot see: values, keys, orders and groups that first appear after it, in
// files larger than the sample. Each must end exact (through a second pass where one is needed),
// never silently wrong. Sizes are chosen so the decisive rows come well after the sample.
#include <gtest/gtest.h>

#include <map>

#include "unit/engine/engine_test_util.hpp"

namespace insightstream::engine {
namespace {

using testing::Col;
using testing::RunEngine;
using testing::RunOptions;
using testing::Spec;
using testing::Summary;

// A small sample and blocks, so "after the sample" and "many blocks" need little data.
RunOptions Small(int threads = 2) {
    RunOptions o;
    o.threads = threads;
    o.sample_bytes = 16 << 10;
    o.block_bytes = 32 << 10;
    o.feed_bytes = 7001;
    return o;
}

TEST(LateData, AStrayQuoteBreaksOneLineNotTheFile) {
    // 300 000 ordinary rows; one field opens a quote it never closes, far after the sample.
    std::string csv = "day,region,amount\n";
    int64_t cents = 0;
    for (int i = 0; i < 300'000; ++i) {
        if (i == 150'000) {
            csv += "2024-01-01,\"x,5\n";
            continue;
        }
        csv += "2024-01-" + std::to_string(i % 28 + 10) + ",r" + std::to_string(i % 7) + "," + std::to_string(i % 1000) + ".5\n";
        cents += (i % 1000) * 100 + 50;
    }
    auto s = RunEngine(csv, {.threads = 2, .feed_bytes = 1 << 16});
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 299'999);
    EXPECT_EQ(s->rejected, 1);
    EXPECT_EQ(s->rejected_lines, 1);
    EXPECT_EQ(Summary(*s, "amount").sum, FormatDecimal(static_cast<int128>(cents) * 10'000'000, 1));
    ASSERT_FALSE(s->issues.empty());
    EXPECT_EQ(s->issues[0].line, 150'002);
    EXPECT_NE(s->issues[0].reason.find("not closed on its line"), std::string::npos);
}

TEST(LateData, AStrayQuoteInAFileWithQuotedLineBreaksCountsEveryLineItTakes) {
    // Quoted line breaks are legitimate here, so the stray quote does swallow lines: the
    // rejected record is counted by the lines it took, which is what the failure threshold reads.
    std::string csv = "id,note,n\n1,\"two\nlines\",1\n";
    for (int i = 2; i < 1000; ++i) {
        csv += std::to_string(i) + (i == 100 ? ",\"open,1\n" : ",plain,1\n");
    }
    auto s = RunEngine(csv);
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rejected, 1);
    EXPECT_GT(s->rejected_lines, 850);
    EXPECT_GT(static_cast<double>(s->rejected_lines) / static_cast<double>(s->lines), 0.8);
}

TEST(LateData, IntegersWidenToDecimalsAndBeyondInt64AfterTheSample) {
    // 15 000 integers, then quarters and a number beyond int64: exact, none rejected.
    std::string csv = "id,qty\n";
    for (int i = 0; i < 15'000; ++i) csv += std::to_string(i) + ",4\n";
    for (int i = 0; i < 5'000; ++i) csv += std::to_string(i) + ",0.75\n";
    csv += "x,92233720368547758070\n";
    auto s = RunEngine(csv, Small());
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(Summary(*s, "qty").invalid, 0);
    EXPECT_EQ(Summary(*s, "qty").sum, "92233720368547821820.00");  // 60 000 + 3 750 + 92 233 720 368 547 758 070
    EXPECT_EQ(Spec(*s, "qty").type, ColumnType::kDecimal);
    EXPECT_EQ(Summary(*s, "qty").widened, 5'001);
}

TEST(LateData, AColumnEmptyInTheSampleIsTypedFromItsLaterValues) {
    std::string csv = "day,discount\n";
    for (int i = 0; i < 20'000; ++i) csv += "2024-02-0" + std::to_string(i % 9 + 1) + "," + (i < 15'000 ? "" : "1.25") + "\n";
    auto s = RunEngine(csv, Small());
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->passes, 2);
    EXPECT_EQ(Spec(*s, "discount").type, ColumnType::kDecimal);
    EXPECT_EQ(Spec(*s, "discount").role, ColumnRole::kMeasure);
    EXPECT_EQ(Summary(*s, "discount").sum, "6250.00");
    EXPECT_EQ(Summary(*s, "discount").nulls, 15'000);
    EXPECT_FALSE(Spec(*s, "discount").late);
}

TEST(LateData, JsonKeysFirstSeenAfterTheSampleBecomeColumns) {
    std::string ndjson;
    for (int i = 0; i < 20'000; ++i) {
        ndjson += "{\"day\":\"2024-03-01\",\"n\":1";
        if (i >= 12'000) ndjson += ",\"coupon\":\"C" + std::to_string(i % 3) + "\",\"extra\":{\"amount\":2.5}";
        ndjson += "}\n";
    }
    auto o = Small();
    o.format = "ndjson";
    auto s = RunEngine(ndjson, o);
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->passes, 2);
    EXPECT_EQ(s->unanalysed_keys, 0);
    EXPECT_EQ(Spec(*s, "coupon").type, ColumnType::kString);
    EXPECT_EQ(Spec(*s, "coupon").role, ColumnRole::kDimension);
    EXPECT_EQ(Summary(*s, "coupon").nulls, 12'000);
    EXPECT_EQ(Spec(*s, "extra.amount").type, ColumnType::kDecimal);
    EXPECT_EQ(Summary(*s, "extra.amount").sum, "20000.0");
    // Without a second pass they would still be listed, not lost.
    o.max_passes = 1;
    auto once = RunEngine(ndjson, o);
    ASSERT_TRUE(once);
    EXPECT_EQ(once->unanalysed_keys, 2);
}

TEST(LateData, AFieldLargerThanTheSampleLeavesEveryColumnTyped) {
    std::string csv = "day,blob,amount\n2024-01-01,\"" + std::string(200 << 10, 'x') + "\",1.5\n";
    for (int i = 0; i < 100; ++i) csv += "2024-01-02,small,2.25\n";
    auto s = RunEngine(csv, Small());
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 101);
    EXPECT_EQ(Spec(*s, "day").type, ColumnType::kDate);
    EXPECT_EQ(Spec(*s, "amount").type, ColumnType::kDecimal);
    EXPECT_EQ(Summary(*s, "amount").sum, "226.50");
}

TEST(LateData, ADayFirstColumnUndecidedInTheSampleGetsItsMonthsRightEverywhere) {
    // The sample holds only 01/02/2024 (undecided, read month first); 25/12/2024 comes later.
    // Every statistic and the breakdown's months must be day-first in the end.
    std::string csv = "d,region,v\n";
    for (int i = 0; i < 3'000; ++i) csv += "01/02/2024,a,1\n";
    for (int i = 0; i < 10; ++i) csv += "25/12/2024,b,2\n";
    auto s = RunEngine(csv, Small());
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(Summary(*s, "d").date_order, "DMY");
    EXPECT_EQ(Summary(*s, "d").order_source, OrderSource::kData);
    EXPECT_EQ(Summary(*s, "d").min, "2024-02-01");
    ASSERT_EQ(s->breakdowns.size(), 1U);
    const auto& b = s->breakdowns[0];
    EXPECT_FALSE(b.partial);
    std::vector<std::string> months;
    for (int32_t m : b.months) months.push_back(MonthLabel(m));
    EXPECT_EQ(months, (std::vector<std::string>{"2024-02", "2024-12"}));
    EXPECT_EQ(Spec(*s, "d").format, "DD/MM/YYYY");
}

TEST(LateData, TheBreakdownHoldsTheTrueTopGroupsAndTheTotals) {
    // 3 000 small groups first, then one group that holds most of the revenue: with cells kept
    // for only the first 500 groups, the first pass cannot show it and a second one counts it.
    std::string csv = "day,customer,revenue\n";
    std::map<std::string, int64_t> revenue;
    std::map<std::pair<std::string, int>, int64_t> cells;
    std::map<int, int64_t> totals;
    for (int i = 0; i < 30'000; ++i) {
        int month = i % 12 + 1;
        std::string key = i < 27'000 ? "c" + std::to_string(i % 3000) : "BIG";
        int64_t v = key == "BIG" ? 1000 : 1;
        csv += "2024-" + std::string(month < 10 ? "0" : "") + std::to_string(month) + "-15," + key + "," + std::to_string(v) + "\n";
        revenue[key] += v;
        cells[{key, month}] += v;
        totals[month] += v;
    }
    auto o = Small();
    o.breakdown_groups = 500;
    o.hints["customer"].role = ColumnRole::kDimension;
    auto s = RunEngine(csv, o);
    ASSERT_TRUE(s) << s.error().ToString();
    ASSERT_EQ(s->breakdowns.size(), 1U);
    const auto& b = s->breakdowns[0];
    EXPECT_FALSE(b.partial);
    EXPECT_EQ(s->passes, 2);
    const BreakdownData::Series* big = nullptr;
    for (const auto& se : b.series) {
        if (se.key == "BIG") big = &se;
    }
    ASSERT_NE(big, nullptr) << "the largest group is a series";
    for (size_t mi = 0; mi < b.months.size(); ++mi) {
        int month = b.months[mi] % 12 + 1;
        EXPECT_TRUE(big->accs[mi].sum == static_cast<int128>(cells[{"BIG", month}]) * kDecimalUnit) << month;
        EXPECT_TRUE(b.total_accs[mi].sum == static_cast<int128>(totals[month]) * kDecimalUnit) << month;
    }
    // Every series shown is complete: its months add up to the group's total.
    for (const auto& se : b.series) {
        int128 sum = 0;
        for (size_t mi = 0; mi < b.months.size(); ++mi) sum += se.accs[mi].sum;
        EXPECT_TRUE(sum == se.group_accs[0].sum) << *se.key;
    }
    // One pass only: the breakdown says it is partial instead of showing short series.
    o.max_passes = 1;
    auto once = RunEngine(csv, o);
    ASSERT_TRUE(once);
    EXPECT_TRUE(once->breakdowns[0].partial);
    for (const auto& se : once->breakdowns[0].series) EXPECT_NE(se.key, "BIG");
}

TEST(ManyGroups, GroupsBeyondWhatAThreadKeepsAreSharedAndExact) {
    // 50 000 customers, each thread keeping only 1 000 to itself: the rest go to the one shared
    // table. Every group's total must still be exact, and the same for any thread count.
    std::string csv = "day,customer,revenue\n";
    std::map<std::string, int64_t> want;
    for (int i = 0; i < 200'000; ++i) {
        std::string key = "c" + std::to_string((i * 7919) % 50'000);
        int64_t cents = i % 1000;
        csv += "2024-0" + std::to_string(i % 9 + 1) + "-01," + key + "," + std::to_string(cents / 100) + "." +
               std::to_string(cents / 10 % 10) + std::to_string(cents % 10) + "\n";
        want[key] += cents;
    }
    for (int threads : {1, 2, 3}) {
        SCOPED_TRACE(threads);
        auto o = Small(threads);
        o.hints["customer"].role = ColumnRole::kDimension;
        o.local_groups = 1'000;
        o.breakdown_groups = 100;
        auto s = RunEngine(csv, o);
        ASSERT_TRUE(s) << s.error().ToString();
        const auto& g = s->groups.at(0);
        EXPECT_FALSE(g.capped);
        EXPECT_EQ(g.distinct, want.size());
        // The stored groups (the top of every ranking) are exact, and so are the totals.
        EXPECT_GT(g.groups.size(), 100U);
        for (const auto& gr : g.groups) {
            ASSERT_TRUE(gr.accs[0].sum == static_cast<int128>(want.at(*gr.key)) * 10'000'000) << *gr.key;
        }
        int128 total = 0;
        for (const auto& [k, v] : want) total += v;
        EXPECT_TRUE(g.all_accs[0].sum == total * 10'000'000);
        EXPECT_EQ(g.all_rows, 200'000);
        EXPECT_EQ(Summary(*s, "customer").distinct, 50'000U);
        EXPECT_TRUE(Summary(*s, "customer").distinct_exact);
        for (const auto& se : s->breakdowns.at(0).series) {
            int128 sum = 0;
            for (const auto& c : se.accs) sum += c.sum;
            EXPECT_TRUE(sum == se.group_accs[0].sum) << *se.key;
        }
    }
}

TEST(ManyGroups, GroupAccumulatorsStayExactWithHugeValuesNullsAndInvalidValues) {
    // Group accumulators are compact (int64 min and max, a count derived from rows) until a
    // value or sum needs more: then they widen. Counts, sums, minima and maxima must stay exact.
    struct Ref {
        int64_t rows = 0, count = 0;
        int128 sum = 0, min = 0, max = 0;
    };
    std::map<std::string, Ref> want;
    std::string csv = "g,v\n";
    for (int i = 0; i < 40'000; ++i) {
        std::string key = "k" + std::to_string(i % 13);
        Ref& r = want[key];
        ++r.rows;
        std::string text;
        int128 units = 0;
        switch (i % 7) {
            case 0: text = ""; break;        // null
            case 1: text = "oops"; break;    // invalid
            case 2: text = "12345678901.5"; units = static_cast<int128>(123456789015) * 100'000'000; break;  // beyond int64 units
            default: text = std::to_string(i % 100 - 50); units = static_cast<int128>(i % 100 - 50) * kDecimalUnit; break;
        }
        csv += key + "," + text + "\n";
        if (i % 7 <= 1) continue;
        if (r.count == 0 || units < r.min) r.min = units;
        if (r.count == 0 || units > r.max) r.max = units;
        ++r.count;
        r.sum += units;
    }
    for (int threads : {1, 3}) {
        SCOPED_TRACE(threads);
        auto o = Small(threads);
        o.hints["v"].type = ColumnType::kDecimal;
        o.local_groups = 5;  // most keys through the shared table too
        auto s = RunEngine(csv, o);
        ASSERT_TRUE(s) << s.error().ToString();
        const auto& g = s->groups.at(0);
        ASSERT_EQ(g.groups.size(), want.size());
        for (const auto& gr : g.groups) {
            const Ref& r = want.at(*gr.key);
            EXPECT_EQ(gr.rows, r.rows) << *gr.key;
            EXPECT_EQ(gr.accs[0].count, r.count) << *gr.key;
            EXPECT_TRUE(gr.accs[0].sum == r.sum) << *gr.key;
            EXPECT_TRUE(gr.accs[0].min == r.min) << *gr.key;
            EXPECT_TRUE(gr.accs[0].max == r.max) << *gr.key;
        }
    }
}

TEST(ManyGroups, AHeavyGroupBeyondTheCapIsNeverLost) {
    // A cap of 1 000 groups; 5 000 small customers come first, then one that holds 97 % of the
    // revenue. It must be a group of its own, counted exactly, and first by revenue.
    std::string csv = "day,customer,revenue\n";
    int64_t big = 0, total = 0;
    for (int i = 0; i < 20'000; ++i) {
        bool heavy = i >= 15'000 && i % 5 == 0;
        std::string key = heavy ? "WHALE" : "c" + std::to_string(i % 5'000);
        int64_t v = heavy ? 10'000 : 1;
        csv += "2024-01-15," + key + "," + std::to_string(v) + "\n";
        if (heavy) big += v;
        total += v;
    }
    auto o = Small();
    o.hints["customer"].role = ColumnRole::kDimension;
    o.max_groups = 1'000;
    o.local_groups = 200;
    auto s = RunEngine(csv, o);
    ASSERT_TRUE(s) << s.error().ToString();
    const auto& g = s->groups.at(0);
    EXPECT_TRUE(g.capped);
    const GroupData* whale = nullptr;
    for (const auto& gr : g.groups) {
        if (gr.key == "WHALE") whale = &gr;
    }
    ASSERT_NE(whale, nullptr) << "the heavy group is listed";
    EXPECT_TRUE(whale->accs[0].sum == static_cast<int128>(big) * kDecimalUnit);
    EXPECT_EQ(whale->rows, 1'000);
    // The totals are the whole file's.
    EXPECT_TRUE(g.all_accs[0].sum == static_cast<int128>(total) * kDecimalUnit);
    EXPECT_EQ(g.all_rows, 20'000);
    // The distinct count is an estimate now, and says so.
    const auto& summary = Summary(*s, "customer");
    EXPECT_FALSE(summary.distinct_exact);
    EXPECT_NEAR(static_cast<double>(summary.distinct), 5'001.0, 5'001 * 0.03);
    EXPECT_EQ(summary.top.at(0).first, "WHALE");
}

TEST(LateData, ANulByteRejectsItsRecordWhereverItIs) {
    std::string csv = "name,n\n";
    for (int i = 0; i < 20'000; ++i) csv += "a,1\n";
    csv += std::string("b\0c,1\n", 6);
    auto s = RunEngine(csv, Small());
    ASSERT_TRUE(s) << s.error().ToString();
    EXPECT_EQ(s->rows, 20'000);
    EXPECT_EQ(s->rejected, 1);
    EXPECT_EQ(s->issues.at(0).line, 20'002);
    EXPECT_NE(s->issues.at(0).reason.find("NUL"), std::string::npos);
}

}  // namespace
}  // namespace insightstream::engine
