#include "analytics/queries.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "core/csv_cell.hpp"
#include "core/json_writer.hpp"
#include "engine/insights.hpp"
#include "engine/values.hpp"

namespace insightstream::analytics {

using core::CsvCell;
using core::Error;
using core::Result;
using engine::int128;
namespace json = boost::json;

bool ParseInterval(std::string_view s, Interval* out) {
    if (s == "day") *out = Interval::kDay;
    else if (s == "week") *out = Interval::kWeek;
    else if (s == "month") *out = Interval::kMonth;
    else if (s == "quarter") *out = Interval::kQuarter;
    else if (s == "year") *out = Interval::kYear;
    else return false;
    return true;
}

bool ParseAgg(std::string_view s, Agg* out) {
    if (s == "sum") *out = Agg::kSum;
    else if (s == "count") *out = Agg::kCount;
    else if (s == "avg") *out = Agg::kAvg;
    else if (s == "min") *out = Agg::kMin;
    else if (s == "max") *out = Agg::kMax;
    else return false;
    return true;
}

const char* IntervalName(Interval i) {
    switch (i) {
        case Interval::kDay: return "day";
        case Interval::kWeek: return "week";
        case Interval::kMonth: return "month";
        case Interval::kQuarter: return "quarter";
        case Interval::kYear: return "year";
    }
    return "month";
}

const char* AggName(Agg a) {
    switch (a) {
        case Agg::kSum: return "sum";
        case Agg::kCount: return "count";
        case Agg::kAvg: return "avg";
        case Agg::kMin: return "min";
        case Agg::kMax: return "max";
    }
    return "sum";
}

namespace {

int32_t FloorDiv(int32_t a, int32_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Monday of the ISO week of `day` (1970-01-01 was a Thursday).
int32_t MondayOf(int32_t day) { return day - ((day % 7 + 7 + 3) % 7); }

}  // namespace

namespace {
// The period of a day whose year and month are known already.
int64_t PeriodOfCivil(int32_t day, int32_t y, int32_t m, Interval i) {
    switch (i) {
        case Interval::kDay: return day;
        case Interval::kWeek: return MondayOf(day);
        case Interval::kMonth: return int64_t{y} * 12 + m - 1;
        case Interval::kQuarter: return int64_t{y} * 4 + (m - 1) / 3;
        case Interval::kYear: return y;
    }
    return day;
}
}  // namespace

int64_t PeriodOf(int32_t day, Interval i) {
    int32_t y, m, d;
    engine::CivilFromDays(day, &y, &m, &d);
    return PeriodOfCivil(day, y, m, i);
}

int32_t PeriodStart(int64_t p, Interval i) {
    int32_t day = 0;
    switch (i) {
        case Interval::kDay:
        case Interval::kWeek: return static_cast<int32_t>(p);
        case Interval::kMonth: engine::DaysFromCivil(static_cast<int32_t>(p / 12), static_cast<int32_t>(p % 12) + 1, 1, &day); break;
        case Interval::kQuarter:
            engine::DaysFromCivil(static_cast<int32_t>(p / 4), static_cast<int32_t>(p % 4) * 3 + 1, 1, &day);
            break;
        case Interval::kYear: engine::DaysFromCivil(static_cast<int32_t>(p), 1, 1, &day); break;
    }
    return day;
}

namespace {
// "YYYY-" then `tag` and two digits of n (the labels of weeks, months and quarters), for years
// 0..9999 without printf; false for other years.
bool FourDigitLabel(int64_t year, std::string_view tag, int64_t n, bool two_digits, std::string* out) {
    if (year < 0 || year > 9999 || n < 0 || n > 99) return false;
    char buf[16];
    char* p = engine::WriteDigits(buf, year, 4);
    *p++ = '-';
    for (char c : tag) *p++ = c;
    p = engine::WriteDigits(p, n, two_digits || n >= 10 ? 2 : 1);
    out->assign(buf, static_cast<size_t>(p - buf));
    return true;
}
}  // namespace

std::string PeriodLabel(int64_t p, Interval i) {
    char buf[32];
    std::string label;
    switch (i) {
        case Interval::kDay: return engine::FormatDate(static_cast<int32_t>(p));
        case Interval::kWeek: {
            // ISO 8601: the week belongs to the year of its Thursday.
            int32_t thursday = static_cast<int32_t>(p) + 3, y, m, d, jan1;
            engine::CivilFromDays(thursday, &y, &m, &d);
            engine::DaysFromCivil(y, 1, 1, &jan1);
            if (FourDigitLabel(y, "W", FloorDiv(thursday - jan1, 7) + 1, true, &label)) return label;
            std::snprintf(buf, sizeof buf, "%04d-W%02d", y, FloorDiv(thursday - jan1, 7) + 1);
            return buf;
        }
        case Interval::kMonth:
            if (FourDigitLabel(p / 12, "", p % 12 + 1, true, &label)) return label;
            std::snprintf(buf, sizeof buf, "%04lld-%02lld", static_cast<long long>(p / 12), static_cast<long long>(p % 12 + 1));
            return buf;
        case Interval::kQuarter:
            if (FourDigitLabel(p / 4, "Q", p % 4 + 1, false, &label)) return label;
            std::snprintf(buf, sizeof buf, "%04lld-Q%lld", static_cast<long long>(p / 4), static_cast<long long>(p % 4 + 1));
            return buf;
        case Interval::kYear: return std::to_string(p);
    }
    return {};
}

std::optional<int64_t> YearEarlier(int64_t p, Interval i) {
    switch (i) {
        case Interval::kDay: {
            int32_t y, m, d, day;
            engine::CivilFromDays(static_cast<int32_t>(p), &y, &m, &d);
            if (!engine::DaysFromCivil(y - 1, m, d, &day)) return std::nullopt;
            return day;
        }
        case Interval::kWeek: return p - 7 * 52;
        case Interval::kMonth: return p - 12;
        case Interval::kQuarter: return p - 4;
        case Interval::kYear: return p - 1;
    }
    return std::nullopt;
}

namespace {

int64_t NextPeriod(int64_t p, Interval i) { return p + (i == Interval::kWeek ? 7 : 1); }

int128 ParseUnits(std::string_view s) {
    int128 v = 0;
    bool neg = !s.empty() && s[0] == '-';
    for (size_t k = neg ? 1 : 0; k < s.size(); ++k) v = v * 10 + (s[k] - '0');
    return neg ? -v : v;
}

}  // namespace

void Accum::AddAcc(const json::value& acc) {
    const auto& a = acc.as_array();
    int64_t c = a.at(0).to_number<int64_t>();
    if (c == 0) return;
    int128 s = 0;
    if (a.at(1).is_null()) overflow = true;
    else s = ParseUnits(a.at(1).as_string());
    if (a.size() >= 4) {
        int128 mn = ParseUnits(a.at(2).as_string());
        int128 mx = ParseUnits(a.at(3).as_string());
        if (count == 0 || mn < min) min = mn;
        if (count == 0 || mx > max) max = mx;
    }
    count += c;
    overflow = overflow || __builtin_add_overflow(sum, s, &sum);
}

namespace {
// The exact decimal text of `units` (10^-9), trailing zeros beyond `scale` digits taken off.
std::string ScaledText(int128 units, int scale) {
    std::string s = engine::FormatDecimal(units, engine::kDecimalScale);
    size_t keep = s.find('.') + 1 + static_cast<size_t>(std::clamp(scale, 0, engine::kDecimalScale));
    while (s.size() > keep && s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}
}  // namespace

Number Exact(int128 units, int scale) {
    std::string text = ScaledText(units, scale);
    double approx = 0;
    std::from_chars(text.data(), text.data() + text.size(), approx);  // correctly rounded, as strtod
    return Number{std::move(text), approx};
}

Number Approx(double v) {
    std::string text;
    core::AppendJsonDouble(text, v);
    return Number{text, v};
}

// The value of `agg` over an accumulation; nullopt where it is undefined (avg/min/max of nothing).
std::optional<Number> Value(const Accum& a, Agg agg, bool rows_only, int scale) {
    switch (agg) {
        case Agg::kCount: return Approx(static_cast<double>(rows_only ? a.rows : a.count));
        case Agg::kSum:
            if (a.overflow) return std::nullopt;
            return Exact(a.sum, scale);
        case Agg::kAvg:
            if (a.count == 0 || a.overflow) return std::nullopt;
            return Approx(engine::DecimalToDouble(a.sum) / static_cast<double>(a.count));
        case Agg::kMin:
            if (a.count == 0) return std::nullopt;
            return Exact(a.min, scale);
        case Agg::kMax:
            if (a.count == 0) return std::nullopt;
            return Exact(a.max, scale);
    }
    return std::nullopt;
}

engine::RankAgg RankAggOf(Agg agg, bool rows_only) {
    switch (agg) {
        case Agg::kCount: return rows_only ? engine::RankAgg::kRows : engine::RankAgg::kCount;
        case Agg::kSum: return engine::RankAgg::kSum;
        case Agg::kAvg: return engine::RankAgg::kAvg;
        case Agg::kMin: return engine::RankAgg::kMin;
        case Agg::kMax: return engine::RankAgg::kMax;
    }
    return engine::RankAgg::kRows;
}

engine::RankEntry Entry(const std::optional<std::string>& key, const Accum& a) {
    return engine::RankEntry{key ? std::string_view(*key) : std::string_view(), !key, a.rows, a.count, a.sum, a.min, a.max,
                             a.overflow};
}

namespace {

std::optional<double> Change(const std::optional<Number>& now, const std::optional<Number>& before) {
    if (!now || !before || before->approx == 0) return std::nullopt;
    return (now->approx - before->approx) / std::fabs(before->approx);
}

Result<size_t> MeasureIndex(const json::object& payload, const std::string& measure) {
    const auto& names = payload.at("measures").as_array();
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i].as_string() == measure) return i;
    }
    return Error::InvalidArgument("measure " + measure + " is not in this result");
}

bool ParseDay(std::string_view s, int32_t* day) {
    engine::DateParse d;
    return engine::ParseDate(s, &d) && d.ordered && engine::DaysFromCivil(d.year, d.p1, d.p2, day);
}

}  // namespace

