// Verifies a request's bearer credentials on every role alike: an access token (ES256, checked
// locally against the key ring) or an API key (looked up in the database, briefly cached), then
// the caller's current membership. The auth role and the roles that serve data share this one
// implementation, so a key that works on one works on all.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "auth/membership_check.hpp"
#include "core/clock.hpp"
#include "core/principal.hpp"
#include "http/request.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

class BearerVerifier {
public:
    /// `db` and `memberships` may be null (a role without a database accepts access tokens only).
    /// `api_key_cache_ms`: how long a looked-up API key is trusted before it is looked up again —
    /// the longest a revoked key keeps working on this process (0: every request looks it up).
    BearerVerifier(const JwtCodec& codec, store::Database* db, const MembershipCheck* memberships,
                   const core::Clock& clock, int64_t api_key_cache_ms);

    core::Result<core::Principal> Authenticate(const http::Request& req) const;
    /// An access token verified before, with its membership cached, without blocking; nullopt
    /// otherwise (API keys included).
    [[nodiscard]] std::optional<core::Result<core::Principal>> AuthenticateCached(const http::Request& req) const;
    /// Forgets a cached API key at once (its revocation on this process).
    void ForgetApiKey(const std::string& key_id) const;

private:
    core::Result<core::Principal> AuthenticateApiKey(std::string_view key) const;

    const JwtCodec& codec_;
    store::Database* db_;
    const MembershipCheck* memberships_;
    const core::Clock& clock_;
    int64_t api_key_cache_ms_;
    struct CachedKey {
        core::Principal principal;
        int64_t until_ms = 0;
    };
    mutable std::mutex mutex_;
    mutable std::map<std::string, CachedKey> keys_;  // by the key's hash
};

}  // namespace insightstream::auth
