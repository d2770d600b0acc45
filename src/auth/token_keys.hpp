// The ES256 keys of access tokens. A key ring holds every key still trusted for verification
// (published in the JWKS) and signs with the newest of its own, so a rotation never logs anyone
// out.
//
// Where keys come from:
// - the auth role's own private keys: a directory of PEM files (<created_ms>-<kid>.pem, generated
//   in embedded mode, added by `insightstream keys rotate`, picked up within seconds), or one PEM
//   given in the environment or a file;
// - shared through the database (ShareThrough): the auth role publishes the public half of each
//   of its keys in `signing_keys` before it signs with it, and every role trusts the keys listed
//   there, reading the table again when a token names a kid it does not know (at most once a
//   second). So the roles that only verify hold no private key and need no restart on rotation.
// Private keys never leave this unit, never enter the database and are never logged.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace insightstream::store {
class Database;
}

namespace insightstream::auth {

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct SigningKey {
    std::string kid;  // first 16 hex digits of SHA-256 over the DER public key
    int64_t created_ms = 0;
    PkeyPtr key;  // private for this ring's own keys, public for the shared ones
};
using KeyRef = std::shared_ptr<const SigningKey>;

class KeyRing {
public:
    /// Loads every <created_ms>-<kid>.pem in `dir`; creates the directory and a first key when
    /// there is none and `create_if_empty` is set. The directory is looked at again now and then
    /// (RefreshIfDue), so a key `keys rotate` adds signs without a restart.
    static core::Result<std::unique_ptr<KeyRing>> LoadDir(const std::filesystem::path& dir, bool create_if_empty);
    /// One key from PEM text (INSIGHTSTREAM_JWT_PRIVATE_KEY or its _FILE).
    static core::Result<std::unique_ptr<KeyRing>> FromPem(std::string_view pem);
    /// A ring with no key of its own, for a role that only verifies (give it ShareThrough).
    static std::unique_ptr<KeyRing> VerifyOnly();
    /// Writes a new key into `dir` and removes keys retired longer ago than `keep_retired_ms`;
    /// returns the new kid.
    static core::Result<std::string> Rotate(const std::filesystem::path& dir, int64_t now_ms, int64_t keep_retired_ms);

    /// Shares keys through `db`: publishes this ring's own public keys (now, and before a key
    /// found later signs) and trusts every key published there. A published key is removed once
    /// its successor is older than `keep_retired_ms` (nothing it signed is still valid). Never
    /// fails: with the database down, both are retried later.
    void ShareThrough(store::Database& db, int64_t keep_retired_ms);

    /// The newest own key: the one that signs. Null for a ring without keys of its own.
    [[nodiscard]] KeyRef Active() const;
    /// The key named `kid`, own or shared. On a miss the shared keys are read again (at most once
    /// a second), so a key published after this process started is found.
    [[nodiscard]] KeyRef Find(std::string_view kid) const;
    /// The signing side's check for a key added to the directory, and its retry of a publication
    /// that failed (at most every 2 s; cheap).
    void RefreshIfDue() const;
    /// Every kid trusted now, oldest first.
    [[nodiscard]] std::vector<std::string> Kids() const;
    /// RFC 7517 JSON Web Key Set of the public halves of every trusted key.
    [[nodiscard]] std::string JwksJson() const;

private:
    struct State {
        std::vector<KeyRef> own;     // oldest first; the last one signs
        std::vector<KeyRef> shared;  // published in the database, oldest first
    };
    [[nodiscard]] std::shared_ptr<const State> Snapshot() const;
    /// Own keys, then shared ones not among them: every key trusted now, each once.
    [[nodiscard]] std::vector<KeyRef> Trusted() const;
    core::Result<void> Publish(const std::vector<KeyRef>& own) const;
    core::Result<std::vector<KeyRef>> ReadShared() const;
    void ReloadShared() const;

    std::filesystem::path dir_;  // empty unless the own keys come from a directory
    store::Database* db_ = nullptr;
    int64_t keep_retired_ms_ = 0;
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const State> state_;
    mutable std::mutex refresh_mutex_;  // one reload at a time
    mutable std::atomic<int64_t> next_dir_scan_ms_{0};
    mutable std::atomic<int64_t> next_shared_read_ms_{0};
    mutable std::atomic<bool> published_{true};  // false while own keys wait to be published
};

/// A fresh P-256 private key as PEM (PKCS#8).
core::Result<std::string> GenerateEcPrivateKeyPem();

/// ES256 over `data`: the 64-byte r||s form JWS uses (RFC 7518 §3.4).
core::Result<std::string> SignEs256(EVP_PKEY* key, std::string_view data);
bool VerifyEs256(EVP_PKEY* key, std::string_view data, std::string_view signature);

}  // namespace insightstream::auth
