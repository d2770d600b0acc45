// The insight set of one dataset version, finalized from the merged partial: per-column
// summaries, day-level time series per time column (every measure), groups per dimension,
// monthly breakdowns of each dimension's groups, KPIs, and the row issues. Serialized to compact
// JSON payloads that the analytics API rolls up (day → week/month/quarter/year) when asked.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/partial.hpp"
#include "engine/schema.hpp"

namespace insightstream::engine {

struct CurrencySum {
    std::string code, symbol;  // code "" for numbers written without a currency
    int64_t values = 0;
    std::optional<std::string> sum;  // null on overflow
};

struct ColumnSummary {
    int64_t values = 0, nulls = 0, invalid = 0;
    uint64_t distinct = 0;
    bool distinct_exact = true;
    std::optional<std::string> min, max, sum;  // exact text (numbers, dates, text)
    std::optional<double> mean, p50, p95;
    std::vector<std::pair<std::optional<std::string>, int64_t>> top;  // dimensions: most frequent values
    int64_t trues = 0, falses = 0;
    std::string date_order;   // "MDY" / "DMY" for numeric dates
    OrderSource order_source = OrderSource::kNone;
    int display_scale = 0;    // fractional digits to show for numbers
    bool overflow = false;    // the sum is beyond the exact range: not shown
    std::string sum_withheld;  // why the sum (and mean) is not shown: "mixed currencies", "overflow"
    std::vector<CurrencySum> currencies;  // currency columns with more than one currency
    int64_t rounded = 0;      // values rounded to 9 fractional digits
    int64_t widened = 0;      // values that widened an integer column
    bool text_truncated = false;  // min/max text was cut
};

struct TimeSeriesData {
    int time_column = -1;
    std::vector<int32_t> days;    // sorted, days since epoch
    std::vector<int64_t> rows;    // per day
    std::vector<Acc> accs;        // day * measures + m
};

struct GroupData {
    std::optional<std::string> key;  // nullopt: the null group
    int64_t rows = 0;
    std::vector<Acc> accs;  // per measure
};

/// A dimension's groups as stored: every group that is among the top kGroupsPerRanking under
/// any ranking the API offers (RanksBefore), and the totals of all groups, so /groups answers any
/// top N (N <= 100) and its "other" exactly while the payload stays small for a million groups.
struct GroupsData {
    static constexpr size_t kGroupsPerRanking = 101;  // /groups shows at most 100, plus the next (for other's max)
    int dimension = -1;
    std::vector<GroupData> groups;  // by rows descending, then key
    int64_t all_rows = 0;           // every row with a value of the dimension (the groups and beyond the cap)
    std::vector<Acc> all_accs;
    int64_t other_rows = 0;          // rows beyond the group cap
    std::vector<Acc> other_accs;
    bool capped = false;             // more distinct values than the cap: the rest are in "other"
    uint64_t distinct = 0;           // distinct values (estimated when capped)
};

/// The group × month breakdown of one dimension over the primary time column. It keeps the
/// monthly series of every group that is among the top kSeriesPerRanking under any ranking the
/// API offers (rows; per measure its count, sum and average), so the top N of any query is
/// exactly the top N /groups gives; and the monthly totals of all rows, so "other" is exact too.
struct BreakdownData {
    static constexpr size_t kSeriesPerRanking = 20;
    int dimension = -1;
    int time_column = -1;
    std::vector<int32_t> months;  // sorted month numbers: year * 12 + month - 1
    struct Series {
        std::optional<std::string> key;
        int64_t group_rows = 0;       // the group's totals over all its rows, as /groups ranks them
        std::vector<Acc> group_accs;  // per measure
        std::vector<int64_t> rows;    // per month
        std::vector<SumAcc> accs;     // month * measures + m
    };
    std::vector<Series> series;    // by rows descending, then key
    std::vector<int64_t> total_rows;  // per month: every row with that month
    std::vector<SumAcc> total_accs;   // month * measures + m
    bool partial = false;  // some top group's months could not be counted (see docs/engine.md)
};

/// How /groups and /breakdown rank groups, one rule for both: by the aggregate, largest first
/// (rows, values of the measure, its exact sum, its average, minimum or maximum), then more rows,
/// then the key (the null group last); a group without a value (an average of nothing, an
/// overflowed sum) after every group with one.
enum class RankAgg : uint8_t { kRows, kCount, kSum, kAvg, kMin, kMax };
struct RankEntry {
    std::string_view key;
    bool null_key = false;  // the group of rows without a value
    int64_t rows = 0;
    int64_t count = 0;  // values of the measure
    int128 sum = 0, min = 0, max = 0;
    bool overflow = false;
};
bool RanksBefore(RankAgg agg, const RankEntry& a, const RankEntry& b);

struct Kpi {
    std::string name;           // "rows", "total_<measure>", ...
    std::string measure;        // column, empty for rows
    std::string value;          // exact text
    std::optional<std::string> period;     // latest month "2024-12"
    std::optional<std::string> period_value;
    std::optional<double> growth;  // vs the previous month; null when it is missing or zero
    std::optional<double> yoy;     // vs the same month a year earlier
    std::optional<double> cagr;    // over complete years (see CompleteYearsCagr)
    std::string withheld;          // why the total is not shown
};

struct InsightSet {
    Schema schema;
    std::string encoding = "utf-8";  // of the file as uploaded (the engine reads everything as UTF-8)
    int64_t rows = 0;
    int64_t rejected = 0;
    int64_t lines = 0;           // input lines of all records (a quoted line break makes a record longer)
    int64_t rejected_lines = 0;  // input lines of the rejected records
    int64_t invalid_values = 0;
    std::vector<ColumnSummary> columns;
    std::vector<int> measures;  // column indexes, the order of every `accs` vector
    std::vector<TimeSeriesData> time_series;
    std::vector<GroupsData> groups;
    std::vector<BreakdownData> breakdowns;
    std::vector<Kpi> kpis;
    std::vector<RowIssue> issues;
    int64_t issue_count = 0;
    Refinement refine;  // not empty: another pass over the file would give a better answer
    int64_t unanalysed_keys = 0;  // JSON keys first seen after the sample and not (yet) columns
    int passes = 1;               // over the file (see Analyze)
};

/// The compound annual growth rate, one definition for every answer: over the calendar years
/// the data covers completely — the first year counts if the data starts in its January, the
/// last if it reaches its December — (last year / first year)^(1 / years between) − 1. Null
/// with fewer than two complete years or a first or last total that is not positive.
/// `first_month` and `last_month` are the months with data (year * 12 + month − 1).
std::optional<double> CompleteYearsCagr(int32_t first_month, int32_t last_month, const std::map<int32_t, int128>& by_year);

/// Resolves date orders, drops dates invalid under them, sorts everything. Consumes `p`.
InsightSet Finalize(Partial& p, size_t top_values);

// Payloads (compact JSON). Sums, minima and maxima are integers in 10^-9 units, as text: exact.
std::string SchemaJson(const InsightSet& s);
std::string SummaryJson(const InsightSet& s);
std::string TimeSeriesJson(const InsightSet& s, const TimeSeriesData& t);
std::string GroupsJson(const InsightSet& s, const GroupsData& g);
std::string BreakdownJson(const InsightSet& s, const BreakdownData& b);
/// One JSON object per line: {"line","column","reason","raw"}.
std::string IssuesNdjson(const InsightSet& s);

std::string UnitsText(int128 v);
std::string MonthLabel(int32_t month);  // "2024-03"

}  // namespace insightstream::engine
