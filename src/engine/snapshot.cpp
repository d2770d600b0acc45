#include "engine/snapshot.hpp"

#include <algorithm>

namespace insightstream::engine {

using core::Result;
using parquet::LogicalKind;

namespace {

// The largest magnitude of a column's values in 10^-9 units, from its summary's exact minimum and
// maximum text; nullopt when unknown.
std::optional<int128> Magnitude(const ColumnSummary& s) {
    int128 m = 0;
    for (const auto* text : {&s.min, &s.max}) {
        if (!*text) return std::nullopt;
        DecimalParse d;
        if (!ParseDecimal(**text, &d)) return std::nullopt;
        m = std::max(m, d.value < 0 ? -d.value : d.value);
    }
    return m;
}

}  // namespace

std::vector<SnapshotColumn> SnapshotColumns(const InsightSet& analysed) {
    std::vector<SnapshotColumn> out;
    for (size_t c = 0; c < analysed.schema.columns.size(); ++c) {
        const ColumnSpec& spec = analysed.schema.columns[c];
        const ColumnSummary* sum = c < analysed.columns.size() ? &analysed.columns[c] : nullptr;
        SnapshotColumn col;
        col.spec = spec;
        col.dmy = sum != nullptr && sum->date_order == "DMY";
        col.integer_rules = spec.type == ColumnType::kDecimal && sum != nullptr && sum->widened > 0 &&
                            spec.format == "decimal (widened from integer)";
        switch (spec.type) {
            case ColumnType::kString: col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kString); break;
            case ColumnType::kBoolean: col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kBoolean); break;
            case ColumnType::kFloat: col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kDouble); break;
            case ColumnType::kDate: col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kDate); break;
            case ColumnType::kTimestamp: col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kTimestampMillis); break;
            case ColumnType::kInteger:
            case ColumnType::kDecimal: {
                const int scale = spec.type == ColumnType::kInteger || sum == nullptr ? 0 : sum->display_scale;
                // Unscaled values below 10^18 fit INT64; beyond, 16 bytes (precision 38).
                std::optional<int128> mag = sum == nullptr || sum->values == 0 ? std::optional<int128>(0) : Magnitude(*sum);
                bool wide = !mag || *mag / Pow10(kDecimalScale - scale) >= Pow10(18);
                if (spec.type == ColumnType::kInteger && !wide) {
                    col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kInt64);
                } else {
                    col.parquet = parquet::MakeColumn(spec.name, LogicalKind::kDecimal, scale, wide);
                }
                break;
            }
        }
        out.push_back(std::move(col));
    }
    return out;
}

SnapshotRows::SnapshotRows(const std::vector<SnapshotColumn>& columns)
    : columns_(columns), batches_(columns.size()), dicts_(columns.size()) {}

void SnapshotRows::AddRow(const std::vector<std::string_view>& fields, int64_t /*line*/) {
    ++rows;
    ++group_rows_;
    for (size_t c = 0; c < columns_.size(); ++c) {
        std::string_view v = c < fields.size() ? TrimSpaces(fields[c]) : std::string_view();
        bool defined = !(v.size() <= 4 && IsShortNullToken(v)) && AddValue(c, v);
        batches_[c].defined.push_back(defined ? 1 : 0);
    }
}

// Parses one value as the analysis does (Partial::AddRow); false when it breaks the column's
// type (the analysis counted it invalid).
bool SnapshotRows::AddValue(size_t c, std::string_view v) {
    const SnapshotColumn& col = columns_[c];
    const ColumnSpec& spec = col.spec;
    parquet::ColumnBatch& b = batches_[c];
    switch (spec.type) {
        case ColumnType::kString:
            b.codes.push_back(dicts_[c].FindOrInsert(v, SIZE_MAX));
            return true;
        case ColumnType::kBoolean: {
            bool x;
            BoolStyle style;
            if (!ParseBool(v, &x, &style)) return false;
            b.b.push_back(x ? 1 : 0);
            return true;
        }
        case ColumnType::kFloat: {
            double f;
            int128 units;
            if (!ParseFloat(v, &f) || !FloatUnits(f, &units)) return false;
            b.f64.push_back(f);
            return true;
        }
        case ColumnType::kInteger:
        case ColumnType::kDecimal: {
            int128 units;
            int64_t i;
            if (spec.type == ColumnType::kInteger || col.integer_rules) {
                if (ParseInteger(v, &i)) {
                    units = static_cast<int128>(i) * kDecimalUnit;
                } else {
                    DecimalParse d;
                    if (!ParseWidenedInteger(spec, v, &d)) return false;
                    units = d.value;
                }
            } else {
                DecimalParse d;
                std::string symbol;
                if (!ParseDecimalValue(spec, v, &d, &symbol)) return false;
                units = d.value;
            }
            // The column's scale holds every value's digits (it is the most any value has). Most
            // values fit 64 bits, where the division is one instruction, not a library call.
            const int64_t div = kPow10[kDecimalScale - col.parquet.scale];
            int128 unscaled = units >= INT64_MIN && units <= INT64_MAX ? int128{static_cast<int64_t>(units) / div}
                                                                       : units / div;
            if (col.parquet.physical == parquet::PhysicalType::kInt64) {
                if (unscaled < INT64_MIN || unscaled > INT64_MAX) return false;
                b.i64.push_back(static_cast<int64_t>(unscaled));
            } else {
                b.i128.push_back(unscaled);
            }
            return true;
        }
        case ColumnType::kDate:
        case ColumnType::kTimestamp: {
            DateParse d;
            if (!ParseTemporal(spec, v, &d)) return false;
            int32_t y = d.year, m = d.p1, day = d.p2;
            if (!d.ordered && col.dmy) std::swap(m, day);
            int32_t days;
            if (!DaysFromCivil(y, m, day, &days)) return false;  // invalid under the column's order
            int64_t secs = int64_t{days} * 86400 + d.seconds_of_day;
            // Offsets are applied to ordered dates only, as the analysis does.
            if (d.has_offset && d.ordered) secs -= int64_t{d.offset_minutes} * 60;
            if (spec.type == ColumnType::kDate) {
                b.i32.push_back(static_cast<int32_t>(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400));
            } else {
                b.i64.push_back(secs * 1000 + d.millis);
            }
            return true;
        }
    }
    return false;
}

Result<parquet::EncodedRowGroup> SnapshotRows::Encode() {
    std::vector<parquet::SchemaColumn> schema;
    schema.reserve(columns_.size());
    for (size_t c = 0; c < columns_.size(); ++c) {
        schema.push_back(columns_[c].parquet);
        if (columns_[c].spec.type == ColumnType::kString) {
            auto& dict = batches_[c].dict;
            for (uint32_t k = 0; k < dicts_[c].count(); ++k) dict.push_back(dicts_[c].Key(k));
        }
    }
    auto rg = parquet::EncodeRowGroup(schema, batches_, group_rows_);
    for (auto& b : batches_) b.Clear();
    for (auto& d : dicts_) d = StringSlotMap();
    group_rows_ = 0;
    return rg;
}

}  // namespace insightstream::engine
