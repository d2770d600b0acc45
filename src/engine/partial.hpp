// The aggregation state of one worker thread: everything the insight set needs, accumulated in
// one pass over the rows that thread parsed, in memory bounded by group cardinality (days,
// groups, group × month), never by the number of rows. Partials merge exactly and in any order.
#pragma once

#include <cstdint>
#include <array>
#include <limits>
#include <memory>
#include <mutex>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/chunked_vector.hpp"
#include "engine/dense_blocks.hpp"
#include "engine/flat_map.hpp"
#include "engine/hash.hpp"
#include "engine/schema.hpp"
#include "engine/sketches.hpp"
#include "engine/values.hpp"

namespace insightstream::engine {

/// Adds b to a; true if the exact sum does not fit (a is then meaningless).
inline bool AddOverflows(int128& a, int128 b) { return __builtin_add_overflow(a, b, &a); }

/// count / sum / min / max of values in 10^-9 units (exact for integers and decimals). A sum
/// beyond the 128-bit range (about ±1.7e29) is flagged `overflow` and never shown: a wrapped
/// sum would have the wrong sign.
struct Acc {
    int64_t count = 0;
    bool overflow = false;  // in the padding before `sum`: the struct stays 64 bytes
    int128 sum = 0;
    int128 min = std::numeric_limits<int128>::max();
    int128 max = std::numeric_limits<int128>::min();
    void Add(int128 v) {
        ++count;
        if (AddOverflows(sum, v)) [[unlikely]] overflow = true;
        if (v < min) min = v;
        if (v > max) max = v;
    }
    void Merge(const Acc& o) {
        count += o.count;
        overflow = overflow || o.overflow;
        if (AddOverflows(sum, o.sum)) [[unlikely]] overflow = true;
        if (o.min < min) min = o.min;
        if (o.max > max) max = o.max;
    }
};

/// count / sum only: the breakdown cells, where min and max would cost more memory than they
/// are worth (the breakdown answers sum, count and avg).
struct SumAcc {
    int128 sum = 0;
    int64_t count = 0;
    bool overflow = false;
    void Add(int128 v) {
        if (AddOverflows(sum, v)) [[unlikely]] overflow = true;
        ++count;
    }
    void Merge(const SumAcc& o) {
        overflow = overflow || o.overflow;
        if (AddOverflows(sum, o.sum)) [[unlikely]] overflow = true;
        count += o.count;
    }
};

/// A row that could not be used (rejected), a value that broke its column's type (invalid), or
/// something about a line the reader had to fix (a note: text read as Windows-1252).
enum class IssueKind : uint8_t { kRejected, kInvalid, kNote };
struct RowIssue {
    int64_t line = 0;
    std::string column;  // empty for a rejected row or a note
    std::string reason;
    std::string raw;     // the record text (rejected rows) or the value, truncated
    IssueKind kind = IssueKind::kInvalid;
};

/// Time keys: a date as written, (year, p1, p2), with bit 31 set when the order of p1 and p2 is
/// not known yet (numeric dates such as 06/12/1998).
inline constexpr uint32_t kAmbiguousBit = 1U << 31;
inline uint32_t DateCode(int32_t y, int32_t p1, int32_t p2, bool ambiguous) {
    return (static_cast<uint32_t>(y) * 10000U + static_cast<uint32_t>(p1) * 100U + static_cast<uint32_t>(p2)) |
           (ambiguous ? kAmbiguousBit : 0U);
}

struct PartialOptions {
    size_t max_groups = 1'000'000;  // per dimension, exact; the rest is "other" (see BeyondCap)
    size_t breakdown_groups = 1'000;
    size_t max_issues = 1'000;
    size_t max_raw_bytes = 1'000;
    size_t max_text_bytes = 256;    // longest min/max text kept (longer ones are cut and flagged)
    size_t max_key_bytes = 1'024;   // longer group keys are cut, with a hash to keep them apart
    size_t late_values = 2'000;     // values kept per late column to type it
    size_t late_keys = 1'000;       // JSON keys first seen after the sample, at most
    size_t local_groups = 65'536;   // per thread and dimension; more go to the shared table
    std::map<std::string, std::vector<std::string>> seeds;  // dimension → groups counted first (see Refinement)
};

/// The values of one currency in a currency column (plain numbers have an empty code).
struct CurrencyTally {
    std::string code;    // "USD", "EUR", ... (see CurrencyCode)
    std::string symbol;  // as first written: "$", "€", "USD"
    Acc acc;
};

/// A value seen before its column's order was known, invalid under one of the two orders; it
/// becomes an issue if that order is chosen.
struct PendingIssue {
    int64_t line = 0;
    std::string raw;
};

/// A value of a column typed on a later pass (no value in the sample), with its line.
struct LateValue {
    int64_t line = 0;
    std::string value;
};

struct ColumnState {
    int64_t values = 0;
    int64_t nulls = 0;
    int64_t invalid = 0;
    DistinctCounter distinct;
    // Numbers.
    Acc acc;
    QuantileSketch quantiles;
    int max_frac = 0;
    int64_t rounded = 0;   // values with more than 9 fractional digits, rounded to 9
    int64_t widened = 0;   // values of an integer column that were decimals or beyond int64
    std::vector<CurrencyTally> currencies;  // currency columns: the amounts per currency
    // Text.
    std::string min_text, max_text;
    bool has_text = false;
    bool text_truncated = false;  // min or max was longer than kept
    // Booleans.
    int64_t trues = 0, falses = 0;
    // Dates and times: min/max keys as if month-first and as if day-first (over the values valid
    // under that order), the order evidence, and per order the values it would make invalid.
    uint64_t min_mdy = UINT64_MAX, max_mdy = 0, min_dmy = UINT64_MAX, max_dmy = 0;
    OrderEvidence order;
    bool ambiguous_seen = false;
    DistinctCounter distinct_dmy;  // distinct values as day-first (once an ambiguous value is seen)
    int64_t invalid_if[2] = {0, 0};  // by DateOrder
    std::vector<PendingIssue> pending[2];
    // Late columns: the first values, to type the column.
    std::vector<LateValue> late_values;