std::string UnitsToText(std::string_view units, int scale) { return ScaledText(ParseUnits(units), scale); }

Result<DaySeries> ReadDaySeries(const json::object& payload) {
    DaySeries s;
    for (const auto& m : payload.at("measures").as_array()) s.measures.emplace_back(m.as_string());
    const size_t nm = s.measures.size();
    const auto& days = payload.at("days").as_array();
    s.days.reserve(days.size());
    s.rows.reserve(days.size());
    s.accs.reserve(days.size() * nm);
    for (const auto& e : days) {
        const auto& row = e.as_array();
        int32_t day;
        if (!ParseDay(row.at(0).as_string(), &day)) continue;
        s.days.push_back(day);
        s.rows.push_back(row.at(1).to_number<int64_t>());
        for (size_t m = 0; m < nm; ++m) s.accs.emplace_back().AddAcc(row.at(2 + m));
    }
    return s;
}

Result<SeriesResult> TimeSeries(const json::object& payload, const SeriesQuery& q) {
    IS_TRY(auto series, ReadDaySeries(payload));
    return TimeSeries(series, q);
}

Result<SeriesResult> TimeSeries(const DaySeries& series, const SeriesQuery& q) {
    bool rows_only = q.measure.empty();
    size_t mi = 0;
    if (!rows_only) {
        auto at = std::find(series.measures.begin(), series.measures.end(), q.measure);
        if (at == series.measures.end()) return Error::InvalidArgument("measure " + q.measure + " is not in this result");
        mi = static_cast<size_t>(at - series.measures.begin());
    }
    const size_t nm = series.measures.size();
    // The periods in order, one entry each: the days come in order (the engine writes them so),
    // and so do their periods. Days out of order (never written today) are gathered in a map,
    // each period's days merged in the order they come, as they always were.
    struct PeriodAcc {
        int64_t period;
        Accum acc;
    };
    std::vector<PeriodAcc> by_period;
    const bool days_in_order = std::is_sorted(series.days.begin(), series.days.end());
    std::map<int64_t, Accum> out_of_order;
    Accum total;
    std::map<int32_t, int128> by_year;  // for the CAGR
    int32_t year_of_total = INT32_MIN;  // the year `year_total` is of (days mostly come in order)
    int128* year_total = nullptr;
    int32_t first_month = INT32_MAX, last_month = INT32_MIN;
    for (size_t i = 0; i < series.days.size(); ++i) {
        const int32_t day = series.days[i];
        if ((q.from_day && day < *q.from_day) || (q.to_day && day > *q.to_day)) continue;
        Accum a = rows_only ? Accum{} : series.accs[i * nm + mi];
        a.rows = series.rows[i];
        int32_t y, m, d;
        engine::CivilFromDays(day, &y, &m, &d);
        const int64_t period = PeriodOfCivil(day, y, m, q.interval);
        if (!days_in_order) {
            out_of_order[period].Merge(a);
        } else {
            if (by_period.empty() || by_period.back().period != period) by_period.push_back({period, Accum{}});
            by_period.back().acc.Merge(a);
        }
        total.Merge(a);
        if (rows_only ? a.rows > 0 : a.count > 0) {
            int32_t month = y * 12 + m - 1;
            first_month = std::min(first_month, month);
            last_month = std::max(last_month, month);
            if (y != year_of_total) {
                year_total = &by_year[y];  // map elements stay where they are
                year_of_total = y;
            }
            *year_total += rows_only || q.agg == Agg::kCount ? static_cast<int128>(rows_only ? a.rows : a.count) : a.sum;
        }
    }
    for (const auto& [period, acc] : out_of_order) by_period.push_back({period, acc});
    auto find = [&](int64_t period) -> const Accum* {
        auto it = std::lower_bound(by_period.begin(), by_period.end(), period,
                                   [](const PeriodAcc& e, int64_t p) { return e.period < p; });
        return it != by_period.end() && it->period == period ? &it->acc : nullptr;
    };
    SeriesResult r;
    r.measure = q.measure;
    r.agg = q.agg;
    r.interval = q.interval;
    if (by_period.empty() && !q.from_day) return r;
    int64_t first = q.from_day ? PeriodOf(*q.from_day, q.interval) : by_period.front().period;
    int64_t last = q.to_day ? PeriodOf(*q.to_day, q.interval) : by_period.back().period;
    if (!by_period.empty() && !q.from_day) first = std::min(first, by_period.front().period);
    constexpr size_t kMaxPoints = 20'000;
    size_t n = 0;
    for (int64_t p = first; p <= last; p = NextPeriod(p, q.interval)) {
        if (++n > kMaxPoints) {
            return Error::InvalidArgument("more than 20000 points: choose a coarser interval or narrow from/to",
                                          {{"interval", "too fine for this range"}});
        }
        SeriesPoint pt;
        pt.period = p;
        const Accum* found = find(p);
        Accum a = found == nullptr ? Accum{} : *found;
        pt.value = Value(a, q.agg, rows_only, q.scale);
        pt.count = rows_only ? a.rows : a.count;
        if (!r.points.empty()) pt.growth = Change(pt.value, r.points.back().value);
        if (q.compare_yoy) {
            if (auto before = YearEarlier(p, q.interval)) {
                const Accum* b = find(*before);
                // A period before the data is unknown, not zero.
                if (b != nullptr) pt.previous = Value(*b, q.agg, rows_only, q.scale);
                else if (*before >= first) pt.previous = Value(Accum{}, q.agg, rows_only, q.scale);
                pt.yoy = Change(pt.value, pt.previous);
            }
        }
        r.points.push_back(std::move(pt));
    }
    r.total = Value(total, q.agg, rows_only, q.scale);
    r.overflow = total.overflow && (q.agg == Agg::kSum || q.agg == Agg::kAvg);
    // CAGR: one definition with the KPI (engine::CompleteYearsCagr), over the yearly totals of the
    // days in range; a growth of totals, so only for sum and count.
    if ((q.agg == Agg::kSum || q.agg == Agg::kCount) && !total.overflow && !by_year.empty()) {
        r.cagr = engine::CompleteYearsCagr(first_month, last_month, by_year);
    }
    return r;
}

