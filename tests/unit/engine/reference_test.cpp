// The engine against a slow, obvious reference computed in the test, over generated data with
// nulls, negative values, empty groups, leap days and an all-null column, for several thread
// counts and block sizes (which must not change a single number).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "unit/engine/engine_test_util.hpp"

namespace insightstream::engine {
namespace {

using testing::Col;
using testing::RunEngine;

struct RefAcc {
    int64_t count = 0;
    int128 sum = 0, min = 0, max = 0;
    void Add(int128 v) {
        if (count == 0 || v < min) min = v;
        if (count == 0 || v > max) max = v;
        ++count;
        sum += v;
    }
};

struct Reference {
    int64_t rows = 0;
    std::map<int32_t, std::pair<int64_t, std::vector<RefAcc>>> days;                  // day → rows, per measure
    std::map<std::string, std::pair<int64_t, std::vector<RefAcc>>> groups;            // region ("" = null)
    std::map<std::pair<std::string, int32_t>, std::pair<int64_t, std::vector<RefAcc>>> cells;  // region × month
    RefAcc amount, qty;
    int64_t amount_nulls = 0, date_nulls = 0, region_nulls = 0;
    std::vector<int128> amounts;
};

std::string Generate(size_t rows, uint32_t seed, Reference* ref) {
    std::mt19937 rng(seed);
    const char* regions[] = {"North", "South", "East", "West", "Central, \"HQ\""};
    std::string csv = "day,region,amount,qty,flag,empty\n";
    int32_t start;
    DaysFromCivil(2019, 12, 1, &start);
    for (size_t i = 0; i < rows; ++i) {
        ++ref->rows;
        int32_t day = start + static_cast<int32_t>(rng() % 1600);  // covers 2020-02-29 and 2024-02-29
        if (i % 97 == 5) day = start + 91;                           // 2020-02-29 for sure
        bool null_day = rng() % 50 == 0;
        bool null_region = rng() % 40 == 0;
        bool null_amount = rng() % 30 == 0;
        std::string region = null_region ? "" : regions[rng() % 5];
        int64_t cents = static_cast<int64_t>(rng() % 2000000) - 300000;
        int64_t qty = static_cast<int64_t>(rng() % 20) + 1;
        csv += null_day ? "" : FormatDate(day);
        csv += ',';
        if (region.find(',') != std::string::npos) csv += "\"Central, \"\"HQ\"\"\"";
        else csv += region;
        char amount[64];
        std::snprintf(amount, sizeof amount, "%s%lld.%02lld", cents < 0 ? "-" : "", static_cast<long long>(std::llabs(cents) / 100),
                      static_cast<long long>(std::llabs(cents) % 100));
        csv += ',' + (null_amount ? std::string("NA") : std::string(amount)) + ',' + std::to_string(qty) + ',' +
               (rng() % 2 ? "true" : "false") + ",\n";
        int128 units = static_cast<int128>(cents) * 10'000'000;
        int128 qunits = static_cast<int128>(qty) * 1'000'000'000;
        if (null_amount) ++ref->amount_nulls;
        else {
            ref->amount.Add(units);
            ref->amounts.push_back(units);
        }
        ref->qty.Add(qunits);
        auto add = [&](std::pair<int64_t, std::vector<RefAcc>>& e) {
            ++e.first;
            e.second.resize(2);
            if (!null_amount) e.second[0].Add(units);
            e.second[1].Add(qunits);
        };
        if (null_day) ++ref->date_nulls;
        else add(ref->days[day]);
        if (null_region) ++ref->region_nulls;
        add(ref->groups[region]);
        if (!null_day) {
            int32_t y, m, d;
            CivilFromDays(day, &y, &m, &d);
            add(ref->cells[{region, y * 12 + m - 1}]);
        }
    }
    return csv;
}

void ExpectAcc(const Acc& got, const RefAcc& want, const std::string& what) {
    EXPECT_EQ(got.count, want.count) << what;
    if (want.count == 0) return;
    EXPECT_TRUE(got.sum == want.sum) << what << " sum";
    EXPECT_TRUE(got.min == want.min) << what << " min";
    EXPECT_TRUE(got.max == want.max) << what << " max";
}

void Check(const InsightSet& s, const Reference& ref) {
    ASSERT_EQ(s.rows, ref.rows);
    ASSERT_EQ(s.measures.size(), 2U);  // amount, qty
    size_t am = static_cast<size_t>(std::find(s.measures.begin(), s.measures.end(), Col(s, "amount")) - s.measures.begin());
    size_t qm = 1 - am;
    // Column statistics.
    const auto& amount = s.columns[static_cast<size_t>(Col(s, "amount"))];
    EXPECT_EQ(amount.nulls, ref.amount_nulls);
    EXPECT_EQ(amount.sum, FormatDecimal(ref.amount.sum, 2));
    EXPECT_EQ(amount.min, FormatDecimal(ref.amount.min, 2));
    EXPECT_EQ(amount.max, FormatDecimal(ref.amount.max, 2));
    EXPECT_EQ(s.columns[static_cast<size_t>(Col(s, "day"))].nulls, ref.date_nulls);
    EXPECT_EQ(s.columns[static_cast<size_t>(Col(s, "region"))].nulls, ref.region_nulls);
    EXPECT_EQ(s.columns[static_cast<size_t>(Col(s, "region"))].distinct, 5U);
    EXPECT_EQ(s.columns[static_cast<size_t>(Col(s, "empty"))].nulls, ref.rows) << "an all-null column";
    EXPECT_EQ(s.columns[static_cast<size_t>(Col(s, "empty"))].values, 0);
    // Quantiles: within the sketch's documented error of a value of the right rank.
    std::vector<int128> sorted = ref.amounts;
    std::sort(sorted.begin(), sorted.end());
    for (double q : {0.5, 0.95}) {
        double want = DecimalToDouble(sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))]);
        double got = q == 0.5 ? *amount.p50 : *amount.p95;
        EXPECT_NEAR(got, want, std::fabs(want) * 0.016 + 0.02) << "p" << q * 100;
    }
    // Days.
    ASSERT_EQ(s.time_series.size(), 1U);
    const auto& ts = s.time_series[0];
    ASSERT_EQ(ts.days.size(), ref.days.size());
    size_t i = 0;
    for (const auto& [day, e] : ref.days) {
        ASSERT_EQ(ts.days[i], day);
        EXPECT_EQ(ts.rows[i], e.first) << FormatDate(day);
        ExpectAcc(ts.accs[i * 2 + am], e.second[0], "day amount " + FormatDate(day));
        ExpectAcc(ts.accs[i * 2 + qm], e.second[1], "day qty " + FormatDate(day));
        ++i;
    }
    // Groups (null region included).
    const GroupsData* regions = nullptr;
    for (const auto& g : s.groups) {
        if (g.dimension == Col(s, "region")) regions = &g;
    }
    ASSERT_NE(regions, nullptr);
    ASSERT_EQ(regions->groups.size(), ref.groups.size());
    for (const auto& g : regions->groups) {
        const auto& e = ref.groups.at(g.key.value_or(""));
        EXPECT_EQ(g.rows, e.first);
        ExpectAcc(g.accs[am], e.second[0], "group amount");
        ExpectAcc(g.accs[qm], e.second[1], "group qty");
    }
    for (size_t k = 1; k < regions->groups.size(); ++k) {
        EXPECT_GE(regions->groups[k - 1].rows, regions->groups[k].rows) << "groups are sorted by rows";
    }
    // Breakdown: region × month sums.
    const BreakdownData* bd = nullptr;
    for (const auto& b : s.breakdowns) {
        if (b.dimension == Col(s, "region")) bd = &b;
    }
    ASSERT_NE(bd, nullptr);
    size_t cells = 0;
    for (const auto& se : bd->series) {
        for (size_t mo = 0; mo < bd->months.size(); ++mo) {
            auto it = ref.cells.find({se.key.value_or(""), bd->months[mo]});
            if (it == ref.cells.end()) {
                EXPECT_EQ(se.rows[mo], 0);
                continue;
            }
            ++cells;
            EXPECT_EQ(se.rows[mo], it->second.first);
            EXPECT_EQ(se.accs[mo * 2 + am].count, it->second.second[0].count);
            EXPECT_TRUE(se.accs[mo * 2 + am].sum == it->second.second[0].sum);
        }
    }
    EXPECT_EQ(cells, ref.cells.size());
}

