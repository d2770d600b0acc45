#include "analytics/snapshot_query.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/csv_cell.hpp"
#include "core/json_writer.hpp"
#include "engine/hash.hpp"
#include "engine/sketches.hpp"
#include "engine/values.hpp"

namespace insightstream::analytics {

using core::Error;
using core::Result;
using engine::int128;
using parquet::DecodedColumn;
using parquet::LogicalKind;
using parquet::SchemaColumn;
namespace json = boost::json;

namespace {

constexpr size_t kMaxFilters = 32;
constexpr size_t kMaxInValues = 10'000;
constexpr size_t kMaxMeasures = 20;
constexpr size_t kMaxLimit = 10'000;
constexpr size_t kMaxOffset = 1'000'000;

Error Bad(const std::string& field, const std::string& message) {
    return Error::InvalidArgument(field + ": " + message, {{field, message}});
}


// "2024-01-02T10:00:00.5Z" → "2024-01-02T10:00:00.500Z"; whole seconds without a fraction, as the
// summary writes them.
std::string TimestampText(int64_t ms) {
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    std::string text = engine::FormatTimestamp(secs);
    const auto millis = static_cast<int>(ms - secs * 1000);
    if (millis != 0 && !text.empty() && text.back() == 'Z') {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03d", millis);
        text.insert(text.size() - 1, frac);
    }
    return text;
}

// The exact text of a decimal's unscaled value at `scale` fractional digits.
std::string UnscaledText(int128 v, int scale) {
    const bool neg = v < 0;
    auto u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
        u /= 10;
    } while (u != 0);
    if (scale > 0) {
        if (digits.size() <= static_cast<size_t>(scale)) digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
        digits.insert(digits.size() - static_cast<size_t>(scale), ".");
    }
    return neg ? "-" + digits : digits;
}

// A double as an integer that sorts as the double does (negatives flipped below the sign bit);
// -0.0 is 0.0, so the two are one group.
int64_t OrderedBits(double f) {
    if (f == 0.0) f = 0.0;
    int64_t bits;
    std::memcpy(&bits, &f, 8);
    return bits < 0 ? bits ^ INT64_MAX : bits;
}
double FromOrderedBits(int64_t bits) {
    if (bits < 0) bits ^= INT64_MAX;
    double f;
    std::memcpy(&f, &bits, 8);
    return f;
}

bool IsNumeric(LogicalKind k) { return k == LogicalKind::kInt64 || k == LogicalKind::kDecimal || k == LogicalKind::kDouble; }
bool IsTemporal(LogicalKind k) { return k == LogicalKind::kDate || k == LogicalKind::kTimestampMillis; }

const char* KindType(const SchemaColumn& c) {
    switch (c.kind) {
        case LogicalKind::kString: return "string";
        case LogicalKind::kInt64: return "integer";
        case LogicalKind::kDecimal: return c.scale == 0 ? "integer" : "decimal";
        case LogicalKind::kDouble: return "float";
        case LogicalKind::kBoolean: return "boolean";
        case LogicalKind::kDate: return "date";
        case LogicalKind::kTimestampMillis: return "timestamp";
    }
    return "string";
}

// ---- parsing ----------------------------------------------------------------------------------

struct Columns {
    const parquet::FileMeta& meta;
    const json::object& schema;
    std::string Names() const {
        std::string out;
        for (size_t i = 0; i < meta.columns.size() && i < 30; ++i) out += (i ? ", " : "") + meta.columns[i].name;
        if (meta.columns.size() > 30) out += ", ...";
        return out;
    }
    Result<size_t> Find(const json::value* v, const std::string& field) const {
        if (v == nullptr || !v->is_string()) return Bad(field, "must be a column name; columns are: " + Names());
        std::string_view name = v->as_string();
        for (size_t i = 0; i < meta.columns.size(); ++i) {
            if (meta.columns[i].name == name) return i;
        }
        return Bad(field, "unknown column '" + std::string(name) + "'; columns are: " + Names());
    }
    const json::object* Payload(size_t c) const {
        for (const auto& v : schema.at("columns").as_array()) {
            if (v.as_object().at("name").as_string() == meta.columns[c].name) return &v.as_object();
        }
        return nullptr;
    }
    int Scale(size_t c) const {
        const auto* p = Payload(c);
        if (p != nullptr && p->contains("scale")) return static_cast<int>(p->at("scale").to_number<int64_t>());
        return meta.columns[c].kind == LogicalKind::kDecimal ? meta.columns[c].scale : 0;
    }
    bool MixedCurrencies(size_t c) const {
        const auto* p = Payload(c);
        const auto* why = p ? p->if_contains("sum_withheld") : nullptr;
        return why != nullptr && why->is_string() && why->as_string() == "mixed currencies";
    }
};

bool ParseOp(std::string_view s, FilterOp* op) {
    static const std::pair<const char*, FilterOp> kOps[] = {
        {"eq", FilterOp::kEq},         {"ne", FilterOp::kNe},           {"in", FilterOp::kIn},
        {"not_in", FilterOp::kNotIn},  {"lt", FilterOp::kLt},           {"le", FilterOp::kLe},
        {"gt", FilterOp::kGt},         {"ge", FilterOp::kGe},           {"between", FilterOp::kBetween},
        {"is_null", FilterOp::kIsNull}, {"not_null", FilterOp::kNotNull}, {"contains", FilterOp::kContains}};
    for (const auto& [name, value] : kOps) {
        if (s == name) {
            *op = value;
            return true;
        }
    }
    return false;
}

bool ParseAggName(std::string_view s, QueryAgg* agg) {
    static const std::pair<const char*, QueryAgg> kAggs[] = {
        {"sum", QueryAgg::kSum}, {"count", QueryAgg::kCount}, {"avg", QueryAgg::kAvg},
        {"min", QueryAgg::kMin}, {"max", QueryAgg::kMax},     {"count_distinct", QueryAgg::kCountDistinct},
        {"p50", QueryAgg::kP50}, {"p95", QueryAgg::kP95}};
    for (const auto& [name, value] : kAggs) {
        if (s == name) {
            *agg = value;
            return true;
        }
    }
    return false;
}

// Milliseconds since the epoch of a date or timestamp text (UTC unless it says otherwise).
bool ParseInstant(std::string_view s, bool date_only, int64_t* out) {
    engine::DateParse d;
    int32_t days;
    if (!engine::ParseDate(s, &d) || !d.ordered || !engine::DaysFromCivil(d.year, d.p1, d.p2, &days)) return false;
    if (date_only) {
        if (d.has_time) return false;
        *out = days;
        return true;
    }
    int64_t secs = int64_t{days} * 86400 + d.seconds_of_day - (d.has_offset ? int64_t{d.offset_minutes} * 60 : 0);
    *out = secs * 1000 + d.millis;
    return true;
}

Result<Literal> ParseLiteral(const json::value& v, const SchemaColumn& col, const std::string& field) {
    Literal lit;
    switch (col.kind) {
        case LogicalKind::kString:
            if (!v.is_string()) return Bad(field, "must be a string (column " + col.name + " holds text)");
            lit.text = v.as_string();
            return lit;
        case LogicalKind::kBoolean:
            if (v.is_bool()) lit.num = v.as_bool() ? 1 : 0;
            else if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false")) lit.num = v.as_string() == "true";
            else return Bad(field, "must be true or false (column " + col.name + " is boolean)");
            return lit;
        case LogicalKind::kDate:
        case LogicalKind::kTimestampMillis: {
            int64_t x;
            if (!v.is_string() || !ParseInstant(v.as_string(), col.kind == LogicalKind::kDate, &x)) {
                return Bad(field, col.kind == LogicalKind::kDate ? "must be a date like 2024-01-31"
                                                                 : "must be a timestamp like 2024-01-31T12:00:00Z");
            }
            lit.num = x;
            return lit;
        }
        case LogicalKind::kInt64:
        case LogicalKind::kDecimal:
        case LogicalKind::kDouble: {
            std::string text;
            if (v.is_string()) text = v.as_string();
            else if (v.is_int64()) text = std::to_string(v.as_int64());
            else if (v.is_uint64()) text = std::to_string(v.as_uint64());
            else if (v.is_double()) text = json::serialize(v);
            engine::DecimalParse d;
            double f;
            int128 units;
            if (engine::ParseDecimal(text, &d)) {
                lit.num = d.value;
            } else if (engine::ParseFloat(text, &f) && engine::FloatUnits(f, &units)) {
                lit.num = units;
            } else {
                return Bad(field, "must be a number (column " + col.name + " is numeric); write exact decimals as strings");
            }
            return lit;
        }
    }
    return lit;
}

Result<QueryFilter> ParseFilter(const json::value& v, const Columns& cols, const std::string& field) {
    if (!v.is_object()) return Bad(field, "must be an object {column, op, value | values}");
    const auto& o = v.as_object();
    for (const auto& kv : o) {
        if (kv.key() != "column" && kv.key() != "op" && kv.key() != "value" && kv.key() != "values") {
            return Bad(field + "/" + std::string(kv.key()), "unknown field; a filter has column, op, value or values");
        }
    }
    QueryFilter f;
    IS_TRY(f.column, cols.Find(o.if_contains("column"), field + "/column"));
    const SchemaColumn& col = cols.meta.columns[f.column];
    const auto* op = o.if_contains("op");
    if (op == nullptr || !op->is_string() || !ParseOp(op->as_string(), &f.op)) {
        return Bad(field + "/op", "must be one of eq, ne, in, not_in, lt, le, gt, ge, between, is_null, not_null, contains");
    }
    const auto* value = o.if_contains("value");
    const auto* values = o.if_contains("values");
    switch (f.op) {
        case FilterOp::kIsNull:
        case FilterOp::kNotNull:
            if (value || values) return Bad(field, "is_null and not_null take no value");
            return f;
        case FilterOp::kIn:
        case FilterOp::kNotIn:
        case FilterOp::kBetween: {
            if (values == nullptr || !values->is_array()) return Bad(field + "/values", "must be an array");
            const auto& a = values->as_array();
            if (f.op == FilterOp::kBetween && a.size() != 2) return Bad(field + "/values", "between takes [low, high]");
            if (a.empty() || a.size() > kMaxInValues) {
                return Bad(field + "/values", "must hold 1 to " + std::to_string(kMaxInValues) + " values");
            }
            if (f.op == FilterOp::kBetween && col.kind == LogicalKind::kBoolean) {
                return Bad(field + "/op", "between does not apply to a boolean column");
            }
            for (size_t i = 0; i < a.size(); ++i) {
                IS_TRY(auto lit, ParseLiteral(a[i], col, field + "/values/" + std::to_string(i)));
                f.values.push_back(std::move(lit));
            }
            return f;
        }
        default: break;
    }
    if (value == nullptr) return Bad(field + "/value", "is required for " + std::string(op->as_string()));
    if (f.op == FilterOp::kContains && col.kind != LogicalKind::kString) {
        return Bad(field + "/op", "contains applies to text columns; " + col.name + " is " + KindType(col));
    }
    if (col.kind == LogicalKind::kBoolean && f.op != FilterOp::kEq && f.op != FilterOp::kNe) {
        return Bad(field + "/op", "a boolean column takes eq, ne, in, not_in, is_null or not_null");
    }
    IS_TRY(auto lit, ParseLiteral(*value, col, field + "/value"));
    f.values.push_back(std::move(lit));
    return f;
}

Result<QueryMeasure> ParseMeasure(const json::value& v, const Columns& cols, const std::string& field) {
    if (!v.is_object()) return Bad(field, "must be an object {agg, column, as}");
    const auto& o = v.as_object();
    for (const auto& kv : o) {
        if (kv.key() != "column" && kv.key() != "agg" && kv.key() != "as") {
            return Bad(field + "/" + std::string(kv.key()), "unknown field; a measure has agg, column and as");
        }
    }
    QueryMeasure m;
    const auto* agg = o.if_contains("agg");
    if (agg == nullptr || !agg->is_string() || !ParseAggName(agg->as_string(), &m.agg)) {
        return Bad(field + "/agg", "must be one of sum, count, avg, min, max, count_distinct, p50, p95");
    }
    if (const auto* c = o.if_contains("column"); c != nullptr && !c->is_null()) {
        IS_TRY(size_t col, cols.Find(c, field + "/column"));
        m.column = col;
    } else if (m.agg != QueryAgg::kCount) {
        return Bad(field + "/column", std::string("is required for ") + std::string(agg->as_string()));
    }
    if (m.column) {
        const SchemaColumn& col = cols.meta.columns[*m.column];
        const bool numeric_agg = m.agg == QueryAgg::kSum || m.agg == QueryAgg::kAvg || m.agg == QueryAgg::kP50 ||
                                 m.agg == QueryAgg::kP95;
        if (numeric_agg && !IsNumeric(col.kind)) {
            return Bad(field + "/agg", std::string(agg->as_string()) + " needs a numeric column; " + col.name + " is " +
                                           KindType(col) + " (count, count_distinct" +
                                           (col.kind == LogicalKind::kBoolean ? "" : ", min, max") + " apply)");
        }
        if ((m.agg == QueryAgg::kMin || m.agg == QueryAgg::kMax) && col.kind == LogicalKind::kBoolean) {
            return Bad(field + "/agg", std::string(agg->as_string()) + " does not apply to a boolean column; use count");
        }
        if (m.agg != QueryAgg::kCount && m.agg != QueryAgg::kCountDistinct && cols.MixedCurrencies(*m.column)) {
            std::string detail = "'" + col.name + "' holds amounts in more than one currency, which are never added or "
                                 "compared; use count";
            return Error::InvalidArgument(detail, {{field + "/column", detail}}).WithSlug("mixed-currencies");
        }
        m.scale = IsNumeric(col.kind) ? cols.Scale(*m.column) : 0;
    }
    if (const auto* as = o.if_contains("as")) {
        if (!as->is_string() || as->as_string().empty() || as->as_string().size() > 100) {
            return Bad(field + "/as", "must be a name of 1 to 100 characters");
        }
        m.name = as->as_string();
    } else {
        m.name = std::string(agg->as_string()) + (m.column ? "_" + cols.meta.columns[*m.column].name : "");
    }
    return m;
}

Result<size_t> SizeField(const json::object& o, const char* key, size_t fallback, size_t min, size_t max) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return fallback;
    if (!v->is_int64() || v->as_int64() < static_cast<int64_t>(min) || v->as_int64() > static_cast<int64_t>(max)) {
        return Bad(std::string("/") + key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return static_cast<size_t>(v->as_int64());
}

}  // namespace

Result<QueryPlan> ParseQuery(std::string_view body, const parquet::FileMeta& meta, const json::object& schema) {
    boost::system::error_code ec;
    json::value doc = json::parse(body, ec);
    if (ec || !doc.is_object()) return Bad("/", "the body must be a JSON object");
    const auto& o = doc.as_object();
    static const char* kKeys[] = {"filters", "group_by", "time", "measures", "order", "limit", "offset"};
    for (const auto& kv : o) {
        if (std::none_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return kv.key() == k; })) {
            return Bad("/" + std::string(kv.key()),
                       "unknown field; a query has filters, group_by, time, measures, order, limit and offset");
        }
    }
    Columns cols{meta, schema};
    QueryPlan plan;
    if (const auto* f = o.if_contains("filters")) {
        if (!f->is_array() || f->as_array().size() > kMaxFilters) {
            return Bad("/filters", "must be an array of at most " + std::to_string(kMaxFilters) + " filters");
        }
        for (size_t i = 0; i < f->as_array().size(); ++i) {
            IS_TRY(auto filter, ParseFilter(f->as_array()[i], cols, "/filters/" + std::to_string(i)));
            plan.filters.push_back(std::move(filter));
        }
    }
    if (const auto* g = o.if_contains("group_by")) {
        if (!g->is_array() || g->as_array().size() > 2) return Bad("/group_by", "must be an array of at most two columns");
        for (size_t i = 0; i < g->as_array().size(); ++i) {
            IS_TRY(size_t c, cols.Find(&g->as_array()[i], "/group_by/" + std::to_string(i)));
            if (std::find(plan.group_by.begin(), plan.group_by.end(), c) != plan.group_by.end()) {
                return Bad("/group_by/" + std::to_string(i), "names a column twice");
            }
            plan.group_by.push_back(c);
        }
    }
    if (const auto* t = o.if_contains("time")) {
        if (!t->is_object()) return Bad("/time", "must be an object {column, interval}");
        IS_TRY(size_t c, cols.Find(t->as_object().if_contains("column"), "/time/column"));
        if (!IsTemporal(meta.columns[c].kind)) {
            return Bad("/time/column", meta.columns[c].name + " is " + KindType(meta.columns[c]) + ", not a date or timestamp");
        }
        plan.time_column = c;
        for (size_t g : plan.group_by) {
            if (meta.columns[g].name == "period") return Bad("/group_by", "a group column named period and a time bucket: the answer's period column would clash");
        }
        const auto* iv = t->as_object().if_contains("interval");
        if (iv != nullptr && (!iv->is_string() || !ParseInterval(iv->as_string(), &plan.interval))) {
            return Bad("/time/interval", "must be one of day, week, month, quarter, year");
        }
    }
    if (const auto* m = o.if_contains("measures")) {
        if (!m->is_array() || m->as_array().empty() || m->as_array().size() > kMaxMeasures) {
            return Bad("/measures", "must be an array of 1 to " + std::to_string(kMaxMeasures) + " measures");
        }
        for (size_t i = 0; i < m->as_array().size(); ++i) {
            IS_TRY(auto measure, ParseMeasure(m->as_array()[i], cols, "/measures/" + std::to_string(i)));
            for (const auto& other : plan.measures) {
                if (other.name == measure.name) {
                    return Bad("/measures/" + std::to_string(i), "a second measure named '" + measure.name + "' (use as)");
                }
            }
            // Answer rows are objects keyed by column name: a measure may not take a group's or the period's.
            const bool clash = measure.name == "period" ||
                               std::any_of(plan.group_by.begin(), plan.group_by.end(),
                                           [&](size_t c) { return meta.columns[c].name == measure.name; });
            if (clash) return Bad("/measures/" + std::to_string(i) + "/as", "'" + measure.name + "' names a group column or the period");
            plan.measures.push_back(std::move(measure));
        }
    } else {
        plan.measures.push_back(QueryMeasure{std::nullopt, QueryAgg::kCount, "count", 0});
    }
    if (const auto* ord = o.if_contains("order")) {
        if (!ord->is_array() || ord->as_array().size() > 4) return Bad("/order", "must be an array of at most 4 entries");
        for (size_t i = 0; i < ord->as_array().size(); ++i) {
            std::string field = "/order/" + std::to_string(i);
            const auto& e = ord->as_array()[i];
            const auto* by = e.is_object() ? e.as_object().if_contains("by") : nullptr;
            if (by == nullptr || !by->is_string()) return Bad(field, "must be an object {by, desc}");
            QueryOrder q{std::string(by->as_string()), false};
            if (const auto* d = e.as_object().if_contains("desc")) {
                if (!d->is_bool()) return Bad(field + "/desc", "must be true or false");
                q.desc = d->as_bool();
            }
            bool known = (q.field == "period" && plan.time_column) ||
                         std::any_of(plan.measures.begin(), plan.measures.end(), [&](const QueryMeasure& m) { return m.name == q.field; }) ||
                         std::any_of(plan.group_by.begin(), plan.group_by.end(), [&](size_t c) { return meta.columns[c].name == q.field; });
            if (!known) return Bad(field + "/by", "'" + q.field + "' is not a group column, period or measure of this query");
            plan.order.push_back(std::move(q));
        }
    }
    IS_TRY(plan.limit, SizeField(o, "limit", 1000, 1, kMaxLimit));
    IS_TRY(plan.offset, SizeField(o, "offset", 0, 0, kMaxOffset));
    return plan;
}

