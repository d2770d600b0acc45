// Parquet file metadata (the subset of parquet.thrift this product writes and reads), with its
// Thrift compact encoding. Field ids and enum values are those of the Apache Parquet format
// specification (parquet.thrift); fields this code does not know are skipped when reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace insightstream::parquet {

enum class PhysicalType : int32_t {
    kBoolean = 0, kInt32 = 1, kInt64 = 2, kInt96 = 3, kFloat = 4, kDouble = 5, kByteArray = 6, kFixedLenByteArray = 7,
};
enum class ConvertedType : int32_t { kUtf8 = 0, kDecimal = 5, kDate = 6, kTimestampMillis = 9, kInt64 = 18 };
enum class Encoding : int32_t { kPlain = 0, kPlainDictionary = 2, kRle = 3, kRleDictionary = 8 };
enum class Codec : int32_t { kUncompressed = 0, kZstd = 6 };
enum class PageType : int32_t { kDataPage = 0, kDictionaryPage = 2 };

/// What a column holds, as the product maps it: the logical type decides the physical one.
enum class LogicalKind : uint8_t { kString, kInt64, kDecimal, kDouble, kBoolean, kDate, kTimestampMillis };

struct SchemaColumn {
    std::string name;
    LogicalKind kind = LogicalKind::kString;
    PhysicalType physical = PhysicalType::kByteArray;
    int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY
    int32_t precision = 0, scale = 0;  // DECIMAL
};

struct Statistics {
    std::optional<std::string> min_value, max_value;  // plain encoding of the value
    int64_t null_count = 0;
};

struct ColumnChunkMeta {
    PhysicalType type = PhysicalType::kByteArray;
    std::vector<Encoding> encodings;
    std::string path;  // one level: the column name
    Codec codec = Codec::kZstd;
    int64_t num_values = 0;  // rows, nulls included
    int64_t total_uncompressed_size = 0;
    int64_t total_compressed_size = 0;
    int64_t data_page_offset = 0;
    std::optional<int64_t> dictionary_page_offset;
    Statistics statistics;
};

struct RowGroupMeta {
    std::vector<ColumnChunkMeta> columns;
    int64_t total_byte_size = 0;
    int64_t num_rows = 0;
    int64_t file_offset = 0;
    int64_t total_compressed_size = 0;
};

struct FileMeta {
    std::vector<SchemaColumn> columns;
    int64_t num_rows = 0;
    std::vector<RowGroupMeta> row_groups;
    std::vector<std::pair<std::string, std::string>> key_values;
    std::string created_by;
};

struct PageHeader {
    PageType type = PageType::kDataPage;
    int32_t uncompressed_size = 0;
    int32_t compressed_size = 0;
    int32_t num_values = 0;
    Encoding encoding = Encoding::kPlain;
};

/// The physical type, length and decimal precision a logical kind is written with.
SchemaColumn MakeColumn(std::string name, LogicalKind kind, int32_t scale = 0, bool wide_decimal = false);

std::string SerializeFileMeta(const FileMeta& meta);
core::Result<FileMeta> ParseFileMeta(std::string_view bytes);
std::string SerializePageHeader(const PageHeader& h);
/// Parses the header at the start of `bytes`; `*size` is its length.
core::Result<PageHeader> ParsePageHeader(std::string_view bytes, size_t* size);

}  // namespace insightstream::parquet