    void Merge(ColumnState& o, const PartialOptions& options);
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

/// What is known of a dimension's values beyond its group cap: they are in "other", and these
/// say how many there were, which came first and last, and which were the heaviest (by rows and
/// by each measure's magnitude), so a second pass can count those exactly.
struct BeyondCap {
    DistinctCounter distinct;
    std::string min, max;
    bool has_text = false;
    HeavyHitters rows{256};
    std::vector<HeavyHitters> measures;  // by |value|
    void Merge(BeyondCap& o);
};

struct GroupTable {
    StringSlotMap keys;               // group key → slot (capped at max_groups)
    ChunkedVector<int64_t> rows;
    // Per slot and measure: the exact sum and int64 minimum and maximum, 32 bytes where an Acc
    // takes 64 (a million groups are held in a quarter gigabyte). The count of values is the
    // group's rows minus its `missing` ones (null or invalid, a sparse table). A sum that would
    // overflow, or a value beyond int64 units, makes that entry `wide`: a full Acc on the side.
    struct Compact {
        int128 sum = 0;
        int64_t min = INT64_MAX;
        int64_t max = INT64_MIN;
    };
    ChunkedVector<Compact> accs;      // slot * measures + m
    ChunkedVector<uint8_t> is_wide;   // slot * measures + m
    std::unordered_map<size_t, Acc> wide;
    std::unordered_map<size_t, int64_t> missing;
    int64_t other_rows = 0;           // rows of keys beyond the cap
    std::vector<Acc> other_accs;
    bool capped = false;
    std::unique_ptr<BeyondCap> beyond;  // once capped
    size_t seeded = 0;                // slots [0, seeded) hold keys an earlier pass asked to count
    // Breakdown cells are kept for the slots below `cell_limit`; a slot with a dated row that has
    // no cell is `uncelled` (its monthly series would be short), so it is never shown as one.
    size_t cell_limit = 0;
    ChunkedVector<uint8_t> uncelled;  // per slot
    // Breakdown over the primary time column, per group slot and month number: a cell of
    // 1 + measures int64 words, the row count then each measure's sum in 10^-9 units. These are
    // the engine's largest tables (hundreds of groups × months), so a cell is as small as it can
    // be, 40 bytes for four measures: a measure's count is the row count minus its nulls, and the
    // nulls, rare in most files, live in their own table, allocated on the first null. A sum that
    // would overflow int64 goes whole to `spill` (exact int128), so cell + spill is always exact.
    std::vector<DenseBlocks<int64_t>> months;
    std::vector<DenseBlocks<int64_t>> month_nulls;  // per slot: measures words per month
    struct CellKey {
        uint32_t slot;
        int32_t month;
        uint32_t measure;
        bool operator==(const CellKey&) const = default;
    };
    struct CellKeyHash {
        size_t operator()(const CellKey& k) const {
            return HashInt((uint64_t{k.slot} << 32 | static_cast<uint32_t>(k.month)) ^ (uint64_t{k.measure} << 17));
        }
    };
    /// An exact int128 sum that knows when it overflowed.
    struct Wide {
        int128 sum = 0;
        bool overflow = false;
        void Add(int128 v) {
            if (AddOverflows(sum, v)) overflow = true;
        }
    };
    std::unordered_map<CellKey, Wide, CellKeyHash> spill;

