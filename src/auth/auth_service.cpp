#include "auth/auth_service.hpp"

#include <strings.h>

#include <boost/json.hpp>

#include <algorithm>
#include <map>

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
    json::array organizations;  // every organization this sign-in opens
};

Result<std::vector<Membership>> MembershipsOf(store::Database& db, const std::string& email) {
    IS_TRY(auto index, store::TransactSystemValue(db, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT tenant_id, user_id FROM login_memberships WHERE email = $1 ORDER BY tenant_id "
                              "LIMIT 100",
                              {email});
           }));
    std::vector<Membership> out;
    for (const auto& row : index.rows) {
        core::TenantId tenant(row.Text(0));
        core::UserId user(row.Text(1));
        IS_TRY(auto rows, store::TransactValue(db, tenant, TxMode::kRead, [&](Tx& tx) {
                   return tx.Exec("SELECT u.password_hash, u.role, t.name, u.last_login_at FROM users u "
                                  "JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2",
                                  {tenant, user});
               }));
        if (rows.rows.empty()) continue;  // removed meanwhile
        const auto& r = rows.rows[0];
        out.push_back({tenant, user, r.Text(0), r.Text(1), r.Text(2), r.Int(3)});
    }
    return out;
}

Result<std::string> SaltOf(store::Database& db, const std::string& email) {
    IS_TRY(auto rows, store::TransactSystemValue(db, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT salt FROM login_memberships WHERE email = $1 AND salt IS NOT NULL LIMIT 1", {email});
           }));
    if (!rows.rows.empty()) return rows.rows[0].Text(0);
    return PasswordHasher::NewSalt();
}

Result<void> LockOrganization(Tx& tx, const core::TenantId& tenant) {
    // A row lock on PostgreSQL (held to the end of the transaction); SQLite has one writer anyway.
    IS_TRY(auto r, tx.Exec("UPDATE tenants SET name = name WHERE id = $1", {tenant}));
    if (r.affected == 0) return Error::NotFound("organization not found");
    return {};
}

namespace {
json::object OrganizationJson(const Membership& m) {
    return json::object{{"id", m.tenant.str()}, {"name", m.organization_name}, {"role", m.role}};
}

// The hash prefix that decides a derivation: limits and salt ("$argon2id$v=19$m=..,t=..,p=1$salt").
std::string_view DerivationOf(std::string_view hash) {
    size_t last = hash.rfind('$');
    return last == std::string_view::npos ? hash : hash.substr(0, last);
}
}  // namespace

AuthService::AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                         const PasswordHasher& hasher, const MembershipCheck& memberships, AuthSettings settings)
    : db_(db),
      keys_(keys),
      clock_(clock),
      ids_(ids),
      hasher_(hasher),
      memberships_(memberships),
      settings_(std::move(settings)),
      codec_(keys, clock, settings_.jwt),
      verifier_(codec_, &db, &memberships, clock, 0),
      throttle_(db, clock, settings_.throttle),
      login_ip_(db, clock, "login", settings_.login_per_ip_per_minute, 60'000),
      signup_ip_(db, clock, "signup", settings_.signup_per_ip_per_hour, 3'600'000) {}

void AuthService::RegisterRoutes(http::Router& router) {
    http::RouteOptions pub{.access = http::Access::kPublic, .body_limit = 64 * 1024};
    router.Add("POST", "/api/v1/auth/signup", [this](Request& r) { return Signup(r); }, pub);
    router.Add("POST", "/api/v1/auth/login", [this](Request& r) { return Login(r); }, pub);
    router.Add("POST", "/api/v1/auth/refresh", [this](Request& r) { return Refresh(r); }, pub);
    // Public so that a session can be ended with only its refresh cookie, after the access token expired.
    router.Add("POST", "/api/v1/auth/logout", [this](Request& r) { return Logout(r); }, pub);
    router.Add("POST", "/api/v1/auth/switch", [this](Request& r) { return Switch(r); },
               {.users_only = true, .body_limit = 64 * 1024});
    router.Add("GET", "/.well-known/jwks.json", [this](Request& r) { return Jwks(r); }, pub);
    router.Add("GET", "/api/v1/me", [this](Request& r) { return Me(r); }, {.during_password_change = true});
    router.Add("POST", "/api/v1/me/password", [this](Request& r) { return ChangePassword(r); },
               {.writes = true, .users_only = true, .during_password_change = true, .body_limit = 64 * 1024});
}

Result<core::Principal> AuthService::Authenticate(const Request& req) const { return verifier_.Authenticate(req); }

std::optional<Result<core::Principal>> AuthService::AuthenticateCached(const Request& req) const {
    return verifier_.AuthenticateCached(req);
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
                                                        {"organization", s.organization},
                                                        {"organizations", s.organizations}});
    // The dashboard keeps the refresh token only in this cookie, never in script-readable storage.
    resp.Header("Set-Cookie", settings_.cookie_name + "=" + s.refresh + "; Path=/api/v1/auth; Max-Age=" +
                                  std::to_string(settings_.refresh_ttl_s) + "; HttpOnly; Secure; SameSite=Strict");
    return resp;
}