// ---- execution --------------------------------------------------------------------------------

namespace {

// A value of a column as a comparable number: 10^-9 units for numbers, days, milliseconds, 0/1.
struct NumberView {
    const DecodedColumn* col = nullptr;
    LogicalKind kind = LogicalKind::kInt64;
    bool wide = false;
    int128 mul = 1;  // unscaled decimal → units
    [[nodiscard]] int128 At(size_t i) const {
        switch (kind) {
            case LogicalKind::kInt64: return static_cast<int128>(col->i64[i]) * engine::kDecimalUnit;
            case LogicalKind::kDecimal: return (wide ? col->i128[i] : static_cast<int128>(col->i64[i])) * mul;
            case LogicalKind::kDouble: {
                int128 u = 0;
                engine::FloatUnits(col->f64[i], &u);
                return u;
            }
            case LogicalKind::kDate: return col->i32[i];
            case LogicalKind::kTimestampMillis: return col->i64[i];
            case LogicalKind::kBoolean: return col->b[i];
            case LogicalKind::kString: return 0;
        }
        return 0;
    }
};

NumberView ViewOf(const SchemaColumn& sc, const DecodedColumn& col) {
    NumberView v;
    v.col = &col;
    v.kind = sc.kind;
    v.wide = sc.physical == parquet::PhysicalType::kFixedLenByteArray;
    if (sc.kind == LogicalKind::kDecimal) v.mul = engine::kPow10[engine::kDecimalScale - sc.scale];
    return v;
}

// A statistic's plain bytes as a comparable number (as NumberView does for values).
std::optional<int128> StatNumber(const SchemaColumn& sc, const std::optional<std::string>& s) {
    if (!s) return std::nullopt;
    const std::string& b = *s;
    switch (sc.kind) {
        case LogicalKind::kInt64:
        case LogicalKind::kTimestampMillis:
        case LogicalKind::kDecimal: {
            int128 raw;
            if (sc.physical == parquet::PhysicalType::kFixedLenByteArray) {
                if (b.size() != 16) return std::nullopt;
                unsigned __int128 u = 0;
                for (char c : b) u = (u << 8) | static_cast<uint8_t>(c);
                raw = static_cast<int128>(u);
            } else {
                if (b.size() != 8) return std::nullopt;
                int64_t x;
                std::memcpy(&x, b.data(), 8);
                raw = x;
            }
            if (sc.kind == LogicalKind::kInt64) return raw * engine::kDecimalUnit;
            if (sc.kind == LogicalKind::kDecimal) return raw * engine::kPow10[engine::kDecimalScale - sc.scale];
            return raw;
        }
        case LogicalKind::kDate: {
            if (b.size() != 4) return std::nullopt;
            int32_t x;
            std::memcpy(&x, b.data(), 4);
            return x;
        }
        case LogicalKind::kDouble: {
            if (b.size() != 8) return std::nullopt;
            double f;
            std::memcpy(&f, b.data(), 8);
            int128 u;
            if (!engine::FloatUnits(f, &u)) return std::nullopt;
            return u;
        }
        case LogicalKind::kBoolean:
            if (b.size() != 1) return std::nullopt;
            return b[0] != 0 ? 1 : 0;
        case LogicalKind::kString: return std::nullopt;
    }
    return std::nullopt;
}

template <class T>
bool Compare(FilterOp op, const T& v, const std::vector<Literal>& lits, const std::vector<T>& keys) {
    switch (op) {
        case FilterOp::kEq: return v == keys[0];
        case FilterOp::kNe: return v != keys[0];
        case FilterOp::kIn: return std::find(keys.begin(), keys.end(), v) != keys.end();
        case FilterOp::kNotIn: return std::find(keys.begin(), keys.end(), v) == keys.end();
        case FilterOp::kLt: return v < keys[0];
        case FilterOp::kLe: return v <= keys[0];
        case FilterOp::kGt: return v > keys[0];
        case FilterOp::kGe: return v >= keys[0];
        case FilterOp::kBetween: return v >= keys[0] && v <= keys[1];
        case FilterOp::kContains:
            if constexpr (std::is_same_v<T, std::string_view>) return v.find(lits[0].text) != std::string_view::npos;
            return false;
        default: return false;
    }
}

// True when no value in [lo, hi] can pass the filter.
template <class T>
bool RulesOut(FilterOp op, const T& lo, const T& hi, const std::vector<T>& keys) {
    switch (op) {
        case FilterOp::kEq: return keys[0] < lo || keys[0] > hi;
        case FilterOp::kIn:
            return std::all_of(keys.begin(), keys.end(), [&](const T& k) { return k < lo || k > hi; });
        case FilterOp::kLt: return !(lo < keys[0]);
        case FilterOp::kLe: return lo > keys[0];
        case FilterOp::kGt: return !(hi > keys[0]);
        case FilterOp::kGe: return hi < keys[0];
        case FilterOp::kBetween: return keys[1] < lo || keys[0] > hi;
        default: return false;
    }
}

bool SkipByStatistics(const QueryFilter& f, const SchemaColumn& sc, const parquet::ColumnChunkMeta& cm, int64_t rows) {
    const auto& st = cm.statistics;
    if (f.op == FilterOp::kIsNull) return st.null_count == 0;
    if (st.null_count == rows) return true;  // every row null: no comparison passes
    if (f.op == FilterOp::kNotNull) return false;
    if (sc.kind == LogicalKind::kString) {
        if (!st.min_value || !st.max_value) return false;
        std::vector<std::string> keys;
        for (const auto& l : f.values) keys.push_back(l.text);
        return RulesOut<std::string>(f.op, *st.min_value, *st.max_value, keys);
    }
    auto lo = StatNumber(sc, st.min_value);
    auto hi = StatNumber(sc, st.max_value);
    if (!lo || !hi) return false;
    std::vector<int128> keys;
    for (const auto& l : f.values) keys.push_back(l.num);
    return RulesOut<int128>(f.op, *lo, *hi, keys);
}

// Keeps the selected rows that pass the filter (nulls pass only is_null).
void ApplyFilter(const QueryFilter& f, const SchemaColumn& sc, const DecodedColumn& col, std::vector<uint32_t>& sel) {
    const uint8_t* def = col.defined.data();
    size_t out = 0;
    if (f.op == FilterOp::kIsNull || f.op == FilterOp::kNotNull) {
        const uint8_t want = f.op == FilterOp::kNotNull ? 1 : 0;
        for (uint32_t r : sel) {
            if (def[r] == want) sel[out++] = r;
        }
        sel.resize(out);
        return;
    }
    if (sc.kind == LogicalKind::kString) {
        // Each distinct value once: the rows then compare codes.
        std::vector<std::string_view> keys;
        for (const auto& l : f.values) keys.emplace_back(l.text);
        std::vector<uint8_t> match(col.dict.size());
        for (size_t k = 0; k < col.dict.size(); ++k) match[k] = Compare<std::string_view>(f.op, col.dict[k], f.values, keys);
        const uint32_t* codes = col.codes.data();
        for (uint32_t r : sel) {
            if (def[r] && match[codes[r]]) sel[out++] = r;
        }
        sel.resize(out);
        return;
    }
    std::vector<int128> keys;
    for (const auto& l : f.values) keys.push_back(l.num);
    const NumberView v = ViewOf(sc, col);
    if (f.op == FilterOp::kIn || f.op == FilterOp::kNotIn) {
        // Many literals: a binary search per row, not a scan.
        std::sort(keys.begin(), keys.end());
        const bool want = f.op == FilterOp::kIn;
        for (uint32_t r : sel) {
            if (def[r] && std::binary_search(keys.begin(), keys.end(), v.At(r)) == want) sel[out++] = r;
        }
        sel.resize(out);
        return;
    }
    for (uint32_t r : sel) {
        if (def[r] && Compare<int128>(f.op, v.At(r), f.values, keys)) sel[out++] = r;
    }
    sel.resize(out);
}

// A group's key: up to two column values and a period, with a null flag per part.
struct GroupKey {
    int64_t part[3] = {0, 0, 0};
    uint8_t nulls = 0;
    bool operator==(const GroupKey&) const = default;
};
struct GroupKeyHash {
    size_t operator()(const GroupKey& k) const {
        return engine::HashInt(static_cast<uint64_t>(k.part[0]) * 0x9E3779B97F4A7C15ULL ^
                               static_cast<uint64_t>(k.part[1]) * 0xC2B2AE3D27D4EB4FULL ^
                               static_cast<uint64_t>(k.part[2]) * 0x165667B19E3779F9ULL ^ k.nulls);
    }
};

// A key part as it leaves a thread: a number, or text (strings, wide decimals).
struct CanonPart {
    bool null = false;
    bool is_text = false;
    int64_t num = 0;
    std::string text;
    auto operator<=>(const CanonPart&) const = default;
};
using CanonKey = std::array<CanonPart, 3>;

struct Extras {
    std::string min_text, max_text;  // string min/max
    bool has_text = false;
    engine::DistinctCounter distinct;
    engine::QuantileSketch quantiles;
};

struct GroupData {
    int64_t rows = 0;
    std::vector<Accum> accs;                      // per measure
    std::vector<std::unique_ptr<Extras>> extras;  // per measure, where needed
    void Merge(GroupData& o) {
        rows += o.rows;
        for (size_t m = 0; m < accs.size(); ++m) {
            accs[m].Merge(o.accs[m]);
            if (!o.extras[m]) continue;
            if (!extras[m]) {
                extras[m] = std::move(o.extras[m]);
                continue;
            }
            Extras& a = *extras[m];
            Extras& b = *o.extras[m];
            if (b.has_text) {
                if (!a.has_text || b.min_text < a.min_text) a.min_text = b.min_text;
                if (!a.has_text || b.max_text > a.max_text) a.max_text = b.max_text;
                a.has_text = true;
            }
            a.distinct.Merge(b.distinct);
            a.quantiles.Merge(b.quantiles);
        }
    }
};

bool NeedsExtras(const QueryMeasure& m, const SchemaColumn* sc) {
    return m.agg == QueryAgg::kCountDistinct || m.agg == QueryAgg::kP50 || m.agg == QueryAgg::kP95 ||
           (sc != nullptr && sc->kind == LogicalKind::kString && (m.agg == QueryAgg::kMin || m.agg == QueryAgg::kMax));
}

// The work of one thread: its row groups into its own groups.
class Worker {
public:
    Worker(const QueryPlan& plan, const parquet::FileMeta& meta, ColumnSource& source, const QueryLimits& limits)
        : plan_(plan), meta_(meta), source_(source), limits_(limits) {}

