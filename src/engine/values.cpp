#include "engine/values.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace insightstream::engine {

namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (Lower(a[i]) != Lower(b[i])) return false;
    }
    return true;
}

// Reads 1..max_digits digits at s[*i]; false if none.
bool ReadNumber(std::string_view s, size_t* i, int max_digits, int32_t* out) {
    int32_t v = 0;
    int n = 0;
    while (*i < s.size() && IsDigit(s[*i]) && n < max_digits) {
        v = v * 10 + (s[*i] - '0');
        ++*i;
        ++n;
    }
    if (n == 0 || (*i < s.size() && IsDigit(s[*i]))) return false;
    *out = v;
    return true;
}

bool ReadFixedDigits(std::string_view s, size_t i, int n, int32_t* out) {
    if (i + static_cast<size_t>(n) > s.size()) return false;
    int32_t v = 0;
    for (int k = 0; k < n; ++k) {
        char c = s[i + static_cast<size_t>(k)];
        if (!IsDigit(c)) return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kMonthsLong[] = {"january", "february", "march",     "april",   "may",      "june",
                                       "july",    "august",   "september", "october", "november", "december"};

// Reads a month name (three letters or full, any case; "Sept" too) at s[*i].
bool ReadMonthName(std::string_view s, size_t* i, int32_t* month) {
    size_t start = *i;
    while (*i < s.size() && std::isalpha(static_cast<unsigned char>(s[*i]))) ++*i;
    std::string_view word = s.substr(start, *i - start);
    if (word.size() < 3) return false;
    for (int m = 0; m < 12; ++m) {
        if (EqualsNoCase(word, kMonths[m]) || EqualsNoCase(word, kMonthsLong[m]) ||
            (m == 8 && EqualsNoCase(word, "sept"))) {
            *month = m + 1;
            return true;
        }
    }
    return false;
}

// Optional time after a date: [T or space]HH:MM[:SS[.fff]][ ][Z|+HH:MM|+HHMM|-..|UTC]
bool ReadTime(std::string_view s, size_t i, DateParse* d) {
    if (i == s.size()) return true;
    if (s[i] != 'T' && s[i] != ' ') return false;
    ++i;
    while (i < s.size() && s[i] == ' ') ++i;
    int32_t hh, mm, ss = 0;
    if (!ReadFixedDigits(s, i, 2, &hh)) {
        if (!ReadFixedDigits(s, i, 1, &hh)) return false;
        i += 1;
    } else {
        i += 2;
    }
    if (i >= s.size() || s[i] != ':') return false;
    if (!ReadFixedDigits(s, i + 1, 2, &mm)) return false;
    i += 3;
    if (i < s.size() && s[i] == ':') {
        if (!ReadFixedDigits(s, i + 1, 2, &ss)) return false;
        i += 3;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
            ++i;
            int digits = 0;
            int32_t ms = 0;
            while (i < s.size() && IsDigit(s[i])) {
                if (digits < 3) ms = ms * 10 + (s[i] - '0');
                ++digits;
                ++i;
            }
            if (digits == 0) return false;
            while (digits < 3) {
                ms *= 10;
                ++digits;
            }
            d->millis = ms;
        }
    }
    if (hh > 23 || mm > 59 || ss > 60) return false;
    // 12-hour clock with AM/PM.
    size_t j = i;
    while (j < s.size() && s[j] == ' ') ++j;
    if (j + 2 <= s.size() && (EqualsNoCase(s.substr(j, 2), "am") || EqualsNoCase(s.substr(j, 2), "pm")) &&
        (j + 2 == s.size() || s[j + 2] == ' ')) {
        if (hh < 1 || hh > 12) return false;
        bool pm = Lower(s[j]) == 'p';
        hh = hh % 12 + (pm ? 12 : 0);
        i = j + 2;
    }
    d->has_time = true;
    d->seconds_of_day = hh * 3600 + mm * 60 + std::min(ss, 59);
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) return true;
    if (s[i] == 'Z' && i + 1 == s.size()) {
        d->has_offset = true;
        return true;
    }
    if (EqualsNoCase(s.substr(i), "utc") || EqualsNoCase(s.substr(i), "gmt")) {
        d->has_offset = true;
        return true;
    }
    if (s[i] == '+' || s[i] == '-') {
        int sign = s[i] == '-' ? -1 : 1;
        int32_t oh, om = 0;
        if (!ReadFixedDigits(s, i + 1, 2, &oh)) return false;
        size_t k = i + 3;
        if (k < s.size() && s[k] == ':') ++k;
        if (k < s.size()) {
            if (!ReadFixedDigits(s, k, 2, &om)) return false;
            k += 2;
        }
        if (k != s.size() || oh > 14 || om > 59) return false;
        d->has_offset = true;
        d->offset_minutes = sign * (oh * 60 + om);
        return true;
    }
    return false;
}

}  // namespace

