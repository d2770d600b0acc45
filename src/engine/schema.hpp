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

const char* TypeName(ColumnType t);
const char* RoleName(ColumnRole r);
bool ParseTypeName(std::string_view text, ColumnType* out);
bool ParseRoleName(std::string_view text, ColumnRole* out);

struct ColumnSpec {
    std::string name;
    ColumnType type = ColumnType::kString;
    ColumnRole role = ColumnRole::kDimension;
    std::string format;  // how values are written, for people: "YYYY-MM-DD", "currency $", "percent", ...
    bool currency = false;
    bool percent = false;
    std::string currency_symbol;
    bool numeric_dates_dmy = false;  // for DD/MM vs MM/DD dates: the sample's decision (the column's is final)
    bool hinted = false;
    [[nodiscard]] bool numeric() const {
        return type == ColumnType::kInteger || type == ColumnType::kDecimal || type == ColumnType::kFloat;
    }
    [[nodiscard]] bool temporal() const { return type == ColumnType::kDate || type == ColumnType::kTimestamp; }
};

struct TypeHint {
    std::optional<ColumnType> type;
    std::optional<ColumnRole> role;
};

struct Schema {
    std::vector<ColumnSpec> columns;
    int primary_time = -1;   // the time column breakdowns and KPIs use
    int main_measure = -1;   // the measure KPIs headline (revenue, sales, amount, ... or the first)
};

/// Infers a schema from sample rows (each the fields of one record, in column order; a missing
/// field is a null). `hints` are keyed by column name.
Schema InferSchema(const std::vector<std::string>& names, const std::vector<std::vector<std::string>>& rows,
                   const std::map<std::string, TypeHint>& hints);

/// Makes header names usable and unique: trims, names empty ones "column_<n>", and suffixes
/// repeats with "_2", "_3", ...
std::vector<std::string> UniqueColumnNames(const std::vector<std::string>& raw);

}  // namespace insightstream::engine