Result<GroupsResult> Groups(const json::object& payload, const GroupsQuery& q) {
    bool rows_only = q.measure.empty();
    size_t mi = 0;
    if (!rows_only) {
        IS_TRY(mi, MeasureIndex(payload, q.measure));
    }
    struct G {
        std::optional<std::string> key;
        Accum acc;
        std::optional<Number> value;
    };
    std::vector<G> groups;
    Accum total;
    for (const auto& e : payload.at("groups").as_array()) {
        const auto& row = e.as_array();
        G g;
        if (!row.at(0).is_null()) g.key = std::string(row.at(0).as_string());
        g.acc.rows = row.at(1).to_number<int64_t>();
        if (!rows_only) g.acc.AddAcc(row.at(2 + mi));
        g.value = Value(g.acc, q.agg, rows_only, q.scale);
        total.Merge(g.acc);
        groups.push_back(std::move(g));
    }
    // Rows beyond the engine's group cap.
    Accum capped;
    const auto& o = payload.at("other").as_array();
    capped.rows = o.at(0).to_number<int64_t>();
    if (!rows_only) capped.AddAcc(o.at(1 + mi));
    // Payloads keep the groups in some ranking's top and the totals of all ("all"); older ones
    // kept every group.
    const bool stored_top = payload.contains("all");
    if (stored_top) {
        total = Accum{};
        const auto& all = payload.at("all").as_array();
        total.rows = all.at(0).to_number<int64_t>();
        if (!rows_only) total.AddAcc(all.at(1 + mi));
    } else {
        total.Merge(capped);
    }
    // The engine's ranking (engine::RanksBefore): the breakdown keeps the series of exactly these.
    const engine::RankAgg rank = RankAggOf(q.agg, rows_only);
    std::stable_sort(groups.begin(), groups.end(),
                     [&](const G& a, const G& b) { return engine::RanksBefore(rank, Entry(a.key, a.acc), Entry(b.key, b.acc)); });
    GroupsResult r;
    r.measure = q.measure;
    r.agg = q.agg;
    r.capped = payload.at("capped").as_bool();
    r.group_count = payload.contains("distinct") ? static_cast<size_t>(payload.at("distinct").to_number<int64_t>()) : groups.size();
    r.total = Value(total, q.agg, rows_only, q.scale);
    bool shares = q.agg == Agg::kSum || q.agg == Agg::kCount;
    auto share = [&](const std::optional<Number>& v) -> std::optional<double> {
        if (!shares || !v || !r.total || r.total->approx == 0) return std::nullopt;
        return v->approx / r.total->approx;
    };
    // "other": everything not shown. From the totals, every group not among the first `limit`
    // (the stored groups are the top of every ranking, so the next one is stored too).
    Accum other = stored_top ? total : capped;
    if (stored_top) other.count = total.count;
    for (size_t i = 0; i < groups.size(); ++i) {
        if (i < q.limit) {
            GroupRow row{groups[i].key, groups[i].value, rows_only ? groups[i].acc.rows : groups[i].acc.count, {}};
            row.share = share(row.value);
            r.groups.push_back(std::move(row));
            if (stored_top) {
                other.rows -= groups[i].acc.rows;
                other.count -= groups[i].acc.count;
                other.overflow = other.overflow || groups[i].acc.overflow ||
                                 __builtin_sub_overflow(other.sum, groups[i].acc.sum, &other.sum);
            }
        } else if (!stored_top) {
            other.Merge(groups[i].acc);
        }
    }
    if (stored_top) {
        // Ranked largest first: the rest's minimum is the smallest of all; its maximum is the
        // next group's (or the capped rows').
        if (q.agg == Agg::kMax) {
            bool any = false;
            if (groups.size() > q.limit && groups[q.limit].acc.count > 0) {
                other.max = groups[q.limit].acc.max;
                any = true;
            }
            if (capped.count > 0 && (!any || capped.max > other.max)) other.max = capped.max;
        }
        if (other.count <= 0) other.count = 0;
    }
    r.other.value = Value(other, q.agg, rows_only, q.scale);
    r.other.count = rows_only ? other.rows : other.count;
    r.other.share = share(r.other.value);
    return r;
}