    /// Moves measure m of a slot to a full Acc; `pending` rows of it are not added yet.
    void MakeWide(uint32_t slot, size_t m, size_t measures, int64_t pending) {
        const size_t i = size_t{slot} * measures + m;
        Acc a;
        a.count = rows[slot] - pending;
        if (auto it = missing.find(i); it != missing.end()) {
            a.count -= it->second;
            missing.erase(it);
        }
        if (a.count > 0) {
            a.sum = accs[i].sum;
            a.min = accs[i].min;
            a.max = accs[i].max;
        }
        wide[i] = a;
        is_wide[i] = 1;
    }

    /// A new slot's storage (the key is in `keys` already).
    void AddSlot(size_t measures) {
        rows.push_back(0);
        accs.resize(accs.size() + measures);
        is_wide.resize(is_wide.size() + measures);
        uncelled.push_back(0);
    }
    /// Measure m's value on a row already counted in rows[slot]; `fits64`: v is known to fit int64.
    [[gnu::always_inline]] void AddValue(uint32_t slot, size_t m, size_t measures, int128 v, bool fits64) {
        const size_t i = size_t{slot} * measures + m;
        if (!is_wide[i]) [[likely]] {
            Compact& c = accs[i];
            int128 sum;
            if ((fits64 || (v >= INT64_MIN && v <= INT64_MAX)) && !__builtin_add_overflow(c.sum, v, &sum)) [[likely]] {
                c.sum = sum;
                const auto x = static_cast<int64_t>(v);
                if (x < c.min) c.min = x;
                if (x > c.max) c.max = x;
                return;
            }
            MakeWide(slot, m, measures, 1);
        }
        wide[i].Add(v);
    }
    /// Measure m had no value (null or invalid) on a row already counted in rows[slot].
    void AddMissing(uint32_t slot, size_t m, size_t measures, int64_t n = 1) {
        const size_t i = size_t{slot} * measures + m;
        if (is_wide[i]) return;  // a wide entry counts its values itself
        missing[i] += n;
    }
    /// The accumulator of measure m in a slot.
    [[nodiscard]] Acc Get(uint32_t slot, size_t m, size_t measures) const {
        const size_t i = size_t{slot} * measures + m;
        if (is_wide[i]) return wide.at(i);
        Acc a;
        a.count = rows[slot];
        if (!missing.empty()) {
            if (auto it = missing.find(i); it != missing.end()) a.count -= it->second;
        }
        if (a.count > 0) {
            a.sum = accs[i].sum;
            a.min = accs[i].min;
            a.max = accs[i].max;
        }
        return a;
    }
    /// Adds another table's accumulator to measure m of a slot, before its rows are added.
    void AddAcc(uint32_t slot, size_t m, size_t measures, const Acc& o, int64_t other_rows) {
        const size_t i = size_t{slot} * measures + m;
        const bool fits = !o.overflow && (o.count == 0 || (o.min >= INT64_MIN && o.max <= INT64_MAX));
        if (!is_wide[i] && fits) {
            Compact& c = accs[i];
            int128 sum;
            if (!__builtin_add_overflow(c.sum, o.sum, &sum)) {
                c.sum = sum;
                if (o.count > 0) {
                    c.min = std::min(c.min, static_cast<int64_t>(o.min));
                    c.max = std::max(c.max, static_cast<int64_t>(o.max));
                }
                if (other_rows > o.count) missing[i] += other_rows - o.count;
                return;
            }
        }
        if (!is_wide[i]) MakeWide(slot, m, measures, 0);
        wide[i].Merge(o);
    }

