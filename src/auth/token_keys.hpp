// The ES256 signing keys for access tokens. A key ring holds every key still trusted for
// verification (published in the JWKS) and signs with the newest, so a rotation never logs
// anyone out. Keys come from a directory of PEM files (<created_ms>-<kid>.pem, generated in
// embedded mode) or from one PEM given in the environment or a file. Private keys never leave
// this unit and are never logged.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace insightstream::auth {

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct SigningKey {
    std::string kid;  // first 16 hex digits of SHA-256 over the DER public key
    int64_t created_ms = 0;
    PkeyPtr key;
};

class KeyRing {
public:
    /// Loads every <created_ms>-<kid>.pem in `dir`; creates the directory and a first key when
    /// there is none and `create_if_empty` is set.
    static core::Result<std::unique_ptr<KeyRing>> LoadDir(const std::filesystem::path& dir, bool create_if_empty);
    /// One key from PEM text (INSIGHTSTREAM_JWT_PRIVATE_KEY or its _FILE).
    static core::Result<std::unique_ptr<KeyRing>> FromPem(std::string_view pem);
    /// Writes a new key into `dir` (it becomes the signing key at the next start) and removes
    /// keys retired longer ago than `keep_retired_ms`; returns the new kid.
    static core::Result<std::string> Rotate(const std::filesystem::path& dir, int64_t now_ms, int64_t keep_retired_ms);

    [[nodiscard]] const SigningKey& Active() const { return keys_.back(); }
    [[nodiscard]] const SigningKey* Find(std::string_view kid) const;
    [[nodiscard]] const std::vector<SigningKey>& keys() const { return keys_; }
    /// RFC 7517 JSON Web Key Set of the public halves.
    [[nodiscard]] std::string JwksJson() const;

private:
    std::vector<SigningKey> keys_;  // oldest first; the last one signs
};

/// A fresh P-256 private key as PEM (PKCS#8).
core::Result<std::string> GenerateEcPrivateKeyPem();

/// ES256 over `data`: the 64-byte r||s form JWS uses (RFC 7518 §3.4).
core::Result<std::string> SignEs256(EVP_PKEY* key, std::string_view data);
bool VerifyEs256(EVP_PKEY* key, std::string_view data, std::string_view signature);

}  // namespace insightstream::auth
