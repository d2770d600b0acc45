// Password hashing with Argon2id (libsodium, the "interactive" limits: 2 passes over 64 MiB),
// stored in the standard PHC string form ($argon2id$v=19$m=...,t=...,p=1$salt$hash).
//
// All membership hashes of one e-mail address share one salt (login_memberships.salt), so a
// login derives the key once and compares it with every membership of the address: a login
// takes the same time for an address with no account, one organization or ten. A login for an
// unknown address derives against a dummy hash for the same reason.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace insightstream::auth {

class PasswordHasher {
public:
    /// `ops_limit`/`mem_limit_bytes` of 0 take libsodium's interactive defaults.
    PasswordHasher(unsigned long long ops_limit = 0, size_t mem_limit_bytes = 0);
    /// A hash with a fresh random salt.
    core::Result<std::string> Hash(std::string_view password) const;
    /// A hash with the given salt (from NewSalt(), base64 without padding).
    core::Result<std::string> Hash(std::string_view password, std::string_view salt) const;
    /// A fresh salt for an address's first membership.
    static std::string NewSalt();
    [[nodiscard]] bool Verify(std::string_view hash, std::string_view password) const;
    /// The hash `password` would have with the salt and limits of `like`; equal to `like` exactly
    /// when the password is right. Empty if `like` is not an Argon2id PHC string.
    [[nodiscard]] std::string Rederive(std::string_view like, std::string_view password) const;
    /// Burns the time of one verification (for unknown accounts).
    void VerifyDummy(std::string_view password) const;

private:
    core::Result<std::string> Derive(std::string_view password, std::string_view salt, unsigned long long ops,
                                     size_t mem) const;
    unsigned long long ops_;
    size_t mem_;
    std::string dummy_hash_;
};

}  // namespace insightstream::auth
