// Decoded snapshot columns kept for the next query: an LruCache bounded in bytes, keyed by
// tenant, dataset, version, file size, row group and column. A version's snapshot never changes,
// so an entry is never stale; entries are shared (a query holds what it uses even if it is
// evicted meanwhile).
#pragma once

#include <memory>
#include <string>

#include "analytics/lru_cache.hpp"
#include "parquet/reader.hpp"

namespace insightstream::analytics {

class ColumnCache {
public:
    explicit ColumnCache(size_t max_bytes) : lru_(max_bytes, max_bytes) {}
    /// The column, or null.
    std::shared_ptr<const parquet::DecodedColumn> Get(const std::string& key) {
        auto hit = lru_.Get(key);
        return hit ? *hit : nullptr;
    }
    void Put(const std::string& key, std::shared_ptr<const parquet::DecodedColumn> column) {
        const size_t cost = SizeOf(*column) + key.size();
        lru_.Put(key, std::move(column), cost);
    }
    [[nodiscard]] size_t bytes() const { return lru_.bytes(); }
    /// Drops every column whose key starts with `prefix` (a deleted dataset: its memory goes now,
    /// not when the LRU reaches it).
    void Invalidate(const std::string& prefix) { lru_.Invalidate(prefix); }

    static size_t SizeOf(const parquet::DecodedColumn& c);

private:
    LruCache<std::shared_ptr<const parquet::DecodedColumn>> lru_;
};

}  // namespace insightstream::analytics