Result<BreakdownResult> Breakdown(const json::object& payload, const BreakdownQuery& q) {
    bool rows_only = q.measure.empty();
    size_t mi = 0;
    if (!rows_only) {
        IS_TRY(mi, MeasureIndex(payload, q.measure));
    }
    std::vector<int64_t> month_period;
    for (const auto& m : payload.at("months").as_array()) {
        int32_t day;
        std::string first_day = std::string(m.as_string()) + "-01";
        month_period.push_back(ParseDay(first_day, &day) ? PeriodOf(day, q.interval) : 0);
    }
    BreakdownResult r;
    r.measure = q.measure;
    r.agg = q.agg;
    r.interval = q.interval;
    r.partial = payload.at("partial").as_bool();
    if (month_period.empty()) return r;
    int64_t first = *std::min_element(month_period.begin(), month_period.end());
    int64_t last = *std::max_element(month_period.begin(), month_period.end());
    for (int64_t p = first; p <= last; p = NextPeriod(p, q.interval)) r.periods.push_back(p);
    // One month's cells ([rows, [count, sum] per measure]) into the period they fall in.
    auto add_cells = [&](const json::array& cells, std::vector<Accum>* into, Accum* total) {
        for (size_t m = 0; m < cells.size() && m < month_period.size(); ++m) {
            const auto& c = cells[m].as_array();
            Accum a;
            a.rows = c.at(0).to_number<int64_t>();
            if (!rows_only) a.AddAcc(c.at(1 + mi));
            (*into)[static_cast<size_t>(month_period[m] - first)].Merge(a);
            if (total) total->Merge(a);
        }
    };
    struct S {
        std::optional<std::string> key;
        std::vector<Accum> cells;
        Accum group;  // the group's totals over all its rows, as /groups ranks it
    };
    std::vector<S> all;
    // Payloads written before the breakdown kept every top group's totals rank by the series.
    const bool ranked = payload.contains("totals");
    for (const auto& se : payload.at("series").as_array()) {
        const auto& o = se.as_object();
        S s;
        if (!o.at("key").is_null()) s.key = std::string(o.at("key").as_string());
        s.cells.assign(r.periods.size(), Accum{});
        add_cells(o.at("cells").as_array(), &s.cells, ranked ? nullptr : &s.group);
        if (ranked) {
            s.group.rows = o.at("rows").to_number<int64_t>();
            if (!rows_only) s.group.AddAcc(o.at("accs").as_array().at(mi));
        }
        all.push_back(std::move(s));
    }
    const engine::RankAgg rank = RankAggOf(q.agg, rows_only);
    std::stable_sort(all.begin(), all.end(),
                     [&](const S& a, const S& b) { return engine::RanksBefore(rank, Entry(a.key, a.group), Entry(b.key, b.group)); });
    // "other": every row of the month that is not in a series shown.
    std::vector<Accum> other(r.periods.size());
    if (ranked) add_cells(payload.at("totals").as_array(), &other, nullptr);
    for (size_t i = 0; i < all.size(); ++i) {
        if (i >= q.limit) continue;
        BreakdownResult::Series out;
        out.key = all[i].key;
        for (size_t p = 0; p < all[i].cells.size(); ++p) {
            const Accum& c = all[i].cells[p];
            out.values.push_back(Value(c, q.agg, rows_only, q.scale));
            if (!ranked) continue;
            other[p].rows -= c.rows;
            other[p].count -= c.count;
            other[p].overflow = other[p].overflow || c.overflow || __builtin_sub_overflow(other[p].sum, c.sum, &other[p].sum);
        }
        r.series.push_back(std::move(out));
    }
    if (ranked) {
        bool any = false;
        BreakdownResult::Series out;
        for (const auto& o : other) {
            any = any || o.rows > 0;
            out.values.push_back(Value(o, q.agg, rows_only, q.scale));
        }
        if (any) r.other = std::move(out);
    } else if (all.size() > q.limit) {
        r.partial = true;
    }
    return r;
}

