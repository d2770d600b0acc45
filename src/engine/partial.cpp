#include "engine/partial.hpp"

#include "engine/text_decoder.hpp"

#include <algorithm>
#include <cmath>

#include "core/memory.hpp"
#include "engine/hash.hpp"

namespace insightstream::engine {

namespace {


// Keeps a min/max text, cut to the kept length (and flagged) when it is longer.
void AssignText(std::string& dst, std::string_view v, ColumnState& st, size_t max = 256) {
    if (v.size() <= max) [[likely]] {
        dst.assign(v);
        return;
    }
    dst.assign(Utf8Prefix(v, max));
    dst += "\u2026";
    st.text_truncated = true;
}

// The amount of a currency column under its currency ("" for numbers written without one).
void Tally(ColumnState& st, std::string_view symbol, int128 units) {
    std::string_view code = symbol.empty() ? std::string_view() : CurrencyCode(symbol);
    for (auto& t : st.currencies) {
        if (t.code == code) {
            t.acc.Add(units);
            return;
        }
    }
    st.currencies.push_back(CurrencyTally{std::string(code), std::string(symbol), {}});
    st.currencies.back().acc.Add(units);
}

std::string Truncate(std::string_view s, size_t max) {
    if (s.size() <= max) return std::string(s);
    return std::string(Utf8Prefix(s, max)) + "…";
}

// Keeps the entries with the smallest lines, at most `max` (each side is already sorted by line,
// as a partial sees its blocks in file order).
template <class T>
void MergeByLine(std::vector<T>& mine, std::vector<T>& theirs, size_t max) {
    mine.insert(mine.end(), std::make_move_iterator(theirs.begin()), std::make_move_iterator(theirs.end()));
    std::stable_sort(mine.begin(), mine.end(), [](const T& a, const T& b) { return a.line < b.line; });
    if (mine.size() > max) mine.resize(max);
}

// Beyond these spans (about 400 years) the dense arrays stop growing.
constexpr int64_t kMaxDenseDays = 400 * 384;
constexpr int64_t kMaxDenseMonths = 400 * 12;

// A date or timestamp as a sortable key: year, the two leading components as written, and the
// millisecond of the day (below 2^27) in the low 30 bits.
uint64_t TimeKey(int32_t y, int32_t a, int32_t b, int32_t ms_of_day) {
    return (static_cast<uint64_t>(y) << 40) | (static_cast<uint64_t>(a) << 35) | (static_cast<uint64_t>(b) << 30) |
           static_cast<uint64_t>(ms_of_day);
}

uint64_t HashUnits(int128 v) {
    auto lo = static_cast<uint64_t>(v);
    auto hi = static_cast<uint64_t>(static_cast<unsigned __int128>(v) >> 64);
    return HashInt(lo ^ (hi * 0x9E3779B97F4A7C15ULL));
}

// Approximate value for the quantile sketch (its buckets are 1.6 % wide anyway).
inline double UnitsToDouble(int128 v) {
    if (v >= INT64_MIN && v <= INT64_MAX) return static_cast<double>(static_cast<int64_t>(v)) * 1e-9;
    return static_cast<double>(v) * 1e-9;
}

}  // namespace

void ColumnState::Merge(ColumnState& o, const PartialOptions& options) {
    values += o.values;
    nulls += o.nulls;
    invalid += o.invalid;
    // Day-first distinct values: mine are all in `distinct` until I have seen an ambiguous date.
    if (ambiguous_seen || o.ambiguous_seen) {
        DistinctCounter dmy = ambiguous_seen ? std::move(distinct_dmy) : distinct;
        dmy.Merge(o.ambiguous_seen ? o.distinct_dmy : o.distinct);
        distinct_dmy = std::move(dmy);
        ambiguous_seen = true;
    }
    distinct.Merge(o.distinct);
    acc.Merge(o.acc);
    quantiles.Merge(o.quantiles);
    max_frac = std::max(max_frac, o.max_frac);
    rounded += o.rounded;
    widened += o.widened;
    for (auto& t : o.currencies) {
        auto it = std::find_if(currencies.begin(), currencies.end(), [&](const CurrencyTally& m) { return m.code == t.code; });
        if (it == currencies.end()) currencies.push_back(std::move(t));
        else it->acc.Merge(t.acc);
    }
    if (o.has_text) {
        if (!has_text || o.min_text < min_text) min_text = o.min_text;
        if (!has_text || o.max_text > max_text) max_text = o.max_text;
        has_text = true;
    }
    text_truncated = text_truncated || o.text_truncated;
    trues += o.trues;
    falses += o.falses;
    min_mdy = std::min(min_mdy, o.min_mdy);
    max_mdy = std::max(max_mdy, o.max_mdy);
    min_dmy = std::min(min_dmy, o.min_dmy);
    max_dmy = std::max(max_dmy, o.max_dmy);
    order.first_gt12 += o.order.first_gt12;
    order.second_gt12 += o.order.second_gt12;
    order.dotted += o.order.dotted;
    order.numeric += o.order.numeric;
    for (int k = 0; k < 2; ++k) {
        invalid_if[k] += o.invalid_if[k];
        MergeByLine(pending[k], o.pending[k], options.max_issues);
    }
    MergeByLine(late_values, o.late_values, options.late_values);
}

Partial::Partial(const Schema& s, PartialOptions opts, std::vector<SharedGroups*> shared)
    : schema(s), options(std::move(opts)), shared_(std::move(shared)) {
    columns.resize(schema.columns.size());
    role_index_.assign(schema.columns.size(), -1);
    for (size_t c = 0; c < schema.columns.size(); ++c) {
        switch (schema.columns[c].role) {
            case ColumnRole::kMeasure:
                role_index_[c] = static_cast<int>(measures.size());
                measures.push_back(static_cast<int>(c));
                break;
            case ColumnRole::kTime:
                role_index_[c] = static_cast<int>(times.size());
                times.push_back(static_cast<int>(c));
                break;
            case ColumnRole::kDimension:
                role_index_[c] = static_cast<int>(dimensions.size());
                dimensions.push_back(static_cast<int>(c));
                break;
            case ColumnRole::kIdentifier: break;
        }
    }
    time_tables.resize(times.size());
    for (auto& t : time_tables) t.dense = DenseBlocks<Acc>(measures.size() + 1);
    group_tables.resize(dimensions.size());
    for (size_t d = 0; d < dimensions.size(); ++d) {
        GroupTable& g = group_tables[d];
        g.other_accs.resize(measures.size());
        g.cell_limit = options.breakdown_groups;
        // Groups an earlier pass asked for take the first slots in every partial (and in the
        // shared table), so their months are always counted and no cap refuses them.
        auto seeded = options.seeds.find(schema.columns[static_cast<size_t>(dimensions[d])].name);
        if (seeded != options.seeds.end()) SeedGroups(g, seeded->second, measures.size());
    }
    mval_.resize(measures.size());
    mok_.resize(measures.size());
    mval64_.resize(measures.size());
    tcode_.resize(times.size());
    tok_.resize(times.size());
    dim_keys_.resize(dimensions.size());
    dim_ok_.resize(dimensions.size());
    dim_slot_.resize(dimensions.size());
    dim_cell_.resize(dimensions.size());
    batch_ = std::clamp<size_t>(kBatchCells / std::max<size_t>(schema.columns.size(), 1), 1, kMaxBatch);
    long_keys_.resize(dimensions.size() * batch_);
    b_cells_.resize(schema.columns.size() * batch_);
    b_lines_.resize(batch_);
    b_mval_.resize(measures.size() * batch_);
    b_mok_.resize(measures.size() * batch_);
    b_tcode_.resize(times.size() * batch_);
    b_tok_.resize(times.size() * batch_);
    b_dim_keys_.resize(dimensions.size() * batch_);
    b_dim_ok_.resize(dimensions.size() * batch_);
    b_month_.resize(batch_);
}

void BeyondCap::Merge(BeyondCap& o) {
    distinct.Merge(o.distinct);
    if (o.has_text) {
        if (!has_text || o.min < min) min = o.min;
        if (!has_text || o.max > max) max = o.max;
        has_text = true;
    }
    rows.Merge(o.rows);
    if (measures.size() < o.measures.size()) measures.resize(o.measures.size());
    for (size_t m = 0; m < o.measures.size(); ++m) measures[m].Merge(o.measures[m]);
}

void SeedGroups(GroupTable& g, const std::vector<std::string>& keys, size_t measures) {
    for (const auto& key : keys) {
        uint32_t slot = g.keys.FindOrInsert(key, SIZE_MAX);
        if (slot >= g.rows.size()) g.AddSlot(measures);
    }
    g.seeded = g.rows.size();
    g.cell_limit = std::max(g.cell_limit, g.seeded);
}

void MergeGroups(GroupTable& mine, GroupTable& theirs, size_t nm, size_t max_groups, size_t max_text_bytes) {
    std::vector<uint32_t> remap(theirs.rows.size(), StringSlotMap::kMissing);
    for (size_t s = 0; s < theirs.rows.size(); ++s) {
        std::string_view key = theirs.keys.Key(static_cast<uint32_t>(s));
        uint32_t slot = mine.keys.FindOrInsert(key, s < theirs.seeded ? SIZE_MAX : max_groups);
        remap[s] = slot;
        if (slot == StringSlotMap::kMissing) {
            mine.capped = true;
            mine.other_rows += theirs.rows[s];
            for (size_t m = 0; m < nm; ++m) mine.other_accs[m].Merge(theirs.Get(static_cast<uint32_t>(s), m, nm));
            if (!mine.beyond) mine.beyond = std::make_unique<BeyondCap>();
            BeyondCap& b = *mine.beyond;
            b.distinct.Add(HashBytes(key));
            if (!b.has_text || key < b.min) b.min = std::string(Utf8Prefix(key, max_text_bytes));
            if (!b.has_text || key > b.max) b.max = std::string(Utf8Prefix(key, max_text_bytes));
            b.has_text = true;
            b.rows.Add(key, static_cast<double>(theirs.rows[s]));
            b.measures.resize(nm);
            for (size_t m = 0; m < nm; ++m) {
                Acc a = theirs.Get(static_cast<uint32_t>(s), m, nm);
                if (a.count > 0) b.measures[m].Add(key, std::fabs(DecimalToDouble(a.sum)));
            }
            continue;
        }
        if (slot >= mine.rows.size()) mine.AddSlot(nm);
        mine.uncelled[slot] |= theirs.uncelled[s];
        for (size_t m = 0; m < nm; ++m) mine.AddAcc(slot, m, nm, theirs.Get(static_cast<uint32_t>(s), m, nm), theirs.rows[s]);
        mine.rows[slot] += theirs.rows[s];
    }
    mine.capped = mine.capped || theirs.capped;
    mine.other_rows += theirs.other_rows;
    for (size_t m = 0; m < nm; ++m) mine.other_accs[m].Merge(theirs.other_accs[m]);
    if (theirs.beyond) {
        if (!mine.beyond) mine.beyond = std::make_unique<BeyondCap>();
        mine.beyond->Merge(*theirs.beyond);
    }
    for (size_t s = 0; s < theirs.months.size(); ++s) {
        uint32_t slot = remap[s];
        if (slot == StringSlotMap::kMissing) continue;
        if (slot >= mine.cell_limit) {
            mine.uncelled[slot] = 1;  // their months of this group have nowhere to go
            continue;
        }
        while (mine.months.size() <= slot) mine.months.emplace_back(nm + 1);
        theirs.months[s].ForEach([&](int64_t month, int64_t* cell) {
            if (cell[0] == 0) return;
            int64_t* dst = mine.months[slot].At(month, kMaxDenseMonths);
            if (dst == nullptr) {
                mine.uncelled[slot] = 1;
                return;
            }
            dst[0] += cell[0];
            for (size_t m = 0; m < nm; ++m) mine.AddToCell(dst, slot, static_cast<int32_t>(month), m, cell[1 + m]);
        });
        if (s < theirs.month_nulls.size()) {
            theirs.month_nulls[s].ForEach([&](int64_t month, int64_t* nulls) {
                if (mine.months[slot].Find(month) == nullptr) return;  // the cell was refused
                for (size_t m = 0; m < nm; ++m) {
                    if (nulls[m] != 0) mine.AddNull(slot, static_cast<int32_t>(month), m, nulls[m], nm, kMaxDenseMonths);
                }
            });
        }
    }
    for (const auto& [key, wide] : theirs.spill) {
        uint32_t slot = remap[key.slot];
        if (slot == StringSlotMap::kMissing || slot >= mine.cell_limit) continue;
        if (mine.months[slot].Find(key.month) == nullptr) continue;  // the cell was refused
        auto& dst = mine.spill[{slot, key.month, key.measure}];
        dst.overflow = dst.overflow || wide.overflow;
        dst.Add(wide.sum);
    }
}

void Partial::Issue(int64_t line, std::string_view column, std::string reason, std::string_view raw, IssueKind kind) {
    FlushRows();  // the rows before it first: issues are kept in the order of their lines
    AddIssue(line, column, std::move(reason), raw, kind);
}

void Partial::AddIssue(int64_t line, std::string_view column, std::string reason, std::string_view raw, IssueKind kind) {
    ++issue_count;
    // Issues come in line order; the answer keeps the first max_issues by line and then column
    // name (Finalize, MergeIssues). So every issue of the last line kept is kept too, whatever its
    // column's position: which of them make the cut is decided by name when the partials merge,
    // the same whatever rows this partial got.
    if (issues.size() >= options.max_issues && (issues.empty() || line > issues.back().line)) return;
    issues.push_back(RowIssue{line, std::string(column), std::move(reason), Truncate(raw, options.max_raw_bytes), kind});
}

void Partial::CellIssue(int64_t line, std::string_view column, std::string reason, std::string_view raw) {
    cell_issues_.push_back(DeferredIssue{br_, line, column, std::move(reason), raw});
}

void Partial::Reject(int64_t line, int64_t lines, std::string reason, std::string_view raw) {
    FlushRows();
    ++rejected;
    rejected_lines += lines;
    AddIssue(line, "", std::move(reason), raw, IssueKind::kRejected);
}

std::string_view Partial::LongGroupKey(std::string_view v, size_t d) {
    // A very long value is grouped by its start plus a hash of the whole, so two long values
    // stay apart while the key stays small enough to show.
    char tag[64];
    std::snprintf(tag, sizeof tag, "\u2026 [%zu bytes, #%016llx]", v.size(), static_cast<unsigned long long>(HashBytes(v)));
    std::string& key = long_keys_[d * batch_ + br_];  // kept until the batch's rows are grouped
    key.assign(Utf8Prefix(v, options.max_key_bytes - 64));
    key += tag;
    return key;
}

void Partial::LateKey(std::string_view path, std::string_view value, int64_t line) {
    auto it = late_keys.find(std::string(path));
    if (it == late_keys.end()) {
        if (late_keys.size() >= options.late_keys) {
            ++late_keys_dropped;
            return;
        }
        it = late_keys.emplace(std::string(path), LateKeyValues{line, {}}).first;
    }
    auto& values = it->second.values;
    if (!IsNullToken(value) && values.size() < options.late_values) {
        values.push_back({line, Truncate(value, options.max_text_bytes)});
    }
}

void Partial::AddLate(ColumnState& st, std::string_view v, int64_t line) {
    ++st.values;
    if (st.late_values.size() < options.late_values) st.late_values.push_back({line, Truncate(v, options.max_text_bytes)});
}

[[gnu::always_inline]] inline void Partial::AddDate(const ColumnSpec& spec, ColumnState& st, size_t c, int ri, std::string_view v, int64_t line,
                      int* primary_month, bool* ok) {
    DateParse d;
    if (!ParseTemporal(spec, v, &d)) {
        *ok = false;
        return;
    }
    int32_t y = d.year, p1 = d.p1, p2 = d.p2, sod = d.seconds_of_day;
    if (d.has_offset && d.ordered && d.offset_minutes != 0) {
        int32_t days;
        if (DaysFromCivil(y, p1, p2, &days)) {
            int64_t secs = int64_t{days} * 86400 + sod - int64_t{d.offset_minutes} * 60;
            int64_t day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
            sod = static_cast<int32_t>(secs - day * 86400);
            CivilFromDays(static_cast<int32_t>(day), &y, &p1, &p2);
        }
    }
    const bool amb = !d.ordered;
    bool valid_mdy = true, valid_dmy = true;
    if (amb) {
        // The order is decided by the whole column at the end; a value that one order makes
        // impossible (13/05 month first) is kept aside as a possible issue.
        if (!st.ambiguous_seen) {
            st.ambiguous_seen = true;
            st.distinct_dmy = st.distinct;
        }
        ++st.order.numeric;
        if (d.separator == '.') ++st.order.dotted;
        if (p1 > 12) ++st.order.first_gt12;
        if (p2 > 12) ++st.order.second_gt12;
        valid_mdy = IsCivilDate(y, p1, p2);
        valid_dmy = IsCivilDate(y, p2, p1);
        for (int k = 0; k < 2; ++k) {
            if (k == 0 ? valid_mdy : valid_dmy) continue;
            ++st.invalid_if[k];
            if (st.pending[k].size() < options.max_issues) st.pending[k].push_back({line, Truncate(v, options.max_raw_bytes)});
        }
    }
    ++st.values;
    // Keyed to the millisecond: 12:00:00.100 and 12:00:00.200 are two values.
    const int32_t ms_of_day = sod * 1000 + d.millis;
    uint64_t k1 = TimeKey(y, p1, p2, ms_of_day);
    uint64_t k2 = amb ? TimeKey(y, p2, p1, ms_of_day) : k1;
    if (valid_mdy) {
        st.min_mdy = std::min(st.min_mdy, k1);
        st.max_mdy = std::max(st.max_mdy, k1);
        st.distinct.Add(HashInt(k1));
    }
    if (valid_dmy) {
        st.min_dmy = std::min(st.min_dmy, k2);
        st.max_dmy = std::max(st.max_dmy, k2);
        if (st.ambiguous_seen) st.distinct_dmy.Add(HashInt(k2));
    }
    if (spec.role == ColumnRole::kTime) {
        b_tcode_[B(ri)] = DateCode(y, p1, p2, amb);
        b_tok_[B(ri)] = rows;
        if (static_cast<int>(c) == schema.primary_time) {
            const bool dmy = spec.date_order == DateOrder::kDmy;
            int32_t month = amb && dmy ? p2 : p1;
            if (!amb || (dmy ? valid_dmy : valid_mdy)) *primary_month = y * 12 + month - 1;
        }
    } else if (spec.role == ColumnRole::kDimension) {
        b_dim_keys_[B(ri)] = GroupKeyOf(v, static_cast<size_t>(ri));
        b_dim_ok_[B(ri)] = rows;
    }
}

// A text cell: a dimension's key (its statistics come from the group table), a late column's
// value kept to type it, or the column's distinct count and range.
[[gnu::always_inline]] inline void Partial::AddText(const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v,
                                                   int64_t line) {
    if (spec.role == ColumnRole::kDimension) {
        // Distinct values, minimum and maximum come from the group table at the end.
        ++st.values;
        b_dim_keys_[B(ri)] = GroupKeyOf(v, static_cast<size_t>(ri));
        b_dim_ok_[B(ri)] = rows;
        return;
    }
    if (spec.late) {
        AddLate(st, v, line);
        return;
    }
    ++st.values;
    st.distinct.Add(HashBytes(v));
    if (!st.has_text) {
        st.has_text = true;
        AssignText(st.min_text, v, st, options.max_text_bytes);
        AssignText(st.max_text, v, st, options.max_text_bytes);
    } else if (v < st.min_text) {
        AssignText(st.min_text, v, st, options.max_text_bytes);
    } else if (v > st.max_text) {
        AssignText(st.max_text, v, st, options.max_text_bytes);
    }
}

// A boolean cell.
[[gnu::always_inline]] inline Partial::Cell Partial::AddBoolean(const ColumnSpec& spec, ColumnState& st, int ri,
                                                               std::string_view v) {
    bool b;
    BoolStyle style;
    if (!ParseBool(v, &b, &style)) {
        return Cell::kInvalid;
    }
    ++st.values;
    (b ? st.trues : st.falses)++;
    st.distinct.Add(b ? 1 : 2);
    if (spec.role == ColumnRole::kDimension) {
        b_dim_keys_[B(ri)] = b ? "true" : "false";
        b_dim_ok_[B(ri)] = rows;
    }
    return Cell::kOk;
}

// A number cell (integer, decimal or float), in 10^-9 units: the column's statistics, and the
// row's measure value or group key.
[[gnu::always_inline]] inline Partial::Cell Partial::AddNumber(const ColumnSpec& spec, ColumnState& st, int ri,
                                                              std::string_view v, int64_t line) {
    int128 units;
    int frac = 0;
    if (spec.type == ColumnType::kInteger) {
        int64_t i;
        if (ParseInteger(v, &i)) [[likely]] {
            units = static_cast<int128>(i) * kDecimalUnit;
        } else {
            // Widened exactly, not rejected: a fraction (".75") or an integer beyond
            // int64 after the sample makes the column a decimal.
            DecimalParse d;
            if (!ParseWidenedInteger(spec, v, &d)) {
                return Cell::kInvalid;
            }
            units = d.value;
            frac = d.frac_digits;
            ++st.widened;
            if (d.rounded) ++st.rounded;
        }
    } else if (spec.type == ColumnType::kDecimal) {
        DecimalParse d;
        std::string symbol;
        if (!ParseDecimalValue(spec, v, &d, &symbol)) {
            return Cell::kInvalid;
        }
        units = d.value;
        frac = d.frac_digits;
        if (d.rounded) [[unlikely]] ++st.rounded;
        if (spec.currency) Tally(st, symbol, units);
    } else {
        double f;
        if (!ParseFloat(v, &f)) {
            return Cell::kInvalid;
        }
        if (!FloatUnits(f, &units)) {
            CellIssue(line, spec.name, "beyond the range numbers are summed exactly in (\u00b11e28)", v);
            ++st.invalid;
            ++invalid_values;
            return Cell::kReported;
        }
        frac = 9;
    }
    ++st.values;
    st.acc.Add(units);
    st.quantiles.Add(UnitsToDouble(units));
    st.distinct.Add(HashUnits(units));
    if (frac > st.max_frac) st.max_frac = frac;
    if (spec.role == ColumnRole::kMeasure) {
        b_mval_[B(ri)] = units;
        b_mok_[B(ri)] = rows;
    } else if (spec.role == ColumnRole::kDimension) {
        b_dim_keys_[B(ri)] = GroupKeyOf(v, static_cast<size_t>(ri));
        b_dim_ok_[B(ri)] = rows;
    }
    return Cell::kOk;
}

// This row's measures into the day (or date) of each time column it has a valid value in.
[[gnu::always_inline]] inline void Partial::AddToTimeTables() {
    const size_t nm = measures.size();
    auto add_measures = [this](Acc* a) { AddMeasures(a); };
    const size_t ntimes = times.size();
    for (size_t t = 0; t < ntimes; ++t) {
        if (tok_[t] != rows) continue;
        TimeTable& tt = time_tables[t];
        uint32_t code = tcode_[t];
        Acc* block = nullptr;
        if ((code & kAmbiguousBit) == 0) {
            uint32_t v = code;
            block = tt.dense.At(DenseDateKey(static_cast<int32_t>(v / 10000), static_cast<int32_t>(v / 100 % 100),
                                             static_cast<int32_t>(v % 100)),
                                kMaxDenseDays);
        }
        if (block != nullptr) {
            ++block[0].count;
            add_measures(block + 1);
            continue;
        }
        bool inserted;
        uint32_t slot = tt.slots.FindOrInsert(code, &inserted);
        if (inserted) {
            tt.codes.push_back(code);
            tt.rows.push_back(0);
            tt.accs.resize(tt.accs.size() + nm);
        }
        ++tt.rows[slot];
        Acc* a = tt.accs.data() + size_t{slot} * nm;
        for (size_t m = 0; m < nm; ++m) {
            if (mok_[m] == rows) a[m].Add(mval_[m]);
        }
    }
}

// This row into each dimension's group (and the group's breakdown cell for the row's month).
[[gnu::always_inline]] inline void Partial::AddToGroupTables(int primary_month) {
    const size_t nm = measures.size();
    // Groups in two passes: find every dimension's slot and cell first, prefetching them, then
    // update. The group × month cells are the largest tables (hundreds of groups × months) and
    // mostly outside the core's cache; overlapping their loads took a third off the run.
    const size_t ndims = dimensions.size();
    uint32_t* const dslot = dim_slot_.data();
    int64_t** const dcell = dim_cell_.data();
    for (size_t d = 0; d < ndims; ++d) {
        dslot[d] = StringSlotMap::kMissing;
        dcell[d] = nullptr;
        if (dim_ok_[d] != rows) continue;
        GroupTable& g = group_tables[d];
        SharedGroups* shared = shared_.empty() ? nullptr : shared_[d];
        uint32_t slot = g.keys.FindOrInsert(dim_keys_[d], shared ? options.local_groups + g.seeded : options.max_groups);
        if (slot == StringSlotMap::kMissing) [[unlikely]] {
            // A dimension with more distinct values than a thread keeps: the shared table, once
            // for all threads; without one (or beyond the cap), "other".
            if (shared) AddShared(*shared, dim_keys_[d], primary_month);
            else AddBeyondCap(g, dim_keys_[d]);
            continue;
        }
        if (slot >= g.rows.size()) g.AddSlot(nm);
        ++g.rows[slot];
        if (nm > 0) __builtin_prefetch(&g.accs[size_t{slot} * nm], 1);
        dslot[d] = slot;
        if (primary_month >= 0) {
            int64_t* cell = CellOf(g, slot, primary_month);
            if (cell != nullptr) {
                __builtin_prefetch(cell, 1);
                __builtin_prefetch(cell + nm, 1);
            }
            dcell[d] = cell;
        }
    }
    for (size_t d = 0; d < ndims; ++d) {
        uint32_t slot = dslot[d];
        if (slot == StringSlotMap::kMissing) continue;
        GroupTable& g = group_tables[d];
        AddGroupMeasures(g, slot);
        if (dcell[d] != nullptr) AddToCell(g, slot, dcell[d], primary_month);
    }
}

void Partial::AddRow(const std::vector<std::string_view>& fields, int64_t line) {
    const size_t ncols = schema.columns.size();
    std::string_view* out = b_cells_.data() + b_rows_ * ncols;
    const size_t n = std::min(fields.size(), ncols);
    std::copy_n(fields.data(), n, out);
    std::fill(out + n, out + ncols, std::string_view());
    b_lines_[b_rows_] = line;
    if (++b_rows_ == batch_) FlushRows();
}

template <class Kernel>
[[gnu::always_inline]] inline void Partial::AddColumn(size_t c, size_t rows_in_batch, int64_t base, Kernel&& kernel) {
    const ColumnSpec& spec = schema.columns[c];
    ColumnState& st = columns[c];
    const int ri = role_index_[c];
    const size_t ncols = schema.columns.size();
    const std::string_view* cells = b_cells_.data() + c;
    for (size_t r = 0; r < rows_in_batch; ++r) {
        br_ = r;
        rows = base + static_cast<int64_t>(r) + 1;  // the stamp of this row's values (mok_ and the like)
        std::string_view v = TrimSpaces(cells[r * ncols]);
        if (v.size() <= 4 && IsShortNullToken(v)) {
            ++st.nulls;
            if (spec.role == ColumnRole::kDimension) {
                b_dim_keys_[B(ri)] = kNullKey;
                b_dim_ok_[B(ri)] = rows;
            }
            continue;
        }
        if (kernel(spec, st, ri, v, b_lines_[r]) == Cell::kInvalid) {
            ++st.invalid;
            ++invalid_values;
            CellIssue(b_lines_[r], spec.name, std::string("not a valid ") + TypeName(spec.type) + " value", v);
        }
    }
}

void Partial::FlushRows() {
    const size_t nb = b_rows_;
    if (nb == 0) return;
    b_rows_ = 0;
    const int64_t base = rows;
    const size_t ncols = schema.columns.size();
    const size_t nm = measures.size();
    std::fill(b_month_.begin(), b_month_.begin() + static_cast<ptrdiff_t>(nb), -1);

    // Column by column: each type's kernel over the batch's cells, the column's state at hand.
    for (size_t c = 0; c < ncols; ++c) {
        switch (schema.columns[c].type) {
            case ColumnType::kString:
                AddColumn(c, nb, base, [this](const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t line) {
                    AddText(spec, st, ri, v, line);
                    return Cell::kOk;
                });
                break;
            case ColumnType::kBoolean:
                AddColumn(c, nb, base, [this](const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t) {
                    return AddBoolean(spec, st, ri, v);
                });
                break;
            case ColumnType::kInteger:
            case ColumnType::kDecimal:
            case ColumnType::kFloat:
                AddColumn(c, nb, base, [this](const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t line) {
                    return AddNumber(spec, st, ri, v, line);
                });
                break;
            case ColumnType::kDate:
            case ColumnType::kTimestamp:
                AddColumn(c, nb, base, [this, c](const ColumnSpec& spec, ColumnState& st, int ri, std::string_view v, int64_t line) {
                    bool ok = true;
                    AddDate(spec, st, c, ri, v, line, &b_month_[br_], &ok);
                    return ok ? Cell::kOk : Cell::kInvalid;
                });
                break;
        }
    }
    // The cells' issues in the order a row at a time gives them: by row, then column.
    if (!cell_issues_.empty()) {
        std::stable_sort(cell_issues_.begin(), cell_issues_.end(),
                         [](const DeferredIssue& a, const DeferredIssue& b) { return a.row < b.row; });
        for (auto& i : cell_issues_) AddIssue(i.line, i.column, std::move(i.reason), i.raw, IssueKind::kInvalid);
        cell_issues_.clear();
    }

    // Row by row: the time and group tables.
    const size_t nt = times.size();
    const size_t nd = dimensions.size();
    for (size_t r = 0; r < nb; ++r) {
        br_ = r;
        rows = base + static_cast<int64_t>(r) + 1;
        for (size_t m = 0; m < nm; ++m) {
            mval_[m] = b_mval_[m * batch_ + r];
            mok_[m] = b_mok_[m * batch_ + r];
        }
        for (size_t t = 0; t < nt; ++t) {
            tcode_[t] = b_tcode_[t * batch_ + r];
            tok_[t] = b_tok_[t * batch_ + r];
        }
        for (size_t d = 0; d < nd; ++d) {
            dim_keys_[d] = b_dim_keys_[d * batch_ + r];
            dim_ok_[d] = b_dim_ok_[d * batch_ + r];
        }
        // This row's measure values, and whether all are present (the common case, taken
        // without a test per measure below).
        const int128* const mv = mval_.data();
        const int64_t* const mok = mok_.data();
        bool all_measures = true;
        bool all_int64 = true;  // every value fits the breakdown cells' int64 sums
        int64_t* const v64 = mval64_.data();
        for (size_t m = 0; m < nm; ++m) {
            all_measures = all_measures && mok[m] == rows;
            bool fits = mv[m] >= INT64_MIN && mv[m] <= INT64_MAX;
            all_int64 = all_int64 && fits;
            v64[m] = fits ? static_cast<int64_t>(mv[m]) : 0;
        }
        row_all_measures_ = all_measures;
        row_all_int64_ = all_int64;

        AddToTimeTables();
        AddToGroupTables(b_month_[r]);
    }
    rows = base + static_cast<int64_t>(nb);
}

void Partial::AddMeasures(Acc* a) const {
    const size_t nm = measures.size();
    const int128* const mv = mval_.data();
    if (row_all_measures_) {
        for (size_t m = 0; m < nm; ++m) a[m].Add(mv[m]);
        return;
    }
    const int64_t* const mok = mok_.data();
    for (size_t m = 0; m < nm; ++m) {
        if (mok[m] == rows) a[m].Add(mv[m]);
    }
}

[[gnu::always_inline]] inline void Partial::AddGroupMeasures(GroupTable& g, uint32_t slot) {
    const size_t nm = measures.size();
    const int128* const mv = mval_.data();
    if (row_all_measures_ && row_all_int64_ && g.wide.empty()) [[likely]] {
        // The common row: every value fits int64 and no entry of the table is wide, so the
        // slot's entries are updated in place without a test per entry. Their sums cannot
        // overflow: a compact entry only ever holds int64 values (AddValue makes it wide for
        // any other; AddAcc only adds accumulators whose minimum and maximum fit int64), fewer
        // than 2^63 of them, so its sum stays below 2^126.
        if (GroupTable::Compact* c = g.accs.Span(size_t{slot} * nm, nm)) {
            const int64_t* const v64 = mval64_.data();
            for (size_t m = 0; m < nm; ++m) {
                c[m].sum += v64[m];
                if (v64[m] < c[m].min) c[m].min = v64[m];
                if (v64[m] > c[m].max) c[m].max = v64[m];
            }
            return;
        }
    }
    if (row_all_measures_) {
        const bool fits = row_all_int64_;
        for (size_t m = 0; m < nm; ++m) g.AddValue(slot, m, nm, mv[m], fits);
        return;
    }
    const int64_t* const mok = mok_.data();
    for (size_t m = 0; m < nm; ++m) {
        if (mok[m] == rows) g.AddValue(slot, m, nm, mv[m], false);
        else g.AddMissing(slot, m, nm);
    }
}

[[gnu::always_inline]] inline int64_t* Partial::CellOf(GroupTable& g, uint32_t slot, int32_t month) {
    int64_t* cell = nullptr;
    if (slot < g.cell_limit) {
        while (g.months.size() <= slot) g.months.emplace_back(measures.size() + 1);
        cell = g.months[slot].At(month, kMaxDenseMonths);
    }
    if (cell == nullptr) g.uncelled[slot] = 1;
    return cell;
}

[[gnu::always_inline]] inline void Partial::AddToCell(GroupTable& g, uint32_t slot, int64_t* cell, int32_t month) {
    const size_t nm = measures.size();
    ++cell[0];
    if (row_all_measures_ && row_all_int64_) {
        const int64_t* const v64 = mval64_.data();
        for (size_t m = 0; m < nm; ++m) g.AddInt64ToCell(cell, slot, month, m, v64[m]);
        return;
    }
    for (size_t m = 0; m < nm; ++m) {
        if (mok_[m] == rows) g.AddToCell(cell, slot, month, m, mval_[m]);
        else g.AddNull(slot, month, m, 1, nm, kMaxDenseMonths);
    }
}

void Partial::AddBeyondCap(GroupTable& g, std::string_view key) {
    const size_t nm = measures.size();
    g.capped = true;
    ++g.other_rows;
    AddMeasures(g.other_accs.data());
    if (!g.beyond) {
        g.beyond = std::make_unique<BeyondCap>();
        g.beyond->measures.resize(nm);
    }
    BeyondCap& b = *g.beyond;
    b.distinct.Add(HashBytes(key));
    if (!b.has_text || key < b.min) b.min = std::string(Utf8Prefix(key, options.max_text_bytes));
    if (!b.has_text || key > b.max) b.max = std::string(Utf8Prefix(key, options.max_text_bytes));
    b.has_text = true;
    b.rows.Add(key, 1);
    for (size_t m = 0; m < nm; ++m) {
        if (mok_[m] == rows) b.measures[m].Add(key, std::fabs(UnitsToDouble(mval_[m])));
    }
}

bool SharedGroups::used() const {
    for (const auto& shard : shards) {
        if (shard.table.rows.size() > shard.table.seeded || shard.table.capped) return true;
    }
    return false;
}

GroupTable SharedGroups::Combine(GroupTable& local, size_t nm, size_t max_groups, size_t max_text_bytes) {
    // Shard 0 holds the seeded keys in its first slots, so it is the base. The combined table
    // grows by chunks while each shard is emptied, so the groups are held about once.
    GroupTable out = std::move(shards[0].table);
    for (size_t i = 1; i < kShards; ++i) {
        MergeGroups(out, shards[i].table, nm, max_groups, max_text_bytes);
        shards[i].table = GroupTable{};
        core::ReleaseFreeMemory();  // the shard was built on worker threads: their arenas keep it
    }
    MergeGroups(out, local, nm, max_groups, max_text_bytes);
    return out;
}

void Partial::AddShared(SharedGroups& shared, std::string_view key, int32_t month) {
    auto& shard = shared.shards[HashBytes(key) >> 60];  // the top 4 bits: one of 16 shards
    std::scoped_lock lock(shard.mutex);
    GroupTable& t = shard.table;
    // Keys spread over the shards by hash, never quite evenly: each may take a quarter more than
    // its share; the cap itself is applied when the shards are combined.
    uint32_t slot = t.keys.FindOrInsert(key, options.max_groups / SharedGroups::kShards * 5 / 4 + 16);
    if (slot == StringSlotMap::kMissing) {
        AddBeyondCap(t, key);
        return;
    }
    if (slot >= t.rows.size()) t.AddSlot(measures.size());
    ++t.rows[slot];
    AddGroupMeasures(t, slot);
    if (month >= 0) {
        if (int64_t* cell = CellOf(t, slot, month)) AddToCell(t, slot, cell, month);
    }
}

void Partial::Merge(Partial& o) {
    const size_t nm = measures.size();
    rows += o.rows;
    rejected += o.rejected;
    lines += o.lines;
    rejected_lines += o.rejected_lines;
    invalid_values += o.invalid_values;
    for (size_t c = 0; c < columns.size(); ++c) columns[c].Merge(o.columns[c], options);
    for (size_t t = 0; t < time_tables.size(); ++t) {
        TimeTable& mine = time_tables[t];
        TimeTable& theirs = o.time_tables[t];
        // Their dense days into my table: dense where it fits, else as sparse codes.
        theirs.dense.ForEach([&](int64_t key, Acc* block) {
            if (block[0].count == 0) return;
            Acc* dst = mine.dense.At(key, kMaxDenseDays);
            if (dst != nullptr) {
                for (size_t m = 0; m <= nm; ++m) dst[m].Merge(block[m]);
                return;
            }
            auto y = static_cast<int32_t>(key / 384);
            auto p1 = static_cast<int32_t>(key % 384 / 32 + 1);
            auto p2 = static_cast<int32_t>(key % 32 + 1);
            uint32_t code = DateCode(y, p1, p2, false);
            bool inserted;
            uint32_t slot = mine.slots.FindOrInsert(code, &inserted);
            if (inserted) {
                mine.codes.push_back(code);
                mine.rows.push_back(0);
                mine.accs.resize(mine.accs.size() + nm);
            }
            mine.rows[slot] += block[0].count;
            for (size_t m = 0; m < nm; ++m) mine.accs[slot * nm + m].Merge(block[1 + m]);
        });
        for (size_t s = 0; s < theirs.codes.size(); ++s) {
            bool inserted;
            uint32_t slot = mine.slots.FindOrInsert(theirs.codes[s], &inserted);
            if (inserted) {
                mine.codes.push_back(theirs.codes[s]);
                mine.rows.push_back(0);
                mine.accs.resize(mine.accs.size() + nm);
            }
            mine.rows[slot] += theirs.rows[s];
            for (size_t m = 0; m < nm; ++m) mine.accs[slot * nm + m].Merge(theirs.accs[s * nm + m]);
        }
    }
    for (size_t d = 0; d < group_tables.size(); ++d) {
        MergeGroups(group_tables[d], o.group_tables[d], nm, options.max_groups, options.max_text_bytes);
    }
    for (auto& [key, theirs] : o.late_keys) {
        auto it = late_keys.find(key);
        if (it == late_keys.end()) {
            if (late_keys.size() >= options.late_keys) {
                ++late_keys_dropped;
                continue;
            }
            late_keys.emplace(key, std::move(theirs));
            continue;
        }
        it->second.first_line = std::min(it->second.first_line, theirs.first_line);
        MergeByLine(it->second.values, theirs.values, options.late_values);
    }
    late_keys_dropped += o.late_keys_dropped;
    MergeIssues(std::move(o.issues), o.issue_count);
    AddRepaired(o.repaired_lines, o.repaired_count);
}

void Partial::AddRepaired(const std::vector<int64_t>& lines, int64_t count) {
    repaired_count += count;
    if (lines.empty()) return;
    repaired_lines.insert(repaired_lines.end(), lines.begin(), lines.end());
    std::sort(repaired_lines.begin(), repaired_lines.end());
    if (repaired_lines.size() > TextDecoder::kMaxRepairedLines) repaired_lines.resize(TextDecoder::kMaxRepairedLines);
}

void Partial::MergeIssues(std::vector<RowIssue> more, int64_t count) {
    issue_count += count;
    if (more.empty()) return;
    issues.insert(issues.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    std::stable_sort(issues.begin(), issues.end(), [](const RowIssue& a, const RowIssue& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    if (issues.size() > options.max_issues) issues.resize(options.max_issues);
}

}  // namespace insightstream::engine