bool IsCivilDate(int32_t y, int32_t m, int32_t d) {
    static constexpr int8_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    if (d <= kDays[m - 1]) return true;
    return m == 2 && d == 29 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

bool IsShortNullToken(std::string_view s) {
    switch (s.size()) {
        case 0: return true;
        case 1: return s[0] == '-';
        case 2: return EqualsNoCase(s, "na");
        case 3: return EqualsNoCase(s, "n/a") || EqualsNoCase(s, "nan");
        case 4: return EqualsNoCase(s, "null") || EqualsNoCase(s, "none") || EqualsNoCase(s, "#n/a");
        default: return false;
    }
}

bool HasLeadingZero(std::string_view s) {
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    return s.size() > 1 && s[0] == '0' && IsDigit(s[1]);
}

bool ParseInteger(std::string_view s, int64_t* out) {
    if (s.empty()) return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == s.size() || s.size() - i > 19) return false;
    if (s[i] == '0' && s.size() - i > 1) return false;  // leading zero: an identifier
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (!IsDigit(c)) return false;
        v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    if (v > static_cast<uint64_t>(INT64_MAX) + (neg ? 1 : 0)) return false;
    *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
}

namespace {

// The plain form, [-+]digits[<mark>digits] with at most 18 integer and 9 fraction digits and
// at least one digit before the mark: most values in a file. Anything else (thousands
// separators, ".5", "5.", longer numbers) is left to the general parser, which gives the same
// answer for the plain form.
bool ParsePlainDecimal(std::string_view s, DecimalParse* out, char point) {
    const size_t n = s.size();
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    const size_t int_start = i;
    uint64_t ip = 0;
    while (i < n && IsDigit(s[i])) ip = ip * 10 + static_cast<uint64_t>(s[i++] - '0');
    const size_t int_digits = i - int_start;
    if (int_digits == 0 || int_digits > 18) return false;
    int64_t fp = 0;
    int frac = 0;
    if (i < n) {
        if (s[i] != point || n - i - 1 == 0 || n - i - 1 > static_cast<size_t>(kDecimalScale)) return false;
        for (++i; i < n; ++i) {
            if (!IsDigit(s[i])) return false;
            fp = fp * 10 + (s[i] - '0');
            ++frac;
        }
    }
    int128 v = static_cast<int128>(ip) * kDecimalUnit + fp * kPow10[kDecimalScale - frac];
    out->value = s[0] == '-' ? -v : v;
    out->frac_digits = frac;
    out->grouped = false;
    out->rounded = false;
    out->mark_seen = frac > 0;
    return true;
}

// The byte length of a thousands separator at s[i] for this decimal mark, or 0.
size_t GroupSeparatorAt(std::string_view s, size_t i, DecimalMark mark) {
    char c = s[i];
    if (c == (mark == DecimalMark::kPoint ? ',' : '.') || c == ' ' || c == '\'') return 1;
    if (s.substr(i, 2) == "\xC2\xA0") return 2;      // no-break space
    if (s.substr(i, 3) == "\xE2\x80\xAF") return 3;  // narrow no-break space
    return 0;
}
}  // namespace