    Result<void> RowGroup(size_t rg, QueryResult& counts, std::mutex& counts_mutex) {
        const auto& rgm = meta_.row_groups[rg];
        const int64_t rows = rgm.num_rows;
        for (const auto& f : plan_.filters) {
            if (SkipByStatistics(f, meta_.columns[f.column], rgm.columns[f.column], rows)) {
                std::scoped_lock lock(counts_mutex);
                ++counts.row_groups_skipped;
                return {};
            }
        }
        std::vector<uint32_t> sel(static_cast<size_t>(rows));
        for (size_t i = 0; i < sel.size(); ++i) sel[i] = static_cast<uint32_t>(i);
        for (const auto& f : plan_.filters) {
            IS_TRY(auto col, Column(rg, f.column));
            ApplyFilter(f, meta_.columns[f.column], *col, sel);
            if (sel.empty()) break;
        }
        {
            std::scoped_lock lock(counts_mutex);
            counts.rows_scanned += rows;
            counts.rows_matched += static_cast<int64_t>(sel.size());
        }
        if (sel.empty()) return {};
        IS_TRY_VOID(AssignSlots(rg, sel));
        for (size_t m = 0; m < plan_.measures.size(); ++m) IS_TRY_VOID(Accumulate(rg, m, sel));
        return {};
    }

