// An in-process LRU cache of rendered analytics answers, bounded by bytes. Keys always start
// with the tenant, so one tenant's entry can never answer another's request.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

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
    [[nodiscard]] size_t bytes() const;

private:
    using Entry = std::pair<std::string, CachedAnswer>;
    size_t max_bytes_;
    core::Metrics& metrics_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index_;
    size_t bytes_ = 0;
};

}  // namespace insightstream::analytics
