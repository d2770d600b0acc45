// The auth service: organizations, sign-up and login, access and refresh tokens, logout, and the
// verification of every authenticated request (access tokens and API keys), plus the members,
// API-key and audit routes (members.cpp, api_keys.cpp). Owns the tenants, users, login_index,
// refresh_tokens and api_keys tables.
#pragma once

#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/rate_limiter.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

struct AuthSettings {
    JwtSettings jwt;
    size_t min_password_chars = 10;
    int refresh_ttl_s = 30 * 24 * 3600;
    double login_per_ip_per_minute = 30;      // and as many at once
    double login_per_account_per_minute = 10;
    double signup_per_ip_per_hour = 20;
    int lockout_after_failures = 3;           // then 1 s, 2 s, 4 s ... of lock-out
    int lockout_max_s = 900;
    std::string cookie_name = "insightstream_refresh";
};

class AuthService {
public:
    AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                const PasswordHasher& hasher, AuthSettings settings);

    void RegisterRoutes(http::Router& router);
    /// Verifies the bearer credentials of a request: an access token or an API key.
    core::Result<core::Principal> Authenticate(const http::Request& req) const;
    /// An access token verified before, without blocking; nullopt otherwise (API keys included).
    [[nodiscard]] std::optional<core::Principal> AuthenticateCached(const http::Request& req) const;
    [[nodiscard]] const JwtCodec& codec() const { return codec_; }

private:
    struct Session;  // a freshly issued token pair with its user and organization
    core::Result<http::Response> Signup(http::Request& req);
    core::Result<http::Response> Login(http::Request& req);
    core::Result<http::Response> Refresh(http::Request& req);
    core::Result<http::Response> Logout(http::Request& req);
    core::Result<http::Response> Me(http::Request& req);
    core::Result<http::Response> Jwks(http::Request& req);
    core::Result<core::Principal> AuthenticateApiKey(std::string_view key) const;
    /// Inserts a refresh token of `family` (new if empty) inside `tx`; returns the token.
    core::Result<std::string> IssueRefresh(store::Tx& tx, const core::TenantId& tenant, const core::UserId& user,
                                           std::string family);
    http::Response SessionResponse(int status, const Session& s) const;
    /// The refresh token from the JSON body or, failing that, the dashboard's cookie.
    core::Result<std::optional<std::string>> PresentedRefreshToken(const http::Request& req) const;

    store::Database& db_;
    const KeyRing& keys_;
    const core::Clock& clock_;
    core::IdSource& ids_;
    const PasswordHasher& hasher_;
    AuthSettings settings_;
    JwtCodec codec_;
    core::RateLimiter login_ip_;
    core::RateLimiter login_account_;
    core::RateLimiter signup_ip_;
};

/// Trims and lower-cases an e-mail address; nullopt if it is not plausibly one.
std::optional<std::string> NormalizeEmail(std::string_view email);
/// The tenant named inside a refresh token or API key ("rt.<tenant>.<secret>", "isk.<tenant>...").
std::optional<core::TenantId> TenantOfToken(std::string_view token, std::string_view kind);

/// Members of an organization: list, add, change role, remove (users table).
class MembersService {
public:
    MembersService(store::Database& db, const core::Clock& clock, core::IdSource& ids, const PasswordHasher& hasher,
                   size_t min_password_chars);
    void RegisterRoutes(http::Router& router);

private:
    core::Result<http::Response> List(http::Request& req);
    core::Result<http::Response> Add(http::Request& req);
    core::Result<http::Response> Change(http::Request& req);
    core::Result<http::Response> Remove(http::Request& req);

    store::Database& db_;
    const core::Clock& clock_;
    core::IdSource& ids_;
    const PasswordHasher& hasher_;
    size_t min_password_chars_;
};

/// API keys for machines, and the audit log route.
class ApiKeysService {
public:
    ApiKeysService(store::Database& db, const core::Clock& clock, core::IdSource& ids);
    void RegisterRoutes(http::Router& router);

private:
    core::Result<http::Response> List(http::Request& req);
    core::Result<http::Response> Create(http::Request& req);
    core::Result<http::Response> Revoke(http::Request& req);
    core::Result<http::Response> Audit(http::Request& req);

    store::Database& db_;
    const core::Clock& clock_;
    core::IdSource& ids_;
};

}  // namespace insightstream::auth