namespace {
void WriteNumber(core::JsonWriter& w, const std::optional<Number>& n) {
    if (n) w.NumberText(n->text);
    else w.Null();
}
std::string CsvNumber(const std::optional<Number>& n) { return n ? n->text : ""; }
std::string CsvDouble(const std::optional<double>& d) {
    if (!d) return "";
    std::string s;
    core::AppendJsonDouble(s, *d);
    return s;
}
}  // namespace

std::string SeriesJson(const SeriesResult& r, std::string_view provenance) {
    core::JsonWriter w;
    w.BeginObject();
    w.Key("time").String(r.time);
    w.Key("measure");
    if (r.measure.empty()) w.Null();
    else w.String(r.measure);
    w.Key("agg").String(AggName(r.agg)).Key("interval").String(IntervalName(r.interval));
    w.Key("points").BeginArray();
    for (const auto& p : r.points) {
        w.BeginObject();
        w.Key("period").String(PeriodLabel(p.period, r.interval));
        w.Key("start").String(engine::FormatDate(PeriodStart(p.period, r.interval)));
        w.Key("value");
        WriteNumber(w, p.value);
        w.Key("count").Int(p.count);
        w.Key("growth").OptDouble(p.growth);
        if (p.previous || p.yoy) {
            w.Key("previous");
            WriteNumber(w, p.previous);
            w.Key("yoy").OptDouble(p.yoy);
        }
        w.EndObject();
    }
    w.EndArray();
    w.Key("total");
    WriteNumber(w, r.total);
    w.Key("cagr").OptDouble(r.cagr);
    if (r.overflow) w.Key("overflow").Bool(true);
    w.Key("provenance").Raw(provenance);
    w.EndObject();
    return w.Take();
}