bool ParseDecimal(std::string_view s, DecimalParse* out, DecimalMark mark) {
    if (s.empty()) return false;
    const char point = mark == DecimalMark::kPoint ? '.' : ',';
    if (ParsePlainDecimal(s, out, point)) return true;
    bool neg = false;
    if (s.size() >= 3 && s.front() == '(' && s.back() == ')') {
        // (1,234.50): negative, as accountants write it; no sign inside.
        s = s.substr(1, s.size() - 2);
        if (s[0] == '-' || s[0] == '+') return false;
        neg = true;
    }
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    int128 ip = 0;
    int int_digits = 0;
    int group_len = -1;  // digits since the last separator (-1: no separator seen)
    std::string_view group;  // the separator this value uses
    while (i < s.size()) {
        char c = s[i];
        if (IsDigit(c)) {
            if (int_digits >= 27) return false;
            ip = ip * 10 + (c - '0');
            ++int_digits;
            if (group_len >= 0) ++group_len;
            ++i;
            continue;
        }
        size_t g = GroupSeparatorAt(s, i, mark);
        if (g == 0) break;
        // Thousands separators: the first group 1-3 digits, every later group exactly 3, one kind.
        std::string_view kind = s.substr(i, g);
        if (int_digits == 0 || (group_len >= 0 && (group_len != 3 || kind != group)) || (group_len < 0 && int_digits > 3)) {
            return false;
        }
        group = kind;
        group_len = 0;
        i += g;
    }
    if (group_len >= 0 && group_len != 3) return false;
    int frac = 0;
    int64_t fp = 0;
    bool mark_seen = false, rounded = false;
    if (i < s.size()) {
        if (s[i] != point) return false;
        mark_seen = true;
        ++i;
        int extra = 0;          // digits beyond the 9th
        int first_extra = 0;    // the 10th digit
        bool sticky = false;    // any non-zero digit after the 10th
        for (; i < s.size(); ++i) {
            char c = s[i];
            if (!IsDigit(c)) return false;
            if (frac < kDecimalScale) {
                fp = fp * 10 + (c - '0');
                ++frac;
            } else {
                if (++extra > 60) return false;
                if (extra == 1) first_extra = c - '0';
                else sticky = sticky || c != '0';
            }
        }
        if (frac == 0 && int_digits == 0) return false;
        if (extra > 0) {
            // Round half to even to 10^-9.
            rounded = true;
            bool up = first_extra > 5 || (first_extra == 5 && (sticky || (fp & 1) != 0));
            if (up && ++fp == kDecimalUnit) {
                fp = 0;
                ip += 1;
            }
        }
    }
    if (int_digits == 0 && frac == 0) return false;
    int128 v = ip * kDecimalUnit + static_cast<int128>(fp * kPow10[kDecimalScale - frac]);
    out->value = neg ? -v : v;
    out->frac_digits = frac;
    out->grouped = group_len >= 0;
    out->rounded = rounded;
    out->mark_seen = mark_seen;
    return true;
}

