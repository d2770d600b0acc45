#include "engine/schema.hpp"

#include <algorithm>
#include <cctype>
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

std::vector<std::string> UniqueColumnNames(const std::vector<std::string>& raw) {
    std::vector<std::string> out;
    std::set<std::string> used;
    for (size_t i = 0; i < raw.size(); ++i) {
        std::string name(TrimSpaces(raw[i]));
        if (name.empty()) name = "column_" + std::to_string(i + 1);
        std::string candidate = name;
        for (int n = 2; used.count(candidate); ++n) candidate = name + "_" + std::to_string(n);
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

struct Profile {
    size_t n = 0;
    size_t ints = 0, leading_zero = 0, decimals = 0, floats = 0, bools = 0, one_zero_only = 0;
    size_t currencies = 0, currency_plain = 0, percents = 0, percent_plain = 0, dates = 0, with_time = 0;
    size_t first_gt12 = 0, second_gt12 = 0, numeric_dates = 0;
    int max_frac = 0;
    bool grouped = false;
    std::map<std::string, size_t> symbols;
    std::map<int, size_t> bool_styles;
    std::map<int, size_t> date_styles;
    std::unordered_set<std::string> distinct;
    size_t total_len = 0;
};

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
        DecimalParse d;
        double f;
        bool b;
        BoolStyle bs;
        std::string sym;
        DateParse dt;
        if (HasLeadingZero(v)) {
            bool all_digits = std::all_of(v.begin() + (v[0] == '-' || v[0] == '+'), v.end(),
                                          [](char ch) { return ch >= '0' && ch <= '9'; });
            if (all_digits) ++p.leading_zero;
        }
        if (ParseInteger(v, &i)) ++p.ints;
        if (ParseDecimal(v, &d)) {
            ++p.decimals;
            p.max_frac = std::max(p.max_frac, d.frac_digits);
            p.grouped = p.grouped || d.grouped;
            ++p.currency_plain;
            ++p.percent_plain;
        } else if (ParseCurrency(v, &d, &sym)) {
            ++p.currencies;
            ++p.symbols[sym];
            p.max_frac = std::max(p.max_frac, d.frac_digits);
        } else if (ParsePercent(v, &d)) {
            ++p.percents;
            p.max_frac = std::max(p.max_frac, d.frac_digits);
        }
        if (ParseFloat(v, &f)) ++p.floats;
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
                ++p.numeric_dates;
                if (dt.p1 > 12) ++p.first_gt12;
                if (dt.p2 > 12) ++p.second_gt12;
            }
        }
    }
    return p;
}

std::string DateFormatName(const Profile& p, bool dmy, bool with_time) {
    int style = 0;
    size_t best = 0;
    for (auto [s, n] : p.date_styles) {
        if (n > best) {
            best = n;
            style = s;
        }
    }
    std::string f;
    switch (static_cast<DateStyle>(style)) {
        case DateStyle::kIso: f = "YYYY-MM-DD"; break;
        case DateStyle::kYmdSlash: f = "YYYY/MM/DD"; break;
        case DateStyle::kNumeric: f = dmy ? "DD/MM/YYYY" : "MM/DD/YYYY"; break;
        case DateStyle::kMonthName: f = "Mon D YYYY"; break;
        case DateStyle::kNone: f = "date"; break;
    }
    if (with_time) f += " hh:mm:ss";
    return f;
}

}  // namespace

Schema InferSchema(const std::vector<std::string>& names, const std::vector<std::vector<std::string>>& rows,
                   const std::map<std::string, TypeHint>& hints) {
    Schema schema;
    for (size_t c = 0; c < names.size(); ++c) {
        ColumnSpec col;
        col.name = names[c];
        Profile p = ProfileColumn(rows, c);
        auto words = NameWords(col.name);
        // At most 1 % of the sample may disagree with the type; those values are reported later.
        size_t need = p.n - p.n / 100;
        bool numeric_ids = p.leading_zero > 0;
        if (p.n == 0) {
            col.type = ColumnType::kString;
            col.format = "empty";
        } else if (p.bools >= need && (p.one_zero_only < p.bools || FlagName(words))) {
            col.type = ColumnType::kBoolean;
            int style = 0;
            size_t best = 0;
            for (auto [s, n] : p.bool_styles) {
                if (n > best) {
                    best = n;
                    style = s;
                }
            }
            static const char* kStyles[] = {"", "true/false", "yes/no", "t/f", "y/n", "1/0"};
            col.format = kStyles[style];
        } else if (numeric_ids) {
            col.type = ColumnType::kString;
            col.format = "digits with leading zeros";
        } else if (p.ints >= need) {
            col.type = ColumnType::kInteger;
            col.format = "integer";
        } else if (p.decimals >= need) {
            col.type = ColumnType::kDecimal;
            col.format = p.grouped ? "1,234.56" : "decimal";
        } else if (p.currencies > 0 && p.currencies + p.currency_plain >= need) {
            col.type = ColumnType::kDecimal;
            col.currency = true;
            size_t best = 0;
            for (const auto& [s, n] : p.symbols) {
                if (n > best) {
                    best = n;
                    col.currency_symbol = s;
                }
            }
            col.format = "currency " + col.currency_symbol;
        } else if (p.percents > 0 && p.percents + p.percent_plain >= need) {
            col.type = ColumnType::kDecimal;
            col.percent = true;
            col.format = "percent";
        } else if (p.floats >= need) {
            col.type = ColumnType::kFloat;
            col.format = "float";
        } else if (p.dates >= need) {
            col.type = p.with_time > 0 ? ColumnType::kTimestamp : ColumnType::kDate;
            // Numeric dates: a first number above 12 means day first; a second above 12, month first.
            col.numeric_dates_dmy = p.first_gt12 > p.second_gt12;
            col.format = DateFormatName(p, col.numeric_dates_dmy, p.with_time > 0);
        } else {
            col.type = ColumnType::kString;
            col.format = "text";
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

        if (auto h = hints.find(col.name); h != hints.end()) {
            col.hinted = true;
            if (h->second.type && *h->second.type != col.type) {
                col.type = *h->second.type;
                col.currency = col.percent = false;
                col.format = std::string("hint: ") + TypeName(col.type);
                if (col.temporal()) col.role = ColumnRole::kTime;
                else if (col.numeric()) col.role = ColumnRole::kMeasure;
                else if (col.role == ColumnRole::kTime || col.role == ColumnRole::kMeasure) col.role = ColumnRole::kDimension;
            }
            if (h->second.role) col.role = *h->second.role;
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
