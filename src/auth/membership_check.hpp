// Every authenticated request of a person is checked against their membership as it is now, not
// as the access token remembers it: a removed member is refused at once, a demoted one acts with
// the new role, a token from before a password change or "sign out everywhere" (an older token
// epoch) stops working, and a member whose password was reset may only choose a new one.
//
// The membership row is cached for at most `ttl_ms` (2 s) so that cached analytics answers need
// no database trip; the process that changes a membership drops its cache entry at once, so in
// the embedded mode every change is immediate and in the distributed mode it reaches the other
// processes within the TTL.
#pragma once

#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/clock.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

class MembershipCheck {
public:
    MembershipCheck(store::Database& db, const core::Clock& clock, int64_t ttl_ms = 2000)
        : db_(db), clock_(clock), ttl_ms_(ttl_ms) {}

    /// The principal of a verified access token with its current role (may read the database).
    /// API keys pass through unchanged: their revocation is checked where they are verified.
    core::Result<core::Principal> Apply(core::Principal p) const;
    /// The same from the cache only; nullopt when the membership is not cached (never blocks).
    [[nodiscard]] std::optional<core::Result<core::Principal>> ApplyCached(core::Principal p) const;
    /// Forgets a member (after a change to its role, password, epoch or existence).
    void Invalidate(const core::TenantId& tenant, const core::UserId& user) const;

private:
    struct Standing {
        bool exists = false;
        core::Role role = core::Role::kViewer;
        int64_t epoch = 0;
        bool must_change_password = false;
        int64_t fetched_ms = 0;
    };
    static core::Result<core::Principal> Judge(core::Principal p, const Standing& s);
    static std::string Key(const core::TenantId& tenant, const core::UserId& user);

    store::Database& db_;
    const core::Clock& clock_;
    int64_t ttl_ms_;
    static constexpr size_t kMaxCached = 50'000;
    mutable std::mutex mutex_;
    mutable std::unordered_map<std::string, Standing> cache_;
};

}  // namespace insightstream::auth
