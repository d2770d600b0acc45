#include "parquet/reader.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "parquet/rle.hpp"

namespace insightstream::parquet {

using core::Error;
using core::Result;

namespace {

constexpr int64_t kMaxFooterBytes = 16 << 20;
// Rows of one row group: the writer's hold what an 8 MB block of input holds (a record takes at
// least two bytes); a footer that claims more is not ours, and is not allocated for.
constexpr int64_t kMaxRowGroupRows = 1 << 23;
// A page this reader inflates at most (the writer's pages hold one row group's column: far less).
constexpr int32_t kMaxPageBytes = 512 << 20;

Error Unreadable(const std::string& what) {
    return Error::Internal("the snapshot cannot be read: " + what).WithSlug("snapshot-unreadable");
}

// A page's bytes: decompressed into a buffer that is not zeroed first (it is written whole).
struct PageBuffer {
    std::unique_ptr<char[]> owned;
    std::string_view bytes;
};

Result<PageBuffer> Decompress(Codec codec, std::string_view body, int32_t uncompressed) {
    if (codec == Codec::kUncompressed) {
        if (static_cast<int64_t>(body.size()) != uncompressed) return Unreadable("a page's size does not match its header");
        return PageBuffer{nullptr, body};
    }
    if (codec != Codec::kZstd) return Unreadable("a page is compressed with a codec this reader does not read");
    // The frame states its size: a page that claims another is refused before anything is allocated.
    if (ZSTD_getFrameContentSize(body.data(), body.size()) != static_cast<unsigned long long>(uncompressed)) {
        return Unreadable("a page's compressed frame does not match its header");
    }
    PageBuffer out;
    const auto size = static_cast<size_t>(uncompressed);
    out.owned.reset(new char[size > 0 ? size : 1]);
    size_t n = ZSTD_decompress(out.owned.get(), size, body.data(), body.size());
    if (ZSTD_isError(n) != 0 || n != size) return Unreadable("a page does not decompress to its stated size");
    out.bytes = std::string_view(out.owned.get(), size);
    return out;
}

template <class T>
bool TakePlain(std::string_view& in, size_t count, std::vector<T>& dense) {
    if (in.size() / sizeof(T) < count) return false;
    dense.resize(count);
    if (count > 0) std::memcpy(dense.data(), in.data(), count * sizeof(T));
    in.remove_prefix(count * sizeof(T));
    return true;
}

// Spreads the dense values of the rows [first, first + n) that are defined over their slots (a
// page without nulls is a plain copy).
template <class T>
void Scatter(const std::vector<T>& dense, const uint8_t* defined, size_t first, size_t n, std::vector<T>& out) {
    out.resize(first + n);
    if (dense.size() == n) {
        std::copy(dense.begin(), dense.end(), out.begin() + static_cast<ptrdiff_t>(first));
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) out[first + i] = defined[first + i] != 0 ? dense[k++] : T{};
}

// The values of a page of `n` rows, `count` of them defined, into `out` from row `first`: straight
// in when every row has one, else through a dense copy spread over the defined rows.
template <class T>
bool TakeValues(std::string_view& in, size_t count, const uint8_t* defined, size_t first, size_t n, std::vector<T>& out) {
    if (count == n) {
        if (in.size() / sizeof(T) < count) return false;
        out.resize(first + n);
        if (count > 0) std::memcpy(out.data() + first, in.data(), count * sizeof(T));
        in.remove_prefix(count * sizeof(T));
        return true;
    }
    std::vector<T> dense;
    if (!TakePlain(in, count, dense)) return false;
    Scatter(dense, defined, first, n, out);
    return true;
}

}  // namespace

Result<std::string> MemoryFile::ReadAt(int64_t offset, int64_t length) {
    if (offset < 0 || length < 0 || offset > size() || length > size() - offset) return Unreadable("a read beyond the end");
    return bytes_.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
}

Result<FileReader> FileReader::Open(RandomAccess& source) {
    const int64_t size = source.size();
    if (size < 12) return Unreadable("the file is too short to be Parquet");
    IS_TRY(auto head, source.ReadAt(0, 4));
    IS_TRY(auto tail, source.ReadAt(size - 8, 8));
    if (head != "PAR1" || tail.substr(4) != "PAR1") return Unreadable("the file does not start and end with PAR1");
    uint32_t footer_len;
    std::memcpy(&footer_len, tail.data(), 4);
    if (footer_len > kMaxFooterBytes || static_cast<int64_t>(footer_len) > size - 12) return Unreadable("the footer length is wrong");
    IS_TRY(auto footer, source.ReadAt(size - 8 - footer_len, footer_len));
    IS_TRY(auto meta, ParseFileMeta(footer));
    int64_t rows = 0;
    for (const auto& rg : meta.row_groups) {
        if (rg.num_rows < 0 || rg.num_rows > kMaxRowGroupRows) return Unreadable("a row group has an impossible row count");
        rows += rg.num_rows;
        for (const auto& c : rg.columns) {
            int64_t start = c.dictionary_page_offset.value_or(c.data_page_offset);
            if (start < 4 || c.total_compressed_size < 0 || start > size - 8 - c.total_compressed_size) {
                return Unreadable("a column chunk lies outside the file");
            }
        }
    }
    if (rows != meta.num_rows) return Unreadable("the row groups' rows do not add up to the file's");
    return FileReader(source, std::move(meta));
}

Result<DecodedColumn> FileReader::ReadColumn(size_t row_group, size_t column) const {
    if (row_group >= meta_.row_groups.size() || column >= meta_.columns.size()) return Error::Internal("no such column chunk");
    const SchemaColumn& col = meta_.columns[column];
    const RowGroupMeta& rg = meta_.row_groups[row_group];
    const ColumnChunkMeta& cm = rg.columns[column];
    const int64_t start = cm.dictionary_page_offset.value_or(cm.data_page_offset);
    IS_TRY(auto chunk, source_->ReadAt(start, cm.total_compressed_size));
    DecodedColumn out;
    out.kind = col.kind;
    const auto rows = static_cast<size_t>(rg.num_rows);
    out.defined.reserve(rows);
    std::string_view rest(chunk);
    std::vector<uint32_t> levels;
    while (out.defined.size() < rows) {
        size_t header_size = 0;
        IS_TRY(auto h, ParsePageHeader(rest, &header_size));
        rest.remove_prefix(header_size);
        if (h.compressed_size > static_cast<int64_t>(rest.size()) || h.uncompressed_size > kMaxPageBytes ||
            h.uncompressed_size > cm.total_uncompressed_size) {
            return Unreadable("a page runs past its column chunk");
        }
        IS_TRY(auto page, Decompress(cm.codec, rest.substr(0, static_cast<size_t>(h.compressed_size)), h.uncompressed_size));
        rest.remove_prefix(static_cast<size_t>(h.compressed_size));
        std::string_view body = page.bytes;
        if (h.type == PageType::kDictionaryPage) {
            if (col.kind != LogicalKind::kString || !out.dict.empty()) return Unreadable("an unexpected dictionary page");
            // Each entry takes at least its 4-byte length: a count beyond that is refused as it is read.
            out.dict.reserve(std::min(static_cast<size_t>(h.num_values), body.size() / 4));
            for (int32_t i = 0; i < h.num_values; ++i) {
                uint32_t n;
                if (body.size() < 4) return Unreadable("a dictionary page ends early");
                std::memcpy(&n, body.data(), 4);
                body.remove_prefix(4);
                if (body.size() < n) return Unreadable("a dictionary page ends early");
                out.dict.emplace_back(body.substr(0, n));
                body.remove_prefix(n);
            }
            continue;
        }
        if (h.type != PageType::kDataPage) return Unreadable("a page of a kind this reader does not read");
        const auto n = static_cast<size_t>(h.num_values);
        if (n > rows - out.defined.size()) return Unreadable("a page holds more values than its row group");
        // Definition levels (max level 1), then the values of the defined rows.
        uint32_t levels_len;
        if (body.size() < 4) return Unreadable("a data page ends early");
        std::memcpy(&levels_len, body.data(), 4);
        body.remove_prefix(4);
        if (body.size() < levels_len) return Unreadable("a data page ends early");
        levels.resize(n);
        if (!DecodeHybrid(body.substr(0, levels_len), 1, n, levels.data())) return Unreadable("bad definition levels");
        body.remove_prefix(levels_len);
        const size_t first = out.defined.size();
        out.defined.resize(first + n);
        size_t count = 0;
        uint8_t* flags = out.defined.data() + first;
        for (size_t i = 0; i < n; ++i) {
            flags[i] = static_cast<uint8_t>(levels[i]);
            count += levels[i];
        }
        const uint8_t* def = out.defined.data();
        bool ok = true;
        if (h.encoding == Encoding::kRleDictionary || h.encoding == Encoding::kPlainDictionary) {
            if (col.kind != LogicalKind::kString || body.empty()) return Unreadable("dictionary indices where none belong");
            int width = static_cast<uint8_t>(body[0]);
            // Without nulls the indices are decoded in place; else densely, then spread.
            std::vector<uint32_t> dense;
            uint32_t* codes = nullptr;
            if (count == n) {
                out.codes.resize(first + n);
                codes = out.codes.data() + first;
            } else {
                dense.resize(count);
                codes = dense.data();
            }
            if (!DecodeHybrid(body.substr(1), width, count, codes)) return Unreadable("bad dictionary indices");
            const auto dict_size = static_cast<uint32_t>(out.dict.size());
            for (size_t k = 0; k < count; ++k) {
                if (codes[k] >= dict_size) return Unreadable("a dictionary index beyond the dictionary");
            }
            if (count != n) Scatter(dense, def, first, n, out.codes);
            continue;
        }
        if (h.encoding != Encoding::kPlain) return Unreadable("a page encoding this reader does not read");
        switch (col.kind) {
            case LogicalKind::kString: return Unreadable("plain strings are not read");
            case LogicalKind::kInt64:
            case LogicalKind::kTimestampMillis: {
                ok = TakeValues(body, count, def, first, n, out.i64);
                break;
            }
            case LogicalKind::kDecimal:
                if (col.physical == PhysicalType::kInt64) {
                    ok = TakeValues(body, count, def, first, n, out.i64);
                } else {
                    ok = body.size() / 16 >= count;
                    std::vector<int128> dense(ok ? count : 0);
                    for (size_t i = 0; ok && i < count; ++i) {
                        unsigned __int128 u = 0;
                        for (size_t k = 0; k < 16; ++k) u = (u << 8) | static_cast<uint8_t>(body[i * 16 + k]);
                        dense[i] = static_cast<int128>(u);
                    }
                    if (ok) Scatter(dense, def, first, n, out.i128);
                }
                break;
            case LogicalKind::kDouble: {
                ok = TakeValues(body, count, def, first, n, out.f64);
                break;
            }
            case LogicalKind::kDate: {
                ok = TakeValues(body, count, def, first, n, out.i32);
                break;
            }
            case LogicalKind::kBoolean: {
                ok = body.size() * 8 >= count;
                std::vector<uint8_t> dense(ok ? count : 0);
                for (size_t i = 0; ok && i < count; ++i) dense[i] = (static_cast<uint8_t>(body[i / 8]) >> (i % 8)) & 1;
                if (ok) Scatter(dense, def, first, n, out.b);
                break;
            }
        }
        if (!ok) return Unreadable("a data page holds fewer values than its levels say");
    }
    return out;
}

}  // namespace insightstream::parquet
