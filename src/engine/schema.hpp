// Column types, roles and their inference from a sample of the file. The sample proposes; the
// whole column confirms: values that later break the type are counted and reported per column,
// never silently turned into nulls. Uploads may pass per-column type hints that win.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/values.hpp"

namespace insightstream::engine {

enum class ColumnType : uint8_t { kString, kInteger, kDecimal, kFloat, kBoolean, kDate, kTimestamp };
enum class ColumnRole : uint8_t { kDimension, kMeasure, kTime, kIdentifier };
/// The order of day and month in numeric dates (06/12/1998), and where the order came from:
/// the data (a number above 12), the separator's convention (dots: day first), a hint from the
/// user, or nothing at all (assumed month first: the dashboard asks to confirm).
enum class DateOrder : uint8_t { kMdy, kDmy };
enum class OrderSource : uint8_t { kNone, kData, kSeparator, kHint, kAssumed };
/// How a date column is written when it is not text: yyyymmdd integers, or epoch seconds or
/// milliseconds.
enum class DateEncoding : uint8_t { kText, kCompact, kEpochSeconds, kEpochMillis };

const char* TypeName(ColumnType t);
const char* RoleName(ColumnRole r);
bool ParseTypeName(std::string_view text, ColumnType* out);
bool ParseRoleName(std::string_view text, ColumnRole* out);
const char* DateOrderName(DateOrder o);        // "MDY", "DMY"
const char* OrderSourceName(OrderSource s);    // "data", "separator", "hint", "assumed"

struct ColumnSpec {
    std::string name;
    ColumnType type = ColumnType::kString;
    ColumnRole role = ColumnRole::kDimension;
    std::string format;  // how values are written, for people: "YYYY-MM-DD", "currency $", "percent", ...
    bool currency = false;
    bool percent = false;
    std::string currency_symbol;
    DecimalMark decimal_mark = DecimalMark::kPoint;
    // Numeric dates: the order the pass reads them in (the sample's decision or a hint); the whole
    // column decides at the end unless it was hinted.
    DateOrder date_order = DateOrder::kMdy;
    OrderSource order_source = OrderSource::kNone;
    DateEncoding date_encoding = DateEncoding::kText;
    bool hinted = false;
    // No value in the sample (and the sample is not the whole file): typed from the values of a
    // first pass, and counted on a second one.
    bool late = false;
    [[nodiscard]] bool numeric() const {
        return type == ColumnType::kInteger || type == ColumnType::kDecimal || type == ColumnType::kFloat;
    }
    [[nodiscard]] bool temporal() const { return type == ColumnType::kDate || type == ColumnType::kTimestamp; }
};

/// A date or timestamp value as the column writes it (text, yyyymmdd, epoch seconds or ms).
inline bool ParseTemporal(const ColumnSpec& spec, std::string_view v, DateParse* d) {
    switch (spec.date_encoding) {
        case DateEncoding::kText: return ParseDate(v, d);
        case DateEncoding::kCompact: return ParseCompactDate(v, d);
        case DateEncoding::kEpochSeconds: return ParseEpoch(v, false, d);
        case DateEncoding::kEpochMillis: return ParseEpoch(v, true, d);
    }
    return false;
}

/// A value of an integer column that is not a plain int64: a fraction or an integer beyond int64
/// widens the column exactly; a value with thousands separators is not an integer's.
inline bool ParseWidenedInteger(const ColumnSpec& spec, std::string_view v, DecimalParse* d) {
    return ParseDecimal(v, d, spec.decimal_mark) && !d->grouped;
}
/// A value of a decimal column: a plain number, or a currency amount or percentage where the
/// column is one (`symbol` is the currency as written).
inline bool ParseDecimalValue(const ColumnSpec& spec, std::string_view v, DecimalParse* d, std::string* symbol) {
    if (ParseDecimal(v, d, spec.decimal_mark)) return true;
    if (spec.currency && ParseCurrency(v, d, symbol, spec.decimal_mark)) return true;
    return spec.percent && ParsePercent(v, d, spec.decimal_mark);
}

struct TypeHint {
    std::optional<ColumnType> type;
    std::optional<ColumnRole> role;
    std::optional<DateOrder> date_order;
    std::optional<DecimalMark> decimal_mark;
    std::optional<DateEncoding> date_encoding;
};

/// A type hint as the API writes it: a type name, optionally with a format after a colon:
/// "date:dmy", "date:mdy", "date:yyyymmdd", "timestamp:epoch", "timestamp:epoch_ms",
/// "decimal:comma", "decimal:point". False (with `error`) for anything else.
bool ParseTypeHint(std::string_view text, TypeHint* out, std::string* error);
/// The hint text for a column as inferred (round-trips through ParseTypeHint).
std::string TypeHintText(const TypeHint& hint);

/// What another pass over the file must do differently, found by the pass before it (see
/// Analyze in engine.hpp): type the columns the sample had no value for from the values the
/// pass collected, add the JSON keys first seen after the sample, read numeric dates in the
/// order the whole column chose, and count the months of the groups a breakdown shows.
struct Refinement {
    std::map<std::string, std::vector<std::string>> late_values;  // column → its first values
    std::vector<std::string> new_keys;                            // JSON keys, in order of first line
    std::map<std::string, DateOrder> pass_orders;                 // time column → order
    std::map<std::string, std::vector<std::string>> seeds;        // dimension → group keys
    std::vector<std::string> reasons;                             // for people: why
    [[nodiscard]] bool empty() const {
        return late_values.empty() && new_keys.empty() && pass_orders.empty() && seeds.empty();
    }
    /// Adds what `next` asks for to this plan.
    void Merge(const Refinement& next);
    /// True if this asks for something `applied` did not already do.
    [[nodiscard]] bool AsksMoreThan(const Refinement& applied) const;
};

/// What inference needs to know beyond the sample rows.
struct InferOptions {
    char delimiter = ',';        // ';' files are European: a decimal comma unless the values say otherwise
    bool whole_file = false;     // the sample is the whole file: a column without values is empty, not late
    std::optional<DateOrder> date_order;      // the upload's default for every numeric date column
    std::optional<DecimalMark> decimal_mark;  // the upload's default for every number column
    const Refinement* refined = nullptr;      // a later pass: late values and pass orders
};

/// The day/month order of a column given the evidence: numeric dates whose first or second
/// number is above 12, and how many were written with dots.
struct OrderEvidence {
    int64_t first_gt12 = 0, second_gt12 = 0, dotted = 0, numeric = 0;
};
/// A hinted column keeps its order; else the data decides, then the separator; else month first,
/// marked assumed.
std::pair<DateOrder, OrderSource> DecideDateOrder(const OrderEvidence& e, const ColumnSpec& spec);

struct Schema {
    std::vector<ColumnSpec> columns;
    int primary_time = -1;   // the time column breakdowns and KPIs use
    int main_measure = -1;   // the measure KPIs headline (revenue, sales, amount, ... or the first)
};

/// Infers a schema from sample rows (each the fields of one record, in column order; a missing
/// field is a null). `hints` are keyed by column name.
Schema InferSchema(const std::vector<std::string>& names, const std::vector<std::vector<std::string>>& rows,
                   const std::map<std::string, TypeHint>& hints, const InferOptions& options = {});

/// Makes header names usable and unique: trims, names empty ones "column_<n>", and suffixes
/// repeats with "_2", "_3", ... — never a name another column really has ("a,a,a_2" gives
/// "a", "a_3", "a_2").
std::vector<std::string> UniqueColumnNames(const std::vector<std::string>& raw);

}  // namespace insightstream::engine
