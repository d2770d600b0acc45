#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace insightstream::auth {

PasswordHasher::PasswordHasher(unsigned long long ops_limit, size_t mem_limit_bytes)
    : ops_(ops_limit ? ops_limit : crypto_pwhash_OPSLIMIT_INTERACTIVE),
      mem_(mem_limit_bytes ? mem_limit_bytes : crypto_pwhash_MEMLIMIT_INTERACTIVE) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
    auto dummy = Hash("insightstream-dummy-password");
    if (!dummy) throw std::runtime_error("cannot compute the dummy password hash");
    dummy_hash_ = *dummy;
}

core::Result<std::string> PasswordHasher::Hash(std::string_view password) const {
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_, mem_, crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return core::Error::Unavailable("argon2id hashing ran out of memory");
    }
    return std::string(out);
}

bool PasswordHasher::Verify(std::string_view hash, std::string_view password) const {
    std::string h(hash);  // crypto_pwhash_str_verify needs a NUL-terminated string
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

void PasswordHasher::VerifyDummy(std::string_view password) const { (void)Verify(dummy_hash_, password); }

}  // namespace insightstream::auth
