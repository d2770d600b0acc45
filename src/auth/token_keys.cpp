#include "auth/token_keys.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/crypto.hpp"

namespace insightstream::auth {

namespace fs = std::filesystem;
using core::Error;

void PkeyDeleter::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

namespace {

struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigDeleter {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct BnDeleter {
    void operator()(BIGNUM* b) const { BN_free(b); }
};

core::Result<PkeyPtr> ParsePrivatePem(std::string_view pem) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error::InvalidArgument("the JWT signing key is not a PEM private key");
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) {
        return Error::InvalidArgument("the JWT signing key must be an EC P-256 key (ES256)");
    }
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1 ||
        std::string_view(group) != "prime256v1") {
        return Error::InvalidArgument("the JWT signing key must be on curve P-256 (prime256v1)");
    }
    return key;
}

std::string KidOf(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key, &der);
    std::string bytes(reinterpret_cast<char*>(der), len > 0 ? len : 0);
    OPENSSL_free(der);
    return core::Sha256Hex(bytes).substr(0, 16);
}

core::Result<std::string> ReadFile(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return Error::Unavailable("cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string CoordinateB64(EVP_PKEY* key, const char* param) {
    BIGNUM* raw = nullptr;
    EVP_PKEY_get_bn_param(key, param, &raw);
    std::unique_ptr<BIGNUM, BnDeleter> bn(raw);
    unsigned char buf[32] = {};
    if (bn) BN_bn2binpad(bn.get(), buf, sizeof buf);
    return core::Base64UrlEncode(std::string_view(reinterpret_cast<char*>(buf), sizeof buf));
}

}  // namespace

core::Result<std::string> GenerateEcPrivateKeyPem() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return Error::Internal("EC key generation failed");
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return Error::Internal("PEM encoding failed");
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

core::Result<std::string> SignEs256(EVP_PKEY* key, std::string_view data) {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    size_t der_len = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &der_len, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) != 1) {
        return Error::Internal("ES256 sign init failed");
    }
    std::string der(der_len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
        return Error::Internal("ES256 sign failed");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, SigDeleter> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
    if (!sig) return Error::Internal("ES256 signature decode failed");
    unsigned char raw[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32);
    return std::string(reinterpret_cast<char*>(raw), sizeof raw);
}

bool VerifyEs256(EVP_PKEY* key, std::string_view data, std::string_view signature) {
    if (signature.size() != 64) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    std::unique_ptr<ECDSA_SIG, SigDeleter> sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
    BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return false;
    }
    unsigned char* der = nullptr;
    int der_len = i2d_ECDSA_SIG(sig.get(), &der);
    if (der_len <= 0) return false;
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len),
                               reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    OPENSSL_free(der);
    return ok;
}

core::Result<std::unique_ptr<KeyRing>> KeyRing::FromPem(std::string_view pem) {
    IS_TRY(auto key, ParsePrivatePem(pem));
    auto ring = std::make_unique<KeyRing>();
    std::string kid = KidOf(key.get());
    ring->keys_.push_back(SigningKey{kid, 0, std::move(key)});
    return ring;
}

core::Result<std::unique_ptr<KeyRing>> KeyRing::LoadDir(const fs::path& dir, bool create_if_empty) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(dir, ec)) {
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (e.path().extension() == ".pem") files.push_back(e.path());
        }
    }
    if (files.empty()) {
        if (!create_if_empty) return Error::Unavailable("no JWT signing key in " + dir.string());
        IS_TRY_VOID(Rotate(dir, 0, 0));
        return LoadDir(dir, false);
    }
    std::sort(files.begin(), files.end());
    auto ring = std::make_unique<KeyRing>();
    for (const auto& f : files) {
        IS_TRY(auto pem, ReadFile(f));
        auto key = ParsePrivatePem(pem);
        if (!key) return Error::InvalidArgument("JWT key " + f.filename().string() + ": " + key.error().detail());
        std::string stem = f.stem().string();
        int64_t created = std::atoll(stem.substr(0, stem.find('-')).c_str());
        std::string kid = KidOf(key->get());
        ring->keys_.push_back(SigningKey{kid, created, std::move(*key)});
    }
    return ring;
}

core::Result<std::string> KeyRing::Rotate(const fs::path& dir, int64_t now_ms, int64_t keep_retired_ms) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error::Unavailable("cannot create " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    // Keys other than the newest stopped signing when their successor arrived; once that is
    // longer ago than the longest token lifetime, nothing they signed is still valid.
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".pem") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i + 1 < files.size(); ++i) {
        std::string next = files[i + 1].stem().string();
        int64_t retired_at = std::atoll(next.substr(0, next.find('-')).c_str());
        if (now_ms - retired_at > keep_retired_ms) fs::remove(files[i], ec);
    }
    IS_TRY(auto pem, GenerateEcPrivateKeyPem());
    IS_TRY(auto key, ParsePrivatePem(pem));
    std::string kid = KidOf(key.get());
    char name[64];
    std::snprintf(name, sizeof name, "%013lld-%s.pem", static_cast<long long>(now_ms), kid.c_str());
    fs::path tmp = dir / (std::string(name) + ".tmp");
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << pem;
        if (!out) return Error::Unavailable("cannot write " + tmp.string());
    }
    fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    fs::rename(tmp, dir / name, ec);
    if (ec) return Error::Unavailable("cannot write key: " + ec.message());
    return kid;
}

const SigningKey* KeyRing::Find(std::string_view kid) const {
    for (const auto& k : keys_) {
        if (k.kid == kid) return &k;
    }
    return nullptr;
}

std::string KeyRing::JwksJson() const {
    boost::json::array keys;
    for (const auto& k : keys_) {
        keys.push_back({{"kty", "EC"},
                        {"crv", "P-256"},
                        {"kid", k.kid},
                        {"use", "sig"},
                        {"alg", "ES256"},
                        {"x", CoordinateB64(k.key.get(), OSSL_PKEY_PARAM_EC_PUB_X)},
                        {"y", CoordinateB64(k.key.get(), OSSL_PKEY_PARAM_EC_PUB_Y)}});
    }
    return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

}  // namespace insightstream::auth