    // This thread's groups with keys every thread agrees on.
    std::vector<std::pair<CanonKey, GroupData>> Take() {
        std::vector<std::pair<CanonKey, GroupData>> out;
        out.reserve(groups_.size());
        for (size_t s = 0; s < groups_.size(); ++s) {
            CanonKey k;
            const GroupKey& g = keys_[s];
            for (int p = 0; p < 3; ++p) {
                k[static_cast<size_t>(p)].null = (g.nulls >> p) & 1;
                if (k[static_cast<size_t>(p)].null) continue;
                if (p < 2 && static_cast<size_t>(p) < plan_.group_by.size() && texty_[static_cast<size_t>(p)]) {
                    k[static_cast<size_t>(p)].is_text = true;
                    k[static_cast<size_t>(p)].text = strings_[static_cast<size_t>(g.part[p])];
                } else {
                    k[static_cast<size_t>(p)].num = g.part[p];
                }
            }
            out.emplace_back(std::move(k), std::move(groups_[s]));
        }
        return out;
    }

private:
    // A column of a row group, checked against the footer the plan was made with.
    Result<std::shared_ptr<const DecodedColumn>> Column(size_t rg, size_t c) {
        IS_TRY(auto col, source_.Column(rg, c));
        if (static_cast<int64_t>(col->rows()) != meta_.row_groups[rg].num_rows) {
            return Error::Internal("a snapshot column has " + std::to_string(col->rows()) + " rows, its row group " +
                                   std::to_string(meta_.row_groups[rg].num_rows))
                .WithSlug("snapshot-unreadable");
        }
        return col;
    }
    // Ids of this thread's interned texts for a row group's dictionary.
    std::vector<int64_t> Intern(const DecodedColumn& col) {
        std::vector<int64_t> ids(col.dict.size());
        for (size_t k = 0; k < col.dict.size(); ++k) ids[k] = InternText(col.dict[k]);
        return ids;
    }
    int64_t InternText(const std::string& s) {
        auto [it, inserted] = string_ids_.try_emplace(s, static_cast<int64_t>(strings_.size()));
        if (inserted) strings_.push_back(s);
        return it->second;
    }

