#include "engine/insights.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>

#include "core/json_text.hpp"

namespace insightstream::engine {

using core::AppendJsonDouble;
using core::AppendJsonString;

std::string UnitsText(int128 v) {
    if (v == 0) return "0";
    bool neg = v < 0;
    unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
    char buf[48];
    int n = 0;
    while (u > 0) {
        buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
        u /= 10;
    }
    std::string out = neg ? "-" : "";
    while (n > 0) out += buf[--n];
    return out;
}

std::string MonthLabel(int32_t month) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d", month / 12, month % 12 + 1);
    return buf;
}

namespace {

// Decimal text with trailing zeros beyond `min_frac` removed ("12.50" stays with min_frac 2).
std::string NumberText(int128 units, int min_frac) {
    std::string s = FormatDecimal(units, kDecimalScale);
    size_t dot = s.find('.');
    size_t keep = dot + 1 + static_cast<size_t>(min_frac);
    while (s.size() > keep && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

std::string TimeText(uint64_t key, bool timestamp) {
    auto y = static_cast<int32_t>(key >> 40);
    auto a = static_cast<int32_t>((key >> 35) & 31);
    auto b = static_cast<int32_t>((key >> 30) & 31);
    auto ms = static_cast<int32_t>(key & ((1U << 30) - 1));
    const int32_t sod = ms / 1000, millis = ms % 1000;
    char buf[64];
    if (timestamp && millis != 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, a, b, sod / 3600, sod / 60 % 60, sod % 60,
                      millis);
    } else if (timestamp) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, a, b, sod / 3600, sod / 60 % 60, sod % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, a, b);
    }
    return buf;
}

std::optional<std::string> GroupKey(std::string_view k) {
    if (k == kNullKey) return std::nullopt;
    return std::string(k);
}


// [count, sum, min, max] in units; the sum is null when it overflowed.
void AppendAcc(std::string& out, const Acc& a) {
    out += '[';
    out += std::to_string(a.count);
    if (a.count > 0) {
        out += a.overflow ? std::string(",null") : ",\"" + UnitsText(a.sum) + "\"";
        out += ",\"" + UnitsText(a.min) + "\",\"" + UnitsText(a.max) + "\"";
    }
    out += ']';
}

void AppendSum(std::string& out, const SumAcc& a);

// ",[acc],[acc],..." for one accumulator per measure.
template <class A>
void AppendEach(std::string& out, const A* accs, size_t n) {
    for (size_t m = 0; m < n; ++m) {
        out += ',';
        if constexpr (std::is_same_v<A, Acc>) AppendAcc(out, accs[m]);
        else AppendSum(out, accs[m]);
    }
}

void AppendSum(std::string& out, const SumAcc& a) {
    out += '[';
    out += std::to_string(a.count);
    if (a.count > 0) out += a.overflow ? std::string(",null") : ",\"" + UnitsText(a.sum) + "\"";
    out += ']';
}

void AppendKey(std::string& out, const std::optional<std::string>& key) {
    if (key) AppendJsonString(out, *key);
    else out += "null";
}

void AppendOptString(std::string& out, const std::optional<std::string>& v) {
    if (v) AppendJsonString(out, *v);
    else out += "null";
}

void AppendOptDouble(std::string& out, const std::optional<double>& v) {
    if (v && std::isfinite(*v)) AppendJsonDouble(out, *v);
    else out += "null";
}

void AppendMeasureNames(std::string& out, const InsightSet& s) {
    out += "\"measures\":[";
    for (size_t m = 0; m < s.measures.size(); ++m) {
        if (m) out += ',';
        AppendJsonString(out, s.schema.columns[static_cast<size_t>(s.measures[m])].name);
    }
    out += "]";
}

std::optional<double> Growth(std::optional<int128> cur, std::optional<int128> prev) {
    if (!cur || !prev || *prev == 0) return std::nullopt;
    return (DecimalToDouble(*cur) - DecimalToDouble(*prev)) / std::fabs(DecimalToDouble(*prev));
}

}  // namespace

bool RanksBefore(RankAgg agg, const RankEntry& a, const RankEntry& b) {
    // Each side's value: exact integers (rows, counts, sums in units, min, max) or an average.
    auto exact = [&](const RankEntry& e, int128* v) {
        switch (agg) {
            case RankAgg::kRows: *v = e.rows; return true;
            case RankAgg::kCount: *v = e.count; return true;
            case RankAgg::kSum: *v = e.sum; return !e.overflow;
            case RankAgg::kMin: *v = e.min; return e.count > 0;
            case RankAgg::kMax: *v = e.max; return e.count > 0;
            case RankAgg::kAvg: return false;
        }
        return false;
    };
    if (agg == RankAgg::kAvg) {
        bool ha = a.count > 0 && !a.overflow, hb = b.count > 0 && !b.overflow;
        if (ha != hb) return ha;
        if (ha) {
            double va = DecimalToDouble(a.sum) / static_cast<double>(a.count);
            double vb = DecimalToDouble(b.sum) / static_cast<double>(b.count);
            if (va != vb) return va > vb;
        }
    } else {
        int128 va = 0, vb = 0;
        bool ha = exact(a, &va), hb = exact(b, &vb);
        if (ha != hb) return ha;
        if (ha && va != vb) return va > vb;
    }
    if (a.rows != b.rows) return a.rows > b.rows;
    if (a.null_key || b.null_key) return !a.null_key && b.null_key;  // the null group last
    return a.key < b.key;
}