    /// Adds a value that fits int64 to a breakdown cell's sum, or to the spill if the sum
    /// would overflow.
    void AddInt64ToCell(int64_t* cell, uint32_t slot, int32_t month, size_t m, int64_t v) {
        int64_t r;  // the builtin stores the wrapped result even on overflow
        if (__builtin_add_overflow(cell[1 + m], v, &r)) {
            spill[{slot, month, static_cast<uint32_t>(m)}].Add(v);
        } else {
            cell[1 + m] = r;
        }
    }
    /// Adds any value to a breakdown cell (never loses it: see spill).
    void AddToCell(int64_t* cell, uint32_t slot, int32_t month, size_t m, int128 v) {
        if (v >= INT64_MIN && v <= INT64_MAX) AddInt64ToCell(cell, slot, month, m, static_cast<int64_t>(v));
        else spill[{slot, month, static_cast<uint32_t>(m)}].Add(v);
    }
    void AddNull(uint32_t slot, int32_t month, size_t m, int64_t n, size_t measures, int64_t max_span) {
        while (month_nulls.size() <= slot) month_nulls.emplace_back(measures);
        if (int64_t* nulls = month_nulls[slot].At(month, max_span)) nulls[m] += n;
    }
    /// The exact sum and count of measure m in a cell.
    [[nodiscard]] SumAcc CellTotal(const int64_t* cell, uint32_t slot, int64_t month, size_t m) const {
        SumAcc out{cell[1 + m], cell[0]};
        if (!spill.empty()) {
            auto it = spill.find(CellKey{slot, static_cast<int32_t>(month), static_cast<uint32_t>(m)});
            if (it != spill.end()) {
                out.overflow = it->second.overflow || AddOverflows(out.sum, it->second.sum);
            }
        }
        if (slot < month_nulls.size()) {
            if (const int64_t* nulls = month_nulls[slot].Find(month)) out.count -= nulls[m];
        }
        return out;
    }
};

/// Puts the keys an earlier pass asked to count into the first slots of a table (empty so far),
/// so no cap ever refuses them and their breakdown cells are always kept.
void SeedGroups(GroupTable& g, const std::vector<std::string>& keys, size_t measures);
/// Adds `theirs` to `mine` (keys beyond `max_groups` go to "other"; seeded keys always fit).
void MergeGroups(GroupTable& mine, GroupTable& theirs, size_t measures, size_t max_groups, size_t max_text_bytes);

/// A dimension's groups beyond what one thread keeps to itself (PartialOptions::local_groups):
/// one set of tables for all threads, so a million distinct keys are held once and not once per
/// thread. Keys are spread over shards by hash, each behind its own mutex, so threads seldom
/// wait for each other. Rows of low-cardinality dimensions never reach it.
struct SharedGroups {
    static constexpr size_t kShards = 16;
    struct Shard {
        std::mutex mutex;
        GroupTable table;
    };
    std::array<Shard, kShards> shards;
    [[nodiscard]] bool used() const;
    /// Every shard and `local` as one table; each shard is emptied (its memory given back) as it
    /// is added, so the groups are never held twice.
    GroupTable Combine(GroupTable& local, size_t measures, size_t max_groups, size_t max_text_bytes);
};

/// The literal key that stands for "no value" in group tables.
inline constexpr std::string_view kNullKey{"\0null", 5};

class Partial {
public:
    /// `shared` has one entry per dimension (or is empty: every group stays in this partial).
    Partial(const Schema& schema, PartialOptions options, std::vector<SharedGroups*> shared = {});