std::string SeriesCsv(const SeriesResult& r, bool with_yoy) {
    std::string out = with_yoy ? "period,start,value,count,growth,previous,yoy\r\n" : "period,start,value,count,growth\r\n";
    for (const auto& p : r.points) {
        out += PeriodLabel(p.period, r.interval) + "," + engine::FormatDate(PeriodStart(p.period, r.interval)) + "," +
               CsvNumber(p.value) + "," + std::to_string(p.count) + "," + CsvDouble(p.growth);
        if (with_yoy) out += "," + CsvNumber(p.previous) + "," + CsvDouble(p.yoy);
        out += "\r\n";
    }
    return out;
}

std::string GroupsJson(const GroupsResult& r, std::string_view provenance) {
    core::JsonWriter w;
    w.BeginObject();
    w.Key("dimension").String(r.dimension);
    w.Key("measure");
    if (r.measure.empty()) w.Null();
    else w.String(r.measure);
    w.Key("agg").String(AggName(r.agg));
    w.Key("groups").BeginArray();
    for (const auto& g : r.groups) {
        w.BeginObject().Key("key").OptString(g.key).Key("value");
        WriteNumber(w, g.value);
        w.Key("count").Int(g.count).Key("share").OptDouble(g.share).EndObject();
    }
    w.EndArray();
    w.Key("other").BeginObject().Key("value");
    WriteNumber(w, r.other.value);
    w.Key("count").Int(r.other.count).Key("share").OptDouble(r.other.share).EndObject();
    w.Key("total");
    WriteNumber(w, r.total);
    w.Key("group_count").Int(static_cast<int64_t>(r.group_count));
    w.Key("capped").Bool(r.capped);
    w.Key("provenance").Raw(provenance);
    w.EndObject();
    return w.Take();
}