namespace {

// The rankings the API offers: rows; per measure its count, sum, average, minimum and maximum.
struct Ranking {
    RankAgg agg;
    size_t measure;
};

std::vector<Ranking> Rankings(size_t measures) {
    std::vector<Ranking> out{{RankAgg::kRows, 0}};
    for (size_t m = 0; m < measures; ++m) {
        for (RankAgg agg : {RankAgg::kCount, RankAgg::kSum, RankAgg::kAvg, RankAgg::kMin, RankAgg::kMax}) out.push_back({agg, m});
    }
    return out;
}

RankEntry EntryOf(const GroupTable& g, size_t slot, size_t nm, size_t m) {
    RankEntry e;
    e.key = g.keys.Key(static_cast<uint32_t>(slot));
    e.null_key = e.key == kNullKey;
    e.rows = g.rows[slot];
    if (nm > 0) {
        const Acc a = g.Get(static_cast<uint32_t>(slot), m, nm);
        e.count = a.count;
        e.sum = a.sum;
        e.min = a.min;
        e.max = a.max;
        e.overflow = a.overflow;
    }
    return e;
}

// Per ranking, the slots of its top `k` groups, best first (groups seeded but never seen left out).
std::vector<std::vector<uint32_t>> TopSlots(const GroupTable& g, size_t nm, size_t k) {
    std::vector<uint32_t> live;
    for (size_t slot = 0; slot < g.rows.size(); ++slot) {
        if (g.rows[slot] > 0) live.push_back(static_cast<uint32_t>(slot));
    }
    std::vector<std::vector<uint32_t>> out;
    for (const Ranking& r : Rankings(nm)) {
        std::vector<uint32_t> idx = live;
        size_t n = std::min(k, idx.size());
        std::partial_sort(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(n), idx.end(), [&](uint32_t a, uint32_t b) {
            return RanksBefore(r.agg, EntryOf(g, a, nm, r.measure), EntryOf(g, b, nm, r.measure));
        });
        idx.resize(n);
        out.push_back(std::move(idx));
    }
    return out;
}

// The breakdown of dimension d (see BreakdownData). A top group whose months were not all counted
// (more groups than the cells kept) is left out and asked for in `refine`, so a second pass
// counts it; until then the breakdown is marked partial.
BreakdownData Breakdown(Partial& p, size_t d, const std::vector<std::vector<uint32_t>>& tops,
                        const TimeSeriesData& primary, Refinement* refine) {
    const size_t nm = p.measures.size();
    GroupTable& g = p.group_tables[d];
    BreakdownData bd;
    bd.dimension = p.dimensions[d];
    bd.time_column = primary.time_column;
    // Months: every month of the primary series, and any a cell holds.
    std::map<int32_t, size_t> month_index;
    auto month_of_day = [](int32_t day) {
        int32_t y, m, dd;
        CivilFromDays(day, &y, &m, &dd);
        return y * 12 + m - 1;
    };
    for (int32_t day : primary.days) month_index.emplace(month_of_day(day), 0);
    for (auto& months : g.months) {
        months.ForEach([&](int64_t month, int64_t* cell) {
            if (cell[0] > 0) month_index.emplace(static_cast<int32_t>(month), 0);
        });
    }
    for (auto& [month, idx] : month_index) {
        idx = bd.months.size();
        bd.months.push_back(month);
    }
    bd.total_rows.assign(bd.months.size(), 0);
    bd.total_accs.assign(bd.months.size() * nm, SumAcc{});
    for (size_t i = 0; i < primary.days.size(); ++i) {
        size_t mi = month_index[month_of_day(primary.days[i])];
        bd.total_rows[mi] += primary.rows[i];
        for (size_t m = 0; m < nm; ++m) {
            const Acc& a = primary.accs[i * nm + m];
            bd.total_accs[mi * nm + m].Merge(SumAcc{a.sum, a.count, a.overflow});
        }
    }
    // The groups to keep: the top kSeriesPerRanking under every ranking the breakdown offers
    // (rows; per measure count, sum and average).
    std::vector<uint32_t> kept;
    const auto rankings = Rankings(nm);
    for (size_t r = 0; r < rankings.size(); ++r) {
        RankAgg agg = rankings[r].agg;
        if (agg == RankAgg::kMin || agg == RankAgg::kMax) continue;
        for (size_t i = 0; i < tops[r].size() && i < BreakdownData::kSeriesPerRanking; ++i) kept.push_back(tops[r][i]);
    }
    std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
        return RanksBefore(RankAgg::kRows, EntryOf(g, a, nm, 0), EntryOf(g, b, nm, 0));
    });
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    if (g.capped) bd.partial = true;  // groups beyond the cap are only in "other"
    std::vector<std::string> seeds;
    for (uint32_t slot : kept) {
        if (g.uncelled[slot]) {
            bd.partial = true;
            continue;
        }
        BreakdownData::Series series;
        series.key = GroupKey(g.keys.Key(slot));
        series.group_rows = g.rows[slot];
        for (size_t m = 0; m < nm; ++m) series.group_accs.push_back(g.Get(slot, m, nm));
        series.rows.assign(bd.months.size(), 0);
        series.accs.assign(bd.months.size() * nm, SumAcc{});
        if (slot < g.months.size()) {
            g.months[slot].ForEach([&](int64_t month, int64_t* cell) {
                if (cell[0] == 0) return;
                size_t mi = month_index[static_cast<int32_t>(month)];
                series.rows[mi] += cell[0];
                for (size_t m = 0; m < nm; ++m) {
                    series.accs[mi * nm + m].Merge(g.CellTotal(cell, slot, month, m));
                }
            });
        }
        bd.series.push_back(std::move(series));
    }
    if (bd.partial && !g.capped) {
        // Count the months of every kept group on the next pass.
        for (uint32_t slot : kept) seeds.emplace_back(g.keys.Key(slot));
        const std::string& name = p.schema.columns[static_cast<size_t>(bd.dimension)].name;
        auto& dst = refine->seeds[name];
        dst.insert(dst.end(), seeds.begin(), seeds.end());
        refine->reasons.push_back("breakdown of " + name + ": top groups arrived after the first " +
                                  std::to_string(g.cell_limit));
    }
    return bd;
}

