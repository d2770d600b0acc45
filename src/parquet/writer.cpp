#include "parquet/writer.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "parquet/rle.hpp"

namespace insightstream::parquet {

using core::Error;
using core::Result;

namespace {

constexpr size_t kMaxStatBytes = 256;  // longer string minima and maxima are left out

template <class T>
void AppendRaw(const std::vector<T>& v, std::string* out) {
    if (v.empty()) return;  // data() may be null
    out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

struct ZstdContext {
    ZSTD_CCtx* ctx = ZSTD_createCCtx();
    ~ZstdContext() { ZSTD_freeCCtx(ctx); }
};

Result<std::string> Compress(std::string_view raw, int level) {
    thread_local ZstdContext z;
    std::string out(ZSTD_compressBound(raw.size()), '\0');
    size_t n = ZSTD_compressCCtx(z.ctx, out.data(), out.size(), raw.data(), raw.size(), level);
    if (ZSTD_isError(n) != 0) return Error::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
    out.resize(n);
    return out;
}

// Appends a page (header + compressed body) to `out`.
Result<void> AppendPage(PageHeader h, std::string_view raw, int level, std::string* out, int64_t* uncompressed) {
    if (raw.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
        return Error::InvalidArgument("a column of one row group holds more than 2 GiB").WithSlug("snapshot-failed");
    }
    IS_TRY(auto body, Compress(raw, level));
    h.uncompressed_size = static_cast<int32_t>(raw.size());
    h.compressed_size = static_cast<int32_t>(body.size());
    std::string header = SerializePageHeader(h);
    *uncompressed += static_cast<int64_t>(header.size() + raw.size());
    out->append(header);
    out->append(body);
    return {};
}

template <class T>
void MinMax(const std::vector<T>& v, Statistics* s, std::string (*plain)(T)) {
    if (v.empty()) return;
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    s->min_value = plain(*lo);
    s->max_value = plain(*hi);
}

}  // namespace

void ColumnBatch::Clear() {
    defined.clear();
    i64.clear();
    i32.clear();
    f64.clear();
    b.clear();
    i128.clear();
    codes.clear();
    dict.clear();
}

std::string PlainInt64(int64_t v) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &v, 8);
    return s;
}
std::string PlainInt32(int32_t v) {
    std::string s(4, '\0');
    std::memcpy(s.data(), &v, 4);
    return s;
}
std::string PlainDouble(double v) {
    std::string s(8, '\0');
    std::memcpy(s.data(), &v, 8);
    return s;
}
std::string BigEndian128(int128 v) {
    std::string s(16, '\0');
    auto u = static_cast<unsigned __int128>(v);
    for (int i = 15; i >= 0; --i) {
        s[static_cast<size_t>(i)] = static_cast<char>(static_cast<uint8_t>(u & 0xFF));
        u >>= 8;
    }
    return s;
}

