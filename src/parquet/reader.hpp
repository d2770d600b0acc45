// The Parquet reader for the files this product writes (flat optional columns, PLAIN or
// dictionary pages v1, zstd or uncompressed): the footer, then any column of any row group,
// decoded into row-aligned vectors. Reads through a random-access source, so only the footer and
// the chunks asked for are fetched. Anything else — another layout, a truncated or corrupt file —
// is refused with a reason, never guessed at.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "parquet/format.hpp"
#include "parquet/writer.hpp"

namespace insightstream::parquet {

class RandomAccess {
public:
    virtual ~RandomAccess() = default;
    [[nodiscard]] virtual int64_t size() const = 0;
    virtual core::Result<std::string> ReadAt(int64_t offset, int64_t length) = 0;
};

/// One column of one row group, a slot per row (a null row's value slot holds 0).
struct DecodedColumn {
    LogicalKind kind = LogicalKind::kString;
    std::vector<uint8_t> defined;
    std::vector<int64_t> i64;          // kInt64, kTimestampMillis, narrow kDecimal
    std::vector<int32_t> i32;          // kDate
    std::vector<double> f64;
    std::vector<uint8_t> b;
    std::vector<int128> i128;          // wide kDecimal
    std::vector<uint32_t> codes;       // kString: index into dict
    std::vector<std::string> dict;     // kString
    [[nodiscard]] size_t rows() const { return defined.size(); }
};

class FileReader {
public:
    /// Reads and checks the footer.
    static core::Result<FileReader> Open(RandomAccess& source);
    [[nodiscard]] const FileMeta& meta() const { return meta_; }
    core::Result<DecodedColumn> ReadColumn(size_t row_group, size_t column) const;

private:
    FileReader(RandomAccess& source, FileMeta meta) : source_(&source), meta_(std::move(meta)) {}
    RandomAccess* source_;
    FileMeta meta_;
};

/// A file held in memory.
class MemoryFile final : public RandomAccess {
public:
    explicit MemoryFile(std::string bytes) : bytes_(std::move(bytes)) {}
    [[nodiscard]] int64_t size() const override { return static_cast<int64_t>(bytes_.size()); }
    core::Result<std::string> ReadAt(int64_t offset, int64_t length) override;

private:
    std::string bytes_;
};

/// A ByteSink that keeps the bytes.
class StringSink final : public ByteSink {
public:
    core::Result<void> Write(std::string_view bytes) override {
        data.append(bytes);
        return {};
    }
    std::string data;
};

}  // namespace insightstream::parquet