    Result<void> AssignSlots(size_t rg, const std::vector<uint32_t>& sel) {
        slots_.resize(sel.size());
        std::vector<GroupKey> keys(sel.size());
        for (size_t p = 0; p < plan_.group_by.size(); ++p) {
            const size_t c = plan_.group_by[p];
            const SchemaColumn& sc = meta_.columns[c];
            IS_TRY(auto col, Column(rg, c));
            const uint8_t* def = col->defined.data();
            const auto bit = static_cast<uint8_t>(1U << p);
            if (sc.kind == LogicalKind::kString) {
                texty_[p] = true;
                auto ids = Intern(*col);
                for (size_t i = 0; i < sel.size(); ++i) {
                    uint32_t r = sel[i];
                    if (def[r]) keys[i].part[p] = ids[col->codes[r]];
                    else keys[i].nulls |= bit;
                }
            } else if (sc.kind == LogicalKind::kDecimal && sc.physical == parquet::PhysicalType::kFixedLenByteArray) {
                texty_[p] = true;
                for (size_t i = 0; i < sel.size(); ++i) {
                    uint32_t r = sel[i];
                    if (def[r]) keys[i].part[p] = InternText(UnscaledText(col->i128[r], sc.scale));
                    else keys[i].nulls |= bit;
                }
            } else {
                for (size_t i = 0; i < sel.size(); ++i) {
                    uint32_t r = sel[i];
                    if (!def[r]) {
                        keys[i].nulls |= bit;
                        continue;
                    }
                    switch (sc.kind) {
                        case LogicalKind::kDate: keys[i].part[p] = col->i32[r]; break;
                        case LogicalKind::kBoolean: keys[i].part[p] = col->b[r]; break;
                        case LogicalKind::kDouble: keys[i].part[p] = OrderedBits(col->f64[r]); break;
                        default: keys[i].part[p] = col->i64[r]; break;
                    }
                }
            }
        }
        if (plan_.time_column) {
            IS_TRY(auto col, Column(rg, *plan_.time_column));
            const bool ts = meta_.columns[*plan_.time_column].kind == LogicalKind::kTimestampMillis;
            for (size_t i = 0; i < sel.size(); ++i) {
                uint32_t r = sel[i];
                if (!col->defined[r]) {
                    keys[i].nulls |= 4;
                    continue;
                }
                int64_t day = ts ? (col->i64[r] >= 0 ? col->i64[r] / 86'400'000 : (col->i64[r] - 86'399'999) / 86'400'000)
                                 : col->i32[r];
                keys[i].part[2] = PeriodOf(static_cast<int32_t>(day), plan_.interval);
            }
        }
        for (size_t i = 0; i < sel.size(); ++i) {
            auto [it, inserted] = slot_of_.try_emplace(keys[i], static_cast<uint32_t>(groups_.size()));
            if (inserted) {
                if (groups_.size() >= limits_.max_groups) {
                    return Error::InvalidArgument("the query makes more than " + std::to_string(limits_.max_groups) +
                                                  " groups; group by fewer or coarser columns, or filter first",
                                                  {{"/group_by", "too many groups"}})
                        .WithSlug("query-too-expensive");
                }
                GroupData g;
                g.accs.resize(plan_.measures.size());
                g.extras.resize(plan_.measures.size());
                groups_.push_back(std::move(g));
                keys_.push_back(keys[i]);
            }
            slots_[i] = it->second;
            ++groups_[it->second].rows;
        }
        return {};
    }

