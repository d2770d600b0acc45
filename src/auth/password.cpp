#include "auth/password.hpp"

#include <sodium.h>

#include <charconv>
#include <stdexcept>

namespace insightstream::auth {

namespace {
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;
constexpr size_t kHashBytes = 32;

std::string ToBase64(const unsigned char* p, size_t n) {
    std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    out.resize(std::char_traits<char>::length(out.c_str()));
    return out;
}

bool FromBase64(std::string_view text, unsigned char* out, size_t n) {
    size_t got = 0;
    return sodium_base642bin(out, n, text.data(), text.size(), nullptr, &got, nullptr,
                             sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
           got == n;
}

// "$argon2id$v=19$m=65536,t=2,p=1$<salt>$<hash>" → limits and salt.
bool ParsePhc(std::string_view phc, unsigned long long* ops, size_t* mem, std::string_view* salt) {
    constexpr std::string_view kHead = "$argon2id$v=19$m=";
    if (!phc.starts_with(kHead)) return false;
    phc.remove_prefix(kHead.size());
    size_t kib = 0;
    const char* end = phc.data() + phc.size();
    auto [p1, e1] = std::from_chars(phc.data(), end, kib);
    if (e1 != std::errc{} || !std::string_view(p1, static_cast<size_t>(end - p1)).starts_with(",t=")) return false;
    unsigned long long t = 0;
    auto [p2, e2] = std::from_chars(p1 + 3, end, t);
    if (e2 != std::errc{} || !std::string_view(p2, static_cast<size_t>(end - p2)).starts_with(",p=1$")) return false;
    std::string_view rest(p2 + 5, static_cast<size_t>(end - (p2 + 5)));
    size_t dollar = rest.find('$');
    if (dollar == std::string_view::npos) return false;
    *salt = rest.substr(0, dollar);
    *ops = t;
    *mem = kib * 1024;
    return true;
}
}  // namespace

PasswordHasher::PasswordHasher(unsigned long long ops_limit, size_t mem_limit_bytes)
    : ops_(ops_limit ? ops_limit : crypto_pwhash_OPSLIMIT_INTERACTIVE),
      mem_(mem_limit_bytes ? mem_limit_bytes : crypto_pwhash_MEMLIMIT_INTERACTIVE) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
    auto dummy = Hash("insightstream-dummy-password");
    if (!dummy) throw std::runtime_error("cannot compute the dummy password hash");
    dummy_hash_ = *dummy;
}

std::string PasswordHasher::NewSalt() {
    unsigned char salt[kSaltBytes];
    randombytes_buf(salt, sizeof salt);
    return ToBase64(salt, sizeof salt);
}

core::Result<std::string> PasswordHasher::Hash(std::string_view password) const { return Hash(password, NewSalt()); }

core::Result<std::string> PasswordHasher::Hash(std::string_view password, std::string_view salt) const {
    return Derive(password, salt, ops_, mem_);
}

core::Result<std::string> PasswordHasher::Derive(std::string_view password, std::string_view salt_text,
                                                 unsigned long long ops, size_t mem) const {
    unsigned char salt[kSaltBytes];
    if (!FromBase64(salt_text, salt, sizeof salt)) return core::Error::Internal("malformed password salt");
    unsigned char key[kHashBytes];
    if (crypto_pwhash(key, sizeof key, password.data(), password.size(), salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) !=
        0) {
        return core::Error::Unavailable("argon2id hashing ran out of memory");
    }
    std::string out = "$argon2id$v=19$m=" + std::to_string(mem / 1024) + ",t=" + std::to_string(ops) + ",p=1$" +
                      ToBase64(salt, sizeof salt) + "$" + ToBase64(key, sizeof key);
    sodium_memzero(key, sizeof key);
    return out;
}

std::string PasswordHasher::Rederive(std::string_view like, std::string_view password) const {
    unsigned long long ops = 0;
    size_t mem = 0;
    std::string_view salt;
    if (!ParsePhc(like, &ops, &mem, &salt)) return {};
    auto out = Derive(password, salt, ops, mem);
    return out ? *out : std::string();
}

bool PasswordHasher::Verify(std::string_view hash, std::string_view password) const {
    std::string h(hash);  // crypto_pwhash_str_verify needs a NUL-terminated string
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(std::string_view password) const { (void)Rederive(dummy_hash_, password); }

}  // namespace insightstream::auth
