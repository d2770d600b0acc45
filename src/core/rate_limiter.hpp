// Token-bucket rate limiting by key (an IP address, an account, a tenant), in process memory.
// Each instance limits on its own; behind a load balancer with N instances the effective limit is
// up to N times higher, which the documented defaults allow for. Memory stays bounded: when the
// table grows past its cap, buckets that have refilled completely are dropped.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/result.hpp"

namespace insightstream::core {

class RateLimiter {
public:
    /// `burst` requests at once, refilled at `per_minute` per minute. burst == 0 disables.
    RateLimiter(double burst, double per_minute, size_t max_keys = 100'000);
    /// Takes one token for `key` at `now_ms`; RateLimited (with Retry-After) when none is left.
    Result<void> Take(const std::string& key, int64_t now_ms, std::string_view what);

private:
    struct Bucket {
        double tokens;
        int64_t at_ms;
    };
    double burst_;
    double per_ms_;
    size_t max_keys_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace insightstream::core
