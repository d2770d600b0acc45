// Decoded snapshot columns kept for the next query: an LRU bounded in bytes, keyed by tenant,
// dataset, version, row group and column. A version's snapshot never changes, so an entry is
// never stale; entries are shared (a query holds what it uses even if it is evicted meanwhile).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "parquet/reader.hpp"

namespace insightstream::analytics {

class ColumnCache {
public:
    explicit ColumnCache(size_t max_bytes) : max_bytes_(max_bytes) {}
    std::shared_ptr<const parquet::DecodedColumn> Get(const std::string& key);
    void Put(const std::string& key, std::shared_ptr<const parquet::DecodedColumn> column);
    [[nodiscard]] size_t bytes() const;

    static size_t SizeOf(const parquet::DecodedColumn& c);

private:
    struct Entry {
        std::string key;
        std::shared_ptr<const parquet::DecodedColumn> column;
        size_t bytes = 0;
    };
    void Insert(Entry e);
    size_t max_bytes_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    size_t bytes_ = 0;
};

}  // namespace insightstream::analytics
