// The aggregation state of one worker thread: everything the insight set needs, accumulated in
// one pass over the rows that thread parsed, in memory bounded by group cardinality (days,
// groups, group × month), never by the number of rows. Partials merge exactly and in any order.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "engine/dense_blocks.hpp"
#include "engine/flat_map.hpp"
#include "engine/schema.hpp"
#include "engine/sketches.hpp"
#include "engine/values.hpp"

namespace insightstream::engine {

/// count / sum / min / max of values in 10^-9 units (exact for integers and decimals).
struct Acc {
    int64_t count = 0;
    int128 sum = 0;
    int128 min = std::numeric_limits<int128>::max();
    int128 max = std::numeric_limits<int128>::min();
    void Add(int128 v) {
        ++count;
        sum += v;
        if (v < min) min = v;
        if (v > max) max = v;
    }
    void Merge(const Acc& o) {
        count += o.count;
        sum += o.sum;
        if (o.min < min) min = o.min;
        if (o.max > max) max = o.max;
    }
};

/// count / sum only: the breakdown cells, where min and max would cost more memory than they
/// are worth (the breakdown answers sum, count and avg).
struct SumAcc {
    int128 sum = 0;
    int64_t count = 0;
    void Add(int128 v) {
        sum += v;
        ++count;
    }
    void Merge(const SumAcc& o) {
        sum += o.sum;
        count += o.count;
    }
};

/// A row that could not be used, or a value that broke its column's type.
struct RowIssue {
    int64_t line = 0;
    std::string column;  // empty for a rejected row
    std::string reason;
    std::string raw;     // the record text (rejected rows) or the value, truncated
};

/// Time keys: a date as written, (year, p1, p2), with bit 31 set when the order of p1 and p2 is
/// not known yet (numeric dates such as 06/12/1998).
inline constexpr uint32_t kAmbiguousBit = 1U << 31;
inline uint32_t DateCode(int32_t y, int32_t p1, int32_t p2, bool ambiguous) {
    return (static_cast<uint32_t>(y) * 10000U + static_cast<uint32_t>(p1) * 100U + static_cast<uint32_t>(p2)) |
           (ambiguous ? kAmbiguousBit : 0U);
}

struct ColumnState {
    int64_t values = 0;
    int64_t nulls = 0;
    int64_t invalid = 0;
    DistinctCounter distinct;
    // Numbers.
    Acc acc;
    QuantileSketch quantiles;
    int max_frac = 0;
    // Text.
    std::string min_text, max_text;
    bool has_text = false;
    // Booleans.
    int64_t trues = 0, falses = 0;
    // Dates and times: min/max keys as if month-first and as if day-first; order evidence.
    uint64_t min_mdy = UINT64_MAX, max_mdy = 0, min_dmy = UINT64_MAX, max_dmy = 0;
    int64_t first_gt12 = 0, second_gt12 = 0;

    void Merge(const ColumnState& o);
};

/// Dense key of a date as written: 384 slots per year, 32 per month (a few unused), so the
/// day arrays can be indexed without a hash.
inline int64_t DenseDateKey(int32_t y, int32_t p1, int32_t p2) { return int64_t{y} * 384 + (p1 - 1) * 32 + (p2 - 1); }

struct TimeTable {
    // Ordered dates: dense blocks of (1 + measures) accumulators; block[0].count is the row count.
    DenseBlocks<Acc> dense;
    // Numeric dates of undecided order, and dates too far out for the dense range.
    U64SlotMap slots;                 // date code → slot
    std::vector<uint32_t> codes;
    std::vector<int64_t> rows;
    std::vector<Acc> accs;            // slot * measures + m
};

struct GroupTable {
    StringSlotMap keys;               // group key → slot (capped at max_groups)
    std::vector<int64_t> rows;
    std::vector<Acc> accs;            // slot * measures + m
    int64_t other_rows = 0;           // rows of keys beyond the cap
    std::vector<Acc> other_accs;
    bool capped = false;
    // Breakdown over the primary time column: per group slot, blocks of (1 + measures) sums by
    // month number; block[0].count is the row count.
    std::vector<DenseBlocks<SumAcc>> months;
};

/// The literal key that stands for "no value" in group tables.
inline constexpr std::string_view kNullKey{"\0null", 5};

struct PartialOptions {
    size_t max_groups = 10'000;
    size_t breakdown_groups = 1'000;
    size_t max_issues = 1'000;
    size_t max_raw_bytes = 1'000;
};

class Partial {
public:
    Partial(const Schema& schema, PartialOptions options);

    /// One record's fields in column order (missing trailing fields are nulls).
    void AddRow(const std::vector<std::string_view>& fields, int64_t line);
    void Reject(int64_t line, std::string reason, std::string_view raw);
    /// Records a problem with a row that is still used (a bad value, a duplicate JSON key).
    void Issue(int64_t line, std::string_view column, std::string reason, std::string_view raw);
    void Merge(Partial& other);

    const Schema& schema;
    PartialOptions options;
    int64_t rows = 0;
    int64_t rejected = 0;
    int64_t invalid_values = 0;
    std::vector<ColumnState> columns;
    std::vector<int> measures;    // column indexes
    std::vector<int> times;
    std::vector<int> dimensions;
    std::vector<TimeTable> time_tables;    // per entry of `times`
    std::vector<GroupTable> group_tables;  // per entry of `dimensions`
    std::vector<RowIssue> issues;          // the earliest ones, at most max_issues
    int64_t issue_count = 0;

private:
    std::vector<int128> mval_;
    std::vector<uint8_t> mok_;
    std::vector<uint32_t> tcode_;
    std::vector<uint8_t> tok_;
    std::vector<int> role_index_;  // column → index in measures/times/dimensions, or -1
    std::vector<std::string_view> dim_keys_;
    std::vector<uint8_t> dim_ok_;
    std::vector<Acc*> dim_acc_;        // this row's group accumulators and breakdown cells
    std::vector<SumAcc*> dim_cell_;
};

}  // namespace insightstream::engine
