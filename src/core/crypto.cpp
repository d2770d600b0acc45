#include "core/crypto.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace insightstream::core {

void RandomBytes(void* out, size_t n) {
    if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
        // Without randomness no id or secret is safe; this is not recoverable.
        throw std::runtime_error("RAND_bytes failed");
    }
}

namespace {
struct Xoshiro256 {
    uint64_t s[4];
    Xoshiro256() {
        RandomBytes(s, sizeof s);
        if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
    }
    static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t Next() {
        const uint64_t result = Rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = Rotl(s[3], 45);
        return result;
    }
};
}  // namespace

void FastIdBytes(void* out, size_t n) {
    thread_local Xoshiro256 rng;
    auto* p = static_cast<unsigned char*>(out);
    while (n > 0) {
        uint64_t r = rng.Next();
        size_t k = n < 8 ? n : 8;
        std::memcpy(p, &r, k);
        p += k;
        n -= k;
    }
}

std::string RandomToken(size_t n) {
    std::string raw(n, '\0');
    RandomBytes(raw.data(), n);
    return Base64UrlEncode(raw);
}

std::string HexEncode(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Encode(std::string_view in, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned v = (unsigned(uint8_t(in[i])) << 16) | (unsigned(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    size_t rest = in.size() - i;
    if (rest == 1) {
        unsigned v = unsigned(uint8_t(in[i])) << 16;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        if (pad) out += "==";
    } else if (rest == 2) {
        unsigned v = (unsigned(uint8_t(in[i])) << 16) | (unsigned(uint8_t(in[i + 1])) << 8);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        if (pad) out += '=';
    }
    return out;
}
}  // namespace

std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kB64Url, false); }
std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kB64, true); }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    auto val = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = val(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += char((acc >> bits) & 0xFF);
        }
    }
    // Canonical encoding only: leftover bits must be zero, so one token has one spelling.
    if (bits > 0 && (acc & ((1U << bits) - 1)) != 0) return std::nullopt;
    return out;
}

struct Sha256::Impl {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
    if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_DigestInit_ex failed");
    }
}
Sha256::~Sha256() = default;

void Sha256::Update(const void* data, size_t n) { EVP_DigestUpdate(impl_->ctx, data, n); }

std::string Sha256::Final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(impl_->ctx, md, &len);
    return std::string(reinterpret_cast<char*>(md), len);
}

namespace {

// The threads every Sha256Aside hashes on: one per core, shared by all uploads (a thread per
// upload would be a hundred threads for a hundred uploads), started on first use.
boost::asio::thread_pool& HashThreads() {
    static boost::asio::thread_pool threads(std::max(2U, std::thread::hardware_concurrency()));
    return threads;
}

}  // namespace

void StartHashThreads() { (void)HashThreads(); }

Sha256Aside::~Sha256Aside() { Wait(); }

void Sha256Aside::Start(const void* data, size_t n) {
    constexpr size_t kInline = 64 << 10;
    if (n < kInline) {
        Wait();  // one piece at a time, in order
        hash_.Update(data, n);
        return;
    }
    {
        std::scoped_lock lock(mutex_);
        busy_ = true;
    }
    boost::asio::post(HashThreads(), [this, data, n] {
        hash_.Update(data, n);
        // Notified under the lock: once it is released, this task never touches the object
        // again, so a waiter may destroy it at once.
        std::scoped_lock lock(mutex_);
        busy_ = false;
        cv_.notify_all();
    });
}

void Sha256Aside::Wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return !busy_; });
}

std::string Sha256Aside::Final() {
    Wait();
    return hash_.Final();
}

std::string Sha256Hex(std::string_view data) {
    Sha256 h;
    h.Update(data.data(), data.size());
    return HexEncode(h.Final());
}

std::string HmacSha256(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), md, &len);
    return std::string(reinterpret_cast<char*>(md), len);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace insightstream::core
