// The analytics queries against an independent reference: rows generated here, aggregated here
// by the obvious method, processed by the engine, stored in and read back from each DB backend,
// then queried. Nothing is compared against itself.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <map>
#include <random>

#include "analytics/queries.hpp"
#include "engine/engine.hpp"
#include "support/db_fixture.hpp"
#include "unit/engine/engine_test_util.hpp"

namespace insightstream::analytics {
namespace {

namespace json = boost::json;
using engine::int128;

struct Row {
    int32_t day;
    std::string region;
    int64_t cents;
};

class AnalyticsQueries : public testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!db_) return;
        std::mt19937 rng(11);
        const char* regions[] = {"North", "South", "East"};
        int32_t start;
        engine::DaysFromCivil(2022, 11, 20, &start);
        std::string csv = "day,region,revenue\n";
        for (int i = 0; i < 3000; ++i) {
            // A gap: nothing in March 2023.
            int32_t day = start + static_cast<int32_t>(rng() % 800);
            int32_t y, m, d;
            engine::CivilFromDays(day, &y, &m, &d);
            if (y == 2023 && m == 3) continue;
            Row r{day, regions[rng() % 3], static_cast<int64_t>(rng() % 100000)};
            rows_.push_back(r);
            char buf[128];
            std::snprintf(buf, sizeof buf, "%s,%s,%lld.%02lld\n", engine::FormatDate(r.day).c_str(), r.region.c_str(),
                          static_cast<long long>(r.cents / 100), static_cast<long long>(r.cents % 100));
            csv += buf;
        }
        engine::EngineOptions options;
        options.threads = 2;
        engine::Engine e(options);
        ASSERT_TRUE(e.Feed(csv));
        auto s = e.Finish();
        ASSERT_TRUE(s) << s.error().ToString();
        // Through the DB: written as the worker writes them, read back as the API reads them.
        ASSERT_TRUE(db_->Transact(tenant_, store::TxMode::kWrite, [&](store::Tx& tx) -> core::Result<void> {
            IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, 'T', 1)", {tenant_}));
            IS_TRY_VOID(tx.Exec("INSERT INTO datasets (id, tenant_id, name, format, latest_version, version_seq, created_at, "
                                "updated_at) VALUES ('ds_q', $1, 'q', 'csv', 1, 1, 1, 1)",
                                {tenant_}));
            auto put = [&](const char* kind, const std::string& name, const std::string& payload) {
                return tx.Exec("INSERT INTO dataset_results (tenant_id, dataset_id, version, kind, name, payload, "
                               "computed_at) VALUES ($1, 'ds_q', 1, $2, $3, $4, 1)",
                               {tenant_, kind, name, payload});
            };
            IS_TRY_VOID(put("timeseries", "day", engine::TimeSeriesJson(*s, s->time_series.at(0))));
            IS_TRY_VOID(put("groups", "region", engine::GroupsJson(*s, s->groups.at(0))));
            IS_TRY_VOID(put("breakdown", "region", engine::BreakdownJson(*s, s->breakdowns.at(0))));
            return {};
        }));
    }
    json::object Load(const char* kind) {
        auto r = store::TransactValue(*db_, tenant_, store::TxMode::kRead, [&](store::Tx& tx) {
            return tx.Exec("SELECT payload FROM dataset_results WHERE tenant_id = $1 AND kind = $2", {tenant_, kind});
        });
        EXPECT_TRUE(r && !r->rows.empty());
        return json::parse(r->rows.at(0).Text(0)).as_object();
    }
    static std::string Money(int128 cents) {
        return engine::FormatDecimal(cents * 10'000'000, 2);
    }

    core::TenantId tenant_{"org_q"};
    std::vector<Row> rows_;
};

