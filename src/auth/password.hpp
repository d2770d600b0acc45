// Password hashing with Argon2id (libsodium crypto_pwhash, the "interactive" limits: 2 passes
// over 64 MiB). A login for an unknown e-mail verifies against a dummy hash, so both failures
// take the same time and do not reveal which addresses have accounts.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace insightstream::auth {

class PasswordHasher {
public:
    /// `ops_limit`/`mem_limit_bytes` of 0 take libsodium's interactive defaults.
    PasswordHasher(unsigned long long ops_limit = 0, size_t mem_limit_bytes = 0);
    core::Result<std::string> Hash(std::string_view password) const;
    [[nodiscard]] bool Verify(std::string_view hash, std::string_view password) const;
    /// Burns the time of one verification (for unknown accounts).
    void VerifyDummy(std::string_view password) const;

private:
    unsigned long long ops_;
    size_t mem_;
    std::string dummy_hash_;
};

}  // namespace insightstream::auth
