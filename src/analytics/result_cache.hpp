// An in-process LRU cache of rendered analytics answers, bounded by bytes (an LruCache with
// metrics). Keys always start with the tenant, so one tenant's entry can never answer another's
// request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "analytics/lru_cache.hpp"
#include "core/metrics.hpp"

namespace insightstream::analytics {

struct CachedAnswer {
    std::string body;
    std::string content_type;
    std::string etag;
};

class ResultCache {
public:
    ResultCache(size_t max_bytes, core::Metrics& metrics);
    std::optional<CachedAnswer> Get(const std::string& key);
    void Put(const std::string& key, CachedAnswer answer);
    /// Drops every entry whose key starts with `prefix` (a deleted dataset).
    void Invalidate(const std::string& prefix);
    [[nodiscard]] size_t bytes() const { return lru_.bytes(); }

private:
    core::Metrics& metrics_;
    LruCache<CachedAnswer> lru_;
};

}  // namespace insightstream::analytics
