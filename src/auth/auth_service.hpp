// The auth service: organizations, sign-up and login, access and refresh tokens, logout, switching
// organizations, changing one's password, and the verification of every authenticated request
// (access tokens and API keys, checked against the membership as it is now), plus the members,
// API-key and audit routes (members.cpp, api_keys.cpp). Owns the tenants, users,
// login_memberships, login_attempts, refresh_tokens and api_keys tables.
//
// One person may be a member of several organizations: each membership is a users row with its
// own role and password hash, and an e-mail and password sign in to every organization whose
// membership that password opens (see docs/security.md, "Accounts and organizations").
#pragma once

#include <optional>

#include <boost/json.hpp>
#include <string>

#include "auth/bearer_verifier.hpp"
#include "auth/jwt.hpp"
#include "auth/login_throttle.hpp"
#include "auth/membership_check.hpp"
#include "auth/password.hpp"
#include "auth/shared_rate_limit.hpp"
#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/json_body.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

struct AuthSettings {
    JwtSettings jwt;
    size_t min_password_chars = 10;
    int refresh_ttl_s = 30 * 24 * 3600;
    double login_per_ip_per_minute = 30;      // counted across every auth instance
    double signup_per_ip_per_hour = 20;
    LoginThrottleSettings throttle;
    std::string cookie_name = "insightstream_refresh";
};

class AuthService {
public:
    AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                const PasswordHasher& hasher, const MembershipCheck& memberships, AuthSettings settings);

    void RegisterRoutes(http::Router& router);
    /// Verifies the bearer credentials of a request: an access token or an API key.
    core::Result<core::Principal> Authenticate(const http::Request& req) const;
    /// An access token verified before, with its membership cached, without blocking; nullopt
    /// otherwise (API keys included).
    [[nodiscard]] std::optional<core::Result<core::Principal>> AuthenticateCached(const http::Request& req) const;
    [[nodiscard]] const JwtCodec& codec() const { return codec_; }

private:
    struct Session;  // a freshly issued token pair with its user and organization
    core::Result<http::Response> Signup(http::Request& req);
    core::Result<http::Response> Login(http::Request& req);
    core::Result<http::Response> Refresh(http::Request& req);
    core::Result<http::Response> Logout(http::Request& req);
    core::Result<http::Response> Me(http::Request& req);
    core::Result<http::Response> Switch(http::Request& req);
    core::Result<http::Response> ChangePassword(http::Request& req);
    /// Fills the user and organization of a session from the membership row, with its current
    /// role and token epoch; false when there is no such member.
    static core::Result<bool> LoadMember(store::Tx& tx, const core::TenantId& tenant, const core::UserId& user,
                                         Session* s, core::Role* role, int64_t* epoch);
    /// A new session (token pair) of a member, written in its organization with an audit event.
    core::Result<Session> StartSession(const http::Request& req, const core::TenantId& tenant, const core::UserId& user,
                                       const std::string& action);
    core::Result<http::Response> Jwks(http::Request& req);
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
    const MembershipCheck& memberships_;
    AuthSettings settings_;
    JwtCodec codec_;
    BearerVerifier verifier_;  // API keys looked up on every request here (revocation is immediate)
    LoginThrottle throttle_;
    SharedRateLimit login_ip_;   // across every auth instance
    SharedRateLimit signup_ip_;
};

/// One organization an e-mail address is a member of, with that membership's password hash.
struct Membership {
    core::TenantId tenant;
    core::UserId user;
    std::string password_hash;
    std::string role;
    std::string organization_name;
    int64_t last_login_at = 0;
};
/// Every membership of an e-mail address (one short transaction per organization, each under its
/// own tenant: row-level security is never bypassed).
core::Result<std::vector<Membership>> MembershipsOf(store::Database& db, const std::string& email);
/// The Argon2id salt of an address (shared by all its memberships), or a new one.
core::Result<std::string> SaltOf(store::Database& db, const std::string& email);
/// Revokes every refresh token of a member (their sessions end at the next refresh).
core::Result<void> RevokeRefreshTokens(store::Tx& tx, const core::TenantId& tenant, const core::UserId& user,
                                       int64_t now);
/// A password field of a JSON body, as sent (never trimmed); with `min_chars` > 0, it must be
/// `min_chars` to 1024 characters long.
std::string ReadPassword(const boost::json::object& body, http::JsonFields& f, std::string_view field,
                         size_t min_chars);
/// Serializes the membership changes of an organization (role changes, removals, password
/// resets) by locking its tenants row: the last-owner rule holds under concurrency on PostgreSQL.
core::Result<void> LockOrganization(store::Tx& tx, const core::TenantId& tenant);

/// Trims and lower-cases an e-mail address; nullopt if it is not plausibly one.
std::optional<std::string> NormalizeEmail(std::string_view email);
/// The tenant named inside a refresh token or API key ("rt.<tenant>.<secret>", "isk.<tenant>...").
std::optional<core::TenantId> TenantOfToken(std::string_view token, std::string_view kind);

/// Members of an organization: list, add, change role, remove, reset a password (users table).
class MembersService {
public:
    MembersService(store::Database& db, const core::Clock& clock, core::IdSource& ids, const PasswordHasher& hasher,
                   const MembershipCheck& memberships, size_t min_password_chars);
    void RegisterRoutes(http::Router& router);

private:
    core::Result<http::Response> List(http::Request& req);
    core::Result<http::Response> Add(http::Request& req);
    core::Result<http::Response> Change(http::Request& req);
    core::Result<http::Response> Remove(http::Request& req);
    core::Result<http::Response> ResetPassword(http::Request& req);

    store::Database& db_;
    const core::Clock& clock_;
    core::IdSource& ids_;
    const PasswordHasher& hasher_;
    const MembershipCheck& memberships_;
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
