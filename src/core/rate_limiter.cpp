#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace insightstream::core {

RateLimiter::RateLimiter(double burst, double per_minute, size_t max_keys)
    : burst_(burst), per_ms_(per_minute / 60'000.0), max_keys_(max_keys) {}

Result<void> RateLimiter::Take(const std::string& key, int64_t now_ms, std::string_view what) {
    if (burst_ <= 0) return {};
    std::scoped_lock lock(mutex_);
    if (buckets_.size() >= max_keys_) {
        for (auto it = buckets_.begin(); it != buckets_.end();) {
            bool full = it->second.tokens + static_cast<double>(now_ms - it->second.at_ms) * per_ms_ >= burst_;
            it = full ? buckets_.erase(it) : std::next(it);
        }
    }
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now_ms});
    Bucket& b = it->second;
    if (!fresh) {
        b.tokens = std::min(burst_, b.tokens + static_cast<double>(now_ms - b.at_ms) * per_ms_);
        b.at_ms = now_ms;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return {};
    }
    int retry_s = per_ms_ > 0 ? static_cast<int>(std::ceil((1.0 - b.tokens) / per_ms_ / 1000.0)) : 3600;
    return Error::RateLimited("too many " + std::string(what) + "; retry in " + std::to_string(retry_s) + " s",
                              std::max(1, retry_s));
}

}  // namespace insightstream::core
