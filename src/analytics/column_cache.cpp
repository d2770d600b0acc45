#include "analytics/column_cache.hpp"

namespace insightstream::analytics {

size_t ColumnCache::SizeOf(const parquet::DecodedColumn& c) {
    size_t n = c.defined.capacity() + c.i64.capacity() * 8 + c.i32.capacity() * 4 + c.f64.capacity() * 8 +
               c.b.capacity() + c.i128.capacity() * 16 + c.codes.capacity() * 4 + 256;
    for (const auto& s : c.dict) n += s.capacity() + sizeof(std::string);
    return n;
}

}  // namespace insightstream::analytics