    Result<void> Accumulate(size_t rg, size_t m, const std::vector<uint32_t>& sel) {
        const QueryMeasure& q = plan_.measures[m];
        if (!q.column) return {};  // count of rows: the group's rows
        const SchemaColumn& sc = meta_.columns[*q.column];
        IS_TRY(auto col, Column(rg, *q.column));
        const uint8_t* def = col->defined.data();
        if (NeedsExtras(q, &sc)) {
            for (size_t i = 0; i < sel.size(); ++i) {
                uint32_t r = sel[i];
                if (!def[r]) continue;
                GroupData& g = groups_[slots_[i]];
                if (!g.extras[m]) g.extras[m] = std::make_unique<Extras>();
                Extras& x = *g.extras[m];
                ++g.accs[m].count;
                if (sc.kind == LogicalKind::kString) {
                    const std::string& s = col->dict[col->codes[r]];
                    if (q.agg == QueryAgg::kCountDistinct) {
                        x.distinct.Add(engine::HashBytes(s));
                    } else {
                        if (!x.has_text || s < x.min_text) x.min_text = s;
                        if (!x.has_text || s > x.max_text) x.max_text = s;
                        x.has_text = true;
                    }
                    continue;
                }
                int128 v = ViewOf(sc, *col).At(r);
                if (q.agg == QueryAgg::kCountDistinct) {
                    x.distinct.Add(engine::HashInt(static_cast<uint64_t>(v) ^ static_cast<uint64_t>(v >> 64)));
                } else {
                    x.quantiles.Add(engine::DecimalToDouble(v));
                }
            }
            return {};
        }
        const NumberView v = ViewOf(sc, *col);
        for (size_t i = 0; i < sel.size(); ++i) {
            uint32_t r = sel[i];
            if (def[r]) groups_[slots_[i]].accs[m].AddValue(v.At(r));
        }
        return {};
    }