TEST(EngineReference, EveryAggregateMatchesForAnyThreadCountAndBlockSize) {
    Reference ref;
    std::string csv = Generate(20'000, 7, &ref);
    for (auto [threads, block] : {std::pair{1, size_t{4} << 20}, {2, size_t{4096}}, {3, size_t{65536}}}) {
        SCOPED_TRACE("threads " + std::to_string(threads) + ", block " + std::to_string(block));
        auto s = RunEngine(csv, {.threads = threads, .block_bytes = block, .sample_bytes = 8192});
        ASSERT_TRUE(s) << s.error().ToString();
        Check(*s, ref);
        EXPECT_EQ(SummaryJson(*s), SummaryJson(*RunEngine(csv, {.threads = 1, .sample_bytes = 8192})))
            << "the summary does not depend on the split";
    }
}

TEST(EngineReference, BreakdownSumsBeyondInt64StayExact) {
    // The breakdown cells keep int64 sums of 10^-9 units and spill what does not fit: 6e9 × 3
    // in one cell overflows int64 (1.8e19 units), 1.2e10 alone does not fit, negatives too. The
    // totals must still be exact, whichever thread saw which row.
    std::string csv = "date,region,amount,qty\n";
    int128 north = 0, south = 0;
    int64_t north_rows = 0, north_amounts = 0;
    for (int i = 0; i < 400; ++i) {
        bool n = i % 2 == 0;
        std::string amount = i % 7 == 0 ? "" : (i % 5 == 0 ? "-12000000000.25" : "6000000000.5");
        csv += "2024-03-" + std::to_string(10 + i % 9) + "," + (n ? "North" : "South") + "," + amount + ",1\n";
        int128 units = amount.empty() ? 0 : (amount[0] == '-' ? -(int128{12000000000} * 1000000000 + 250000000) : int128{6000000000500000000LL});
        if (n) {
            north += units;
            ++north_rows;
            if (!amount.empty()) ++north_amounts;
        } else {
            south += units;
        }
    }
    for (auto [threads, block] : {std::pair{1, size_t{4} << 20}, {2, size_t{2048}}, {3, size_t{4096}}}) {
        SCOPED_TRACE("threads " + std::to_string(threads));
        auto s = RunEngine(csv, {.threads = threads, .block_bytes = block, .sample_bytes = 2048});
        ASSERT_TRUE(s) << s.error().ToString();
        const BreakdownData* bd = nullptr;
        for (const auto& b : s->breakdowns) {
            if (b.dimension == Col(*s, "region")) bd = &b;
        }
        ASSERT_NE(bd, nullptr);
        ASSERT_EQ(bd->months.size(), 1U);
        size_t am = 0;
        for (size_t m = 0; m < s->measures.size(); ++m) {
            if (s->measures[m] == Col(*s, "amount")) am = m;
        }
        const size_t nm = s->measures.size();
        ASSERT_EQ(bd->series.size(), 2U);
        for (const auto& se : bd->series) {
            bool n = se.key == "North";
            EXPECT_TRUE(se.accs[am].sum == (n ? north : south)) << UnitsText(se.accs[am].sum);
            EXPECT_EQ(se.rows[0], 200);
            if (n) {
                EXPECT_EQ(se.rows[0], north_rows);
                EXPECT_EQ(se.accs[am].count, north_amounts) << "nulls are not counted";
            }
            EXPECT_EQ(se.accs[nm > 1 ? (am == 0 ? 1 : 0) : 0].count, 200);
        }
    }
}

TEST(EngineReference, ASingleRow) {
    Reference ref;
    std::string csv = Generate(1, 3, &ref);
    auto s = RunEngine(csv);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->rows, 1);
}

