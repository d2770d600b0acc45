#include "auth/auth_service.hpp"

#include <strings.h>

#include <boost/json.hpp>

#include <algorithm>

#include "core/crypto.hpp"
#include "core/log.hpp"
#include "http/json_body.hpp"
#include "store/audit_log.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using http::Request;
using http::Response;
using store::Tx;
using store::TxMode;
namespace json = boost::json;

std::optional<std::string> NormalizeEmail(std::string_view email) {
    std::string e(email);
    e.erase(0, e.find_first_not_of(" \t"));
    e.erase(e.find_last_not_of(" \t") + 1);
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t at = e.find('@');
    if (e.size() < 3 || e.size() > 254 || at == std::string::npos || at == 0 || e.find('@', at + 1) != std::string::npos)
        return std::nullopt;
    std::string_view domain = std::string_view(e).substr(at + 1);
    if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' || domain.back() == '.')
        return std::nullopt;
    if (std::any_of(e.begin(), e.end(), [](unsigned char c) { return c <= ' ' || c == 0x7F; })) return std::nullopt;
    return e;
}

std::optional<core::TenantId> TenantOfToken(std::string_view token, std::string_view kind) {
    if (!token.starts_with(kind) || token.size() <= kind.size() || token[kind.size()] != '.') return std::nullopt;
    std::string_view rest = token.substr(kind.size() + 1);
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::string tenant(rest.substr(0, dot));
    if (!core::IsValidId(tenant)) return std::nullopt;
    return core::TenantId(std::move(tenant));
}

struct AuthService::Session {
    std::string access;
    std::string refresh;
    json::object user;
    json::object organization;
};

AuthService::AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                         const PasswordHasher& hasher, AuthSettings settings)
    : db_(db),
      keys_(keys),
      clock_(clock),
      ids_(ids),
      hasher_(hasher),
      settings_(std::move(settings)),
      codec_(keys, clock, settings_.jwt),
      login_ip_(settings_.login_per_ip_per_minute, settings_.login_per_ip_per_minute),
      login_account_(settings_.login_per_account_per_minute, settings_.login_per_account_per_minute),
      signup_ip_(settings_.signup_per_ip_per_hour, settings_.signup_per_ip_per_hour / 60.0) {}

void AuthService::RegisterRoutes(http::Router& router) {
    http::RouteOptions pub{.access = http::Access::kPublic, .body_limit = 64 * 1024};
    router.Add("POST", "/api/v1/auth/signup", [this](Request& r) { return Signup(r); }, pub);
    router.Add("POST", "/api/v1/auth/login", [this](Request& r) { return Login(r); }, pub);
    router.Add("POST", "/api/v1/auth/refresh", [this](Request& r) { return Refresh(r); }, pub);
    // Public so that a session can be ended with only its refresh cookie, after the access token expired.
    router.Add("POST", "/api/v1/auth/logout", [this](Request& r) { return Logout(r); }, pub);
    router.Add("GET", "/.well-known/jwks.json", [this](Request& r) { return Jwks(r); }, pub);
    router.Add("GET", "/api/v1/me", [this](Request& r) { return Me(r); });
}

Result<core::Principal> AuthService::Authenticate(const Request& req) const {
    const std::string* h = req.Header("authorization");
    if (!h || h->empty()) return Error::Unauthenticated("send an access token or API key as Authorization: Bearer <token>");
    std::string_view v(*h);
    if (v.size() < 7 || strncasecmp(v.data(), "Bearer ", 7) != 0) {
        return Error::Unauthenticated("the Authorization header must use the Bearer scheme");
    }
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    auto p = v.starts_with("isk.") ? AuthenticateApiKey(v) : codec_.Verify(v);
    if (!p) core::Log(core::LogLevel::kInfo, "auth.credentials_rejected", p.error().internal());
    return p;
}