bool ParseFloat(std::string_view s, double* out) {
    if (s.empty() || s.size() > 64) return false;
    // Only plain decimal or exponent notation: digits, one point, e/E with optional sign.
    bool digit = false;
    for (char c : s) {
        if (IsDigit(c)) digit = true;
        else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') return false;
    }
    if (!digit) return false;
    char buf[72];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    char* end = nullptr;
    double v = std::strtod(buf, &end);
    if (end != buf + s.size() || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

bool ParseBool(std::string_view s, bool* out, BoolStyle* style) {
    if (s == "true" || s == "false") {  // as most files write them
        *out = s.size() == 4;
        *style = BoolStyle::kTrueFalse;
        return true;
    }
    switch (s.size()) {
        case 1:
            switch (Lower(s[0])) {
                case 't': *out = true; *style = BoolStyle::kTF; return true;
                case 'f': *out = false; *style = BoolStyle::kTF; return true;
                case 'y': *out = true; *style = BoolStyle::kYN; return true;
                case 'n': *out = false; *style = BoolStyle::kYN; return true;
                case '1': *out = true; *style = BoolStyle::kOneZero; return true;
                case '0': *out = false; *style = BoolStyle::kOneZero; return true;
                default: return false;
            }
        case 2:
        case 3:
        case 4:
        case 5: {
            // One word per length: no, yes, true, false.
            struct Word {
                std::string_view text;
                bool value;
                BoolStyle style;
            };
            static constexpr Word kWords[] = {{"no", false, BoolStyle::kYesNo},
                                              {"yes", true, BoolStyle::kYesNo},
                                              {"true", true, BoolStyle::kTrueFalse},
                                              {"false", false, BoolStyle::kTrueFalse}};
            const Word& w = kWords[s.size() - 2];
            if (!EqualsNoCase(s, w.text)) return false;
            *out = w.value;
            *style = w.style;
            return true;
        }
        default:
            return false;
    }
}

namespace {
struct Currency {
    std::string_view symbol;
    std::string_view code;
};
// Symbols before codes that contain them; "$" is read as the US dollar, "¥" as the yen.
constexpr Currency kCurrencies[] = {
    {"$", "USD"},   {"\xE2\x82\xAC", "EUR"}, {"\xC2\xA3", "GBP"}, {"\xC2\xA5", "JPY"}, {"\xE2\x82\xB9", "INR"},
    {"\xE2\x82\xA9", "KRW"}, {"USD", "USD"}, {"EUR", "EUR"}, {"GBP", "GBP"}, {"JPY", "JPY"},
    {"CHF", "CHF"}, {"CAD", "CAD"}, {"AUD", "AUD"}, {"INR", "INR"}, {"CNY", "CNY"},
};
}  // namespace

std::string_view CurrencyCode(std::string_view symbol) {
    for (const auto& c : kCurrencies) {
        if (c.symbol == symbol) return c.code;
    }
    return symbol;
}

bool ParseCurrency(std::string_view s, DecimalParse* out, std::string* symbol, DecimalMark mark) {
    s = TrimSpaces(s);
    bool paren = false;
    if (s.size() >= 2 && s.front() == '(' && s.back() == ')') {
        paren = true;
        s = TrimSpaces(s.substr(1, s.size() - 2));
    }
    bool neg = false;
    if (!s.empty() && s[0] == '-') {
        neg = true;
        s = s.substr(1);
    }
    // A symbol is at the start or the end: a quick look at those bytes rules most text out
    // before any comparison ($, the lead byte of € £ ¥ ₹ ₩ and the last byte of each, or three
    // capital letters of a code).
    auto code_at = [&](size_t i) {
        return i + 3 <= s.size() && s[i] >= 'A' && s[i] <= 'Z' && s[i + 1] >= 'A' && s[i + 1] <= 'Z' && s[i + 2] >= 'A' &&
               s[i + 2] <= 'Z';
    };
    auto lead = [](unsigned char c) { return c == '$' || c == 0xC2 || c == 0xE2; };
    auto last = [](unsigned char c) { return c == '$' || c == 0xA3 || c == 0xA5 || c == 0xAC || c == 0xB9 || c == 0xA9; };
    if (s.empty() || !(lead(static_cast<unsigned char>(s.front())) || last(static_cast<unsigned char>(s.back())) ||
                       code_at(0) || (s.size() >= 3 && code_at(s.size() - 3)))) {
        return false;
    }
    std::string_view found;
    for (const auto& c : kCurrencies) {
        if (s.starts_with(c.symbol)) {
            found = c.symbol;
            s = TrimSpaces(s.substr(c.symbol.size()));
            break;
        }
        if (s.ends_with(c.symbol)) {
            found = c.symbol;
            s = TrimSpaces(s.substr(0, s.size() - c.symbol.size()));
            break;
        }
    }
    if (found.empty()) return false;
    if (!s.empty() && s[0] == '-') {
        if (neg) return false;
        neg = true;
        s = s.substr(1);
    }
    if (s.empty() || s[0] == '+' || s[0] == '-' || s[0] == '(') return false;
    if (neg && paren) return false;
    if (!ParseDecimal(s, out, mark)) return false;
    if (neg || paren) out->value = -out->value;
    *symbol = std::string(found);
    return true;
}

bool ParsePercent(std::string_view s, DecimalParse* out, DecimalMark mark) {
    s = TrimSpaces(s);
    if (s.size() < 2 || s.back() != '%') return false;
    return ParseDecimal(TrimSpaces(s.substr(0, s.size() - 1)), out, mark);
}

bool ParseDate(std::string_view s, DateParse* out) {
    s = TrimSpaces(s);
    if (s.size() < 6 || s.size() > 40) return false;
    DateParse d;
    // The most common form, YYYY-MM-DD alone, without the general reader.
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        auto digit = [&](size_t k) { return static_cast<int32_t>(s[k] - '0'); };
        bool digits = true;
        for (size_t k : {0, 1, 2, 3, 5, 6, 8, 9}) digits = digits && IsDigit(s[k]);
        if (digits) {
            d.year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
            d.p1 = digit(5) * 10 + digit(6);
            d.p2 = digit(8) * 10 + digit(9);
            d.style = DateStyle::kIso;
            if (!IsCivilDate(d.year, d.p1, d.p2)) return false;
            *out = d;
            return true;
        }
    }
    size_t i = 0;
    if (IsDigit(s[0])) {
        int32_t a;
        if (!ReadNumber(s, &i, 4, &a) || i >= s.size()) return false;
        char sep = s[i];
        size_t digits_a = i;
        if (digits_a == 4 && (sep == '-' || sep == '/')) {
            // YYYY-MM-DD or YYYY/MM/DD
            int32_t m, day;
            ++i;
            if (!ReadNumber(s, &i, 2, &m) || i >= s.size() || s[i] != sep) return false;
            ++i;
            if (!ReadNumber(s, &i, 2, &day)) return false;
            d.year = a;
            d.p1 = m;
            d.p2 = day;
            d.style = sep == '-' ? DateStyle::kIso : DateStyle::kYmdSlash;
        } else if (digits_a <= 2 && (sep == '/' || sep == '-' || sep == '.' || sep == ' ')) {
            ++i;
            if (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) {
                // 12-Jun-1998, 12 June 1998
                int32_t m, y;
                if (!ReadMonthName(s, &i, &m) || i >= s.size() || (s[i] != sep && s[i] != ' ')) return false;
                ++i;
                if (!ReadNumber(s, &i, 4, &y) || y < 1000) return false;
                d.year = y;
                d.p1 = m;
                d.p2 = a;
                d.style = DateStyle::kMonthName;
            } else {
                if (sep == ' ') return false;
                int32_t b, y;
                if (!ReadNumber(s, &i, 2, &b) || i >= s.size() || s[i] != sep) return false;
                ++i;
                if (!ReadNumber(s, &i, 4, &y) || y < 1000) return false;
                d.year = y;
                d.p1 = a;
                d.p2 = b;
                d.ordered = false;
                d.style = DateStyle::kNumeric;
                d.separator = sep;
            }
        } else {
            return false;
        }
    } else {
        // Jan 31 2000, January 31, 2000, Jan 31st, 2000
        int32_t m, day, y;
        if (!ReadMonthName(s, &i, &m)) return false;
        if (i < s.size() && s[i] == '.') ++i;
        if (i >= s.size() || (s[i] != ' ' && s[i] != '-')) return false;
        ++i;
        if (!ReadNumber(s, &i, 2, &day)) return false;
        if (i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) i += 2;  // st, nd, rd, th
        if (i < s.size() && s[i] == ',') ++i;
        if (i >= s.size() || (s[i] != ' ' && s[i] != '-')) return false;
        ++i;
        if (!ReadNumber(s, &i, 4, &y) || y < 1000) return false;
        d.year = y;
        d.p1 = m;
        d.p2 = day;
        d.style = DateStyle::kMonthName;
    }
    if (d.ordered) {
        if (!IsCivilDate(d.year, d.p1, d.p2)) return false;
    } else if (!IsCivilDate(d.year, d.p1, d.p2) && !IsCivilDate(d.year, d.p2, d.p1)) {
        return false;  // no order makes it a date (31/02, 02/30, 13/13)
    }
    if (!ReadTime(s, i, &d)) return false;
    *out = d;
    return true;
}

std::string_view Utf8Prefix(std::string_view s, size_t max) {
    if (s.size() <= max) return s;
    size_t n = max;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // s[n] continues a sequence
    return s.substr(0, n);
}

bool ParseCompactDate(std::string_view s, DateParse* out) {
    s = TrimSpaces(s);
    if (s.size() != 8) return false;
    int32_t y, m, d;
    if (!ReadFixedDigits(s, 0, 4, &y) || !ReadFixedDigits(s, 4, 2, &m) || !ReadFixedDigits(s, 6, 2, &d)) return false;
    if (y < 1000 || !IsCivilDate(y, m, d)) return false;
    *out = DateParse{};
    out->year = y;
    out->p1 = m;
    out->p2 = d;
    out->style = DateStyle::kIso;
    return true;
}

bool ParseEpoch(std::string_view s, bool millis, DateParse* out) {
    int64_t v;
    if (!ParseInteger(TrimSpaces(s), &v)) return false;
    int64_t ms = 0;
    if (millis) {
        ms = v % 1000;
        v = v / 1000;
        if (ms < 0) {
            ms += 1000;
            --v;
        }
    }
    // 1900-01-01 to 2200-01-01: anything else is not a plausible event time.
    constexpr int64_t kMin = -2208988800LL, kMax = 7258118400LL;
    if (v < kMin || v >= kMax) return false;
    int64_t day = v >= 0 ? v / 86400 : (v - 86399) / 86400;
    *out = DateParse{};
    CivilFromDays(static_cast<int32_t>(day), &out->year, &out->p1, &out->p2);
    out->has_time = true;
    out->has_offset = true;
    out->seconds_of_day = static_cast<int32_t>(v - day * 86400);
    out->millis = static_cast<int32_t>(ms);
    out->style = DateStyle::kIso;
    return true;
}

// Howard Hinnant's civil-from-days algorithms (public domain).
bool DaysFromCivil(int32_t y, int32_t m, int32_t d, int32_t* days) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > kDays[m - 1] + (m == 2 && leap ? 1 : 0)) return false;
    y -= m <= 2;
    const int32_t era = (y >= 0 ? y : y - 399) / 400;
    const uint32_t yoe = static_cast<uint32_t>(y - era * 400);
    const uint32_t doy = (153 * static_cast<uint32_t>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<uint32_t>(d) - 1;
    const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + static_cast<int32_t>(doe) - 719468;
    return true;
}