Result<bool> AuthService::LoadMember(Tx& tx, const core::TenantId& tenant, const core::UserId& user, Session* s,
                                     core::Role* role, int64_t* epoch) {
    IS_TRY(auto u, tx.Exec("SELECT u.role, u.email, u.name, t.name, u.token_epoch, u.must_change_password "
                           "FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2",
                           {tenant, user}));
    if (u.rows.empty() || !core::ParseRole(u.rows[0].Text(0), role)) return false;
    const auto& r = u.rows[0];
    *epoch = r.Int(4);
    s->user = {{"id", user.str()},
               {"email", r.Text(1)},
               {"name", r.Text(2)},
               {"role", r.Text(0)},
               {"must_change_password", r.Int(5) != 0}};
    s->organization = {{"id", tenant.str()}, {"name", r.Text(3)}};
    return true;
}

Result<AuthService::Session> AuthService::StartSession(const Request& req, const core::TenantId& tenant,
                                                       const core::UserId& user, const std::string& action) {
    int64_t now = clock_.NowMs();
    Session s;
    core::Role role = core::Role::kViewer;
    int64_t epoch = 0;
    IS_TRY_VOID(db_.Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(bool member, LoadMember(tx, tenant, user, &s, &role, &epoch));
        if (!member) {
            return Error::Unauthenticated("you are no longer a member of this organization").WithSlug("invalid-token");
        }
        IS_TRY_VOID(tx.Exec("UPDATE users SET last_login_at = $3 WHERE tenant_id = $1 AND id = $2", {tenant, user, now}));
        IS_TRY(s.refresh, IssueRefresh(tx, tenant, user, ""));
        auto audit = store::AuditFrom(req, action, "user", user.str());
        audit.actor_user_id = user.str();
        return store::AppendAudit(tx, tenant, audit, now);
    }));
    IS_TRY(s.access, codec_.Issue(tenant, user, role, epoch));
    return s;
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

std::string ReadPassword(const json::object& body, http::JsonFields& f, std::string_view field, size_t min_chars) {
    auto it = body.find(field);
    if (it == body.end() || !it->value().is_string()) {
        f.Invalid(field, it == body.end() ? "is required" : "must be a string");
        return {};
    }
    std::string password(it->value().as_string());
    if (min_chars > 0 && (password.size() < min_chars || password.size() > 1024)) {
        f.Invalid(field, "must be " + std::to_string(min_chars) + " to 1024 characters");
    }
    return password;
}

Result<void> RevokeRefreshTokens(Tx& tx, const core::TenantId& tenant, const core::UserId& user, int64_t now) {
    IS_TRY_VOID(tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 "
                        "AND revoked_at IS NULL",
                        {tenant, user, now}));
    return {};
}

