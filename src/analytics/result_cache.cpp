#include "analytics/result_cache.hpp"

namespace insightstream::analytics {

// One answer may not crowd out the rest: at most a quarter of the cache.
ResultCache::ResultCache(size_t max_bytes, core::Metrics& metrics) : metrics_(metrics), lru_(max_bytes, max_bytes / 4) {
    metrics_.Describe("insightstream_analytics_cache_requests_total", "counter", "Analytics cache lookups by result.");
    metrics_.Describe("insightstream_analytics_cache_bytes", "gauge", "Bytes held by the analytics cache.");
}

std::optional<CachedAnswer> ResultCache::Get(const std::string& key) {
    auto hit = lru_.Get(key);
    metrics_.Add("insightstream_analytics_cache_requests_total", {{"result", hit ? "hit" : "miss"}});
    return hit;
}

void ResultCache::Put(const std::string& key, CachedAnswer answer) {
    const size_t cost = key.size() + answer.body.size() + answer.content_type.size() + answer.etag.size() + 64;
    lru_.Put(key, std::move(answer), cost);
    metrics_.Set("insightstream_analytics_cache_bytes", {}, static_cast<double>(lru_.bytes()));
}

void ResultCache::Invalidate(const std::string& prefix) {
    lru_.Invalidate(prefix);
    metrics_.Set("insightstream_analytics_cache_bytes", {}, static_cast<double>(lru_.bytes()));
}

}  // namespace insightstream::analytics