void CivilFromDays(int32_t z, int32_t* y, int32_t* m, int32_t* d) {
    z += 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const uint32_t doe = static_cast<uint32_t>(z - era * 146097);
    const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int32_t yy = static_cast<int32_t>(yoe) + era * 400;
    const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const uint32_t mp = (5 * doy + 2) / 153;
    *d = static_cast<int32_t>(doy - (153 * mp + 2) / 5 + 1);
    *m = static_cast<int32_t>(mp < 10 ? mp + 3 : mp - 9);
    *y = yy + (*m <= 2);
}

std::string FormatDate(int32_t days) {
    int32_t y, m, d;
    CivilFromDays(days, &y, &m, &d);
    if (y >= 0 && y <= 9999) {
        // The common case without printf (answers render thousands of dates).
        char buf[10];
        char* p = WriteDigits(buf, y, 4);
        *p++ = '-';
        p = WriteDigits(p, m, 2);
        *p++ = '-';
        WriteDigits(p, d, 2);
        return std::string(buf, sizeof buf);
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return buf;
}

std::string FormatTimestamp(int64_t epoch_seconds) {
    int64_t days = epoch_seconds / 86400;
    int64_t rem = epoch_seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    int32_t y, m, d;
    CivilFromDays(static_cast<int32_t>(days), &y, &m, &d);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, static_cast<int>(rem / 3600),
                  static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
    return buf;
}

std::string FormatDecimal(int128 scaled, int frac_digits) {
    bool neg = scaled < 0;
    unsigned __int128 v = neg ? static_cast<unsigned __int128>(-(scaled + 1)) + 1 : static_cast<unsigned __int128>(scaled);
    unsigned __int128 ip = v / kDecimalUnit;
    auto fp = static_cast<uint64_t>(v % kDecimalUnit);
    // Written backwards into one buffer (at most 40 integer digits, a sign, a point and 9
    // fractional digits), then made a string once.
    char buf[64];
    size_t at = sizeof buf;
    if (frac_digits > 0) {
        const int keep = std::min(frac_digits, kDecimalScale);
        for (int k = kDecimalScale; k > keep; --k) fp /= 10;  // the digits beyond `keep` are cut
        for (int k = 0; k < keep; ++k) {
            buf[--at] = static_cast<char>('0' + fp % 10);
            fp /= 10;
        }
        buf[--at] = '.';
    }
    do {
        buf[--at] = static_cast<char>('0' + static_cast<int>(ip % 10));
        ip /= 10;
    } while (ip > 0);
    if (neg) buf[--at] = '-';
    return std::string(buf + at, sizeof buf - at);
}

double DecimalToDouble(int128 scaled) {
    // Integer and fractional parts separately, so values within 2^53 units convert exactly.
    auto ip = static_cast<double>(scaled / kDecimalUnit);
    auto fp = static_cast<double>(static_cast<int64_t>(scaled % kDecimalUnit));
    return ip + fp / static_cast<double>(kDecimalUnit);
}

}  // namespace insightstream::engine