// The keys beyond dimension d's cap heavy enough to be among the top kShownGroups of /groups
// (by rows, or by a measure's magnitude): a second pass counts them exactly.
void SeedHeavyBeyondCap(Partial& p, size_t d, const std::vector<std::vector<uint32_t>>& tops, Refinement* refine) {
    constexpr size_t kShownGroups = 100;  // the most /groups lists
    const size_t nm = p.measures.size();
    GroupTable& g = p.group_tables[d];
    BeyondCap& b = *g.beyond;
    const auto rankings = Rankings(nm);
    // The weight a candidate must beat: the kShownGroups-th group of the ranking.
    auto threshold = [&](RankAgg agg, size_t m) -> double {
        for (size_t r = 0; r < rankings.size(); ++r) {
            if (rankings[r].agg != agg || rankings[r].measure != m) continue;
            if (tops[r].size() < kShownGroups) return 0.0;
            RankEntry e = EntryOf(g, tops[r][kShownGroups - 1], nm, m);
            return agg == RankAgg::kRows ? static_cast<double>(e.rows) : std::fabs(DecimalToDouble(e.sum));
        }
        return 0.0;
    };
    std::vector<std::string> seeds;
    auto consider = [&](const HeavyHitters& hh, double floor) {
        for (const auto& e : hh.Top(kShownGroups)) {
            if (e.weight > floor) seeds.push_back(e.key);
        }
    };
    consider(b.rows, threshold(RankAgg::kRows, 0));
    for (size_t m = 0; m < nm && m < b.measures.size(); ++m) consider(b.measures[m], threshold(RankAgg::kSum, m));
    if (seeds.empty()) return;
    std::sort(seeds.begin(), seeds.end());
    seeds.erase(std::unique(seeds.begin(), seeds.end()), seeds.end());
    const std::string& name = p.schema.columns[static_cast<size_t>(p.dimensions[d])].name;
    auto& dst = refine->seeds[name];
    dst.insert(dst.end(), seeds.begin(), seeds.end());
    refine->reasons.push_back(name + " has more than " + std::to_string(p.options.max_groups) + " distinct values; " +
                              std::to_string(seeds.size()) + " heavy ones beyond them are counted exactly");
}

}  // namespace

std::optional<double> CompleteYearsCagr(int32_t first_month, int32_t last_month, const std::map<int32_t, int128>& by_year) {
    if (last_month < first_month) return std::nullopt;
    int32_t y0 = first_month % 12 == 0 ? first_month / 12 : first_month / 12 + 1;
    int32_t y1 = last_month % 12 == 11 ? last_month / 12 : last_month / 12 - 1;
    if (y1 <= y0) return std::nullopt;
    auto a = by_year.find(y0), b = by_year.find(y1);
    if (a == by_year.end() || b == by_year.end()) return std::nullopt;
    double first = DecimalToDouble(a->second), last = DecimalToDouble(b->second);
    if (first <= 0 || last <= 0) return std::nullopt;
    return std::pow(last / first, 1.0 / (y1 - y0)) - 1.0;
}

