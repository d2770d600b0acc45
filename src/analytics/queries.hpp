// The analytics queries over stored insight payloads: time series rolled up from days to any
// interval (gaps filled, growth, year-over-year, CAGR), top groups with "other" and shares, and
// group breakdowns over time. Pure functions from payload JSON to results, rendered as JSON
// (exact decimal text for sums, minima and maxima) or as CSV.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "engine/insights.hpp"

namespace insightstream::analytics {

enum class Interval { kDay, kWeek, kMonth, kQuarter, kYear };
enum class Agg { kSum, kCount, kAvg, kMin, kMax };

bool ParseInterval(std::string_view s, Interval* out);
bool ParseAgg(std::string_view s, Agg* out);
const char* IntervalName(Interval i);
const char* AggName(Agg a);

/// The period (an ordinal) a day falls into, its first day, and its label ("2024-03",
/// "2024-Q1", "2024-W09", "2024-03-05", "2024").
int64_t PeriodOf(int32_t day, Interval i);
int32_t PeriodStart(int64_t period, Interval i);
std::string PeriodLabel(int64_t period, Interval i);
/// The same period one year earlier (nullopt for 29 February).
std::optional<int64_t> YearEarlier(int64_t period, Interval i);

/// A value: exact text when it is a sum, minimum or maximum of exact numbers; else a double.
struct Number {
    std::string text;
    double approx = 0;
};

/// Accumulated values of one measure (or rows, for count without a measure), in 10^-9 units. A
/// sum that overflowed (in the engine, stored as null, or here) is never shown.
struct Accum {
    int64_t rows = 0;
    int64_t count = 0;
    engine::int128 sum = 0;
    engine::int128 min = 0, max = 0;
    bool overflow = false;
    /// Adds a stored accumulator ([count, sum, min, max] as the engine's payloads write it).
    void AddAcc(const boost::json::value& acc);
    /// One value of the measure (its row is counted separately, in `rows`).
    void AddValue(engine::int128 v) {
        if (count == 0 || v < min) min = v;
        if (count == 0 || v > max) max = v;
        ++count;
        overflow = overflow || __builtin_add_overflow(sum, v, &sum);
    }
    void Merge(const Accum& o) {
        rows += o.rows;
        if (o.count > 0) {
            if (count == 0 || o.min < min) min = o.min;
            if (count == 0 || o.max > max) max = o.max;
        }
        count += o.count;
        overflow = overflow || o.overflow || __builtin_add_overflow(sum, o.sum, &sum);
    }
};

/// Exact text of a value in 10^-9 units with `scale` fractional digits.
Number Exact(engine::int128 units, int scale);
Number Approx(double v);
/// The value of `agg` over an accumulation; nullopt where it is undefined (avg/min/max of
/// nothing, an overflowed sum). One rule for every answer (/timeseries, /groups, /breakdown, /query).
std::optional<Number> Value(const Accum& a, Agg agg, bool rows_only, int scale);
/// How /groups, /breakdown and /query rank groups by an aggregate (engine::RanksBefore).
engine::RankAgg RankAggOf(Agg agg, bool rows_only);
engine::RankEntry Entry(const std::optional<std::string>& key, const Accum& a);

struct SeriesQuery {
    std::string measure;  // empty with agg=count: rows
    Agg agg = Agg::kSum;
    Interval interval = Interval::kMonth;
    std::optional<int32_t> from_day, to_day;  // inclusive
    bool compare_yoy = false;
    int scale = 2;  // fractional digits of the measure
};

struct SeriesPoint {
    int64_t period = 0;
    std::optional<Number> value;  // null for avg/min/max of an empty period
    int64_t count = 0;            // rows (or measure values) in the period
    std::optional<double> growth;
    std::optional<Number> previous;
    std::optional<double> yoy;
};

struct SeriesResult {
    std::string time, measure;
    Agg agg = Agg::kSum;
    Interval interval = Interval::kMonth;
    std::vector<SeriesPoint> points;
    std::optional<Number> total;
    std::optional<double> cagr;  // engine::CompleteYearsCagr of the yearly totals (sum and count)
    bool overflow = false;       // a sum beyond the exact range: those values are null
};

/// A time series payload ({"measures":[...],"days":[[date,rows,[count,sum,min,max],...],...]}),
/// read once into numbers: the dates and the exact decimal texts parsed (what every question over
/// the payload used to parse again). Days whose date does not read are left out.
struct DaySeries {
    std::vector<std::string> measures;
    std::vector<int32_t> days;   // days since the epoch, as stored (ascending)
    std::vector<int64_t> rows;   // per day
    std::vector<Accum> accs;     // per day and measure: day * measures.size() + m (rows unset)
    [[nodiscard]] size_t bytes() const {
        return days.size() * (sizeof(int32_t) + sizeof(int64_t)) + accs.size() * sizeof(Accum) + 64 * measures.size();
    }
};
core::Result<DaySeries> ReadDaySeries(const boost::json::object& payload);
core::Result<SeriesResult> TimeSeries(const DaySeries& series, const SeriesQuery& q);
core::Result<SeriesResult> TimeSeries(const boost::json::object& payload, const SeriesQuery& q);

struct GroupsQuery {
    std::string measure;
    Agg agg = Agg::kSum;
    size_t limit = 10;
    int scale = 2;
};

struct GroupRow {
    std::optional<std::string> key;
    std::optional<Number> value;
    int64_t count = 0;
    std::optional<double> share;
};

struct GroupsResult {
    std::string dimension, measure;
    Agg agg = Agg::kSum;
    std::vector<GroupRow> groups;
    GroupRow other;  // everything below the top N (and beyond the engine's group cap)
    std::optional<Number> total;
    bool capped = false;
    size_t group_count = 0;
};

core::Result<GroupsResult> Groups(const boost::json::object& payload, const GroupsQuery& q);

struct BreakdownQuery {
    std::string measure;
    Agg agg = Agg::kSum;                   // sum, count or avg
    Interval interval = Interval::kMonth;  // month, quarter or year
    size_t limit = 5;
    int scale = 2;
};

struct BreakdownResult {
    std::string dimension, time, measure;
    Agg agg = Agg::kSum;
    Interval interval = Interval::kMonth;
    std::vector<int64_t> periods;
    struct Series {
        std::optional<std::string> key;
        std::vector<std::optional<Number>> values;
    };
    std::vector<Series> series;          // the top N groups, ranked as /groups ranks them
    std::optional<Series> other;         // every other row of each period
    bool partial = false;
};

core::Result<BreakdownResult> Breakdown(const boost::json::object& payload, const BreakdownQuery& q);

// Renderers. JSON answers carry `provenance`, a JSON object written by the caller.
std::string SeriesJson(const SeriesResult& r, std::string_view provenance);
std::string SeriesCsv(const SeriesResult& r, bool with_yoy);
std::string GroupsJson(const GroupsResult& r, std::string_view provenance);
std::string GroupsCsv(const GroupsResult& r);
std::string BreakdownJson(const BreakdownResult& r, std::string_view provenance);
std::string BreakdownCsv(const BreakdownResult& r);

/// Exact decimal text of a stored 10^-9 units value, keeping `scale` fractional digits.
std::string UnitsToText(std::string_view units, int scale);

}  // namespace insightstream::analytics
