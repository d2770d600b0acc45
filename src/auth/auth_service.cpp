#include "auth/auth_service.hpp"

#include <boost/json.hpp>

#include <strings.h>

#include <algorithm>

#include "core/log.hpp"
#include "http/json_body.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using http::Request;
using http::Response;
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

AuthService::AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                         const PasswordHasher& hasher, AuthSettings settings)
    : db_(db),
      keys_(keys),
      clock_(clock),
      ids_(ids),
      hasher_(hasher),
      settings_(std::move(settings)),
      codec_(keys, clock, settings_.jwt) {}

void AuthService::RegisterRoutes(http::Router& router) {
    http::RouteOptions pub{.access = http::Access::kPublic, .body_limit = 64 * 1024};
    router.Add("POST", "/api/v1/auth/signup", [this](Request& r) { return Signup(r); }, pub);
    router.Add("POST", "/api/v1/auth/login", [this](Request& r) { return Login(r); }, pub);
    router.Add("GET", "/.well-known/jwks.json", [this](Request& r) { return Jwks(r); }, pub);
    router.Add("GET", "/api/v1/me", [this](Request& r) { return Me(r); });
}

Result<core::Principal> AuthService::Authenticate(const Request& req) const {
    const std::string* h = req.Header("authorization");
    if (!h || h->empty()) return Error::Unauthenticated("send an access token as Authorization: Bearer <token>");
    std::string_view v(*h);
    if (v.size() < 7 || strncasecmp(v.data(), "Bearer ", 7) != 0) {
        return Error::Unauthenticated("the Authorization header must use the Bearer scheme");
    }
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    auto p = codec_.Verify(v);
    if (!p) core::Log(core::LogLevel::kInfo, "auth.token_rejected", p.error().internal());
    return p;
}

namespace {
json::object TokenAnswer(const std::string& access, int ttl_s, const json::object& user, const json::object& org) {
    return json::object{{"access_token", access},
                        {"token_type", "Bearer"},
                        {"expires_in", ttl_s},
                        {"user", user},
                        {"organization", org}};
}
}  // namespace

Result<Response> AuthService::Signup(Request& req) {
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
    std::string password;
    if (auto it = body.find("password"); it == body.end() || !it->value().is_string()) {
        f.Invalid("password", it == body.end() ? "is required" : "must be a string");
    } else {
        password = std::string(it->value().as_string());
        if (password.size() < settings_.min_password_chars || password.size() > 1024) {
            f.Invalid("password", "must be " + std::to_string(settings_.min_password_chars) + " to 1024 characters");
        }
    }
    IS_TRY_VOID(f.Finish());

    IS_TRY(auto hash, hasher_.Hash(password));
    core::TenantId tenant(ids_.NewId("org_"));
    core::UserId user(ids_.NewId("usr_"));
    int64_t now = clock_.NowMs();
    auto status = db_.Transact(tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", {tenant, org_name, now}));
        IS_TRY_VOID(tx.Exec(
            "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, 'owner', $6, $6)",
            {user, tenant, *email, name, hash, now}));
        return {};
    });
    if (!status) {
        if (status.error().code() == core::ErrorCode::kConflict) {
            return Error::Conflict("an account with this e-mail address already exists").WithSlug("email-taken");
        }
        return std::move(status).error();
    }
    IS_TRY(auto token, codec_.Issue(tenant, user, core::Role::kOwner));
    core::Log(core::LogLevel::kInfo, "auth.signup", "organization created",
              {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
    json::object u{{"id", user.str()}, {"email", *email}, {"name", name}, {"role", "owner"}};
    json::object o{{"id", tenant.str()}, {"name", org_name}};
    auto resp = http::JsonResponse(201, TokenAnswer(token, settings_.jwt.access_ttl_s, u, o));
    resp.Header("Location", "/api/v1/me");
    return resp;
}

Result<Response> AuthService::Login(Request& req) {
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"email", "password"});
    std::string email_raw = f.RequiredString("email", 1, 254);
    std::string password;
    if (auto it = body.find("password"); it == body.end() || !it->value().is_string()) {
        f.Invalid("password", it == body.end() ? "is required" : "must be a string");
    } else {
        password = std::string(it->value().as_string());
    }
    IS_TRY_VOID(f.Finish());
    auto email = NormalizeEmail(email_raw).value_or("");
    IS_TRY(auto rows, store::TransactSystemValue(db_, store::TxMode::kRead, [&](store::Tx& tx) {
               return tx.Exec(
                   "SELECT u.id, u.tenant_id, u.password_hash, u.role, u.name, t.name FROM users u "
                   "JOIN tenants t ON t.id = u.tenant_id WHERE u.email = $1",
                   {email});
           }));
    auto wrong = Error::Unauthenticated("the e-mail address or password is wrong").WithSlug("invalid-credentials");
    if (rows.rows.empty()) {
        hasher_.VerifyDummy(password);
        core::Log(core::LogLevel::kInfo, "auth.login_failed", "unknown account");
        return wrong;
    }
    const auto& row = rows.rows[0];
    if (!hasher_.Verify(row.Text(2), password)) {
        core::Log(core::LogLevel::kInfo, "auth.login_failed", "wrong password",
                  {{"tenant_id", row.Text(1)}, {"user_id", row.Text(0)}});
        return wrong;
    }
    core::Role role;
    if (!core::ParseRole(row.Text(3), &role)) return Error::Internal("unknown role in DB: " + row.Text(3));
    core::TenantId tenant(row.Text(1));
    core::UserId user(row.Text(0));
    IS_TRY(auto token, codec_.Issue(tenant, user, role));
    core::Log(core::LogLevel::kInfo, "auth.login", "signed in", {{"tenant_id", tenant.str()}, {"user_id", user.str()}});
    json::object u{{"id", user.str()}, {"email", email}, {"name", row.Text(4)}, {"role", row.Text(3)}};
    json::object o{{"id", tenant.str()}, {"name", row.Text(5)}};
    return http::JsonResponse(200, TokenAnswer(token, settings_.jwt.access_ttl_s, u, o));
}

Result<Response> AuthService::Me(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto rows, store::TransactValue(db_, caller.tenant, store::TxMode::kRead, [&](store::Tx& tx) {
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