std::optional<core::Principal> AuthService::AuthenticateCached(const Request& req) const {
    const std::string* h = req.Header("authorization");
    if (!h || h->size() < 8 || strncasecmp(h->c_str(), "Bearer ", 7) != 0) return std::nullopt;
    std::string_view v = std::string_view(*h).substr(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    if (v.starts_with("isk.")) return std::nullopt;
    return codec_.VerifyCached(v);
}

Result<core::Principal> AuthService::AuthenticateApiKey(std::string_view key) const {
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
    auto found = store::TransactValue(db_, *tenant, TxMode::kWrite, [&](Tx& tx) -> Result<std::optional<core::Principal>> {
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
    return **found;
}

Result<std::string> AuthService::IssueRefresh(Tx& tx, const core::TenantId& tenant, const core::UserId& user,
                                              std::string family) {
    if (family.empty()) family = "fam_" + core::RandomToken(12);
    std::string token = "rt." + tenant.str() + "." + core::RandomToken(32);
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(tx.Exec("INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, family_id, created_at, expires_at) "
                        "VALUES ($1, $2, $3, $4, $5, $6)",
                        {core::Sha256Hex(token), tenant, user, family, now, now + int64_t{settings_.refresh_ttl_s} * 1000}));
    return token;
}

Response AuthService::SessionResponse(int status, const Session& s) const {
    auto resp = http::JsonResponse(status, json::object{{"access_token", s.access},
                                                        {"refresh_token", s.refresh},
                                                        {"token_type", "Bearer"},
                                                        {"expires_in", settings_.jwt.access_ttl_s},
                                                        {"user", s.user},
                                                        {"organization", s.organization}});
    // The dashboard keeps the refresh token only in this cookie, never in script-readable storage.
    resp.Header("Set-Cookie", settings_.cookie_name + "=" + s.refresh + "; Path=/api/v1/auth; Max-Age=" +
                                  std::to_string(settings_.refresh_ttl_s) + "; HttpOnly; Secure; SameSite=Strict");
    return resp;
}

Result<std::optional<std::string>> AuthService::PresentedRefreshToken(const Request& req) const {
    // The body ({"refresh_token": ...}, optional) wins over the dashboard's cookie.
    if (!req.body.empty()) {
        IS_TRY(auto body, http::ParseJsonObject(req));
        http::JsonFields f(body);
        f.OnlyAllow({"refresh_token"});
        auto from_body = f.OptionalString("refresh_token", 512);
        IS_TRY_VOID(f.Finish());
        if (from_body && !from_body->empty()) return from_body;
    }
    const std::string* cookie = req.Header("cookie");
    if (!cookie) return std::optional<std::string>();
    std::string key = settings_.cookie_name + "=";
    size_t pos = 0;
    while (pos < cookie->size()) {
        while (pos < cookie->size() && (*cookie)[pos] == ' ') ++pos;
        size_t end = cookie->find(';', pos);
        if (end == std::string::npos) end = cookie->size();
        if (cookie->compare(pos, key.size(), key) == 0) {
            return std::optional<std::string>(cookie->substr(pos + key.size(), end - pos - key.size()));
        }
        pos = end + 1;
    }
    return std::optional<std::string>();
}

namespace {
std::string ReadPassword(const json::object& body, http::JsonFields& f, size_t min_chars, bool check_length) {
    auto it = body.find("password");
    if (it == body.end() || !it->value().is_string()) {
        f.Invalid("password", it == body.end() ? "is required" : "must be a string");
        return {};
    }
    std::string password(it->value().as_string());
    if (check_length && (password.size() < min_chars || password.size() > 1024)) {
        f.Invalid("password", "must be " + std::to_string(min_chars) + " to 1024 characters");
    }
    return password;
}
}  // namespace

Result<Response> AuthService::Signup(Request& req) {
    IS_TRY_VOID(signup_ip_.Take(req.remote_ip, clock_.NowMs(), "sign-ups from your address"));
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"organization", "email", "password", "name"});
    std::string org_name = f.RequiredString("organization", 1, 200);
    std::string email_raw = f.RequiredString("email", 3, 254);
    auto name = f.OptionalString("name", 200).value_or("");
    std::optional<std::string> email;
    if (!email_raw.empty()) {
        email = NormalizeEmail(email_raw);
        if (!email) f.Invalid("email", "is not a valid e-mail address");
    }
    std::string password = ReadPassword(body, f, settings_.min_password_chars, true);
    IS_TRY_VOID(f.Finish());

    IS_TRY(auto hash, hasher_.Hash(password));
    core::TenantId tenant(ids_.NewId("org_"));
    core::UserId user(ids_.NewId("usr_"));
    int64_t now = clock_.NowMs();
    Session s;
    auto status = db_.Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", {tenant, org_name, now}));
        IS_TRY_VOID(tx.Exec("INSERT INTO login_index (email, tenant_id, user_id) VALUES ($1, $2, $3)",
                            {*email, tenant, user}));
        IS_TRY_VOID(tx.Exec(
            "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, 'owner', $6, $6)",
            {user, tenant, *email, name, hash, now}));
        IS_TRY(s.refresh, IssueRefresh(tx, tenant, user, ""));
        auto audit = store::AuditFrom(req, "auth.signup", "user", user.str());
        audit.actor_user_id = user.str();
        return store::AppendAudit(tx, tenant, audit, now);
    });
    if (!status) {
        if (status.error().code() == core::ErrorCode::kConflict) {
            return Error::Conflict("an account with this e-mail address already exists").WithSlug("email-taken");
        }
        return std::move(status).error();
    }
    IS_TRY(s.access, codec_.Issue(tenant, user, core::Role::kOwner));
    core::Log(core::LogLevel::kInfo, "auth.signup", "organization created",
              {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
    s.user = {{"id", user.str()}, {"email", *email}, {"name", name}, {"role", "owner"}};
    s.organization = {{"id", tenant.str()}, {"name", org_name}};
    auto resp = SessionResponse(201, s);
    resp.Header("Location", "/api/v1/me");
    return resp;
}

Result<Response> AuthService::Login(Request& req) {
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(login_ip_.Take(req.remote_ip, now, "login attempts from your address"));
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"email", "password"});
    std::string email_raw = f.RequiredString("email", 1, 254);
    std::string password = ReadPassword(body, f, 0, false);
    IS_TRY_VOID(f.Finish());
    std::string email = NormalizeEmail(email_raw).value_or(email_raw);
    IS_TRY_VOID(login_account_.Take("login:" + email, now, "login attempts for this account"));

    auto wrong = Error::Unauthenticated("the e-mail address or password is wrong").WithSlug("invalid-credentials");
    IS_TRY(auto index, store::TransactSystemValue(db_, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT tenant_id, user_id FROM login_index WHERE email = $1", {email});
           }));
    if (index.rows.empty()) {
        hasher_.VerifyDummy(password);  // the same time as a wrong password: no account enumeration
        core::Log(core::LogLevel::kInfo, "auth.login_failed", "unknown account");
        return wrong;
    }
    core::TenantId tenant(index.rows[0].Text(0));
    core::UserId user(index.rows[0].Text(1));
    IS_TRY(auto rows, store::TransactValue(db_, tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec(
                   "SELECT u.password_hash, u.role, u.name, t.name, u.failed_logins, u.locked_until FROM users u "
                   "JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2",
                   {tenant, user});
           }));
    if (rows.rows.empty()) {
        hasher_.VerifyDummy(password);
        return wrong;
    }
    const auto& row = rows.rows[0];
    int64_t locked_until = row.Int(5);
    if (locked_until > now) {
        int wait_s = static_cast<int>((locked_until - now + 999) / 1000);
        return Error::RateLimited("too many failed logins for this account; retry in " + std::to_string(wait_s) + " s",
                                  wait_s)
            .WithSlug("login-locked");
    }
    if (!hasher_.Verify(row.Text(0), password)) {
        int64_t failures = row.Int(4) + 1;
        int64_t lock_ms = 0;
        if (failures >= settings_.lockout_after_failures) {
            int64_t exp = std::min<int64_t>(failures - settings_.lockout_after_failures, 20);
            lock_ms = std::min<int64_t>(int64_t{1000} << exp, int64_t{settings_.lockout_max_s} * 1000);
        }
        IS_TRY_VOID(db_.Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY_VOID(tx.Exec("UPDATE users SET failed_logins = $3, locked_until = $4 WHERE tenant_id = $1 AND id = $2",
                                {tenant, user, failures, lock_ms > 0 ? now + lock_ms : 0}));
            auto audit = store::AuditFrom(req, "auth.login_failed", "user", user.str());
            audit.details = {{"consecutive_failures", failures}, {"locked_for_s", lock_ms / 1000}};
            return store::AppendAudit(tx, tenant, audit, now);
        }));
        core::Log(core::LogLevel::kInfo, "auth.login_failed", "wrong password",
                  {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
        return wrong;
    }
    core::Role role;
    if (!core::ParseRole(row.Text(1), &role)) return Error::Internal("unknown role in DB: " + row.Text(1));
    Session s;
    IS_TRY_VOID(db_.Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE tenant_id = $1 AND id = $2",
                            {tenant, user}));
        IS_TRY(s.refresh, IssueRefresh(tx, tenant, user, ""));
        auto audit = store::AuditFrom(req, "auth.login", "user", user.str());
        audit.actor_user_id = user.str();
        return store::AppendAudit(tx, tenant, audit, now);
    }));
    IS_TRY(s.access, codec_.Issue(tenant, user, role));
    core::Log(core::LogLevel::kInfo, "auth.login", "signed in", {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
    s.user = {{"id", user.str()}, {"email", email}, {"name", row.Text(2)}, {"role", row.Text(1)}};
    s.organization = {{"id", tenant.str()}, {"name", row.Text(3)}};
    return SessionResponse(200, s);
}

Result<Response> AuthService::Refresh(Request& req) {
    IS_TRY(auto token, PresentedRefreshToken(req));
    auto invalid = Error::Unauthenticated("the refresh token is invalid, expired or revoked; log in again")
                       .WithSlug("invalid-refresh-token");
    if (!token) return invalid;
    auto tenant = TenantOfToken(*token, "rt");
    if (!tenant) return invalid;
    int64_t now = clock_.NowMs();
    std::string hash = core::Sha256Hex(*token);
    enum class Outcome { kInvalid, kReused, kOk };
    Outcome outcome = Outcome::kInvalid;
    Session s;
    core::UserId user;
    core::Role role = core::Role::kViewer;
    IS_TRY_VOID(db_.Transact(*tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(auto rows, tx.Exec("SELECT user_id, family_id, expires_at, spent_at, revoked_at FROM refresh_tokens "
                                  "WHERE tenant_id = $1 AND token_hash = $2",
                                  {*tenant, hash}));
        if (rows.rows.empty()) return {};
        const auto& r = rows.rows[0];
        user = core::UserId(r.Text(0));
        std::string family = r.Text(1);
        if (!r.IsNull(4) || r.Int(2) <= now) return {};
        if (!r.IsNull(3)) {
            // A spent token came back: whoever holds the family now may be a thief. End it for both.
            outcome = Outcome::kReused;
            IS_TRY_VOID(tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 "
                                "AND revoked_at IS NULL",
                                {*tenant, family, now}));
            auto audit = store::AuditFrom(req, "auth.refresh_reuse", "user", user.str());
            audit.details = {{"family_id", family}};
            return store::AppendAudit(tx, *tenant, audit, now);
        }
        IS_TRY(auto u, tx.Exec("SELECT u.role, u.email, u.name, t.name FROM users u JOIN tenants t ON t.id = u.tenant_id "
                               "WHERE u.tenant_id = $1 AND u.id = $2",
                               {*tenant, user}));
        if (u.rows.empty() || !core::ParseRole(u.rows[0].Text(0), &role)) return {};
        IS_TRY_VOID(tx.Exec("UPDATE refresh_tokens SET spent_at = $3 WHERE tenant_id = $1 AND token_hash = $2",
                            {*tenant, hash, now}));
        IS_TRY(s.refresh, IssueRefresh(tx, *tenant, user, family));
        s.user = {{"id", user.str()}, {"email", u.rows[0].Text(1)}, {"name", u.rows[0].Text(2)}, {"role", u.rows[0].Text(0)}};
        s.organization = {{"id", tenant->str()}, {"name", u.rows[0].Text(3)}};
        outcome = Outcome::kOk;
        return {};
    }));
    if (outcome == Outcome::kReused) {
        core::Log(core::LogLevel::kWarn, "auth.refresh_reuse", "a spent refresh token was presented; family revoked",
                  {{"tenant_id", tenant->str()}, {"user_id", user.str()}});
        return invalid;
    }
    if (outcome != Outcome::kOk) return invalid;
    IS_TRY(s.access, codec_.Issue(*tenant, user, role));
    return SessionResponse(200, s);
}

