// Small, well-reviewed building blocks over OpenSSL: random bytes, SHA-256, HMAC, hex and
// base64url, constant-time comparison. Nothing here invents cryptography.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace insightstream::core {

void RandomBytes(void* out, size_t n);
/// Random bytes for identifiers that are unique but not secret (request and trace ids): a
/// per-thread xoshiro256** generator seeded from RandomBytes, so the hot request path makes no
/// call into the OpenSSL generator (which checks the process id with a syscall each time).
/// Never for tokens, keys or anything an attacker must not guess.
void FastIdBytes(void* out, size_t n);
/// `n` random bytes as URL-safe base64 without padding (for secrets such as refresh tokens).
std::string RandomToken(size_t n);

std::string HexEncode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64Encode(std::string_view bytes);

/// Incremental SHA-256 (streaming uploads hash while they write).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void Update(const void* data, size_t n);
    /// Raw 32-byte digest; the object is finished afterwards.
    std::string Final();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// SHA-256 of a stream, each piece hashed on another thread while the caller does its other work
/// on the same bytes (the directory store writes a piece while it is hashed: one after the other,
/// the two capped an upload at about half the machine). Start(piece), work, Wait(): one piece at a
/// time, and the piece must stay valid until Wait returns. Pieces under 64 KiB are hashed at once,
/// inline; larger ones on threads shared by every stream (one per core).
class Sha256Aside {
public:
    Sha256Aside() = default;
    ~Sha256Aside();
    Sha256Aside(const Sha256Aside&) = delete;
    Sha256Aside& operator=(const Sha256Aside&) = delete;
    void Start(const void* data, size_t n);
    void Wait();
    /// Raw 32-byte digest of every piece so far (waits for the last).
    std::string Final();

private:
    Sha256 hash_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool busy_ = false;
};

/// Starts the threads Sha256Aside hashes on, from the calling thread (they inherit its priority:
/// call it at start-up, before any thread lowers its own).
void StartHashThreads();

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace insightstream::core
