// The columnar snapshot of a version: every row the analysis used, typed as the analysis decided
// (after the user's hints, the whole column's date order and widened integers), written as
// Apache Parquet. It is made by a second streaming pass over the file through the same reader
// and record rules as the analysis (so the same rows are used, in file order), once the schema
// is final; docs/engine.md says why it is not the analysis pass itself.
//
// A value that broke its column's type is null in the snapshot (the analysis counted it invalid
// and listed it in the version's issues); a rejected record is not in it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "engine/flat_map.hpp"
#include "engine/insights.hpp"
#include "parquet/writer.hpp"

namespace insightstream::engine {

/// How one column is read from text and written to the snapshot.
struct SnapshotColumn {
    ColumnSpec spec;                  // the final type and how values are written
    parquet::SchemaColumn parquet;    // the column in the file
    bool integer_rules = false;       // an integer column widened to decimal: read by the integer rules
    bool dmy = false;                 // numeric dates are day first
};

/// The snapshot's columns for an analysed version.
std::vector<SnapshotColumn> SnapshotColumns(const InsightSet& analysed);

/// The rows of one block, converted: the row target of the snapshot pass (the engine calls the
/// same methods it calls on a Partial).
class SnapshotRows {
public:
    explicit SnapshotRows(const std::vector<SnapshotColumn>& columns);
    void FlushRows() {}  // rows are added as they come (Partial batches them)
    [[nodiscard]] bool pending() const { return false; }
    void DiscardRows() noexcept {}
    void AddRow(const std::vector<std::string_view>& fields, int64_t line);
    void Reject(int64_t, int64_t, const std::string&, std::string_view) { ++rejected; }
    void Issue(int64_t, std::string_view, const std::string&, std::string_view) {}
    void LateKey(std::string_view, std::string_view, int64_t) {}
    /// The rows so far as a row group; then starts over.
    core::Result<parquet::EncodedRowGroup> Encode();

    int64_t rows = 0;
    int64_t rejected = 0;
    int64_t lines = 0;

private:
    bool AddValue(size_t c, std::string_view v);
    const std::vector<SnapshotColumn>& columns_;
    std::vector<parquet::ColumnBatch> batches_;
    std::vector<StringSlotMap> dicts_;
    int64_t group_rows_ = 0;
};

/// Where the snapshot pass puts its row groups, in file order.
class SnapshotOutput {
public:
    virtual ~SnapshotOutput() = default;
    [[nodiscard]] virtual const std::vector<SnapshotColumn>& columns() const = 0;
    virtual core::Result<void> Append(parquet::EncodedRowGroup rg) = 0;
};

struct SnapshotStats {
    int64_t rows = 0;
    int64_t row_groups = 0;
    int64_t bytes = 0;
};

}  // namespace insightstream::engine