    const QueryPlan& plan_;
    const parquet::FileMeta& meta_;
    ColumnSource& source_;
    const QueryLimits& limits_;
    std::unordered_map<GroupKey, uint32_t, GroupKeyHash> slot_of_;
    std::vector<GroupKey> keys_;
    std::vector<GroupData> groups_;
    std::vector<uint32_t> slots_;  // per selected row of the current row group
    bool texty_[2] = {false, false};
    std::unordered_map<std::string, int64_t> string_ids_;
    std::vector<std::string> strings_;
};

QueryCell Text(std::string s) { return QueryCell{QueryCell::Kind::kText, std::move(s)}; }
QueryCell Num(std::string s) { return QueryCell{QueryCell::Kind::kNumber, std::move(s)}; }

QueryCell KeyCell(const CanonPart& p, const SchemaColumn& sc) {
    if (p.null) return QueryCell{};
    if (p.is_text) return sc.kind == LogicalKind::kString ? Text(p.text) : Num(p.text);
    switch (sc.kind) {
        case LogicalKind::kDate: return Text(engine::FormatDate(static_cast<int32_t>(p.num)));
        case LogicalKind::kTimestampMillis: {
            return Text(TimestampText(p.num));
        }
        case LogicalKind::kBoolean: return QueryCell{QueryCell::Kind::kBool, p.num ? "true" : "false"};
        case LogicalKind::kDouble: return Num(Approx(FromOrderedBits(p.num)).text);
        case LogicalKind::kDecimal: return Num(UnscaledText(p.num, sc.scale));
        default: return Num(std::to_string(p.num));
    }
}

// A measure's value of a group: a cell, and a number to sort by (nullopt: no value).
struct MeasureValue {
    QueryCell cell;
    std::optional<int128> exact;   // sums, counts, numeric minima and maxima
    std::optional<double> approx;  // averages, quantiles, distinct counts
};

MeasureValue ValueOf(const QueryMeasure& q, const SchemaColumn* sc, const GroupData& g, size_t m) {
    MeasureValue out;
    Accum a = g.accs[m];
    a.rows = g.rows;
    const bool rows_only = !q.column;
    auto number = [&](const std::optional<Number>& n) {
        if (n) out.cell = Num(n->text);
    };
    switch (q.agg) {
        case QueryAgg::kCount:
            number(Value(a, Agg::kCount, rows_only, 0));
            out.exact = rows_only ? a.rows : a.count;
            return out;
        case QueryAgg::kSum:
            number(Value(a, Agg::kSum, false, q.scale));
            if (!a.overflow) out.exact = a.sum;
            return out;
        case QueryAgg::kAvg: {
            auto n = Value(a, Agg::kAvg, false, q.scale);
            number(n);
            if (n) out.approx = n->approx;
            return out;
        }
        case QueryAgg::kMin:
        case QueryAgg::kMax: {
            const bool is_min = q.agg == QueryAgg::kMin;
            if (sc->kind == LogicalKind::kString) {
                const Extras* x = g.extras[m].get();
                if (x && x->has_text) out.cell = Text(is_min ? x->min_text : x->max_text);
                return out;
            }
            if (a.count == 0) return out;
            int128 v = is_min ? a.min : a.max;
            out.exact = v;
            if (sc->kind == LogicalKind::kDate) out.cell = Text(engine::FormatDate(static_cast<int32_t>(v)));
            else if (sc->kind == LogicalKind::kTimestampMillis) {
                out.cell = Text(TimestampText(static_cast<int64_t>(v)));
            } else {
                number(Value(a, is_min ? Agg::kMin : Agg::kMax, false, q.scale));
            }
            return out;
        }
        case QueryAgg::kCountDistinct: {
            const Extras* x = g.extras[m].get();
            uint64_t n = x ? x->distinct.Estimate() : 0;
            out.cell = Num(std::to_string(n));
            out.exact = static_cast<int128>(n);
            return out;
        }
        case QueryAgg::kP50:
        case QueryAgg::kP95: {
            const Extras* x = g.extras[m].get();
            if (!x || x->quantiles.count() == 0) return out;
            double v = x->quantiles.Quantile(q.agg == QueryAgg::kP50 ? 0.5 : 0.95);
            out.cell = Num(Approx(v).text);
            out.approx = v;
            return out;
        }
    }
    return out;
}

struct OutRow {
    const CanonKey* key = nullptr;
    const GroupData* data = nullptr;
    std::vector<MeasureValue> values;
};

// -1, 0, 1 of two measure values; a missing value sorts last either way (see the caller).
int CompareValues(const MeasureValue& a, const MeasureValue& b) {
    if (a.exact && b.exact) return *a.exact < *b.exact ? -1 : (*a.exact > *b.exact ? 1 : 0);
    double x = a.exact ? static_cast<double>(*a.exact) : a.approx.value_or(0);
    double y = b.exact ? static_cast<double>(*b.exact) : b.approx.value_or(0);
    if (a.cell.kind == QueryCell::Kind::kText && b.cell.kind == QueryCell::Kind::kText) {
        return a.cell.text < b.cell.text ? -1 : (a.cell.text > b.cell.text ? 1 : 0);
    }
    return x < y ? -1 : (x > y ? 1 : 0);
}

bool HasValue(const MeasureValue& v) { return v.cell.kind != QueryCell::Kind::kNull; }

}  // namespace

