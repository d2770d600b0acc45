// A thread-safe LRU map from string keys to values, bounded by the bytes its entries are said to
// cost: the answer cache and the decoded-column cache are both one. Keys start with the tenant,
// so one tenant's entry can never answer another's request.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace insightstream::analytics {

template <class V>
class LruCache {
public:
    /// An entry that costs more than `max_entry_bytes` is not kept.
    LruCache(size_t max_bytes, size_t max_entry_bytes) : max_bytes_(max_bytes), max_entry_bytes_(max_entry_bytes) {}

    std::optional<V> Get(const std::string& key) {
        std::scoped_lock lock(mutex_);
        auto it = index_.find(key);
        if (it == index_.end()) return std::nullopt;
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->value;
    }

    /// Keeps `value` as the most recently used, evicting the least recently used beyond the bound.
    void Put(const std::string& key, V value, size_t cost) {
        if (cost > max_entry_bytes_) return;
        std::scoped_lock lock(mutex_);
        if (auto it = index_.find(key); it != index_.end()) {
            bytes_ -= it->second->cost;
            lru_.erase(it->second);
            index_.erase(it);
        }
        lru_.push_front(Entry{key, std::move(value), cost});
        index_[key] = lru_.begin();
        bytes_ += cost;
        while (bytes_ > max_bytes_ && !lru_.empty()) {
            bytes_ -= lru_.back().cost;
            index_.erase(lru_.back().key);
            lru_.pop_back();
        }
    }

    /// Drops every entry whose key starts with `prefix`.
    void Invalidate(const std::string& prefix) {
        std::scoped_lock lock(mutex_);
        for (auto it = lru_.begin(); it != lru_.end();) {
            if (it->key.starts_with(prefix)) {
                bytes_ -= it->cost;
                index_.erase(it->key);
                it = lru_.erase(it);
            } else {
                ++it;
            }
        }
    }

    [[nodiscard]] size_t bytes() const {
        std::scoped_lock lock(mutex_);
        return bytes_;
    }

private:
    struct Entry {
        std::string key;
        V value;
        size_t cost = 0;
    };
    size_t max_bytes_;
    size_t max_entry_bytes_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
    size_t bytes_ = 0;
};

}  // namespace insightstream::analytics
