#include "auth/membership_check.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;

std::string MembershipCheck::Key(const core::TenantId& tenant, const core::UserId& user) {
    return tenant.str() + "/" + user.str();
}

Result<core::Principal> MembershipCheck::Judge(core::Principal p, const Standing& s) {
    if (!s.exists) {
        return Error::Unauthenticated("you are no longer a member of this organization")
            .WithSlug("invalid-token")
            .WithInternal("membership ended");
    }
    if (p.token_epoch != s.epoch) {
        return Error::Unauthenticated("this session has ended (the password was changed or you signed out "
                                      "everywhere); log in again")
            .WithSlug("invalid-token")
            .WithInternal("token epoch " + std::to_string(p.token_epoch) + " is not " + std::to_string(s.epoch));
    }
    p.role = s.role;
    p.must_change_password = s.must_change_password;
    return p;
}

std::optional<Result<core::Principal>> MembershipCheck::ApplyCached(core::Principal p) const {
    if (p.IsApiKey()) return Result<core::Principal>(std::move(p));
    int64_t now = clock_.NowMs();
    std::scoped_lock lock(mutex_);
    auto it = cache_.find(Key(p.tenant, p.user));
    if (it == cache_.end() || now - it->second.fetched_ms > ttl_ms_) return std::nullopt;
    return Judge(std::move(p), it->second);
}

Result<core::Principal> MembershipCheck::Apply(core::Principal p) const {
    if (p.IsApiKey()) return p;
    if (auto cached = ApplyCached(p)) return std::move(*cached);
    Standing s;
    s.fetched_ms = clock_.NowMs();
    IS_TRY(auto rows, store::TransactValue(db_, p.tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               return tx.Exec("SELECT role, token_epoch, must_change_password FROM users WHERE tenant_id = $1 AND id = $2",
                              {p.tenant, p.user});
           }));
    if (!rows.rows.empty()) {
        const auto& r = rows.rows[0];
        s.exists = core::ParseRole(r.Text(0), &s.role);
        s.epoch = r.Int(1);
        s.must_change_password = r.Int(2) != 0;
    }
    {
        std::scoped_lock lock(mutex_);
        if (cache_.size() >= kMaxCached) cache_.clear();
        cache_[Key(p.tenant, p.user)] = s;
    }
    return Judge(std::move(p), s);
}

void MembershipCheck::Invalidate(const core::TenantId& tenant, const core::UserId& user) const {
    std::scoped_lock lock(mutex_);
    cache_.erase(Key(tenant, user));
}

}  // namespace insightstream::auth