Result<Response> AuthService::Logout(Request& req) {
    IS_TRY(auto token, PresentedRefreshToken(req));
    std::optional<core::TenantId> tenant = token ? TenantOfToken(*token, "rt") : std::nullopt;
    std::optional<core::Principal> caller;
    if (!tenant) {
        // Without a refresh token, a valid access token ends every session of its user.
        IS_TRY(auto p, Authenticate(req));
        if (p.IsApiKey()) return Error::InvalidArgument("API keys are revoked, not logged out");
        caller = p;
        tenant = p.tenant;
    }
    int64_t now = clock_.NowMs();
    int64_t revoked = 0;
    IS_TRY_VOID(db_.Transact(*tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        std::string user;
        if (caller) {
            user = caller->user.str();
            IS_TRY(auto r, tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 "
                                   "AND revoked_at IS NULL",
                                   {*tenant, user, now}));
            revoked = r.affected;
        } else {
            IS_TRY(auto rows, tx.Exec("SELECT family_id, user_id FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2",
                                      {*tenant, core::Sha256Hex(*token)}));
            if (rows.rows.empty()) return {};
            user = rows.rows[0].Text(1);
            IS_TRY(auto r, tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 "
                                   "AND revoked_at IS NULL",
                                   {*tenant, rows.rows[0].Text(0), now}));
            revoked = r.affected;
        }
        auto audit = store::AuditFrom(req, "auth.logout", "user", user);
        audit.actor_user_id = user;
        return store::AppendAudit(tx, *tenant, audit, now);
    }));
    auto resp = Response::Empty(204);
    resp.Header("Set-Cookie", settings_.cookie_name + "=; Path=/api/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    (void)revoked;
    return resp;
}