Result<Response> AuthService::Signup(Request& req) {
    IS_TRY_VOID(signup_ip_.Take(req.remote_ip, "sign-ups from your address"));
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
    std::string password = ReadPassword(body, f, "password", settings_.min_password_chars);
    IS_TRY_VOID(f.Finish());

    // An address that is already a member elsewhere signs up like any other: a new organization,
    // with this password for its membership. Nothing here depends on other organizations.
    IS_TRY(auto salt, SaltOf(db_, *email));
    IS_TRY(auto hash, hasher_.Hash(password, salt));
    core::TenantId tenant(ids_.NewId("org_"));
    core::UserId user(ids_.NewId("usr_"));
    int64_t now = clock_.NowMs();
    Session s;
    IS_TRY_VOID(db_.Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", {tenant, org_name, now}));
        IS_TRY_VOID(tx.Exec("INSERT INTO login_memberships (email, tenant_id, user_id, salt) VALUES ($1, $2, $3, $4)",
                            {*email, tenant, user, salt}));
        IS_TRY_VOID(tx.Exec(
            "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at, updated_at, last_login_at) "
            "VALUES ($1, $2, $3, $4, $5, 'owner', $6, $6, $6)",
            {user, tenant, *email, name, hash, now}));
        IS_TRY(s.refresh, IssueRefresh(tx, tenant, user, ""));
        auto audit = store::AuditFrom(req, "auth.signup", "user", user.str());
        audit.actor_user_id = user.str();
        return store::AppendAudit(tx, tenant, audit, now);
    }));
    IS_TRY(s.access, codec_.Issue(tenant, user, core::Role::kOwner, 0));
    core::Log(core::LogLevel::kInfo, "auth.signup", "organization created",
              {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
    s.user = {{"id", user.str()}, {"email", *email}, {"name", name}, {"role", "owner"}, {"must_change_password", false}};
    s.organization = {{"id", tenant.str()}, {"name", org_name}};
    s.organizations.push_back(json::object{{"id", tenant.str()}, {"name", org_name}, {"role", "owner"}});
    auto resp = SessionResponse(201, s);
    resp.Header("Location", "/api/v1/me");
    return resp;
}

Result<Response> AuthService::Login(Request& req) {
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(login_ip_.Take(req.remote_ip, "login attempts from your address"));
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"email", "password", "organization"});
    std::string email_raw = f.RequiredString("email", 1, 254);
    std::string password = ReadPassword(body, f, "password", 0);
    auto wanted = f.OptionalString("organization", 64);
    IS_TRY_VOID(f.Finish());
    std::string email = NormalizeEmail(email_raw).value_or(email_raw);
    // Throttled by account and source before anything about the account is looked at.
    IS_TRY_VOID(throttle_.Check(email, req.remote_ip));

    auto wrong = Error::Unauthenticated("the e-mail address or password is wrong").WithSlug("invalid-credentials");
    IS_TRY(auto candidates, MembershipsOf(db_, email));
    // One derivation per salt (all memberships of an address share one): the same time for an
    // unknown address, one organization or several.
    std::map<std::string, std::string, std::less<>> derived;
    std::vector<const Membership*> opened;
    for (const auto& m : candidates) {
        std::string_view how = DerivationOf(m.password_hash);
        auto it = derived.find(how);
        if (it == derived.end()) it = derived.emplace(std::string(how), hasher_.Rederive(m.password_hash, password)).first;
        if (!it->second.empty() && core::ConstantTimeEquals(it->second, m.password_hash)) opened.push_back(&m);
    }
    if (candidates.empty()) hasher_.VerifyDummy(password);
    // A named organization that this password does not open is the same wrong answer.
    const Membership* chosen = nullptr;
    for (const Membership* m : opened) {
        if (wanted ? m->tenant.str() == *wanted : (!chosen || m->last_login_at > chosen->last_login_at)) chosen = m;
    }
    if (!chosen) {
        IS_TRY_VOID(throttle_.Failed(email, req.remote_ip));
        for (const auto& m : candidates) {
            IS_TRY_VOID(db_.Transact(m.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
                return store::AppendAudit(tx, m.tenant, store::AuditFrom(req, "auth.login_failed", "user", m.user.str()),
                                          now);
            }));
        }
        core::Log(core::LogLevel::kInfo, "auth.login_failed", candidates.empty() ? "unknown account" : "wrong password");
        return wrong;
    }
    IS_TRY_VOID(throttle_.Succeeded(email, req.remote_ip));
    IS_TRY(auto s, StartSession(req, chosen->tenant, chosen->user, "auth.login"));
    for (const Membership* m : opened) s.organizations.push_back(OrganizationJson(*m));
    core::Log(core::LogLevel::kInfo, "auth.login", "signed in",
              {{"tenant_id", chosen->tenant.str()}, {"user_id", chosen->user.str()}});
    return SessionResponse(200, s);
}

