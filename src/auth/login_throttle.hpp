// Throttles password guessing without letting anyone lock a real user out, and without telling
// known and unknown e-mail addresses apart (OWASP ASVS 2.2.1):
// - per account *and source* (the e-mail with the client's address): after 3 failures each
//   further attempt from that source waits 1 s, 2 s, 4 s ... up to 15 minutes — a stranger slows
//   down only themselves;
// - per account, from all sources: after 50 consecutive failures the same doubling, up to 5
//   minutes — only a guesser spread over many addresses reaches it, and the owner's next
//   successful login clears it;
// - per source, from all accounts: the login rate limit (--login-rate-limit).
// Counters live in the database (login_attempts, keyed by hashes), so every auth instance sees
// the same ones, and exist for addresses with no account exactly as for real ones.
#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

struct LoginThrottleSettings {
    int per_source_free = 3;
    int per_source_max_s = 900;
    int per_account_free = 50;
    int per_account_max_s = 300;
    int forget_after_s = 24 * 3600;  // failures older than this no longer count
};

class LoginThrottle {
public:
    LoginThrottle(store::Database& db, const core::Clock& clock, LoginThrottleSettings settings = {})
        : db_(db), clock_(clock), settings_(settings) {}
    /// 429 login-throttled (with Retry-After) when this attempt must wait; checked before the
    /// password is looked at, so the answer is the same for every address.
    core::Result<void> Check(const std::string& email, const std::string& source) const;
    core::Result<void> Failed(const std::string& email, const std::string& source) const;
    core::Result<void> Succeeded(const std::string& email, const std::string& source) const;

private:
    store::Database& db_;
    const core::Clock& clock_;
    LoginThrottleSettings settings_;
};

}  // namespace insightstream::auth