    /// One record's fields in column order (missing trailing fields are nulls). Rows are taken
    /// in batches and analysed a column at a time (FlushRows): the bytes `fields` point into
    /// must stay as they are until FlushRows.
    void AddRow(const std::vector<std::string_view>& fields, int64_t line);
    /// Analyses the rows taken and not analysed yet: before the bytes they point into go, and
    /// before anything reads this partial. Issue and Reject flush first themselves, so issues
    /// keep the order of their lines.
    void FlushRows();
    /// Rows taken and not analysed yet.
    [[nodiscard]] bool pending() const { return b_rows_ != 0; }
    /// Forgets the rows not analysed yet (their block's processing failed: the job fails).
    void DiscardRows() noexcept {
        b_rows_ = 0;
        cell_issues_.clear();
    }
    /// Rows per batch: each column's cells of a batch go through its type's kernel in one loop.
    /// At most kMaxBatch rows and about kBatchCells cells, so a wide file's batch stays small
    /// (a file of thousands of columns goes a row or a few at a time).
    static constexpr size_t kMaxBatch = 64;
    static constexpr size_t kBatchCells = 4096;
    /// A JSON key the schema does not have (first seen after the sample), with its value.
    void LateKey(std::string_view path, std::string_view value, int64_t line);
    /// A record that could not be read, spanning `lines` physical lines of the input.
    void Reject(int64_t line, int64_t lines, std::string reason, std::string_view raw);
    /// Records a problem with a row that is still used (a bad value, a duplicate JSON key).
    void Issue(int64_t line, std::string_view column, std::string reason, std::string_view raw,
               IssueKind kind = IssueKind::kInvalid);
    void Merge(Partial& other);
    /// Adds issues (and `count` in all, some not kept) keeping the earliest by line.
    void MergeIssues(std::vector<RowIssue> more, int64_t count);

