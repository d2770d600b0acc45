// Ad-hoc questions over a version's columnar snapshot (POST .../query): filters combined with
// AND, grouping by up to two columns and/or a time bucket, measures, order, limit and offset.
//
// Execution reads only the columns a query names, skips row groups whose statistics rule every
// row out, filters string columns by their dictionary codes (each distinct value is compared once
// per row group), runs one kernel per column over a row group's selected rows, and spreads row
// groups over threads. Sums are exact (10^-9 units, as the engine adds them), and every value is
// made by the same rules as /timeseries, /groups and /breakdown (analytics/queries.hpp), so the
// answers agree to the digit.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/queries.hpp"
#include "core/result.hpp"
#include "parquet/reader.hpp"

namespace insightstream::analytics {

enum class FilterOp : uint8_t { kEq, kNe, kIn, kNotIn, kLt, kLe, kGt, kGe, kBetween, kIsNull, kNotNull, kContains };
enum class QueryAgg : uint8_t { kSum, kCount, kAvg, kMin, kMax, kCountDistinct, kP50, kP95 };

/// A filter's literal in the column's own terms: text for strings; for the rest a number —
/// 10^-9 units (numbers), days (dates), milliseconds (timestamps), 0/1 (booleans).
struct Literal {
    std::string text;
    engine::int128 num = 0;
};

struct QueryFilter {
    size_t column = 0;
    FilterOp op = FilterOp::kEq;
    std::vector<Literal> values;
};

struct QueryMeasure {
    std::optional<size_t> column;  // none: count rows
    QueryAgg agg = QueryAgg::kCount;
    std::string name;
    int scale = 0;  // fractional digits shown (the column's scale)
};

struct QueryOrder {
    std::string field;
    bool desc = false;
};

struct QueryPlan {
    std::vector<QueryFilter> filters;
    std::vector<size_t> group_by;  // at most two
    std::optional<size_t> time_column;
    Interval interval = Interval::kMonth;
    std::vector<QueryMeasure> measures;
    std::vector<QueryOrder> order;
    size_t limit = 1000;
    size_t offset = 0;
};

struct QueryLimits {
    size_t max_groups = 100'000;
    int64_t max_ms = 10'000;
    int threads = 0;  // 0: one per core
};

/// Parses and checks a request body against the snapshot's columns and the version's schema
/// payload (types, scales, currencies). Errors name the field (JSON pointer) and what is valid.
core::Result<QueryPlan> ParseQuery(std::string_view body, const parquet::FileMeta& meta, const boost::json::object& schema);

/// Where a query gets decoded columns from (a cache in front of the object store).
class ColumnSource {
public:
    virtual ~ColumnSource() = default;
    virtual core::Result<std::shared_ptr<const parquet::DecodedColumn>> Column(size_t row_group, size_t column) = 0;
};

struct QueryCell {
    enum class Kind : uint8_t { kNull, kText, kNumber, kBool };
    Kind kind = Kind::kNull;
    std::string text;  // the string, the exact number text, or "true"/"false"
};

struct QueryResult {
    struct Column {
        std::string name;
        std::string kind;  // "group", "period", "measure"
        std::string type;  // of the values: string, integer, decimal, float, boolean, date, timestamp, period
    };
    std::vector<Column> columns;
    std::vector<std::vector<QueryCell>> rows;
    size_t total_groups = 0;
    int64_t rows_scanned = 0;  // rows of the row groups read
    int64_t rows_matched = 0;  // of which passed the filters
    size_t row_groups = 0;
    size_t row_groups_skipped = 0;  // by their statistics
};

core::Result<QueryResult> RunQuery(const QueryPlan& plan, const parquet::FileMeta& meta, ColumnSource& source,
                                   const QueryLimits& limits);

std::string QueryJson(const QueryResult& r, int64_t elapsed_ms, std::string_view provenance);
std::string QueryCsv(const QueryResult& r);

}  // namespace insightstream::analytics
