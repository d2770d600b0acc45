// A rate limit every instance of a role counts together: the counters live in the database
// (rate_windows), so N auth instances behind a load balancer allow what one would, not N times
// as much. Used where a limit is a security control (login and sign-up per client address);
// the edge's flood limit stays in process memory (core::RateLimiter), where a database round
// trip per request would cost more than it guards.
//
// Sliding window, estimated from two fixed windows (the current one and the previous one,
// weighted by how much of it still overlaps): one upsert and one read per request. Keys are
// hashed, so the table holds no client addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

class SharedRateLimit {
public:
    /// At most `limit` requests per key in any `window_ms`; limit <= 0 disables.
    SharedRateLimit(store::Database& db, const core::Clock& clock, std::string name, double limit, int64_t window_ms)
        : db_(db), clock_(clock), name_(std::move(name)), limit_(limit), window_ms_(window_ms) {}

    /// Counts one request for `key`; RateLimited (rate-limited, with Retry-After) when over.
    core::Result<void> Take(const std::string& key, std::string_view what) const;

private:
    store::Database& db_;
    const core::Clock& clock_;
    std::string name_;
    double limit_;
    int64_t window_ms_;
};

}  // namespace insightstream::auth
