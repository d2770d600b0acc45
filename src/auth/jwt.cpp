#include "auth/jwt.hpp"

#include <boost/json.hpp>

#include "core/crypto.hpp"

namespace insightstream::auth {

using core::Error;
namespace json = boost::json;

namespace {
Error Invalid(std::string why) {
    return Error::Unauthenticated("the access token is invalid or expired").WithSlug("invalid-token").WithInternal(
        std::move(why));
}

std::optional<json::object> DecodeObject(std::string_view part) {
    auto raw = core::Base64UrlDecode(part);
    if (!raw) return std::nullopt;
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 8;
    auto v = json::parse(*raw, ec, {}, opts);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

std::optional<int64_t> IntClaim(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().as_int64();
    if (it->value().is_uint64()) return static_cast<int64_t>(it->value().as_uint64());
    return std::nullopt;
}

const json::string* StringClaim(const json::object& o, std::string_view name) {
    auto it = o.find(name);
    if (it == o.end() || !it->value().is_string()) return nullptr;
    return &it->value().as_string();
}
}  // namespace

core::Result<std::string> JwtCodec::Issue(const core::TenantId& tenant, const core::UserId& user, core::Role role,
                                          int64_t epoch) const {
    keys_.RefreshIfDue();
    KeyRef key = keys_.Active();
    if (!key) return core::Error::Internal("no signing key: only the auth role issues tokens");
    int64_t now = clock_.NowMs() / 1000;
    json::object header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key->kid}};
    json::object claims{{"iss", settings_.issuer},
                        {"aud", settings_.audience},
                        {"sub", user.str()},
                        {"tid", tenant.str()},
                        {"role", core::RoleName(role)},
                        {"gen", epoch},
                        {"iat", now},
                        {"nbf", now},
                        {"exp", now + settings_.access_ttl_s},
                        {"jti", core::RandomToken(12)}};
    std::string signing_input =
        core::Base64UrlEncode(json::serialize(header)) + "." + core::Base64UrlEncode(json::serialize(claims));
    IS_TRY(auto sig, SignEs256(key->key.get(), signing_input));
    return signing_input + "." + core::Base64UrlEncode(sig);
}

core::Result<core::Principal> JwtCodec::Verify(std::string_view token) const {
    int64_t now = clock_.NowMs() / 1000;
    std::string key(token);
    {
        std::scoped_lock lock(verified_mutex_);
        auto it = verified_.find(key);
        if (it != verified_.end()) {
            if (now <= it->second.exp + settings_.leeway_s) return it->second.principal;
            verified_.erase(it);
            return Invalid("expired");
        }
    }
    int64_t exp = 0;
    auto p = VerifyUncached(token, &exp);
    if (p) {
        std::scoped_lock lock(verified_mutex_);
        if (verified_.size() >= kMaxVerified) verified_.clear();
        verified_.emplace(std::move(key), Verified{*p, exp});
    }
    return p;
}

std::optional<core::Principal> JwtCodec::VerifyCached(std::string_view token) const {
    int64_t now = clock_.NowMs() / 1000;
    std::scoped_lock lock(verified_mutex_);
    auto it = verified_.find(std::string(token));
    if (it == verified_.end() || now > it->second.exp + settings_.leeway_s) return std::nullopt;
    return it->second.principal;
}

core::Result<core::Principal> JwtCodec::VerifyUncached(std::string_view token, int64_t* exp_out) const {
    if (token.size() > 4096) return Invalid("token too long");
    size_t d1 = token.find('.');
    size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d1 == std::string_view::npos || d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
        return Invalid("not three parts");
    }
    auto header = DecodeObject(token.substr(0, d1));
    if (!header) return Invalid("bad header");
    const json::string* alg = StringClaim(*header, "alg");
    if (!alg || *alg != "ES256") return Invalid("alg is not ES256");
    const json::string* kid = StringClaim(*header, "kid");
    if (!kid) return Invalid("no kid");
    KeyRef key = keys_.Find(std::string_view(*kid));
    if (!key) return Invalid("unknown kid");
    auto sig = core::Base64UrlDecode(token.substr(d2 + 1));
    if (!sig || !VerifyEs256(key->key.get(), token.substr(0, d2), *sig)) return Invalid("bad signature");

    auto claims = DecodeObject(token.substr(d1 + 1, d2 - d1 - 1));
    if (!claims) return Invalid("bad payload");
    int64_t now = clock_.NowMs() / 1000;
    auto exp = IntClaim(*claims, "exp");
    if (!exp || now > *exp + settings_.leeway_s) return Invalid("expired");
    auto nbf = IntClaim(*claims, "nbf");
    if (nbf && now + settings_.leeway_s < *nbf) return Invalid("not yet valid");
    const json::string* iss = StringClaim(*claims, "iss");
    if (!iss || *iss != settings_.issuer) return Invalid("wrong issuer");
    bool aud_ok = false;
    if (auto it = claims->find("aud"); it != claims->end()) {
        if (it->value().is_string()) {
            aud_ok = it->value().as_string() == settings_.audience;
        } else if (it->value().is_array()) {
            for (const auto& a : it->value().as_array()) aud_ok = aud_ok || (a.is_string() && a.as_string() == settings_.audience);
        }
    }
    if (!aud_ok) return Invalid("wrong audience");
    const json::string* sub = StringClaim(*claims, "sub");
    const json::string* tid = StringClaim(*claims, "tid");
    const json::string* role = StringClaim(*claims, "role");
    core::Principal p;
    if (!sub || !tid || !role || !core::IsValidId(*sub) || !core::IsValidId(*tid) ||
        !core::ParseRole(std::string_view(*role), &p.role)) {
        return Invalid("missing or malformed subject claims");
    }
    p.tenant = core::TenantId(std::string(*tid));
    p.user = core::UserId(std::string(*sub));
    p.token_epoch = IntClaim(*claims, "gen").value_or(0);
    *exp_out = *exp;
    return p;
}

}  // namespace insightstream::auth