TEST_P(AnalyticsQueries, TimeSeriesAtEveryIntervalWithGapsGrowthAndYoy) {
    auto payload = Load("timeseries");
    for (Interval interval : {Interval::kDay, Interval::kWeek, Interval::kMonth, Interval::kQuarter, Interval::kYear}) {
        SCOPED_TRACE(IntervalName(interval));
        std::map<int64_t, std::pair<int128, int64_t>> want;  // period → (cents, rows)
        for (const auto& r : rows_) {
            auto& w = want[PeriodOf(r.day, interval)];
            w.first += r.cents;
            ++w.second;
        }
        auto res = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kSum, .interval = interval, .compare_yoy = true});
        ASSERT_TRUE(res) << res.error().ToString();
        // Every period from the first to the last, gaps included.
        int64_t expected_points = 0;
        for (int64_t p = want.begin()->first; p <= want.rbegin()->first; p += interval == Interval::kWeek ? 7 : 1) ++expected_points;
        ASSERT_EQ(static_cast<int64_t>(res->points.size()), expected_points);
        const SeriesPoint* prev = nullptr;
        for (const auto& pt : res->points) {
            auto it = want.find(pt.period);
            int128 cents = it == want.end() ? 0 : it->second.first;
            ASSERT_TRUE(pt.value.has_value());
            EXPECT_EQ(pt.value->text, Money(cents)) << PeriodLabel(pt.period, interval);
            EXPECT_EQ(pt.count, it == want.end() ? 0 : it->second.second);
            if (prev) {
                if (prev->value->approx == 0) EXPECT_FALSE(pt.growth.has_value()) << "growth from zero is null";
                else EXPECT_NEAR(*pt.growth, (pt.value->approx - prev->value->approx) / prev->value->approx, 1e-12);
            } else {
                EXPECT_FALSE(pt.growth.has_value());
            }
            if (auto before = YearEarlier(pt.period, interval); before && want.count(*before)) {
                ASSERT_TRUE(pt.yoy.has_value());
                double b = static_cast<double>(want.at(*before).first);
                EXPECT_NEAR(*pt.yoy, (static_cast<double>(cents) - b) / b, 1e-9);
            }
            prev = &pt;
        }
        int128 all = 0;
        for (const auto& r : rows_) all += r.cents;
        EXPECT_EQ(res->total->text, Money(all));
    }
    // March 2023 is an empty period: sum 0, count 0, avg null.
    auto avg = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kAvg, .interval = Interval::kMonth});
    bool saw_gap = false;
    for (const auto& pt : avg->points) {
        if (PeriodLabel(pt.period, Interval::kMonth) == "2023-03") {
            saw_gap = true;
            EXPECT_FALSE(pt.value.has_value());
            EXPECT_EQ(pt.count, 0);
        }
    }
    EXPECT_TRUE(saw_gap);
}

TEST_P(AnalyticsQueries, MinMaxCountAndDateFilters) {
    auto payload = Load("timeseries");
    int32_t from, to;
    engine::DaysFromCivil(2023, 1, 1, &from);
    engine::DaysFromCivil(2023, 6, 30, &to);
    int64_t count = 0;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (const auto& r : rows_) {
        if (r.day < from || r.day > to) continue;
        ++count;
        mn = std::min(mn, r.cents);
        mx = std::max(mx, r.cents);
    }
    auto c = TimeSeries(payload, {.agg = Agg::kCount, .interval = Interval::kYear, .from_day = from, .to_day = to});
    ASSERT_TRUE(c);
    ASSERT_EQ(c->points.size(), 1U);
    EXPECT_EQ(c->points[0].value->approx, static_cast<double>(count));
    auto lo = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kMin, .interval = Interval::kYear, .from_day = from, .to_day = to});
    EXPECT_EQ(lo->total->text, Money(mn));
    auto hi = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kMax, .interval = Interval::kYear, .from_day = from, .to_day = to});
    EXPECT_EQ(hi->total->text, Money(mx));
}

TEST_P(AnalyticsQueries, GroupsTopNOtherAndShares) {
    auto payload = Load("groups");
    std::map<std::string, int128> want;
    int128 all = 0;
    for (const auto& r : rows_) {
        want[r.region] += r.cents;
        all += r.cents;
    }
    auto g = Groups(payload, {.measure = "revenue", .agg = Agg::kSum, .limit = 2});
    ASSERT_TRUE(g);
    ASSERT_EQ(g->groups.size(), 2U);
    std::vector<std::pair<int128, std::string>> sorted;
    for (const auto& [k, v] : want) sorted.emplace_back(v, k);
    std::sort(sorted.rbegin(), sorted.rend());
    EXPECT_EQ(g->groups[0].key, sorted[0].second);
    EXPECT_EQ(g->groups[0].value->text, Money(sorted[0].first));
    EXPECT_EQ(g->groups[1].key, sorted[1].second);
    EXPECT_EQ(g->other.value->text, Money(sorted[2].first));
    EXPECT_EQ(g->total->text, Money(all));
    EXPECT_NEAR(*g->groups[0].share + *g->groups[1].share + *g->other.share, 1.0, 1e-12);
}

