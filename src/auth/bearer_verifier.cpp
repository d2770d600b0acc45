#include "auth/bearer_verifier.hpp"

#include <strings.h>

#include "auth/auth_service.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using http::Request;
using store::Tx;
using store::TxMode;

BearerVerifier::BearerVerifier(const JwtCodec& codec, store::Database* db, const MembershipCheck* memberships,
                               const core::Clock& clock, int64_t api_key_cache_ms)
    : codec_(codec), db_(db), memberships_(memberships), clock_(clock), api_key_cache_ms_(api_key_cache_ms) {}

void BearerVerifier::ForgetApiKey(const std::string& key_id) const {
    std::scoped_lock lock(mutex_);
    std::erase_if(keys_, [&](const auto& kv) { return kv.second.principal.key_id == key_id; });
}

Result<core::Principal> BearerVerifier::Authenticate(const Request& req) const {
    const std::string* h = req.Header("authorization");
    if (!h || h->empty()) return Error::Unauthenticated("send an access token or API key as Authorization: Bearer <token>");
    std::string_view v(*h);
    if (v.size() < 7 || strncasecmp(v.data(), "Bearer ", 7) != 0) {
        return Error::Unauthenticated("the Authorization header must use the Bearer scheme");
    }
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.starts_with("isk.") && !db_) {
        return Error::Unauthenticated("API keys are accepted by the services, not by this role").WithSlug("invalid-token");
    }
    auto p = v.starts_with("isk.") ? AuthenticateApiKey(v) : codec_.Verify(v);
    if (p && memberships_) p = memberships_->Apply(std::move(*p));
    if (!p) core::Log(core::LogLevel::kInfo, "auth.credentials_rejected", p.error().internal());
    return p;
}

std::optional<Result<core::Principal>> BearerVerifier::AuthenticateCached(const Request& req) const {
    const std::string* h = req.Header("authorization");
    if (!h || h->size() < 8 || strncasecmp(h->c_str(), "Bearer ", 7) != 0) return std::nullopt;
    std::string_view v = std::string_view(*h).substr(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.starts_with("isk.")) return std::nullopt;
    auto p = codec_.VerifyCached(v);
    if (!p) return std::nullopt;
    if (!memberships_) return std::optional<Result<core::Principal>>(std::move(*p));
    return memberships_->ApplyCached(std::move(*p));
}

Result<core::Principal> BearerVerifier::AuthenticateApiKey(std::string_view key) const {
    auto invalid = [](std::string why) {
        return Error::Unauthenticated("the API key is invalid or revoked").WithSlug("invalid-token").WithInternal(why);
    };
    auto tenant = TenantOfToken(key, "isk");
    if (!tenant || key.size() > 200) return invalid("malformed api key");
    // isk.<tenant>.<prefix>.<secret>: the prefix finds the row, the hash of the whole key proves it.
    std::string_view rest = key.substr(4 + tenant->str().size() + 1);
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return invalid("malformed api key");
    std::string prefix(rest.substr(0, dot));
    std::string hash = core::Sha256Hex(key);
    int64_t now = clock_.NowMs();
    if (api_key_cache_ms_ > 0) {
        std::scoped_lock lock(mutex_);
        if (auto it = keys_.find(hash); it != keys_.end() && it->second.until_ms > now) return it->second.principal;
    }
    auto found = store::TransactValue(*db_, *tenant, TxMode::kWrite, [&](Tx& tx) -> Result<std::optional<core::Principal>> {
        IS_TRY(auto rows, tx.Exec("SELECT id, secret_hash, scopes, role, last_used_at FROM api_keys "
                                  "WHERE tenant_id = $1 AND prefix = $2 AND revoked_at IS NULL",
                                  {*tenant, prefix}));
        for (const auto& r : rows.rows) {
            if (!core::ConstantTimeEquals(r.Text(1), hash)) continue;
            core::Principal p;
            p.tenant = *tenant;
            p.key_id = r.Text(0);
            core::ParseRole(r.Text(3), &p.role);
            p.read_only = r.Text(2).find("write") == std::string::npos;
            // last_used_at is advisory: written at most once a minute per key.
            if (r.OptInt(4).value_or(0) < now - 60'000) {
                IS_TRY_VOID(tx.Exec("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2",
                                    {*tenant, p.key_id, now}));
            }
            return std::optional<core::Principal>(p);
        }
        return std::optional<core::Principal>();
    });
    if (!found) return std::move(found).error();
    if (!*found) return invalid("unknown or revoked api key");
    if (api_key_cache_ms_ > 0) {
        std::scoped_lock lock(mutex_);
        if (keys_.size() > 10'000) keys_.clear();
        keys_[hash] = CachedKey{**found, now + api_key_cache_ms_};
    }
    return **found;
}

}  // namespace insightstream::auth
