#include "analytics/result_cache.hpp"

namespace insightstream::analytics {

namespace {
size_t Cost(const std::string& key, const CachedAnswer& a) {
    return key.size() + a.body.size() + a.content_type.size() + a.etag.size() + 64;
}
}  // namespace

ResultCache::ResultCache(size_t max_bytes, core::Metrics& metrics) : max_bytes_(max_bytes), metrics_(metrics) {
    metrics_.Describe("insightstream_analytics_cache_requests_total", "counter", "Analytics cache lookups by result.");
    metrics_.Describe("insightstream_analytics_cache_bytes", "gauge", "Bytes held by the analytics cache.");
}

std::optional<CachedAnswer> ResultCache::Get(const std::string& key) {
    std::scoped_lock lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) {
        metrics_.Add("insightstream_analytics_cache_requests_total", {{"result", "miss"}});
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    metrics_.Add("insightstream_analytics_cache_requests_total", {{"result", "hit"}});
    return it->second->second;
}

void ResultCache::Put(const std::string& key, CachedAnswer answer) {
    size_t cost = Cost(key, answer);
    if (cost > max_bytes_ / 4) return;  // one answer may not crowd out the rest
    std::scoped_lock lock(mutex_);
    if (auto it = index_.find(key); it != index_.end()) {
        bytes_ -= Cost(it->first, it->second->second);
        lru_.erase(it->second);
        index_.erase(it);
    }
    lru_.emplace_front(key, std::move(answer));
    index_[key] = lru_.begin();
    bytes_ += cost;
    while (bytes_ > max_bytes_ && !lru_.empty()) {
        auto& last = lru_.back();
        bytes_ -= Cost(last.first, last.second);
        index_.erase(last.first);
        lru_.pop_back();
    }
    metrics_.Set("insightstream_analytics_cache_bytes", {}, static_cast<double>(bytes_));
}

void ResultCache::Invalidate(const std::string& prefix) {
    std::scoped_lock lock(mutex_);
    for (auto it = lru_.begin(); it != lru_.end();) {
        if (it->first.starts_with(prefix)) {
            bytes_ -= Cost(it->first, it->second);
            index_.erase(it->first);
            it = lru_.erase(it);
        } else {
            ++it;
        }
    }
    metrics_.Set("insightstream_analytics_cache_bytes", {}, static_cast<double>(bytes_));
}

size_t ResultCache::bytes() const {
    std::scoped_lock lock(mutex_);
    return bytes_;
}

}  // namespace insightstream::analytics