    const Schema& schema;
    PartialOptions options;
    int64_t rows = 0;
    int64_t rejected = 0;
    int64_t lines = 0;           // physical input lines of every record, read or rejected
    int64_t rejected_lines = 0;  // of which the rejected records took up
    int64_t invalid_values = 0;
    std::vector<ColumnState> columns;
    std::vector<int> measures;    // column indexes
    std::vector<int> times;
    std::vector<int> dimensions;
    std::vector<TimeTable> time_tables;    // per entry of `times`
    std::vector<GroupTable> group_tables;  // per entry of `dimensions`
    std::vector<RowIssue> issues;          // the earliest ones, at most max_issues
    int64_t issue_count = 0;
    struct LateKeyValues {
        int64_t first_line = 0;
        std::vector<LateValue> values;
    };
    std::map<std::string, LateKeyValues> late_keys;  // JSON keys first seen after the sample
    int64_t late_keys_dropped = 0;                   // beyond options.late_keys
    // Lines whose bytes were read as Windows-1252 in a UTF-8 file: the first ones (at most
    // kMaxRepairedLines, in line order) and how many in all; noted as issues when the analysis
    // is concluded, so a file in splits keeps the same first ones as the whole file.
    std::vector<int64_t> repaired_lines;
    int64_t repaired_count = 0;
    void AddRepaired(const std::vector<int64_t>& lines, int64_t count);

private:
    void AddDate(const ColumnSpec& spec, ColumnState& st, size_t c, int ri, std::string_view v, int64_t line,
                 int* primary_month, bool* ok);
    void AddLate(ColumnState& st, std::string_view v, int64_t line);
    /// Issue without flushing: records it (FlushRows defers a batch's cell issues to row order).
    void AddIssue(int64_t line, std::string_view column, std::string reason, std::string_view raw, IssueKind kind);
    /// A cell's issue while a batch is analysed column by column, recorded in row order after it.
    void CellIssue(int64_t line, std::string_view column, std::string reason, std::string_view raw);
    /// Every cell of column c in the batch through `kernel` (one type's).
    template <class Kernel>
    void AddColumn(size_t c, size_t rows_in_batch, int64_t base, Kernel&& kernel);
    /// The batch slot of role index ri for the row being analysed.
    [[nodiscard]] size_t B(int ri) const { return static_cast<size_t>(ri) * batch_ + br_; }
    // What a cell came to: counted, invalid (AddColumn records the issue), or invalid with its
    // issue recorded already (a reason of its own).
    enum class Cell : uint8_t { kOk, kInvalid, kReported };
    void AddText(const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t line);
    Cell AddBoolean(const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v);
    Cell AddNumber(const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t line);
    void AddToTimeTables();
    void AddToGroupTables(int primary_month);
    void AddMeasures(Acc* a) const;
    void AddGroupMeasures(GroupTable& g, uint32_t slot);
    /// The breakdown cell of a group for this row's month (null, and the slot marked uncelled,
    /// if it has none).
    int64_t* CellOf(GroupTable& g, uint32_t slot, int32_t month);
    void AddToCell(GroupTable& g, uint32_t slot, int64_t* cell, int32_t month);
    /// This row's key of a dimension whose table is full: "other", and what BeyondCap keeps.
    void AddBeyondCap(GroupTable& g, std::string_view key);
    void AddShared(SharedGroups& shared, std::string_view key, int32_t month);
    /// The group key of a value: itself, or for a very long value its start and a hash.
    std::string_view GroupKeyOf(std::string_view v, size_t d) {
        if (v.size() <= options.max_key_bytes) [[likely]] return v;
        return LongGroupKey(v, d);
    }
    std::string_view LongGroupKey(std::string_view v, size_t d);

    std::vector<std::string> long_keys_;  // per dimension: the current row's shortened key
    std::vector<SharedGroups*> shared_;   // per dimension, or empty
    bool row_all_measures_ = false;       // this row: every measure has a value
    bool row_all_int64_ = false;          // and every value fits int64
    std::vector<int128> mval_;
    std::vector<int64_t> mval64_;  // the same values as int64 where they fit
    std::vector<int64_t> mok_;     // = rows when this row's measure value is valid
    std::vector<uint32_t> tcode_;
    std::vector<int64_t> tok_;
    std::vector<int> role_index_;  // column → index in measures/times/dimensions, or -1
    std::vector<std::string_view> dim_keys_;
    std::vector<int64_t> dim_ok_;
    std::vector<uint32_t> dim_slot_;   // this row's group slot per dimension (or kMissing)
    std::vector<int64_t*> dim_cell_;   // and its breakdown cell

    // The batch (AddRow, FlushRows): its rows' cells (row-major) and lines, and what the column
    // kernels find per row, role-major ([role index × batch_ + row]); copied into the per-row
    // arrays above row by row for the time and group tables.
    size_t batch_ = 1;  // rows per batch
    std::vector<std::string_view> b_cells_;
    std::vector<int64_t> b_lines_;
    size_t b_rows_ = 0;
    size_t br_ = 0;  // the batch row being analysed
    std::vector<int128> b_mval_;
    std::vector<int64_t> b_mok_;
    std::vector<uint32_t> b_tcode_;
    std::vector<int64_t> b_tok_;
    std::vector<std::string_view> b_dim_keys_;
    std::vector<int64_t> b_dim_ok_;
    std::vector<int> b_month_;  // the row's month of the primary time column, or -1
    struct DeferredIssue {
        size_t row;
        int64_t line;
        std::string_view column;
        std::string reason;
        std::string_view raw;
    };
    std::vector<DeferredIssue> cell_issues_;
};

}  // namespace insightstream::engine
