// The auth service: organizations, users, sign-up and login, access tokens, and the verification
// of every authenticated request (the server's authenticate hook). Owns the tenants and users
// tables.
#pragma once

#include <string>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "store/db/database.hpp"

namespace insightstream::auth {

struct AuthSettings {
    JwtSettings jwt;
    size_t min_password_chars = 10;
};

class AuthService {
public:
    AuthService(store::Database& db, const KeyRing& keys, const core::Clock& clock, core::IdSource& ids,
                const PasswordHasher& hasher, AuthSettings settings);

    void RegisterRoutes(http::Router& router);
    /// Verifies the bearer credentials of a request.
    core::Result<core::Principal> Authenticate(const http::Request& req) const;
    [[nodiscard]] const JwtCodec& codec() const { return codec_; }

private:
    core::Result<http::Response> Signup(http::Request& req);
    core::Result<http::Response> Login(http::Request& req);
    core::Result<http::Response> Me(http::Request& req);
    core::Result<http::Response> Jwks(http::Request& req);

    store::Database& db_;
    const KeyRing& keys_;
    const core::Clock& clock_;
    core::IdSource& ids_;
    const PasswordHasher& hasher_;
    AuthSettings settings_;
    JwtCodec codec_;
};

/// Trims and lower-cases an e-mail address; nullopt if it is not plausibly one.
std::optional<std::string> NormalizeEmail(std::string_view email);

}  // namespace insightstream::auth
