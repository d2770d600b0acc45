#include "analytics/column_cache.hpp"

namespace insightstream::analytics {

size_t ColumnCache::SizeOf(const parquet::DecodedColumn& c) {
    size_t n = c.defined.capacity() + c.i64.capacity() * 8 + c.i32.capacity() * 4 + c.f64.capacity() * 8 +
               c.b.capacity() + c.i128.capacity() * 16 + c.codes.capacity() * 4 + 256;
    for (const auto& s : c.dict) n += s.capacity() + sizeof(std::string);
    return n;
}

std::shared_ptr<const parquet::DecodedColumn> ColumnCache::Get(const std::string& key) {
    std::scoped_lock lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->column;
}

void ColumnCache::Put(const std::string& key, std::shared_ptr<const parquet::DecodedColumn> column) {
    size_t size = SizeOf(*column) + key.size();
    Insert(Entry{key, std::move(column), size});
}

void ColumnCache::Insert(Entry e) {
    std::scoped_lock lock(mutex_);
    if (e.bytes > max_bytes_) return;  // bigger than the whole cache: not kept
    if (auto it = index_.find(e.key); it != index_.end()) {
        bytes_ -= it->second->bytes;
        lru_.erase(it->second);
        index_.erase(it);
    }
    bytes_ += e.bytes;
    lru_.push_front(std::move(e));
    index_[lru_.front().key] = lru_.begin();
    while (bytes_ > max_bytes_ && !lru_.empty()) {
        bytes_ -= lru_.back().bytes;
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

size_t ColumnCache::bytes() const {
    std::scoped_lock lock(mutex_);
    return bytes_;
}

}  // namespace insightstream::analytics
