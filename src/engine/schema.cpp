#include "engine/schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <unordered_set>

namespace insightstream::engine {

const char* TypeName(ColumnType t) {
    switch (t) {
        case ColumnType::kString: return "string";
        case ColumnType::kInteger: return "integer";
        case ColumnType::kDecimal: return "decimal";
        case ColumnType::kFloat: return "float";
        case ColumnType::kBoolean: return "boolean";
        case ColumnType::kDate: return "date";
        case ColumnType::kTimestamp: return "timestamp";
    }
    return "string";
}

const char* RoleName(ColumnRole r) {
    switch (r) {
        case ColumnRole::kDimension: return "dimension";
        case ColumnRole::kMeasure: return "measure";
        case ColumnRole::kTime: return "time";
        case ColumnRole::kIdentifier: return "identifier";
    }
    return "dimension";
}

bool ParseTypeName(std::string_view text, ColumnType* out) {
    for (auto t : {ColumnType::kString, ColumnType::kInteger, ColumnType::kDecimal, ColumnType::kFloat,
                   ColumnType::kBoolean, ColumnType::kDate, ColumnType::kTimestamp}) {
        if (text == TypeName(t)) {
            *out = t;
            return true;
        }
    }
    return false;
}

bool ParseRoleName(std::string_view text, ColumnRole* out) {
    for (auto r : {ColumnRole::kDimension, ColumnRole::kMeasure, ColumnRole::kTime, ColumnRole::kIdentifier}) {
        if (text == RoleName(r)) {
            *out = r;
            return true;
        }
    }
    return false;
}

void Refinement::Merge(const Refinement& next) {
    for (const auto& [k, v] : next.late_values) late_values[k] = v;
    for (const auto& k : next.new_keys) {
        if (std::find(new_keys.begin(), new_keys.end(), k) == new_keys.end()) new_keys.push_back(k);
    }
    for (const auto& [k, v] : next.pass_orders) pass_orders[k] = v;
    for (const auto& [k, v] : next.seeds) {
        auto& mine = seeds[k];
        for (const auto& key : v) {
            if (std::find(mine.begin(), mine.end(), key) == mine.end()) mine.push_back(key);
        }
    }
    reasons.insert(reasons.end(), next.reasons.begin(), next.reasons.end());
}

bool Refinement::AsksMoreThan(const Refinement& applied) const {
    for (const auto& [k, v] : late_values) {
        if (!applied.late_values.count(k)) return true;
    }
    for (const auto& k : new_keys) {
        if (std::find(applied.new_keys.begin(), applied.new_keys.end(), k) == applied.new_keys.end()) return true;
    }
    for (const auto& [k, v] : pass_orders) {
        auto it = applied.pass_orders.find(k);
        if (it == applied.pass_orders.end() || it->second != v) return true;
    }
    for (const auto& [k, v] : seeds) {
        auto it = applied.seeds.find(k);
        if (it == applied.seeds.end()) return true;
        for (const auto& key : v) {
            if (std::find(it->second.begin(), it->second.end(), key) == it->second.end()) return true;
        }
    }
    return false;
}

const char* DateOrderName(DateOrder o) { return o == DateOrder::kDmy ? "DMY" : "MDY"; }

const char* OrderSourceName(OrderSource s) {
    switch (s) {
        case OrderSource::kNone: return "none";
        case OrderSource::kData: return "data";
        case OrderSource::kSeparator: return "separator";
        case OrderSource::kHint: return "hint";
        case OrderSource::kAssumed: return "assumed";
    }
    return "none";
}

bool ParseTypeHint(std::string_view text, TypeHint* out, std::string* error) {
    std::string_view type = text, format;
    if (size_t colon = text.find(':'); colon != std::string_view::npos) {
        type = text.substr(0, colon);
        format = text.substr(colon + 1);
    }
    ColumnType t;
    if (!ParseTypeName(type, &t)) {
        *error = "unknown type '" + std::string(type) + "'; types are string, integer, decimal, float, boolean, date, timestamp";
        return false;
    }
    TypeHint h = *out;
    h.type = t;
    if (!format.empty()) {
        bool temporal = t == ColumnType::kDate || t == ColumnType::kTimestamp;
        bool number = t == ColumnType::kDecimal || t == ColumnType::kFloat || t == ColumnType::kInteger;
        if (temporal && (format == "dmy" || format == "mdy")) {
            h.date_order = format == "dmy" ? DateOrder::kDmy : DateOrder::kMdy;
        } else if (temporal && format == "yyyymmdd") {
            h.date_encoding = DateEncoding::kCompact;
        } else if (t == ColumnType::kTimestamp && (format == "epoch" || format == "epoch_ms")) {
            h.date_encoding = format == "epoch" ? DateEncoding::kEpochSeconds : DateEncoding::kEpochMillis;
        } else if (number && (format == "comma" || format == "point")) {
            h.decimal_mark = format == "comma" ? DecimalMark::kComma : DecimalMark::kPoint;
            if (t == ColumnType::kInteger) h.type = ColumnType::kDecimal;
        } else {
            *error = "unknown format '" + std::string(format) + "' for type " + std::string(type) +
                     "; formats are date:dmy, date:mdy, date:yyyymmdd, timestamp:epoch, timestamp:epoch_ms, "
                     "decimal:comma, decimal:point";
            return false;
        }
    }
    *out = h;
    return true;
}

std::string TypeHintText(const TypeHint& hint) {
    std::string out = hint.type ? TypeName(*hint.type) : "string";
    if (hint.date_encoding == DateEncoding::kCompact) out += ":yyyymmdd";
    else if (hint.date_encoding == DateEncoding::kEpochSeconds) out += ":epoch";
    else if (hint.date_encoding == DateEncoding::kEpochMillis) out += ":epoch_ms";
    else if (hint.date_order) out += *hint.date_order == DateOrder::kDmy ? ":dmy" : ":mdy";
    else if (hint.decimal_mark) out += *hint.decimal_mark == DecimalMark::kComma ? ":comma" : ":point";
    return out;
}

std::pair<DateOrder, OrderSource> DecideDateOrder(const OrderEvidence& e, const ColumnSpec& spec) {
    if (spec.order_source == OrderSource::kHint) return {spec.date_order, OrderSource::kHint};
    if (e.first_gt12 > e.second_gt12) return {DateOrder::kDmy, OrderSource::kData};
    if (e.second_gt12 > e.first_gt12) return {DateOrder::kMdy, OrderSource::kData};
    // Nothing in the data tells: dots are day first wherever they are written.
    if (e.numeric > 0 && e.dotted * 2 > e.numeric) return {DateOrder::kDmy, OrderSource::kSeparator};
    return {DateOrder::kMdy, e.numeric > 0 ? OrderSource::kAssumed : OrderSource::kNone};
}

std::vector<std::string> UniqueColumnNames(const std::vector<std::string>& raw) {
    // Real names are reserved first, so a generated one ("a_2", "column_3") never takes the name
    // of a column that really has it.
    std::vector<std::string> trimmed;
    std::set<std::string> real;
    for (const auto& r : raw) {
        trimmed.emplace_back(TrimSpaces(r));
        if (!trimmed.back().empty()) real.insert(trimmed.back());
    }
    std::vector<std::string> out;
    std::set<std::string> used;
    for (size_t i = 0; i < trimmed.size(); ++i) {
        const std::string& name = trimmed[i];
        if (!name.empty() && !used.count(name)) {
            used.insert(name);
            out.push_back(name);
            continue;
        }
        std::string base = name.empty() ? "column_" + std::to_string(i + 1) : name;
        std::string candidate = base;
        for (int n = 2; used.count(candidate) || (candidate != name && real.count(candidate)); ++n) {
            candidate = base + "_" + std::to_string(n);
        }
        used.insert(candidate);
        out.push_back(candidate);
    }
    return out;
}

namespace {

std::string LowerName(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Whole words of a column name: "customer_id", "CustomerID", "order id" → {"customer", "id"}.
std::vector<std::string> NameWords(std::string_view name) {
    std::vector<std::string> words;
    std::string cur;
    for (size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool boundary = !std::isalnum(static_cast<unsigned char>(c));
        bool camel = i > 0 && std::isupper(static_cast<unsigned char>(c)) &&
                     std::islower(static_cast<unsigned char>(name[i - 1]));
        if (boundary || camel) {
            if (!cur.empty()) words.push_back(LowerName(cur));
            cur.clear();
            if (boundary) continue;
        }
        cur += c;
    }
    if (!cur.empty()) words.push_back(LowerName(cur));
    return words;
}

bool NameHasWord(const std::vector<std::string>& words, std::initializer_list<const char*> any) {
    for (const auto& w : words) {
        for (const char* a : any) {
            if (w == a) return true;
        }
    }
    return false;
}

bool IdentifierName(const std::vector<std::string>& words) {
    if (words.empty()) return false;
    const std::string& last = words.back();
    return last == "id" || last == "uuid" || last == "guid" || last == "code" || last == "zip" || last == "zipcode" ||
           last == "postcode" || last == "phone" || last == "sku" || last == "isbn" || last == "email" ||
           last == "ean" || last == "key" || (words.size() >= 2 && words[words.size() - 2] == "postal");
}

bool FlagName(const std::vector<std::string>& words) {
    return NameHasWord(words, {"is", "has", "flag", "active", "enabled", "returned", "deleted", "valid", "paid",
                               "churned", "bool", "boolean"});
}

// What the sample's values of one column parse as. Numbers are tried with both decimal marks;
// the marks' counts are kept apart until the column's mark is chosen.
struct MarkCounts {
    size_t decimals = 0, currencies = 0, currency_plain = 0, percents = 0, percent_plain = 0, rounded = 0;
    int max_frac = 0;
    bool grouped = false;
    std::map<std::string, size_t> symbols;
};

struct Profile {
    size_t n = 0;
    size_t ints = 0, leading_zero = 0, floats = 0, huge_floats = 0, bools = 0, one_zero_only = 0;
    size_t dates = 0, with_time = 0, compact_dates = 0, epoch_seconds = 0, epoch_millis = 0;
    OrderEvidence order;
    MarkCounts marks[2];  // by DecimalMark
    size_t point_only = 0, comma_only = 0;  // values only one mark reads as a number
    std::map<int, size_t> bool_styles;
    std::map<int, size_t> date_styles;
    std::unordered_set<std::string> distinct;
    size_t total_len = 0;
};

// The largest float the 10^-9 accumulators hold with room for sums (about 1.7e29 is the limit).
constexpr double kMaxExactFloat = 1e28;

void CountNumber(std::string_view v, DecimalMark mark, MarkCounts& m, bool* number) {
    DecimalParse d;
    std::string sym;
    *number = false;
    if (ParseDecimal(v, &d, mark)) {
        *number = true;
        if (d.rounded) {
            ++m.rounded;
            return;
        }
        ++m.decimals;
        m.max_frac = std::max(m.max_frac, d.frac_digits);
        m.grouped = m.grouped || d.grouped;
        ++m.currency_plain;
        ++m.percent_plain;
    } else if (ParseCurrency(v, &d, &sym, mark)) {
        *number = true;
        ++m.currencies;
        ++m.symbols[sym];
        m.max_frac = std::max(m.max_frac, d.frac_digits);
    } else if (ParsePercent(v, &d, mark)) {
        *number = true;
        ++m.percents;
        m.max_frac = std::max(m.max_frac, d.frac_digits);
    }
}

Profile ProfileColumn(const std::vector<std::vector<std::string>>& rows, size_t c) {
    Profile p;
    for (const auto& row : rows) {
        if (c >= row.size()) continue;
        std::string_view v = TrimSpaces(row[c]);
        if (IsNullToken(v)) continue;
        ++p.n;
        p.total_len += v.size();
        if (p.distinct.size() < 100'000) p.distinct.emplace(v);
        int64_t i;
        double f;
        bool b;
        BoolStyle bs;
        DateParse dt;
        if (HasLeadingZero(v)) {
            bool all_digits = std::all_of(v.begin() + (v[0] == '-' || v[0] == '+'), v.end(),
                                          [](char ch) { return ch >= '0' && ch <= '9'; });
            if (all_digits) ++p.leading_zero;
        }
        if (ParseInteger(v, &i)) {
            ++p.ints;
            if (ParseCompactDate(v, &dt)) ++p.compact_dates;
            if (i >= 946684800LL && i < 4102444800LL) ++p.epoch_seconds;  // 2000 to 2100
            if (i >= 946684800000LL && i < 4102444800000LL) ++p.epoch_millis;
        }
        bool point = false, comma = false;
        CountNumber(v, DecimalMark::kPoint, p.marks[0], &point);
        CountNumber(v, DecimalMark::kComma, p.marks[1], &comma);
        if (point && !comma) ++p.point_only;
        if (comma && !point) ++p.comma_only;
        if (ParseFloat(v, &f)) {
            ++p.floats;
            if (std::fabs(f) > kMaxExactFloat) ++p.huge_floats;
        }
        if (ParseBool(v, &b, &bs)) {
            ++p.bools;
            ++p.bool_styles[static_cast<int>(bs)];
            if (bs == BoolStyle::kOneZero) ++p.one_zero_only;
        }
        if (ParseDate(v, &dt)) {
            ++p.dates;
            ++p.date_styles[static_cast<int>(dt.style)];
            if (dt.has_time) ++p.with_time;
            if (!dt.ordered) {
                ++p.order.numeric;
                if (dt.separator == '.') ++p.order.dotted;
                if (dt.p1 > 12) ++p.order.first_gt12;
                if (dt.p2 > 12) ++p.order.second_gt12;
            }
        }
    }
    return p;
}

// The style most values of the sample are written in (0 when there are none).
int MostCommon(const std::map<int, size_t>& styles) {
    int style = 0;
    size_t best = 0;
    for (auto [s, n] : styles) {
        if (n > best) {
            best = n;
            style = s;
        }
    }
    return style;
}

std::string DateFormatName(const Profile& p, DateOrder order, bool with_time) {
    bool dmy = order == DateOrder::kDmy;
    int style = MostCommon(p.date_styles);
    std::string f;
    switch (static_cast<DateStyle>(style)) {
        case DateStyle::kIso: f = "YYYY-MM-DD"; break;
        case DateStyle::kYmdSlash: f = "YYYY/MM/DD"; break;
        case DateStyle::kNumeric: f = dmy ? "DD/MM/YYYY" : "MM/DD/YYYY"; break;  // whatever the separator
        case DateStyle::kMonthName: f = "Mon D YYYY"; break;
        case DateStyle::kNone: f = "date"; break;
    }
    if (with_time) f += " hh:mm:ss";
    return f;
}

bool DateLikeName(const std::vector<std::string>& words) {
    return NameHasWord(words, {"date", "day", "dt", "ymd", "yyyymmdd"});
}

bool TimeLikeName(const std::vector<std::string>& words) {
    return NameHasWord(words, {"time", "timestamp", "datetime", "ts", "epoch", "unix"}) ||
           (!words.empty() && words.back() == "at");
}

}  // namespace

Schema InferSchema(const std::vector<std::string>& names, const std::vector<std::vector<std::string>>& rows,
                   const std::map<std::string, TypeHint>& hints, const InferOptions& options) {
    Schema schema;
    for (size_t c = 0; c < names.size(); ++c) {
        ColumnSpec col;
        col.name = names[c];
        Profile p = ProfileColumn(rows, c);
        if (p.n == 0 && options.refined) {
            // No value in the sample: a later pass types the column from the values the first collected.
            if (auto late = options.refined->late_values.find(col.name); late != options.refined->late_values.end()) {
                std::vector<std::vector<std::string>> values;
                for (const auto& v : late->second) values.push_back({v});
                p = ProfileColumn(values, 0);
            }
        }
        auto words = NameWords(col.name);
        const TypeHint* hint = nullptr;
        if (auto h = hints.find(col.name); h != hints.end()) hint = &h->second;
        // The decimal mark: a hint, the upload's default, a value only one mark reads as a number,
        // else the file's convention (semicolon-separated files are written with decimal commas).
        DecimalMark mark = options.delimiter == ';' ? DecimalMark::kComma : DecimalMark::kPoint;
        if (hint && hint->decimal_mark) mark = *hint->decimal_mark;
        else if (options.decimal_mark) mark = *options.decimal_mark;
        else if (p.comma_only != p.point_only) mark = p.comma_only > p.point_only ? DecimalMark::kComma : DecimalMark::kPoint;
        col.decimal_mark = mark;
        const MarkCounts& m = p.marks[mark == DecimalMark::kComma ? 1 : 0];
        const bool comma = mark == DecimalMark::kComma;
        // At most 1 % of the sample may disagree with the type; those values are reported later.
        size_t need = p.n - p.n / 100;
        bool numeric_ids = p.leading_zero > 0;
        if (p.n == 0) {
            col.type = ColumnType::kString;
            col.format = "empty";
            col.late = !options.whole_file;
        } else if (p.bools >= need && (p.one_zero_only < p.bools || FlagName(words))) {
            col.type = ColumnType::kBoolean;
            static const char* kStyles[] = {"", "true/false", "yes/no", "t/f", "y/n", "1/0"};
            col.format = kStyles[MostCommon(p.bool_styles)];
        } else if (numeric_ids) {
            col.type = ColumnType::kString;
            col.format = "digits with leading zeros";
        } else if (p.ints >= need) {
            col.type = ColumnType::kInteger;
            col.format = "integer";
            // Integers that are dates: yyyymmdd under a date-like name, epoch seconds or
            // milliseconds under a time-like one. Anything else stays a number.
            if (DateLikeName(words) && p.compact_dates >= need) {
                col.type = ColumnType::kDate;
                col.date_encoding = DateEncoding::kCompact;
                col.format = "YYYYMMDD";
            } else if (TimeLikeName(words) && p.epoch_seconds >= need) {
                col.type = ColumnType::kTimestamp;
                col.date_encoding = DateEncoding::kEpochSeconds;
                col.format = "epoch seconds";
            } else if (TimeLikeName(words) && p.epoch_millis >= need) {
                col.type = ColumnType::kTimestamp;
                col.date_encoding = DateEncoding::kEpochMillis;
                col.format = "epoch milliseconds";
            }
        } else if (m.decimals >= need) {
            col.type = ColumnType::kDecimal;
            col.format = m.grouped ? (comma ? "1.234,56" : "1,234.56") : (comma ? "decimal comma" : "decimal");
        } else if (m.currencies > 0 && m.currencies + m.currency_plain >= need) {
            col.type = ColumnType::kDecimal;
            col.currency = true;
            size_t best = 0;
            for (const auto& [s, n] : m.symbols) {
                if (n > best) {
                    best = n;
                    col.currency_symbol = s;
                }
            }
            col.format = "currency " + col.currency_symbol;
        } else if (m.percents > 0 && m.percents + m.percent_plain >= need) {
            col.type = ColumnType::kDecimal;
            col.percent = true;
            col.format = "percent";
        } else if (p.floats >= need && p.huge_floats == 0) {
            col.type = ColumnType::kFloat;
            col.format = "float";
        } else if (m.decimals + m.rounded >= need) {
            col.type = ColumnType::kDecimal;  // more than 9 fractional digits: rounded to 9, and counted
            col.format = comma ? "decimal comma" : "decimal";
        } else if (p.dates >= need) {
            col.type = p.with_time > 0 ? ColumnType::kTimestamp : ColumnType::kDate;
        } else {
            col.type = ColumnType::kString;
            col.format = p.floats >= need ? "numbers beyond the exact range (\u00b11e28)" : "text";
        }

        bool type_changed = false;
        if (hint) {
            col.hinted = true;
            if (hint->type && *hint->type != col.type) {
                type_changed = true;
                col.type = *hint->type;
                col.currency = col.percent = false;
                col.late = false;
                col.date_encoding = DateEncoding::kText;
                col.format = std::string("hint: ") + TypeName(col.type);
            }
            if (hint->date_encoding && col.temporal()) col.date_encoding = *hint->date_encoding;
            if (hint->date_order) {
                col.date_order = *hint->date_order;
                col.order_source = OrderSource::kHint;
            }
        }
        if (col.temporal() && col.date_encoding == DateEncoding::kText) {
            if (col.order_source != OrderSource::kHint && options.date_order) {
                col.date_order = *options.date_order;
                col.order_source = OrderSource::kHint;
            }
            auto [order, source] = DecideDateOrder(p.order, col);
            col.date_order = order;
            col.order_source = source;
            if (options.refined && source != OrderSource::kHint) {
                // The order the whole column chose in an earlier pass reads this pass's months.
                if (auto o = options.refined->pass_orders.find(col.name); o != options.refined->pass_orders.end()) {
                    col.date_order = o->second;
                }
            }
            if (!col.hinted || col.format.empty()) col.format = DateFormatName(p, order, p.with_time > 0);
        }

        // Roles.
        if (col.temporal()) {
            col.role = ColumnRole::kTime;
        } else if (col.numeric()) {
            bool all_unique = p.distinct.size() == p.n && p.n >= 100;
            if (IdentifierName(words) || (col.type == ColumnType::kInteger && all_unique && NameHasWord(words, {"no", "number", "num", "nr"}))) {
                col.role = ColumnRole::kIdentifier;
            } else if (NameHasWord(words, {"year"}) && col.type == ColumnType::kInteger) {
                col.role = ColumnRole::kDimension;
            } else {
                col.role = ColumnRole::kMeasure;
            }
        } else if (col.type == ColumnType::kBoolean) {
            col.role = ColumnRole::kDimension;
        } else {
            size_t distinct = p.distinct.size();
            double avg_len = p.n ? static_cast<double>(p.total_len) / static_cast<double>(p.n) : 0;
            bool high_cardinality = distinct > 100 && static_cast<double>(distinct) > 0.5 * static_cast<double>(p.n);
            col.role = (numeric_ids || IdentifierName(words) || high_cardinality || avg_len > 200)
                           ? ColumnRole::kIdentifier
                           : ColumnRole::kDimension;
        }

        if (col.late) col.role = ColumnRole::kIdentifier;  // not counted until a second pass types it
        if (hint) {
            if (type_changed) {
                // A type the user chose puts the column in the role that type has.
                if (col.temporal()) col.role = ColumnRole::kTime;
                else if (col.numeric() && col.role != ColumnRole::kIdentifier) col.role = ColumnRole::kMeasure;
                else if (!col.numeric() && (col.role == ColumnRole::kTime || col.role == ColumnRole::kMeasure)) col.role = ColumnRole::kDimension;
            }
            if (hint->role) col.role = *hint->role;
            // A role must fit the type: only numbers are measures, only dates are time.
            if (col.role == ColumnRole::kMeasure && !col.numeric()) col.role = ColumnRole::kDimension;
            if (col.role == ColumnRole::kTime && !col.temporal()) col.role = ColumnRole::kDimension;
        }
        schema.columns.push_back(std::move(col));
    }
    // The primary time column: the first one; the headline measure: a money-like name, else the first.
    for (size_t c = 0; c < schema.columns.size(); ++c) {
        const auto& col = schema.columns[c];
        if (col.role == ColumnRole::kTime && schema.primary_time < 0) schema.primary_time = static_cast<int>(c);
    }
    for (const char* preferred : {"revenue", "sales", "amount", "total", "price", "value", "profit", "cost"}) {
        for (size_t c = 0; c < schema.columns.size() && schema.main_measure < 0; ++c) {
            const auto& col = schema.columns[c];
            if (col.role == ColumnRole::kMeasure && NameHasWord(NameWords(col.name), {preferred})) {
                schema.main_measure = static_cast<int>(c);
            }
        }
    }
    for (size_t c = 0; c < schema.columns.size() && schema.main_measure < 0; ++c) {
        if (schema.columns[c].role == ColumnRole::kMeasure) schema.main_measure = static_cast<int>(c);
    }
    return schema;
}

}  // namespace insightstream::engine