Result<Response> AuthService::Switch(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"organization"});
    std::string wanted = f.RequiredString("organization", 1, 64);
    IS_TRY_VOID(f.Finish());
    IS_TRY(auto me, store::TransactValue(db_, caller.tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT email, password_hash FROM users WHERE tenant_id = $1 AND id = $2",
                              {caller.tenant, caller.user});
           }));
    if (me.rows.empty()) return Error::Unauthenticated("you are no longer a member of this organization");
    // The organizations this sign-in opens: the memberships of the address with the same password
    // (same salt, same key, so the same hash).
    IS_TRY(auto all, MembershipsOf(db_, me.rows[0].Text(0)));
    std::vector<const Membership*> opened;
    const Membership* target = nullptr;
    for (const auto& m : all) {
        if (!core::ConstantTimeEquals(m.password_hash, me.rows[0].Text(1))) continue;
        opened.push_back(&m);
        if (m.tenant.str() == wanted) target = &m;
    }
    if (!target) {
        return Error::NotFound("no organization with this id opens with your password; log in to it with its own "
                               "e-mail and password");
    }
    IS_TRY(auto s, StartSession(req, target->tenant, target->user, "auth.switch"));
    for (const Membership* m : opened) s.organizations.push_back(OrganizationJson(*m));
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
    int64_t epoch = 0;
    IS_TRY_VOID(db_.Transact(*tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        // Spent in one statement: of any number of concurrent presentations exactly one gets the
        // row (the others wait for its lock, then find it spent and take the reuse path below).
        IS_TRY(auto spent, tx.Exec("UPDATE refresh_tokens SET spent_at = $3 WHERE tenant_id = $1 AND token_hash = $2 "
                                   "AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > $3 "
                                   "RETURNING user_id, family_id",
                                   {*tenant, hash, now}));
        if (spent.rows.empty()) {
            IS_TRY(auto rows, tx.Exec("SELECT user_id, family_id, spent_at, revoked_at FROM refresh_tokens "
                                      "WHERE tenant_id = $1 AND token_hash = $2",
                                      {*tenant, hash}));
            if (rows.rows.empty() || rows.rows[0].IsNull(2)) return {};  // unknown, expired or revoked
            // A spent token came back: whoever holds the family now may be a thief. End it for both.
            const auto& r = rows.rows[0];
            user = core::UserId(r.Text(0));
            outcome = Outcome::kReused;
            IS_TRY_VOID(tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 "
                                "AND revoked_at IS NULL",
                                {*tenant, r.Text(1), now}));
            auto audit = store::AuditFrom(req, "auth.refresh_reuse", "user", user.str());
            audit.details = {{"family_id", r.Text(1)}};
            return store::AppendAudit(tx, *tenant, audit, now);
        }
        user = core::UserId(spent.rows[0].Text(0));
        std::string family = spent.rows[0].Text(1);
        IS_TRY(bool member, LoadMember(tx, *tenant, user, &s, &role, &epoch));
        if (!member) return {};
        IS_TRY(s.refresh, IssueRefresh(tx, *tenant, user, family));
        s.organizations.push_back(json::object{{"id", tenant->str()},
                                               {"name", s.organization.at("name")},
                                               {"role", s.user.at("role")}});
        outcome = Outcome::kOk;
        return {};
    }));
    if (outcome == Outcome::kReused) {
        core::Log(core::LogLevel::kWarn, "auth.refresh_reuse", "a spent refresh token was presented; family revoked",
                  {{"tenant_id", tenant->str()}, {"user_id", user.str()}});
        return invalid;
    }
    if (outcome != Outcome::kOk) return invalid;
    IS_TRY(s.access, codec_.Issue(*tenant, user, role, epoch));
    return SessionResponse(200, s);
}

Result<Response> AuthService::Logout(Request& req) {
    IS_TRY(auto token, PresentedRefreshToken(req));
    std::optional<core::TenantId> tenant = token ? TenantOfToken(*token, "rt") : std::nullopt;
    std::optional<core::Principal> caller;
    if (!tenant) {
        // Without a refresh token, a valid access token signs its member out everywhere: every
        // refresh token is revoked and the token epoch moves on, so every access token dies too.
        IS_TRY(auto p, Authenticate(req));
        if (p.IsApiKey()) return Error::InvalidArgument("API keys are revoked, not logged out");
        caller = p;
        tenant = p.tenant;
    }
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(db_.Transact(*tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        std::string user;
        if (caller) {
            user = caller->user.str();
            IS_TRY_VOID(RevokeRefreshTokens(tx, *tenant, caller->user, now));
            IS_TRY_VOID(tx.Exec("UPDATE users SET token_epoch = token_epoch + 1 WHERE tenant_id = $1 AND id = $2",
                                {*tenant, user}));
        } else {
            IS_TRY(auto rows, tx.Exec("SELECT family_id, user_id FROM refresh_tokens WHERE tenant_id = $1 AND token_hash = $2",
                                      {*tenant, core::Sha256Hex(*token)}));
            if (rows.rows.empty()) return {};
            user = rows.rows[0].Text(1);
            IS_TRY_VOID(tx.Exec("UPDATE refresh_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND family_id = $2 "
                                "AND revoked_at IS NULL",
                                {*tenant, rows.rows[0].Text(0), now}));
        }
        auto audit = store::AuditFrom(req, caller ? "auth.logout_everywhere" : "auth.logout", "user", user);
        audit.actor_user_id = user;
        return store::AppendAudit(tx, *tenant, audit, now);
    }));
    if (caller) memberships_.Invalidate(caller->tenant, caller->user);
    auto resp = Response::Empty(204);
    resp.Header("Set-Cookie", settings_.cookie_name + "=; Path=/api/v1/auth; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
    return resp;
}

