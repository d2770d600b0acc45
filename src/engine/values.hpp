// Parsing of single field values: null tokens, integers, exact decimals, floats, booleans,
// currency, percentages, dates and timestamps. Pure functions over byte spans; no allocation.
// These are the product's type rules: ZIP codes and ids with leading zeros are not numbers,
// money keeps every cent, and day/month order is decided later from the whole column.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace insightstream::engine {

using int128 = __int128;

/// Decimal values are integers scaled by 10^kDecimalScale: exact for up to 9 fractional digits.
inline constexpr int kDecimalScale = 9;
inline constexpr int64_t kDecimalUnit = 1'000'000'000;

/// 10^n for 0 <= n <= 9 (a table: parsers index it per value), and for any 0 <= n <= 38.
inline constexpr int64_t kPow10[] = {1, 10, 100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000,
                                     1'000'000'000};
inline int128 Pow10(int n) {
    int128 p = 1;
    for (int i = 0; i < n; ++i) p *= 10;
    return p;
}

/// Spaces and tabs around a value (and a stray CR at its end) are not part of it.
/// Writes v (0 <= v < 10^width) as exactly `width` digits, zero-padded, at out; returns the end.
inline char* WriteDigits(char* out, int64_t v, int width) {
    for (int k = width - 1; k >= 0; --k) {
        out[k] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return out + width;
}

inline std::string_view TrimSpaces(std::string_view s) {
    // Most values start and end with a visible character: two compares.
    if (!s.empty() && static_cast<unsigned char>(s.front()) > ' ' && static_cast<unsigned char>(s.back()) > ' ') return s;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
/// A trimmed value of at most four characters that is a null token.
bool IsShortNullToken(std::string_view trimmed);
/// Empty, NA, N/A, null, NULL, None, -, NaN, #N/A (any case, spaces around ignored).
inline bool IsNullToken(std::string_view s) {
    s = TrimSpaces(s);
    return s.size() <= 4 && IsShortNullToken(s);
}

/// "[+-]digits" without leading zeros ("0" itself is fine) and within int64.
bool ParseInteger(std::string_view s, int64_t* out);
/// True for digit strings with a leading zero ("007", "02134"): identifiers, not numbers.
bool HasLeadingZero(std::string_view s);

/// How a column writes the decimal mark: "1,234.56" (point) or "1.234,56" (comma). Thousands
/// are grouped with the other of the two, a space (also no-break and narrow no-break), or an
/// apostrophe; a value uses one grouping character.
enum class DecimalMark : uint8_t { kPoint, kComma };

struct DecimalParse {
    int128 value = 0;   // scaled by 10^9
    int frac_digits = 0;  // fractional digits written (for display; at most 9)
    bool grouped = false;  // used thousands separators
    bool rounded = false;  // had more than 9 fractional digits, rounded half to even to 9
    bool mark_seen = false;  // the value contains the decimal mark
};
/// "[+-]digits[.digits]" or ".5", with optional thousands separators in groups of three, or
/// "(1,234.50)" (negative, as accountants write it); at most 27 integer digits. More than 9
/// fractional digits are rounded to 9 and flagged `rounded`.
bool ParseDecimal(std::string_view s, DecimalParse* out, DecimalMark mark = DecimalMark::kPoint);

/// Any number strtod accepts in plain or exponent notation (no hex, no inf/nan).
bool ParseFloat(std::string_view s, double* out);

enum class BoolStyle : uint8_t { kNone = 0, kTrueFalse, kYesNo, kTF, kYN, kOneZero };
/// true/false, yes/no, t/f, y/n (any case) and 1/0; reports the style of the token.
bool ParseBool(std::string_view s, bool* out, BoolStyle* style);

/// "$1,234.50", "-$5", "($1,234.50)", "12,50 €" (with the comma mark); symbol before or
/// after: $ € £ ¥ ₹ ₩ and the codes USD EUR GBP JPY CHF CAD AUD INR CNY. Parentheses mean
/// negative. `symbol` is the symbol as written.
bool ParseCurrency(std::string_view s, DecimalParse* out, std::string* symbol, DecimalMark mark = DecimalMark::kPoint);
/// The currency a symbol stands for, so "$" and "USD" are one currency: "USD", "EUR", ...
std::string_view CurrencyCode(std::string_view symbol);
/// "12.5%" → 12.5 (the number as written, marked as a percentage).
bool ParsePercent(std::string_view s, DecimalParse* out, DecimalMark mark = DecimalMark::kPoint);

/// How a date was written. Numeric dates like 06/12/1998 are ambiguous until the whole column
/// decides the order, so the parse keeps the two leading components as written (p1, p2).
enum class DateStyle : uint8_t {
    kNone = 0,
    kIso,         // 2015-01-31, with optional time: ordered Y-M-D
    kYmdSlash,    // 2015/01/31 [time]
    kNumeric,     // 06/12/1998, 06-12-1998, 06.12.1998 [time]: order to be decided
    kMonthName,   // Jan 31 2000, January 31, 2000, 31 Jan 2000, 12-Jun-1998: unambiguous
};

struct DateParse {
    int32_t year = 0;
    int32_t p1 = 0;  // month for ordered styles; first number for kNumeric
    int32_t p2 = 0;  // day for ordered styles; second number for kNumeric
    bool ordered = true;  // false for kNumeric
    bool has_time = false;
    int32_t seconds_of_day = 0;
    int32_t millis = 0;
    bool has_offset = false;
    int32_t offset_minutes = 0;  // east of UTC
    DateStyle style = DateStyle::kNone;
    char separator = 0;  // between the numbers of a kNumeric date: '/', '-' or '.'
};
/// A date or timestamp as written. Ordered dates must exist in the calendar (2024-02-30 does
/// not); numeric dates must exist under at least one order (checked again once it is known).
bool ParseDate(std::string_view s, DateParse* out);
/// "20240131": eight digits, an existing date between the years 1000 and 9999.
bool ParseCompactDate(std::string_view s, DateParse* out);
/// Seconds (or milliseconds) since the Unix epoch, as an integer, into a UTC timestamp.
bool ParseEpoch(std::string_view s, bool millis, DateParse* out);

/// The date exists in the proleptic Gregorian calendar (no 30 February, no 31 April).
bool IsCivilDate(int32_t y, int32_t m, int32_t d);
/// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, size_t max);
/// Days since 1970-01-01 of a valid civil date; false if the date does not exist (e.g. Feb 30).
bool DaysFromCivil(int32_t y, int32_t m, int32_t d, int32_t* days);
void CivilFromDays(int32_t days, int32_t* y, int32_t* m, int32_t* d);
/// "2024-02-29" for a day number.
std::string FormatDate(int32_t days);
/// "2024-02-29T13:05:00Z" for seconds since the epoch.
std::string FormatTimestamp(int64_t epoch_seconds);

/// A float in 10^-9 units, as the engine sums it (rounded to the unit, so sums are exact and the
/// same for any thread count); false beyond the range sums stay exact in (|value| > 1e28).
inline bool FloatUnits(double f, int128* units) {
    constexpr double kUnitsPerValue = 1e9;
    constexpr double kMaxFloatUnits = 1e37;
    if (!(f * kUnitsPerValue <= kMaxFloatUnits && f * kUnitsPerValue >= -kMaxFloatUnits)) return false;
    *units = f < 9e9 && f > -9e9 ? static_cast<int128>(__builtin_llround(f * kUnitsPerValue))
                                 : static_cast<int128>(f) * kDecimalUnit;
    return true;
}

/// Exact text of a scaled decimal with `frac_digits` digits after the point (0..9).
std::string FormatDecimal(int128 scaled, int frac_digits);
double DecimalToDouble(int128 scaled);

}  // namespace insightstream::engine