TEST(EngineReference, KpisGrowthYoyAndCagrWithNullsWherePreviousIsMissingOrZero) {
    // Revenue 100 per month in 2021, 200 per month in 2022, 0 in Jan 2023, 50 in Feb 2023.
    std::string csv = "date,revenue\n";
    for (int m = 1; m <= 12; ++m) csv += "2021-" + std::string(m < 10 ? "0" : "") + std::to_string(m) + "-15,100\n";
    for (int m = 1; m <= 12; ++m) csv += "2022-" + std::string(m < 10 ? "0" : "") + std::to_string(m) + "-15,200\n";
    csv += "2023-01-15,0\n2023-02-15,50\n";
    auto s = RunEngine(csv);
    ASSERT_TRUE(s);
    ASSERT_EQ(s->kpis.size(), 2U);
    const Kpi& k = s->kpis[1];
    EXPECT_EQ(k.value, "3650");
    EXPECT_EQ(k.period, "2023-02");
    EXPECT_EQ(k.period_value, "50");
    EXPECT_FALSE(k.growth.has_value()) << "the previous month is zero: no growth, not infinity";
    ASSERT_TRUE(k.yoy.has_value());
    EXPECT_DOUBLE_EQ(*k.yoy, -0.75);
    ASSERT_TRUE(k.cagr.has_value());
    EXPECT_DOUBLE_EQ(*k.cagr, 1.0);  // 1200 → 2400 over one complete year
}

}  // namespace
}  // namespace insightstream::engine