Result<Response> AuthService::Me(Request& req) {
    const auto& caller = req.Caller();
    if (caller.IsApiKey()) {
        IS_TRY(auto rows, store::TransactValue(db_, caller.tenant, TxMode::kRead, [&](Tx& tx) {
                   return tx.Exec("SELECT k.id, k.name, k.scopes, t.id, t.name FROM api_keys k JOIN tenants t ON "
                                  "t.id = k.tenant_id WHERE k.tenant_id = $1 AND k.id = $2",
                                  {caller.tenant, caller.key_id});
               }));
        if (rows.rows.empty()) return Error::Unauthenticated("this API key no longer exists").WithSlug("invalid-token");
        const auto& r = rows.rows[0];
        return http::JsonResponse(200, json::object{{"api_key", {{"id", r.Text(0)}, {"name", r.Text(1)}, {"scopes", r.Text(2)}}},
                                                    {"role", core::RoleName(caller.role)},
                                                    {"organization", {{"id", r.Text(3)}, {"name", r.Text(4)}}}});
    }
    IS_TRY(auto rows, store::TransactValue(db_, caller.tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec(
                   "SELECT u.id, u.email, u.name, u.role, t.id, t.name FROM users u JOIN tenants t ON t.id = u.tenant_id "
                   "WHERE u.tenant_id = $1 AND u.id = $2",
                   {caller.tenant, caller.user});
           }));
    if (rows.rows.empty()) return Error::Unauthenticated("this account no longer exists").WithSlug("invalid-token");
    const auto& r = rows.rows[0];
    json::object out{{"user", {{"id", r.Text(0)}, {"email", r.Text(1)}, {"name", r.Text(2)}, {"role", r.Text(3)}}},
                     {"organization", {{"id", r.Text(4)}, {"name", r.Text(5)}}}};
    return http::JsonResponse(200, out);
}

Result<Response> AuthService::Jwks(Request&) {
    auto resp = Response::Json(200, keys_.JwksJson());
    resp.headers.clear();
    resp.Header("Content-Type", "application/jwk-set+json");
    resp.Header("Cache-Control", "public, max-age=300");
    return resp;
}

}  // namespace insightstream::auth