TEST_P(AnalyticsQueries, BreakdownByQuarter) {
    auto payload = Load("breakdown");
    std::map<std::pair<std::string, int64_t>, int128> want;
    for (const auto& r : rows_) want[{r.region, PeriodOf(r.day, Interval::kQuarter)}] += r.cents;
    auto b = Breakdown(payload, {.measure = "revenue", .agg = Agg::kSum, .interval = Interval::kQuarter, .limit = 3});
    ASSERT_TRUE(b);
    ASSERT_EQ(b->series.size(), 3U);
    for (const auto& s : b->series) {
        for (size_t i = 0; i < b->periods.size(); ++i) {
            auto it = want.find({*s.key, b->periods[i]});
            EXPECT_EQ(s.values[i]->text, Money(it == want.end() ? 0 : it->second));
        }
    }
}

TEST(BreakdownRanking, TheSeriesAreTheTopGroupsOfGroupsAndOtherIsTheRest) {
    // 200 groups; by rows, by revenue and by average revenue the top groups differ, and the one
    // with the most revenue arrives last.
    std::string csv = "day,product,revenue,units\n";
    std::map<std::string, int64_t> revenue;
    std::map<int, int64_t> month_total;
    for (int i = 0; i < 20'000; ++i) {
        int g = i < 19'900 ? i % 200 : 999;
        std::string key = "p" + std::to_string(g);
        int64_t v = g == 999 ? 5000 : (g % 17) * 3 + (g < 10 ? 50 : 1);
        int month = i % 6 + 1;
        csv += "2024-0" + std::to_string(month) + "-10," + key + "," + std::to_string(v) + "," + std::to_string(g % 5 + 1) + "\n";
        revenue[key] += v;
        month_total[month] += v;
    }
    engine::testing::RunOptions o;
    o.hints["product"].role = engine::ColumnRole::kDimension;
    o.breakdown_groups = 50;  // the first pass cannot count every top group's months
    auto s = engine::testing::RunEngine(csv, o);
    ASSERT_TRUE(s) << s.error().ToString();
    auto groups_payload = json::parse(engine::GroupsJson(*s, s->groups.at(0))).as_object();
    auto breakdown_payload = json::parse(engine::BreakdownJson(*s, s->breakdowns.at(0))).as_object();
    for (Agg agg : {Agg::kSum, Agg::kCount, Agg::kAvg}) {
        for (const char* measure : {"revenue", "units", ""}) {
            if (agg != Agg::kCount && std::string(measure).empty()) continue;
            SCOPED_TRACE(std::string(AggName(agg)) + " " + measure);
            auto g = Groups(groups_payload, {.measure = measure, .agg = agg, .limit = 20});
            auto b = Breakdown(breakdown_payload, {.measure = measure, .agg = agg, .interval = Interval::kQuarter, .limit = 20});
            ASSERT_TRUE(g && b);
            ASSERT_EQ(b->series.size(), g->groups.size());
            for (size_t i = 0; i < g->groups.size(); ++i) EXPECT_EQ(b->series[i].key, g->groups[i].key) << i;
            EXPECT_FALSE(b->partial);
            ASSERT_TRUE(b->other.has_value());
        }
    }
    // Sums: each quarter's series and "other" add up to everything in that quarter.
    auto b = Breakdown(breakdown_payload, {.measure = "revenue", .agg = Agg::kSum, .interval = Interval::kQuarter, .limit = 5});
    ASSERT_TRUE(b && b->other);
    EXPECT_EQ(b->series.at(0).key, "p999");
    for (size_t p = 0; p < b->periods.size(); ++p) {
        int128 sum = 0;
        for (const auto& se : b->series) sum += static_cast<int128>(std::llround(se.values[p]->approx));
        sum += static_cast<int128>(std::llround(b->other->values[p]->approx));
        int64_t want = 0;
        for (const auto& [month, total] : month_total) {
            if (PeriodLabel(b->periods[p], Interval::kQuarter) == "2024-Q" + std::to_string((month - 1) / 3 + 1)) want += total;
        }
        EXPECT_TRUE(sum == want) << PeriodLabel(b->periods[p], Interval::kQuarter);
    }
}

