// Access tokens: compact JWS with ES256 (RFC 7515/7519), verified with OpenSSL directly. Only
// ES256 is accepted (no "none", no HMAC: the algorithm-confusion attack on libjwt does not
// apply), the kid must name a key of the ring, and exp/nbf/iss/aud are all checked.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>

#include "auth/token_keys.hpp"
#include "core/clock.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"

namespace insightstream::auth {

struct JwtSettings {
    std::string issuer = "insightstream";
    std::string audience = "insightstream-api";
    int access_ttl_s = 15 * 60;
    int leeway_s = 30;  // clock skew tolerated on exp and nbf
};

class JwtCodec {
public:
    JwtCodec(const KeyRing& keys, const core::Clock& clock, JwtSettings settings)
        : keys_(keys), clock_(clock), settings_(std::move(settings)) {}
    JwtCodec(const JwtCodec& o) : keys_(o.keys_), clock_(o.clock_), settings_(o.settings_) {}

    /// A signed access token for the user, valid for access_ttl_s. `epoch` is the member's token
    /// epoch (claim "gen"): a password change or sign-out everywhere bumps it and ends the token.
    core::Result<std::string> Issue(const core::TenantId& tenant, const core::UserId& user, core::Role role,
                                    int64_t epoch = 0) const;
    /// Verifies signature, algorithm, key id, time window, issuer and audience. Every failure is
    /// the same 401 to the client; `internal` says which check failed, for the log. Tokens that
    /// verified are remembered (by their full text, signature included) until they expire, so
    /// the ECDSA check runs once per token, not once per request.
    core::Result<core::Principal> Verify(std::string_view token) const;
    /// Only the remembered tokens: nullopt for a token not verified before (never blocks).
    [[nodiscard]] std::optional<core::Principal> VerifyCached(std::string_view token) const;
    [[nodiscard]] const JwtSettings& settings() const { return settings_; }

private:
    core::Result<core::Principal> VerifyUncached(std::string_view token, int64_t* exp) const;
    struct Verified {
        core::Principal principal;
        int64_t exp = 0;
    };
    static constexpr size_t kMaxVerified = 20'000;
    mutable std::mutex verified_mutex_;
    mutable std::unordered_map<std::string, Verified> verified_;
    const KeyRing& keys_;
    const core::Clock& clock_;
    JwtSettings settings_;
};

}  // namespace insightstream::auth