std::string GroupsCsv(const GroupsResult& r) {
    std::string out = "key,value,count,share\r\n";
    for (const auto& g : r.groups) {
        out += CsvCell(g.key.value_or("")) + "," + CsvNumber(g.value) + "," + std::to_string(g.count) + "," +
               CsvDouble(g.share) + "\r\n";
    }
    out += "(other)," + CsvNumber(r.other.value) + "," + std::to_string(r.other.count) + "," + CsvDouble(r.other.share) +
           "\r\n";
    return out;
}

std::string BreakdownJson(const BreakdownResult& r, std::string_view provenance) {
    core::JsonWriter w;
    w.BeginObject();
    w.Key("dimension").String(r.dimension).Key("time").String(r.time);
    w.Key("measure");
    if (r.measure.empty()) w.Null();
    else w.String(r.measure);
    w.Key("agg").String(AggName(r.agg)).Key("interval").String(IntervalName(r.interval));
    w.Key("periods").BeginArray();
    for (int64_t p : r.periods) w.String(PeriodLabel(p, r.interval));
    w.EndArray();
    w.Key("series").BeginArray();
    for (const auto& s : r.series) {
        w.BeginObject().Key("key").OptString(s.key).Key("values").BeginArray();
        for (const auto& v : s.values) WriteNumber(w, v);
        w.EndArray().EndObject();
    }
    w.EndArray();
    w.Key("other");
    if (r.other) {
        w.BeginObject().Key("values").BeginArray();
        for (const auto& v : r.other->values) WriteNumber(w, v);
        w.EndArray().EndObject();
    } else {
        w.Null();
    }
    w.Key("partial").Bool(r.partial);
    w.Key("provenance").Raw(provenance);
    w.EndObject();
    return w.Take();
}

std::string BreakdownCsv(const BreakdownResult& r) {
    std::string out = "key,period,value\r\n";
    auto rows = [&](const std::string& key, const BreakdownResult::Series& s) {
        for (size_t i = 0; i < r.periods.size(); ++i) {
            out += key + "," + PeriodLabel(r.periods[i], r.interval) + "," + CsvNumber(s.values[i]) + "\r\n";
        }
    };
    for (const auto& s : r.series) rows(CsvCell(s.key.value_or("")), s);
    if (r.other) rows("(other)", *r.other);
    return out;
}

}  // namespace insightstream::analytics