Result<QueryResult> RunQuery(const QueryPlan& plan, const parquet::FileMeta& meta, ColumnSource& source,
                             const QueryLimits& limits) {
    const auto started = std::chrono::steady_clock::now();
    QueryResult result;
    result.row_groups = meta.row_groups.size();
    const size_t threads = std::max<size_t>(
        1, std::min<size_t>(meta.row_groups.size(),
                            limits.threads > 0 ? static_cast<size_t>(limits.threads) : std::max(1U, std::thread::hardware_concurrency())));
    std::vector<std::unique_ptr<Worker>> workers;
    for (size_t t = 0; t < threads; ++t) workers.push_back(std::make_unique<Worker>(plan, meta, source, limits));
    std::atomic<size_t> next{0};
    std::mutex mutex;
    std::optional<Error> failure;
    auto run = [&](Worker& w) {
        for (;;) {
            size_t rg = next++;
            if (rg >= meta.row_groups.size()) return;
            {
                std::scoped_lock lock(mutex);
                if (failure) return;
            }
            auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
            Result<void> r = Error::Internal("not run");
            try {
                r = elapsed.count() > limits.max_ms
                        ? Result<void>(Error::InvalidArgument("the query ran longer than " + std::to_string(limits.max_ms) +
                                                              " ms, the limit; filter first or group by fewer columns")
                                           .WithSlug("query-too-expensive"))
                        : w.RowGroup(rg, result, mutex);
            } catch (const std::bad_alloc&) {
                // This query, never the process.
                r = Error::InvalidArgument("the query needs more memory than it may use; filter first or group by fewer columns")
                        .WithSlug("query-too-expensive");
            } catch (const std::exception& e) {
                r = Error::Internal(std::string("query thread: ") + e.what());
            }
            if (!r) {
                std::scoped_lock lock(mutex);
                if (!failure) failure = r.error();
                return;
            }
        }
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back([&, t] { run(*workers[t]); });
    run(*workers[0]);
    for (auto& t : pool) t.join();
    if (failure) return *failure;

    // Every thread's groups into one table, by key.
    std::map<CanonKey, GroupData> merged;
    for (auto& w : workers) {
        for (auto& [key, data] : w->Take()) {
            auto [it, inserted] = merged.try_emplace(key);
            if (inserted) it->second = std::move(data);
            else it->second.Merge(data);
        }
        if (merged.size() > limits.max_groups) {
            return Error::InvalidArgument("the query makes more than " + std::to_string(limits.max_groups) +
                                          " groups; group by fewer or coarser columns, or filter first",
                                          {{"/group_by", "too many groups"}})
                .WithSlug("query-too-expensive");
        }
    }
    // A query without grouping has one answer row, even over no rows at all.
    if (merged.empty() && plan.group_by.empty() && !plan.time_column) {
        GroupData g;
        g.accs.resize(plan.measures.size());
        g.extras.resize(plan.measures.size());
        CanonKey none;
        none[0].null = none[1].null = none[2].null = true;
        merged.emplace(none, std::move(g));
    }
    std::vector<OutRow> rows;
    rows.reserve(merged.size());
    for (const auto& [key, data] : merged) {
        OutRow r{&key, &data, {}};
        for (size_t m = 0; m < plan.measures.size(); ++m) {
            const auto& q = plan.measures[m];
            r.values.push_back(ValueOf(q, q.column ? &meta.columns[*q.column] : nullptr, data, m));
        }
        rows.push_back(std::move(r));
    }
    // Order: as asked; else by period, or the first measure ranked as /groups ranks; then the key.
    auto key_text = [&](const CanonKey& k) -> std::optional<std::string> {
        if (plan.group_by.empty() || k[0].null) return std::nullopt;
        return KeyCell(k[0], meta.columns[plan.group_by[0]]).text;
    };
    auto by_order = [&](const OutRow& a, const OutRow& b) -> int {
        for (const auto& o : plan.order) {
            int c = 0;
            if (o.field == "period") {
                c = (*a.key)[2] < (*b.key)[2] ? -1 : ((*b.key)[2] < (*a.key)[2] ? 1 : 0);
            } else if (auto g = std::find_if(plan.group_by.begin(), plan.group_by.end(),
                                             [&](size_t col) { return meta.columns[col].name == o.field; });
                       g != plan.group_by.end()) {
                auto p = static_cast<size_t>(g - plan.group_by.begin());
                c = (*a.key)[p] < (*b.key)[p] ? -1 : ((*b.key)[p] < (*a.key)[p] ? 1 : 0);
            } else {
                for (size_t m = 0; m < plan.measures.size(); ++m) {
                    if (plan.measures[m].name != o.field) continue;
                    bool ha = HasValue(a.values[m]), hb = HasValue(b.values[m]);
                    if (ha != hb) return ha ? -1 : 1;  // missing values last
                    if (ha) c = CompareValues(a.values[m], b.values[m]);
                }
            }
            if (c != 0) return o.desc ? -c : c;
        }
        return 0;
    };
    const QueryMeasure& first = plan.measures.front();
    const bool ranked = first.agg != QueryAgg::kCountDistinct && first.agg != QueryAgg::kP50 &&
                        first.agg != QueryAgg::kP95 &&
                        !(first.column && meta.columns[*first.column].kind == LogicalKind::kString);
    std::stable_sort(rows.begin(), rows.end(), [&](const OutRow& a, const OutRow& b) {
        if (!plan.order.empty()) {
            int c = by_order(a, b);
            if (c != 0) return c < 0;
        } else if (plan.time_column) {
            if ((*a.key)[2] != (*b.key)[2]) return (*a.key)[2] < (*b.key)[2];
        } else if (ranked) {
            Accum x = a.data->accs[0], y = b.data->accs[0];
            x.rows = a.data->rows;
            y.rows = b.data->rows;
            Agg agg = first.agg == QueryAgg::kSum ? Agg::kSum
                      : first.agg == QueryAgg::kAvg ? Agg::kAvg
                      : first.agg == QueryAgg::kMin ? Agg::kMin
                      : first.agg == QueryAgg::kMax ? Agg::kMax
                                                    : Agg::kCount;
            const engine::RankAgg rank = RankAggOf(agg, !first.column);
            auto ka = key_text(*a.key), kb = key_text(*b.key);
            if (engine::RanksBefore(rank, Entry(ka, x), Entry(kb, y))) return true;
            if (engine::RanksBefore(rank, Entry(kb, y), Entry(ka, x))) return false;
        } else {
            bool ha = HasValue(a.values[0]), hb = HasValue(b.values[0]);
            if (ha != hb) return ha;
            int c = ha ? CompareValues(a.values[0], b.values[0]) : 0;
            if (c != 0) return c > 0;
        }
        return *a.key < *b.key;
    });

    for (size_t p = 0; p < plan.group_by.size(); ++p) {
        const SchemaColumn& sc = meta.columns[plan.group_by[p]];
        result.columns.push_back({sc.name, "group", KindType(sc)});
    }
    if (plan.time_column) result.columns.push_back({"period", "period", IntervalName(plan.interval)});
    for (const auto& q : plan.measures) {
        std::string type = "integer";
        if (q.agg == QueryAgg::kAvg || q.agg == QueryAgg::kP50 || q.agg == QueryAgg::kP95) type = "float";
        else if (q.column && q.agg != QueryAgg::kCount && q.agg != QueryAgg::kCountDistinct) type = KindType(meta.columns[*q.column]);
        result.columns.push_back({q.name, "measure", type});
    }
    result.total_groups = rows.size();
    for (size_t i = plan.offset; i < rows.size() && i < plan.offset + plan.limit; ++i) {
        std::vector<QueryCell> cells;
        const CanonKey& k = *rows[i].key;
        for (size_t p = 0; p < plan.group_by.size(); ++p) cells.push_back(KeyCell(k[p], meta.columns[plan.group_by[p]]));
        if (plan.time_column) cells.push_back(k[2].null ? QueryCell{} : Text(PeriodLabel(k[2].num, plan.interval)));
        for (auto& v : rows[i].values) cells.push_back(std::move(v.cell));
        result.rows.push_back(std::move(cells));
    }
    return result;
}

std::string QueryJson(const QueryResult& r, int64_t elapsed_ms, std::string_view provenance) {
    core::JsonWriter w;
    w.BeginObject().Key("columns").BeginArray();
    for (const auto& c : r.columns) {
        w.BeginObject().Key("name").String(c.name).Key("kind").String(c.kind).Key("type").String(c.type).EndObject();
    }
    w.EndArray().Key("rows").BeginArray();
    for (const auto& row : r.rows) {
        w.BeginObject();
        for (size_t i = 0; i < row.size(); ++i) {
            w.Key(r.columns[i].name);
            switch (row[i].kind) {
                case QueryCell::Kind::kNull: w.Null(); break;
                case QueryCell::Kind::kText: w.String(row[i].text); break;
                case QueryCell::Kind::kNumber: w.NumberText(row[i].text); break;
                case QueryCell::Kind::kBool: w.Bool(row[i].text == "true"); break;
            }
        }
        w.EndObject();
    }
    w.EndArray();
    w.Key("total_groups").Int(static_cast<int64_t>(r.total_groups));
    w.Key("rows_scanned").Int(r.rows_scanned);
    w.Key("rows_matched").Int(r.rows_matched);
    w.Key("row_groups").Int(static_cast<int64_t>(r.row_groups));
    w.Key("row_groups_skipped").Int(static_cast<int64_t>(r.row_groups_skipped));
    w.Key("elapsed_ms").Int(elapsed_ms);
    w.Key("provenance").Raw(provenance);
    w.EndObject();
    return w.Take();
}

std::string QueryCsv(const QueryResult& r) {
    std::string out;
    for (size_t i = 0; i < r.columns.size(); ++i) out += (i ? "," : "") + core::CsvCell(r.columns[i].name);
    out += "\r\n";
    for (const auto& row : r.rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            if (i) out += ',';
            if (row[i].kind == QueryCell::Kind::kText) out += core::CsvCell(row[i].text);
            else out += row[i].text;
        }
        out += "\r\n";
    }
    return out;
}

}  // namespace insightstream::analytics