namespace {

// The day/month order each date column chose, and where the choice came from.
struct DateOrders {
    std::vector<bool> dmy;
    std::vector<OrderSource> source;
};

// Dates: the whole column decides day/month order (unless the user did). The values that
// order makes impossible (13/05 month first) are invalid: counted, listed with their line,
// and kept out of every statistic.
DateOrders DecideDateOrders(Partial& p, InsightSet& s) {
    DateOrders o{std::vector<bool>(p.columns.size(), false), std::vector<OrderSource>(p.columns.size(), OrderSource::kNone)};
    auto& dmy = o.dmy;
    auto& order_source = o.source;
    for (size_t c = 0; c < p.columns.size(); ++c) {
        auto& st = p.columns[c];
        const auto& spec = s.schema.columns[c];
        if (!spec.temporal()) continue;
        auto [order, source] = DecideDateOrder(st.order, spec);
        dmy[c] = order == DateOrder::kDmy;
        order_source[c] = st.order.numeric > 0 || source == OrderSource::kHint ? source : OrderSource::kNone;
        if (st.order.numeric > 0) {
            // The format says the order the whole column chose, not the sample's guess.
            std::string& f = s.schema.columns[c].format;
            if (dmy[c] && f.starts_with("MM/DD/YYYY")) f.replace(0, 10, "DD/MM/YYYY");
            if (!dmy[c] && f.starts_with("DD/MM/YYYY")) f.replace(0, 10, "MM/DD/YYYY");
        }
        const size_t k = dmy[c] ? 1 : 0;
        st.values -= st.invalid_if[k];
        st.invalid += st.invalid_if[k];
        s.invalid_values += st.invalid_if[k];
        s.issue_count += st.invalid_if[k];
        std::string reason = std::string("not a valid date read ") + (dmy[c] ? "day first (DD/MM/YYYY)" : "month first (MM/DD/YYYY)");
        for (auto& pending : st.pending[k]) s.issues.push_back(RowIssue{pending.line, spec.name, reason, std::move(pending.raw)});
    }
    std::stable_sort(s.issues.begin(), s.issues.end(), [](const RowIssue& a, const RowIssue& b) {
        return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    if (s.issues.size() > p.options.max_issues) s.issues.resize(p.options.max_issues);
    return o;
}

// One time column's table as a series of days in order, each numeric date read in the order its
// column chose.
TimeSeriesData SeriesOfDays(Partial& p, size_t t, const std::vector<bool>& dmy) {
    const size_t nm = p.measures.size();
    auto col = static_cast<size_t>(p.times[t]);
    TimeTable& tt = p.time_tables[t];
    std::map<int32_t, size_t> by_day;
    TimeSeriesData ts;
    ts.time_column = static_cast<int>(col);
    int64_t dropped = 0;
    // Adds one date's rows and accumulators (`accs` holds one per measure) to its day.
    auto add = [&](int32_t y, int32_t month, int32_t day_of_month, int64_t rows, const Acc* accs) {
        int32_t day;
        if (!DaysFromCivil(y, month, day_of_month, &day)) {
            dropped += rows;
            return;
        }
        auto [it, fresh] = by_day.try_emplace(day, ts.days.size());
        if (fresh) {
            ts.days.push_back(day);
            ts.rows.push_back(0);
            ts.accs.resize(ts.accs.size() + nm);
        }
        ts.rows[it->second] += rows;
        for (size_t m = 0; m < nm; ++m) ts.accs[it->second * nm + m].Merge(accs[m]);
    };
    tt.dense.ForEach([&](int64_t key, Acc* block) {
        if (block[0].count == 0) return;
        add(static_cast<int32_t>(key / 384), static_cast<int32_t>(key % 384 / 32 + 1), static_cast<int32_t>(key % 32 + 1),
            block[0].count, block + 1);
    });
    for (size_t slot = 0; slot < tt.codes.size(); ++slot) {
        uint32_t code = tt.codes[slot];
        bool amb = (code & kAmbiguousBit) != 0;
        uint32_t v = code & ~kAmbiguousBit;
        auto y = static_cast<int32_t>(v / 10000);
        auto a = static_cast<int32_t>(v / 100 % 100);
        auto b = static_cast<int32_t>(v % 100);
        add(y, amb && dmy[col] ? b : a, amb && dmy[col] ? a : b, tt.rows[slot], tt.accs.data() + slot * nm);
    }
    // Values that are not dates under the column's order (13/05 month first) were counted
    // above, from the column's own tally; `dropped` is the same rows seen from the table.
    (void)dropped;
    // Sort by day.
    std::vector<size_t> order(ts.days.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return ts.days[x] < ts.days[y]; });
    TimeSeriesData sorted;
    sorted.time_column = ts.time_column;
    for (size_t i : order) {
        sorted.days.push_back(ts.days[i]);
        sorted.rows.push_back(ts.rows[i]);
        for (size_t m = 0; m < nm; ++m) sorted.accs.push_back(ts.accs[i * nm + m]);
    }
    return sorted;
}

// One dimension's groups: the totals of all of them, those in the top of some ranking (`tops`,
// per ranking), what lies beyond the cap, and its breakdown (added to `s`).
GroupsData GroupsOf(Partial& p, size_t d, const TimeSeriesData* primary_series, InsightSet& s,
                    std::vector<std::vector<uint32_t>>& tops) {
    const size_t nm = p.measures.size();
    GroupTable& g = p.group_tables[d];
    GroupsData gd;
    gd.dimension = p.dimensions[d];
    gd.capped = g.capped;
    gd.other_rows = g.other_rows;
    gd.other_accs = g.other_accs;
    // The totals of every group, and the groups worth storing: those in some ranking's top.
    gd.all_rows = g.other_rows;
    gd.all_accs = g.other_accs;
    gd.distinct = 0;
    for (size_t slot = 0; slot < g.rows.size(); ++slot) {
        if (g.rows[slot] == 0) continue;  // seeded by an earlier pass, never seen
        ++gd.distinct;
        gd.all_rows += g.rows[slot];
        for (size_t m = 0; m < nm; ++m) gd.all_accs[m].Merge(g.Get(static_cast<uint32_t>(slot), m, nm));
    }
    tops = TopSlots(g, nm, GroupsData::kGroupsPerRanking);
    std::vector<uint32_t> kept;
    for (const auto& top : tops) kept.insert(kept.end(), top.begin(), top.end());
    std::sort(kept.begin(), kept.end(), [&](uint32_t a, uint32_t b) {
        return RanksBefore(RankAgg::kRows, EntryOf(g, a, nm, 0), EntryOf(g, b, nm, 0));
    });
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    for (uint32_t slot : kept) {
        GroupData one;
        one.key = GroupKey(g.keys.Key(slot));
        one.rows = g.rows[slot];
        for (size_t m = 0; m < nm; ++m) one.accs.push_back(g.Get(slot, m, nm));
        gd.groups.push_back(std::move(one));
    }
    if (g.beyond) {
        // Beyond the cap: the distinct count is estimated over every key, and the heaviest
        // keys "other" holds are counted exactly on another pass (a large group is never lost).
        DistinctCounter all = g.beyond->distinct;
        for (size_t slot = 0; slot < g.rows.size(); ++slot) {
            if (g.rows[slot] > 0) all.Add(HashBytes(g.keys.Key(static_cast<uint32_t>(slot))));
        }
        gd.distinct = all.Estimate();
        SeedHeavyBeyondCap(p, d, tops, &s.refine);
    }
    // Breakdown: the monthly series of every group that is among the top few under any
    // ranking the API offers, and the monthly totals of all rows (for "other").
    if (primary_series != nullptr) s.breakdowns.push_back(Breakdown(p, d, tops, *primary_series, &s.refine));
    return gd;
}

// A column's summary. A column typed integer that fractions widened after the sample becomes a
// decimal here (in `spec`).
ColumnSummary SummarizeColumn(const ColumnState& st, ColumnSpec& spec, bool dmy, OrderSource source) {
    ColumnSummary out;
    out.values = st.values;
    out.nulls = st.nulls;
    out.invalid = st.invalid;
    out.distinct = st.distinct.Estimate();
    out.distinct_exact = st.distinct.exact();
    if (spec.numeric() && st.acc.count > 0) {
        if (spec.type == ColumnType::kInteger && st.widened > 0 && st.max_frac > 0) {
            // Fractions after the sample widened the column: it is a decimal now.
            spec.type = ColumnType::kDecimal;
            spec.format = "decimal (widened from integer)";
        }
        int scale = spec.type == ColumnType::kInteger ? 0 : std::min(st.max_frac, kDecimalScale);
        out.display_scale = scale;
        out.rounded = st.rounded;
        out.widened = st.widened;
        // Amounts in different currencies are never added: the sum is per currency.
        size_t codes = 0;
        for (const auto& t : st.currencies) codes += t.code.empty() ? 0 : 1;
        if (codes > 1) {
            out.sum_withheld = "mixed currencies";
            for (const auto& t : st.currencies) {
                CurrencySum cs{t.code, t.symbol, t.acc.count, {}};
                if (!t.acc.overflow) cs.sum = NumberText(t.acc.sum, scale);
                out.currencies.push_back(std::move(cs));
            }
            std::sort(out.currencies.begin(), out.currencies.end(), [](const CurrencySum& a, const CurrencySum& b) {
                return a.values != b.values ? a.values > b.values : a.code < b.code;
            });
            return out;
        }
        out.min = NumberText(st.acc.min, scale);
        out.max = NumberText(st.acc.max, scale);
        out.p50 = st.quantiles.Quantile(0.5);
        out.p95 = st.quantiles.Quantile(0.95);
        // The sketch's bucket midpoint never lies outside the observed range.
        double lo = DecimalToDouble(st.acc.min), hi = DecimalToDouble(st.acc.max);
        out.p50 = std::clamp(*out.p50, lo, hi);
        out.p95 = std::clamp(*out.p95, lo, hi);
        if (st.acc.overflow) {
            out.overflow = true;
            out.sum_withheld = "overflow";
        } else {
            out.sum = NumberText(st.acc.sum, scale);
            out.mean = DecimalToDouble(st.acc.sum) / static_cast<double>(st.acc.count);
        }
    } else if (spec.type == ColumnType::kString && st.has_text) {
        out.min = st.min_text;
        out.max = st.max_text;
        out.text_truncated = st.text_truncated;
    } else if (spec.type == ColumnType::kBoolean) {
        out.trues = st.trues;
        out.falses = st.falses;
    } else if (spec.temporal() && st.values > 0) {
        bool ts = spec.type == ColumnType::kTimestamp;
        out.min = TimeText(dmy ? st.min_dmy : st.min_mdy, ts);
        out.max = TimeText(dmy ? st.max_dmy : st.max_mdy, ts);
    }
    if (spec.temporal()) {
        if (dmy && st.ambiguous_seen) {
            out.distinct = st.distinct_dmy.Estimate();
            out.distinct_exact = st.distinct_dmy.exact();
        }
        if (source != OrderSource::kNone) {
            out.date_order = dmy ? "DMY" : "MDY";
            out.order_source = source;
        }
    }
    return out;
}

// What a dimension's group table knows better than the column's own tally: the exact distinct
// count, minimum and maximum of its text, and its most frequent values (`by_rows`, in order).
void SummarizeDimension(const GroupsData& gd, const GroupTable& g, const ColumnSpec& spec,
                        const std::vector<uint32_t>& by_rows, size_t top_values, ColumnSummary& out) {
    if (spec.type == ColumnType::kString) {
        // Dimensions are counted exactly in their group table (estimated beyond its cap).
        out.distinct = 0;
        std::optional<std::string_view> lo, hi;
        for (size_t slot = 0; slot < g.rows.size(); ++slot) {
            std::string_view key = g.keys.Key(static_cast<uint32_t>(slot));
            if (g.rows[slot] == 0 || key == kNullKey) continue;
            ++out.distinct;
            if (!lo || key < *lo) lo = key;
            if (!hi || key > *hi) hi = key;
        }
        if (lo) out.min = std::string(*lo);
        if (hi) out.max = std::string(*hi);
        out.distinct_exact = !gd.capped;
        if (gd.capped) {
            out.distinct = gd.distinct;
            if (g.beyond && g.beyond->has_text) {
                if (!out.min || g.beyond->min < *out.min) out.min = g.beyond->min;
                if (!out.max || g.beyond->max > *out.max) out.max = g.beyond->max;
            }
        }
    }
    for (size_t i = 0; i < by_rows.size() && i < top_values; ++i) {
        out.top.emplace_back(GroupKey(g.keys.Key(by_rows[i])), g.rows[by_rows[i]]);
    }
}

// What another pass would do better: type the columns the sample had no value for, add the
// JSON keys first seen after it, read the breakdown's months in the order the column chose.
void CollectRefinements(Partial& p, InsightSet& s, const std::vector<bool>& dmy) {
    for (size_t c = 0; c < p.columns.size(); ++c) {
        auto& spec = s.schema.columns[c];
        auto& st = p.columns[c];
        if (!spec.late) continue;
        if (st.late_values.empty()) {
            spec.late = false;  // no value anywhere: an empty column
            continue;
        }
        auto& values = s.refine.late_values[spec.name];
        for (auto& v : st.late_values) values.push_back(std::move(v.value));
        s.refine.reasons.push_back("column " + spec.name + " has its first value on line " +
                                   std::to_string(st.late_values.front().line) + ", after the sample");
        spec.format = "not analysed yet (first value after the sample)";
    }
    {
        std::vector<std::pair<int64_t, std::string>> keys;
        for (const auto& [key, late] : p.late_keys) keys.emplace_back(late.first_line, key);
        std::sort(keys.begin(), keys.end());
        for (const auto& [line, key] : keys) {
            s.refine.new_keys.push_back(key);
            auto& values = s.refine.late_values[key];
            for (const auto& v : p.late_keys.at(key).values) values.push_back(v.value);
            s.refine.reasons.push_back("key " + key + " first appears on line " + std::to_string(line) + ", after the sample");
        }
        s.unanalysed_keys = static_cast<int64_t>(keys.size()) + p.late_keys_dropped;
    }
    if (s.schema.primary_time >= 0 && !s.breakdowns.empty()) {
        auto c = static_cast<size_t>(s.schema.primary_time);
        const auto& spec = s.schema.columns[c];
        DateOrder chosen = dmy[c] ? DateOrder::kDmy : DateOrder::kMdy;
        if (p.columns[c].order.numeric > 0 && chosen != spec.date_order) {
            s.refine.pass_orders[spec.name] = chosen;
            s.refine.reasons.push_back("the months of " + spec.name + " were read " + DateOrderName(spec.date_order) +
                                       "; the whole column says " + DateOrderName(chosen));
            for (auto& b : s.breakdowns) b.partial = true;
        }
    }
}

// KPIs: the row count, and for the headline measure its total, latest month, growth, YoY, CAGR.
void AddKpis(Partial& p, InsightSet& s) {
    const size_t nm = p.measures.size();
    s.kpis.push_back(Kpi{"rows", "", std::to_string(s.rows), {}, {}, {}, {}, {}});
    auto mi_it = std::find(s.measures.begin(), s.measures.end(), s.schema.main_measure);
    if (mi_it != s.measures.end()) {
        auto mi = static_cast<size_t>(mi_it - s.measures.begin());
        const auto& col = s.columns[static_cast<size_t>(s.schema.main_measure)];
        Kpi k;
        k.name = "total";
        k.measure = s.schema.columns[static_cast<size_t>(s.schema.main_measure)].name;
        k.withheld = col.sum_withheld;
        if (k.withheld.empty()) k.value = NumberText(p.columns[static_cast<size_t>(s.schema.main_measure)].acc.sum, col.display_scale);
        const TimeSeriesData* ts = nullptr;
        for (const auto& t : s.time_series) {
            if (t.time_column == s.schema.primary_time) ts = &t;
        }
        if (ts && !ts->days.empty() && k.withheld.empty()) {
            std::map<int32_t, int128> by_month, by_year;
            bool overflow = false;
            for (size_t i = 0; i < ts->days.size(); ++i) {
                const Acc& a = ts->accs[i * nm + mi];
                int32_t y, m, d;
                CivilFromDays(ts->days[i], &y, &m, &d);
                if (a.count > 0) {
                    overflow = overflow || a.overflow || AddOverflows(by_month[y * 12 + m - 1], a.sum) ||
                               AddOverflows(by_year[y], a.sum);
                }
            }
            if (!by_month.empty() && !overflow) {
                int32_t last = by_month.rbegin()->first;
                k.period = MonthLabel(last);
                k.period_value = NumberText(by_month[last], col.display_scale);
                auto get = [&](int32_t month) -> std::optional<int128> {
                    auto it = by_month.find(month);
                    if (it == by_month.end()) return std::nullopt;
                    return it->second;
                };
                k.growth = Growth(by_month[last], get(last - 1));
                k.yoy = Growth(by_month[last], get(last - 12));
                k.cagr = CompleteYearsCagr(by_month.begin()->first, last, by_year);
            }
        }
        s.kpis.push_back(std::move(k));
    }
}

}  // namespace

InsightSet Finalize(Partial& p, size_t top_values) {
    InsightSet s;
    s.schema = p.schema;
    s.rows = p.rows;
    s.rejected = p.rejected;
    s.lines = p.lines;
    s.rejected_lines = p.rejected_lines;
    s.invalid_values = p.invalid_values;
    s.measures = p.measures;
    s.issues = std::move(p.issues);
    s.issue_count = p.issue_count;
    s.columns.resize(p.columns.size());

    const DateOrders orders = DecideDateOrders(p, s);
    for (size_t t = 0; t < p.times.size(); ++t) s.time_series.push_back(SeriesOfDays(p, t, orders.dmy));

    // Groups and breakdowns (of the primary time column's series).
    const TimeSeriesData* primary_series = nullptr;
    for (const auto& t : s.time_series) {
        if (t.time_column == s.schema.primary_time) primary_series = &t;
    }
    std::vector<std::vector<std::vector<uint32_t>>> tops_by_dimension(p.dimensions.size());
    for (size_t d = 0; d < p.dimensions.size(); ++d) {
        s.groups.push_back(GroupsOf(p, d, primary_series, s, tops_by_dimension[d]));
    }

    for (size_t c = 0; c < p.columns.size(); ++c) {
        s.columns[c] = SummarizeColumn(p.columns[c], s.schema.columns[c], orders.dmy[c], orders.source[c]);
    }
    for (size_t d = 0; d < s.groups.size(); ++d) {
        const auto c = static_cast<size_t>(s.groups[d].dimension);
        SummarizeDimension(s.groups[d], p.group_tables[d], s.schema.columns[c], tops_by_dimension[d][0], top_values,
                           s.columns[c]);
    }
    CollectRefinements(p, s, orders.dmy);
    AddKpis(p, s);
    return s;
}

std::string SchemaJson(const InsightSet& s) {
    std::string out = "{\"columns\":[";
    for (size_t c = 0; c < s.schema.columns.size(); ++c) {
        const auto& col = s.schema.columns[c];
        const auto& sum = s.columns[c];
        if (c) out += ',';
        out += "{\"name\":";
        AppendJsonString(out, col.name);
        out += ",\"type\":\"";
        out += TypeName(col.type);
        out += "\",\"role\":\"";
        out += RoleName(col.role);
        out += "\",\"nullable\":";
        out += sum.nulls > 0 ? "true" : "false";
        out += ",\"format\":";
        AppendJsonString(out, col.format);
        if (col.currency) {
            out += ",\"currency\":";
            AppendJsonString(out, col.currency_symbol);
        }
        if (col.percent) out += ",\"percent\":true";
        if (!sum.date_order.empty()) {
            out += ",\"date_order\":\"" + sum.date_order + "\",\"date_order_source\":\"";
            out += OrderSourceName(sum.order_source);
            out += '"';
        }
        if (col.numeric() && col.decimal_mark == DecimalMark::kComma) out += ",\"decimal_mark\":\"comma\"";
        if (!sum.sum_withheld.empty()) {
            out += ",\"sum_withheld\":";
            AppendJsonString(out, sum.sum_withheld);
        }
        out += ",\"scale\":" + std::to_string(sum.display_scale);
        out += ",\"hinted\":";
        out += col.hinted ? "true" : "false";
        out += '}';
    }
    out += "],\"encoding\":\"" + s.encoding + "\",\"primary_time\":";
    if (s.schema.primary_time >= 0) AppendJsonString(out, s.schema.columns[static_cast<size_t>(s.schema.primary_time)].name);
    else out += "null";
    out += ",\"main_measure\":";
    if (s.schema.main_measure >= 0) AppendJsonString(out, s.schema.columns[static_cast<size_t>(s.schema.main_measure)].name);
    else out += "null";
    out += '}';
    return out;
}

std::string SummaryJson(const InsightSet& s) {
    std::string out = "{\"rows\":" + std::to_string(s.rows) + ",\"rows_rejected\":" + std::to_string(s.rejected) +
                      ",\"invalid_values\":" + std::to_string(s.invalid_values) +
                      ",\"issues\":" + std::to_string(s.issue_count) + ",\"columns\":[";
    for (size_t c = 0; c < s.columns.size(); ++c) {
        const auto& col = s.schema.columns[c];
        const auto& v = s.columns[c];
        if (c) out += ',';
        out += "{\"name\":";
        AppendJsonString(out, col.name);
        out += ",\"type\":\"";
        out += TypeName(col.type);
        out += "\",\"role\":\"";
        out += RoleName(col.role);
        out += "\",\"values\":" + std::to_string(v.values) + ",\"nulls\":" + std::to_string(v.nulls) +
               ",\"invalid\":" + std::to_string(v.invalid) + ",\"distinct\":" + std::to_string(v.distinct) +
               ",\"distinct_exact\":" + (v.distinct_exact ? "true" : "false") + ",\"min\":";
        AppendOptString(out, v.min);
        out += ",\"max\":";
        AppendOptString(out, v.max);
        out += ",\"sum\":";
        AppendOptString(out, v.sum);
        out += ",\"mean\":";
        AppendOptDouble(out, v.mean);
        out += ",\"p50\":";
        AppendOptDouble(out, v.p50);
        out += ",\"p95\":";
        AppendOptDouble(out, v.p95);
        if (col.type == ColumnType::kBoolean) {
            out += ",\"true\":" + std::to_string(v.trues) + ",\"false\":" + std::to_string(v.falses);
        }
        if (!v.sum_withheld.empty()) {
            out += ",\"sum_withheld\":";
            AppendJsonString(out, v.sum_withheld);
        }
        if (!v.currencies.empty()) {
            out += ",\"currencies\":[";
            for (size_t i = 0; i < v.currencies.size(); ++i) {
                const auto& cs = v.currencies[i];
                if (i) out += ',';
                out += "{\"currency\":";
                if (cs.code.empty()) out += "null";
                else AppendJsonString(out, cs.code);
                out += ",\"symbol\":";
                if (cs.symbol.empty()) out += "null";
                else AppendJsonString(out, cs.symbol);
                out += ",\"values\":" + std::to_string(cs.values) + ",\"sum\":";
                AppendOptString(out, cs.sum);
                out += '}';
            }
            out += ']';
        }
        if (v.rounded > 0) out += ",\"rounded\":" + std::to_string(v.rounded);
        if (v.widened > 0) out += ",\"widened\":" + std::to_string(v.widened);
        if (v.text_truncated) out += ",\"text_truncated\":true";
        out += ",\"top\":[";
        for (size_t i = 0; i < v.top.size(); ++i) {
            if (i) out += ',';
            out += "{\"value\":";
            AppendKey(out, v.top[i].first);
            out += ",\"count\":" + std::to_string(v.top[i].second) + "}";
        }
        out += "]}";
    }
    out += "],\"kpis\":[";
    for (size_t i = 0; i < s.kpis.size(); ++i) {
        const Kpi& k = s.kpis[i];
        if (i) out += ',';
        out += "{\"name\":";
        AppendJsonString(out, k.name);
        out += ",\"measure\":";
        if (k.measure.empty()) out += "null";
        else AppendJsonString(out, k.measure);
        out += ",\"value\":";
        if (k.withheld.empty()) AppendJsonString(out, k.value);
        else out += "null";
        if (!k.withheld.empty()) {
            out += ",\"withheld\":";
            AppendJsonString(out, k.withheld);
        }
        out += ",\"period\":";
        AppendOptString(out, k.period);
        out += ",\"period_value\":";
        AppendOptString(out, k.period_value);
        out += ",\"growth\":";
        AppendOptDouble(out, k.growth);
        out += ",\"yoy\":";
        AppendOptDouble(out, k.yoy);
        out += ",\"cagr\":";
        AppendOptDouble(out, k.cagr);
        out += '}';
    }
    out += "]}";
    return out;
}

std::string TimeSeriesJson(const InsightSet& s, const TimeSeriesData& t) {
    const size_t nm = s.measures.size();
    std::string out = "{\"time\":";
    AppendJsonString(out, s.schema.columns[static_cast<size_t>(t.time_column)].name);
    out += ',';
    AppendMeasureNames(out, s);
    out += ",\"days\":[";
    for (size_t i = 0; i < t.days.size(); ++i) {
        if (i) out += ',';
        out += "[\"" + FormatDate(t.days[i]) + "\"," + std::to_string(t.rows[i]);
        AppendEach(out, t.accs.data() + i * nm, nm);
        out += ']';
    }
    out += "]}";
    return out;
}

std::string GroupsJson(const InsightSet& s, const GroupsData& g) {
    const size_t nm = s.measures.size();
    std::string out = "{\"dimension\":";
    AppendJsonString(out, s.schema.columns[static_cast<size_t>(g.dimension)].name);
    out += ',';
    AppendMeasureNames(out, s);
    out += ",\"capped\":";
    out += g.capped ? "true" : "false";
    out += ",\"distinct\":" + std::to_string(g.distinct);
    out += ",\"groups\":[";
    for (size_t i = 0; i < g.groups.size(); ++i) {
        if (i) out += ',';
        out += '[';
        AppendKey(out, g.groups[i].key);
        out += ',' + std::to_string(g.groups[i].rows);
        AppendEach(out, g.groups[i].accs.data(), nm);
        out += ']';
    }
    out += "],\"other\":[" + std::to_string(g.other_rows);
    AppendEach(out, g.other_accs.data(), nm);
    out += "],\"all\":[" + std::to_string(g.all_rows);
    AppendEach(out, g.all_accs.data(), nm);
    out += "]}";
    return out;
}

std::string BreakdownJson(const InsightSet& s, const BreakdownData& b) {
    const size_t nm = s.measures.size();
    std::string out = "{\"dimension\":";
    AppendJsonString(out, s.schema.columns[static_cast<size_t>(b.dimension)].name);
    out += ",\"time\":";
    AppendJsonString(out, s.schema.columns[static_cast<size_t>(b.time_column)].name);
    out += ',';
    AppendMeasureNames(out, s);
    out += ",\"partial\":";
    out += b.partial ? "true" : "false";
    out += ",\"months\":[";
    for (size_t i = 0; i < b.months.size(); ++i) {
        if (i) out += ',';
        out += '"' + MonthLabel(b.months[i]) + '"';
    }
    out += "],\"totals\":[";
    for (size_t mo = 0; mo < b.months.size(); ++mo) {
        if (mo) out += ',';
        out += '[' + std::to_string(b.total_rows[mo]);
        AppendEach(out, b.total_accs.data() + mo * nm, nm);
        out += ']';
    }
    out += "],\"series\":[";
    for (size_t i = 0; i < b.series.size(); ++i) {
        const auto& se = b.series[i];
        if (i) out += ',';
        out += "{\"key\":";
        AppendKey(out, se.key);
        out += ",\"rows\":" + std::to_string(se.group_rows) + ",\"accs\":[";
        for (size_t m = 0; m < nm; ++m) {
            if (m) out += ',';
            AppendAcc(out, se.group_accs[m]);
        }
        out += "],\"cells\":[";
        for (size_t mo = 0; mo < b.months.size(); ++mo) {
            if (mo) out += ',';
            out += '[' + std::to_string(se.rows[mo]);
            AppendEach(out, se.accs.data() + mo * nm, nm);
            out += ']';
        }
        out += "]}";
    }
    out += "]}";
    return out;
}

std::string IssuesNdjson(const InsightSet& s) {
    std::string out;
    for (const auto& i : s.issues) {
        out += "{\"line\":" + std::to_string(i.line) + ",\"column\":";
        if (i.column.empty()) out += "null";
        else AppendJsonString(out, i.column);
        out += ",\"kind\":\"";
        out += i.kind == IssueKind::kRejected ? "rejected" : i.kind == IssueKind::kInvalid ? "invalid" : "note";
        out += "\",\"reason\":";
        AppendJsonString(out, i.reason);
        out += ",\"raw\":";
        AppendJsonString(out, i.raw);
        out += "}\n";
    }
    return out;
}

}  // namespace insightstream::engine