TEST(GroupsRanking, StoredTopGroupsAnswerEveryTopNAndOtherExactly) {
    // 3 000 groups: the payload keeps only the top of each ranking, yet any top N and its
    // "other" must equal a reference computed over every group.
    struct Ref {
        int64_t rows = 0, count = 0, sum = 0, min = INT64_MAX, max = INT64_MIN;
    };
    std::map<std::string, Ref> ref;
    std::string csv = "day,product,revenue\n";
    std::mt19937 rng(7);
    for (int i = 0; i < 30'000; ++i) {
        std::string key = "g" + std::to_string(rng() % 3000);
        bool null_value = rng() % 20 == 0;
        int64_t v = static_cast<int64_t>(rng() % 10'000) - 2'000;
        csv += "2024-05-01," + key + "," + (null_value ? std::string() : std::to_string(v)) + "\n";
        Ref& r = ref[key];
        ++r.rows;
        if (null_value) continue;
        ++r.count;
        r.sum += v;
        r.min = std::min(r.min, v);
        r.max = std::max(r.max, v);
    }
    engine::testing::RunOptions o;
    o.hints["product"].role = engine::ColumnRole::kDimension;
    auto s = engine::testing::RunEngine(csv, o);
    ASSERT_TRUE(s) << s.error().ToString();
    auto payload = json::parse(engine::GroupsJson(*s, s->groups.at(0))).as_object();
    ASSERT_LT(payload.at("groups").as_array().size(), 3000U) << "only the top groups are stored";
    for (Agg agg : {Agg::kSum, Agg::kCount, Agg::kAvg, Agg::kMin, Agg::kMax}) {
        // The reference ranking: value (exact), then rows, then key.
        auto value = [&](const Ref& r) -> long double {
            switch (agg) {
                case Agg::kSum: return r.sum;
                case Agg::kCount: return r.count;
                case Agg::kAvg: return static_cast<long double>(static_cast<double>(r.sum) / static_cast<double>(r.count));
                case Agg::kMin: return r.min;
                case Agg::kMax: return r.max;
            }
            return 0;
        };
        std::vector<std::pair<std::string, Ref>> order(ref.begin(), ref.end());
        std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
            if (value(a.second) != value(b.second)) return value(a.second) > value(b.second);
            if (a.second.rows != b.second.rows) return a.second.rows > b.second.rows;
            return a.first < b.first;
        });
        for (size_t limit : {1U, 7U, 100U}) {
            SCOPED_TRACE(std::string(AggName(agg)) + " top " + std::to_string(limit));
            auto g = Groups(payload, {.measure = "revenue", .agg = agg, .limit = limit});
            ASSERT_TRUE(g);
            ASSERT_EQ(g->groups.size(), limit);
            Ref rest;
            for (size_t i = 0; i < order.size(); ++i) {
                if (i < limit) {
                    EXPECT_EQ(g->groups[i].key, order[i].first) << i;
                    continue;
                }
                const Ref& r = order[i].second;
                rest.rows += r.rows;
                rest.count += r.count;
                rest.sum += r.sum;
                rest.min = std::min(rest.min, r.min);
                rest.max = std::max(rest.max, r.max);
            }
            ASSERT_TRUE(g->other.value.has_value());
            EXPECT_NEAR(g->other.value->approx, static_cast<double>(value(rest)), 1e-6);
            EXPECT_EQ(g->group_count, 3000U);
        }
    }
}

TEST(Cagr, OneDefinitionInTheKpiAndEveryTimeSeries) {
    // Data from 2019-07 to 2024-03: the complete years are 2020 to 2023.
    std::string csv = "day,revenue\n";
    std::map<int32_t, int128> cents_by_year;
    int32_t start, end;
    engine::DaysFromCivil(2019, 7, 1, &start);
    engine::DaysFromCivil(2024, 3, 31, &end);
    for (int32_t day = start; day <= end; day += 3) {
        int32_t y, m, d;
        engine::CivilFromDays(day, &y, &m, &d);
        int64_t cents = 1000 + (y - 2019) * 700 + m * 13 + d;
        cents_by_year[y] += cents;
        csv += engine::FormatDate(day) + "," + std::to_string(cents / 100) + "." + std::to_string(cents % 100 / 10) +
               std::to_string(cents % 10) + "\n";
    }
    double want = std::pow(static_cast<double>(cents_by_year[2023]) / static_cast<double>(cents_by_year[2020]), 1.0 / 3) - 1;
    engine::EngineOptions options;
    engine::Engine e(options);
    ASSERT_TRUE(e.Feed(csv));
    auto s = e.Finish();
    ASSERT_TRUE(s) << s.error().ToString();
    ASSERT_TRUE(s->kpis.at(1).cagr.has_value());
    EXPECT_NEAR(*s->kpis.at(1).cagr, want, 1e-12);
    auto payload = json::parse(engine::TimeSeriesJson(*s, s->time_series.at(0))).as_object();
    for (Interval interval : {Interval::kDay, Interval::kWeek, Interval::kMonth, Interval::kQuarter, Interval::kYear}) {
        auto r = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kSum, .interval = interval});
        ASSERT_TRUE(r && r->cagr) << IntervalName(interval);
        EXPECT_NEAR(*r->cagr, want, 1e-12) << IntervalName(interval);
    }
    // A range that holds fewer than two complete years has none.
    int32_t from, to;
    engine::DaysFromCivil(2021, 3, 1, &from);
    engine::DaysFromCivil(2022, 12, 31, &to);
    auto narrow = TimeSeries(payload, {.measure = "revenue", .agg = Agg::kSum, .from_day = from, .to_day = to});
    ASSERT_TRUE(narrow);
    EXPECT_FALSE(narrow->cagr.has_value());
}