Result<Response> AuthService::ChangePassword(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"current_password", "new_password"});
    std::string current = ReadPassword(body, f, "current_password", 0);
    std::string next = ReadPassword(body, f, "new_password", settings_.min_password_chars);
    if (!current.empty() && current == next) f.Invalid("new_password", "must differ from the current password");
    IS_TRY_VOID(f.Finish());
    IS_TRY(auto me, store::TransactValue(db_, caller.tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT email, password_hash FROM users WHERE tenant_id = $1 AND id = $2",
                              {caller.tenant, caller.user});
           }));
    if (me.rows.empty()) return Error::Unauthenticated("you are no longer a member of this organization");
    std::string email = me.rows[0].Text(0);
    std::string old_hash = me.rows[0].Text(1);
    // A stolen access token must not become a way to guess the password: the login throttle applies.
    IS_TRY_VOID(throttle_.Check(email, req.remote_ip));
    std::string derived = hasher_.Rederive(old_hash, current);
    if (derived.empty() || !core::ConstantTimeEquals(derived, old_hash)) {
        IS_TRY_VOID(throttle_.Failed(email, req.remote_ip));
        return Error::InvalidFields({{"current_password", "is not your current password"}});
    }
    IS_TRY(auto salt, SaltOf(db_, email));
    IS_TRY(auto new_hash, hasher_.Hash(next, salt));
    // Every membership this password opened gets the new one (they were one sign-in); each ends
    // its other sessions: refresh tokens revoked, access tokens dead with the old epoch.
    IS_TRY(auto all, MembershipsOf(db_, email));
    int64_t now = clock_.NowMs();
    json::array changed;
    for (const auto& m : all) {
        if (!core::ConstantTimeEquals(m.password_hash, old_hash)) continue;
        IS_TRY_VOID(db_.Transact(m.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY(auto r, tx.Exec("UPDATE users SET password_hash = $3, must_change_password = 0, "
                                   "token_epoch = token_epoch + 1, updated_at = $5 "
                                   "WHERE tenant_id = $1 AND id = $2 AND password_hash = $4",
                                   {m.tenant, m.user, new_hash, old_hash, now}));
            if (r.affected == 0) return {};  // changed meanwhile
            IS_TRY_VOID(tx.Exec("UPDATE login_memberships SET salt = $3 WHERE email = $1 AND tenant_id = $2",
                                {email, m.tenant, salt}));
            IS_TRY_VOID(RevokeRefreshTokens(tx, m.tenant, m.user, now));
            auto audit = store::AuditFrom(req, "auth.password_changed", "user", m.user.str());
            audit.actor_user_id = m.user.str();
            if (m.tenant != caller.tenant) audit.details = {{"changed_from_organization", caller.tenant.str()}};
            return store::AppendAudit(tx, m.tenant, audit, now);
        }));
        memberships_.Invalidate(m.tenant, m.user);
        changed.push_back(OrganizationJson(m));
    }
    core::Log(core::LogLevel::kInfo, "auth.password_changed", "password changed; other sessions ended",
              {{"tenant_id", caller.tenant.str()}, {"user_id", caller.user.str()}});
    // This session goes on with fresh tokens.
    IS_TRY(auto s, StartSession(req, caller.tenant, caller.user, "auth.session_renewed"));
    s.organizations = std::move(changed);
    return SessionResponse(200, s);
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
                   "SELECT u.id, u.email, u.name, u.role, t.id, t.name, u.must_change_password, u.password_hash "
                   "FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2",
                   {caller.tenant, caller.user});
           }));
    if (rows.rows.empty()) return Error::Unauthenticated("this account no longer exists").WithSlug("invalid-token");
    const auto& r = rows.rows[0];
    // The organizations this sign-in can switch to (the same address with the same password).
    IS_TRY(auto all, MembershipsOf(db_, r.Text(1)));
    json::array organizations;
    for (const auto& m : all) {
        if (core::ConstantTimeEquals(m.password_hash, r.Text(7))) organizations.push_back(OrganizationJson(m));
    }
    json::object out{{"user",
                      {{"id", r.Text(0)},
                       {"email", r.Text(1)},
                       {"name", r.Text(2)},
                       {"role", r.Text(3)},
                       {"must_change_password", r.Int(6) != 0}}},
                     {"organization", {{"id", r.Text(4)}, {"name", r.Text(5)}}},
                     {"organizations", std::move(organizations)}};
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
