// The Parquet writer: a flat schema of optional columns, one row group at a time. Row groups are
// encoded independently (on any thread: EncodeRowGroup) and appended in order by one FileWriter,
// so a file of any size is written with one row group in memory per encoding thread.
//
// Per column chunk: strings as a PLAIN dictionary page plus RLE_DICTIONARY indices, everything
// else PLAIN; nulls as RLE definition levels; one data page (v1); pages compressed with zstd;
// min/max statistics and the null count in the column metadata.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "parquet/format.hpp"

namespace insightstream::parquet {

using int128 = __int128;

/// One row group's values of one column: a flag per row, and the values of the rows that have
/// one, in row order, in the vector of the column's kind.
struct ColumnBatch {
    std::vector<uint8_t> defined;         // per row
    std::vector<int64_t> i64;             // kInt64, kTimestampMillis (ms since the epoch, UTC), narrow kDecimal (unscaled)
    std::vector<int32_t> i32;             // kDate (days since 1970-01-01)
    std::vector<double> f64;              // kDouble
    std::vector<uint8_t> b;               // kBoolean
    std::vector<int128> i128;             // wide kDecimal (unscaled)
    std::vector<uint32_t> codes;          // kString: index into dict
    std::vector<std::string_view> dict;   // kString: distinct values (the caller owns the bytes)
    void Clear();
};

struct EncodedRowGroup {
    std::string bytes;  // the column chunks, back to back
    RowGroupMeta meta;  // offsets relative to the start of `bytes`
};

/// Encodes one row group. `level` is the zstd level.
core::Result<EncodedRowGroup> EncodeRowGroup(const std::vector<SchemaColumn>& columns,
                                             const std::vector<ColumnBatch>& batches, int64_t rows, int level = 3);

/// Where the file's bytes go, in order.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual core::Result<void> Write(std::string_view bytes) = 0;
};

class FileWriter {
public:
    FileWriter(std::vector<SchemaColumn> columns, ByteSink& sink) : columns_(std::move(columns)), sink_(sink) {}
    /// Appends a row group (the next in the file).
    core::Result<void> Append(EncodedRowGroup rg);
    /// Writes the footer; the file is complete. Returns its size in bytes.
    core::Result<int64_t> Finish(std::vector<std::pair<std::string, std::string>> key_values);
    [[nodiscard]] int64_t rows() const { return meta_.num_rows; }
    [[nodiscard]] size_t row_groups() const { return meta_.row_groups.size(); }

private:
    core::Result<void> Start();
    std::vector<SchemaColumn> columns_;
    ByteSink& sink_;
    FileMeta meta_;
    int64_t offset_ = 0;
};

/// The plain encoding of one value, as statistics hold it.
std::string PlainInt64(int64_t v);
std::string PlainInt32(int32_t v);
std::string PlainDouble(double v);
std::string BigEndian128(int128 v);

}  // namespace insightstream::parquet