Result<EncodedRowGroup> EncodeRowGroup(const std::vector<SchemaColumn>& columns, const std::vector<ColumnBatch>& batches,
                                       int64_t rows, int level) {
    EncodedRowGroup rg;
    rg.meta.num_rows = rows;
    std::string raw;
    for (size_t c = 0; c < columns.size(); ++c) {
        const SchemaColumn& col = columns[c];
        const ColumnBatch& b = batches[c];
        if (b.defined.size() != static_cast<size_t>(rows)) return Error::Internal("a column batch has the wrong row count");
        ColumnChunkMeta m;
        m.type = col.physical;
        m.path = col.name;
        m.codec = Codec::kZstd;
        m.num_values = rows;
        const auto start = static_cast<int64_t>(rg.bytes.size());
        const auto defined = static_cast<int64_t>(std::count(b.defined.begin(), b.defined.end(), uint8_t{1}));
        m.statistics.null_count = rows - defined;

        // Definition levels, then the values.
        raw.clear();
        raw.resize(4);
        EncodeLevels(b.defined, &raw);
        auto levels = static_cast<uint32_t>(raw.size() - 4);
        std::memcpy(raw.data(), &levels, 4);
        PageHeader data;
        data.type = PageType::kDataPage;
        data.num_values = static_cast<int32_t>(rows);
        data.encoding = Encoding::kPlain;
        switch (col.kind) {
            case LogicalKind::kString: {
                // The dictionary page first.
                std::string dict;
                for (auto v : b.dict) {
                    auto n = static_cast<uint32_t>(v.size());
                    dict.append(reinterpret_cast<const char*>(&n), 4);
                    dict.append(v);
                }
                PageHeader dh;
                dh.type = PageType::kDictionaryPage;
                dh.num_values = static_cast<int32_t>(b.dict.size());
                dh.encoding = Encoding::kPlain;
                m.dictionary_page_offset = start;
                IS_TRY_VOID(AppendPage(dh, dict, level, &rg.bytes, &m.total_uncompressed_size));
                int width = BitWidth(b.dict.empty() ? 0 : b.dict.size() - 1);
                raw.push_back(static_cast<char>(width));
                EncodeHybrid(b.codes.data(), b.codes.size(), width, &raw);
                data.encoding = Encoding::kRleDictionary;
                m.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
                if (!b.dict.empty()) {
                    auto [lo, hi] = std::minmax_element(b.dict.begin(), b.dict.end());
                    if (lo->size() <= kMaxStatBytes && hi->size() <= kMaxStatBytes) {
                        m.statistics.min_value = std::string(*lo);
                        m.statistics.max_value = std::string(*hi);
                    }
                }
                break;
            }
            case LogicalKind::kInt64:
            case LogicalKind::kTimestampMillis:
                AppendRaw(b.i64, &raw);
                MinMax<int64_t>(b.i64, &m.statistics, PlainInt64);
                break;
            case LogicalKind::kDecimal:
                if (col.physical == PhysicalType::kInt64) {
                    AppendRaw(b.i64, &raw);
                    MinMax<int64_t>(b.i64, &m.statistics, PlainInt64);
                } else {
                    for (int128 v : b.i128) raw.append(BigEndian128(v));
                    MinMax<int128>(b.i128, &m.statistics, BigEndian128);
                }
                break;
            case LogicalKind::kDouble:
                AppendRaw(b.f64, &raw);
                MinMax<double>(b.f64, &m.statistics, PlainDouble);
                break;
            case LogicalKind::kDate:
                AppendRaw(b.i32, &raw);
                MinMax<int32_t>(b.i32, &m.statistics, PlainInt32);
                break;
            case LogicalKind::kBoolean:
                PackBits(b.b.data(), b.b.size(), &raw);
                if (!b.b.empty()) {
                    bool any_true = std::find(b.b.begin(), b.b.end(), uint8_t{1}) != b.b.end();
                    bool any_false = std::find(b.b.begin(), b.b.end(), uint8_t{0}) != b.b.end();
                    m.statistics.min_value = std::string(1, any_false ? '\0' : '\1');
                    m.statistics.max_value = std::string(1, any_true ? '\1' : '\0');
                }
                break;
        }
        if (m.encodings.empty()) m.encodings = {Encoding::kPlain, Encoding::kRle};
        m.data_page_offset = static_cast<int64_t>(rg.bytes.size());
        IS_TRY_VOID(AppendPage(data, raw, level, &rg.bytes, &m.total_uncompressed_size));
        m.total_compressed_size = static_cast<int64_t>(rg.bytes.size()) - start;
        rg.meta.total_byte_size += m.total_uncompressed_size;
        rg.meta.columns.push_back(std::move(m));
    }
    rg.meta.total_compressed_size = static_cast<int64_t>(rg.bytes.size());
    return rg;
}

Result<void> FileWriter::Start() {
    meta_.columns = columns_;
    IS_TRY_VOID(sink_.Write("PAR1"));
    offset_ = 4;
    return {};
}

Result<void> FileWriter::Append(EncodedRowGroup rg) {
    if (offset_ == 0) IS_TRY_VOID(Start());
    if (rg.meta.num_rows == 0) return {};
    for (auto& c : rg.meta.columns) {
        c.data_page_offset += offset_;
        if (c.dictionary_page_offset) *c.dictionary_page_offset += offset_;
    }
    rg.meta.file_offset = offset_;
    IS_TRY_VOID(sink_.Write(rg.bytes));
    offset_ += static_cast<int64_t>(rg.bytes.size());
    meta_.num_rows += rg.meta.num_rows;
    meta_.row_groups.push_back(std::move(rg.meta));
    return {};
}

Result<int64_t> FileWriter::Finish(std::vector<std::pair<std::string, std::string>> key_values) {
    if (offset_ == 0) IS_TRY_VOID(Start());
    meta_.key_values = std::move(key_values);
    meta_.created_by = "InsightStream";
    std::string footer = SerializeFileMeta(meta_);
    auto n = static_cast<uint32_t>(footer.size());
    footer.append(reinterpret_cast<const char*>(&n), 4);
    footer.append("PAR1");
    IS_TRY_VOID(sink_.Write(footer));
    offset_ += static_cast<int64_t>(footer.size());
    return offset_;
}

}  // namespace insightstream::parquet