TEST(Periods, LabelsAndIsoWeeks) {
    int32_t d;
    engine::DaysFromCivil(2021, 1, 3, &d);  // a Sunday: ISO week 2020-W53
    EXPECT_EQ(PeriodLabel(PeriodOf(d, Interval::kWeek), Interval::kWeek), "2020-W53");
    engine::DaysFromCivil(2024, 12, 30, &d);  // a Monday in ISO week 2025-W01
    EXPECT_EQ(PeriodLabel(PeriodOf(d, Interval::kWeek), Interval::kWeek), "2025-W01");
    EXPECT_EQ(PeriodLabel(PeriodOf(d, Interval::kQuarter), Interval::kQuarter), "2024-Q4");
    engine::DaysFromCivil(2024, 2, 29, &d);
    EXPECT_FALSE(YearEarlier(d, Interval::kDay).has_value());
}

TEST(Periods, LabelsWrittenWithoutPrintfAreWhatPrintfWrites) {
    // Labels and dates are written digit by digit for years 0..9999 and by printf otherwise:
    // both ways must give the same text, at the edges (years 0, 999, 9999, 10000, negative) too.
    char want[48];
    int32_t lo, hi;
    engine::DaysFromCivil(-2, 1, 1, &lo);
    engine::DaysFromCivil(10001, 12, 31, &hi);
    std::vector<int32_t> days;
    for (int32_t d = lo; d <= hi; d += 97) days.push_back(d);
    for (int32_t y : {-1, 0, 1, 999, 1000, 9999, 10000}) {
        for (int32_t m : {1, 6, 12}) {
            int32_t d;
            if (engine::DaysFromCivil(y, m, m == 12 ? 31 : 1, &d)) days.push_back(d);
        }
    }
    size_t checked = 0;
    for (int32_t day : days) {
        int32_t y, m, dd;
        engine::CivilFromDays(day, &y, &m, &dd);
        std::snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, dd);
        ASSERT_EQ(engine::FormatDate(day), want);
        const int64_t month = PeriodOf(day, Interval::kMonth), quarter = PeriodOf(day, Interval::kQuarter);
        std::snprintf(want, sizeof want, "%04lld-%02lld", static_cast<long long>(month / 12),
                      static_cast<long long>(month % 12 + 1));
        ASSERT_EQ(PeriodLabel(month, Interval::kMonth), want);
        std::snprintf(want, sizeof want, "%04lld-Q%lld", static_cast<long long>(quarter / 4),
                      static_cast<long long>(quarter % 4 + 1));
        ASSERT_EQ(PeriodLabel(quarter, Interval::kQuarter), want);
        const std::string week = PeriodLabel(PeriodOf(day, Interval::kWeek), Interval::kWeek);
        ASSERT_TRUE(week.find("-W") != std::string::npos) << week;
        ++checked;
    }
    EXPECT_GT(checked, 37000U);  // every 97th day of 10 004 years, and the edges
    int32_t d;
    engine::DaysFromCivil(5, 1, 1, &d);
    EXPECT_EQ(engine::FormatDate(d), "0005-01-01");
    EXPECT_EQ(PeriodLabel(PeriodOf(d, Interval::kQuarter), Interval::kQuarter), "0005-Q1");
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsQueries, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::analytics
