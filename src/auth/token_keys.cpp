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

#include "core/clock.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"
#include "store/db/database.hpp"

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

core::Result<PkeyPtr> ParsePublicPem(std::string_view pem) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC) return Error::InvalidArgument("not a PEM EC public key");
    return key;
}

core::Result<std::string> PublicPem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) return Error::Internal("PEM encoding failed");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

// The .pem files of a key directory, oldest first (names start with the creation time).
std::vector<fs::path> KeyFiles(const fs::path& dir) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_directory(dir, ec)) {
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            if (e.path().extension() == ".pem") files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

int64_t CreatedOf(const fs::path& file) {
    std::string stem = file.stem().string();
    return std::atoll(stem.substr(0, stem.find('-')).c_str());
}

core::Result<std::vector<KeyRef>> LoadKeyFiles(const std::vector<fs::path>& files) {
    std::vector<KeyRef> keys;
    for (const auto& f : files) {
        IS_TRY(auto pem, ReadFile(f));
        auto key = ParsePrivatePem(pem);
        if (!key) return Error::InvalidArgument("JWT key " + f.filename().string() + ": " + key.error().detail());
        std::string kid = KidOf(key->get());
        keys.push_back(std::make_shared<const SigningKey>(SigningKey{kid, CreatedOf(f), std::move(*key)}));
    }
    return keys;
}

bool SameKids(const std::vector<KeyRef>& a, const std::vector<KeyRef>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const KeyRef& x, const KeyRef& y) { return x->kid == y->kid; });
}

constexpr int64_t kDirScanEveryMs = 2000;
constexpr int64_t kSharedReadEveryMs = 1000;

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
    std::string kid = KidOf(key.get());
    auto ring = VerifyOnly();
    ring->state_ = std::make_shared<const State>(
        State{{std::make_shared<const SigningKey>(SigningKey{kid, 0, std::move(key)})}, {}});
    return ring;
}

std::unique_ptr<KeyRing> KeyRing::VerifyOnly() {
    auto ring = std::unique_ptr<KeyRing>(new KeyRing());
    ring->state_ = std::make_shared<const State>();
    return ring;
}

core::Result<std::unique_ptr<KeyRing>> KeyRing::LoadDir(const fs::path& dir, bool create_if_empty) {
    auto files = KeyFiles(dir);
    if (files.empty()) {
        if (!create_if_empty) return Error::Unavailable("no JWT signing key in " + dir.string());
        IS_TRY_VOID(Rotate(dir, 0, 0));
        return LoadDir(dir, false);
    }
    IS_TRY(auto own, LoadKeyFiles(files));
    auto ring = VerifyOnly();
    ring->dir_ = dir;
    ring->state_ = std::make_shared<const State>(State{std::move(own), {}});
    ring->next_dir_scan_ms_ = core::MonotonicMs() + kDirScanEveryMs;
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

std::shared_ptr<const KeyRing::State> KeyRing::Snapshot() const {
    std::scoped_lock lock(mutex_);
    return state_;
}

void KeyRing::ShareThrough(store::Database& db, int64_t keep_retired_ms) {
    db_ = &db;
    keep_retired_ms_ = keep_retired_ms;
    // With the database down, this role still starts: publishing is retried before the next
    // token is signed, and the shared keys are read at the first kid not known.
    auto published = Publish(Snapshot()->own);
    published_ = published.has_value();
    if (!published) {
        core::Log(core::LogLevel::kWarn, "keys.publish_failed", "the signing keys will be published when the database answers",
                  {{"error", published.error().detail()}});
    }
    ReloadShared();
    next_shared_read_ms_ = core::MonotonicMs() + kSharedReadEveryMs;
}

core::Result<void> KeyRing::Publish(const std::vector<KeyRef>& own) const {
    if (!db_) return {};
    int64_t now = core::SystemClock().NowMs();
    std::vector<std::pair<std::string, std::string>> pems;
    for (const auto& k : own) {
        IS_TRY(auto pem, PublicPem(k->key.get()));
        pems.emplace_back(k->kid, std::move(pem));
    }
    return db_->TransactSystem(store::TxMode::kWrite, [&](store::Tx& tx) -> core::Result<void> {
        for (size_t i = 0; i < own.size(); ++i) {
            // A key from the environment has no creation time: it counts from its first publication.
            int64_t created = own[i]->created_ms > 0 ? own[i]->created_ms : now;
            IS_TRY_VOID(tx.Exec("INSERT INTO signing_keys (kid, created_at, public_key_pem) VALUES ($1, $2, $3) "
                                "ON CONFLICT (kid) DO NOTHING",
                                {pems[i].first, created, pems[i].second}));
        }
        // Keys whose successor has signed for longer than any token lives: nothing of theirs is valid.
        IS_TRY(auto rows, tx.Exec("SELECT kid, created_at FROM signing_keys ORDER BY created_at, kid"));
        for (size_t i = 0; i + 1 < rows.rows.size(); ++i) {
            bool ours = std::any_of(own.begin(), own.end(), [&](const KeyRef& k) { return k->kid == rows.rows[i].Text(0); });
            if (!ours && now - rows.rows[i + 1].Int(1) > keep_retired_ms_) {
                IS_TRY_VOID(tx.Exec("DELETE FROM signing_keys WHERE kid = $1", {rows.rows[i].Text(0)}));
            }
        }
        return {};
    });
}

core::Result<std::vector<KeyRef>> KeyRing::ReadShared() const {
    IS_TRY(auto rows, store::TransactSystemValue(*db_, store::TxMode::kRead, [](store::Tx& tx) {
               return tx.Exec("SELECT kid, created_at, public_key_pem FROM signing_keys ORDER BY created_at, kid");
           }));
    std::vector<KeyRef> keys;
    for (const auto& r : rows.rows) {
        auto key = ParsePublicPem(r.Text(2));
        // A row whose key does not hash to its kid is not trusted (nor is one that does not parse).
        if (!key || KidOf(key->get()) != r.Text(0)) {
            core::Log(core::LogLevel::kWarn, "keys.shared_rejected", "a published signing key is not valid",
                      {{"kid", r.Text(0)}});
            continue;
        }
        keys.push_back(std::make_shared<const SigningKey>(SigningKey{r.Text(0), r.Int(1), std::move(*key)}));
    }
    return keys;
}

void KeyRing::ReloadShared() const {
    auto shared = ReadShared();
    if (!shared) {
        core::Log(core::LogLevel::kWarn, "keys.shared_unreadable", "cannot read the published signing keys",
                  {{"error", shared.error().detail()}});
        return;
    }
    std::scoped_lock lock(mutex_);
    state_ = std::make_shared<const State>(State{state_->own, std::move(*shared)});
}

void KeyRing::RefreshIfDue() const {
    if (dir_.empty() && published_.load()) return;
    if (core::MonotonicMs() < next_dir_scan_ms_.load()) return;
    std::unique_lock guard(refresh_mutex_, std::try_to_lock);
    if (!guard.owns_lock()) return;  // another thread is at it
    next_dir_scan_ms_ = core::MonotonicMs() + kDirScanEveryMs;
    if (!published_.load()) {
        if (auto published = Publish(Snapshot()->own); published) {
            published_ = true;
        } else {
            core::Log(core::LogLevel::kWarn, "keys.publish_failed", "the signing keys are not published yet",
                      {{"error", published.error().detail()}});
        }
    }
    if (dir_.empty()) return;
    auto files = KeyFiles(dir_);
    auto current = Snapshot();
    bool same = files.size() == current->own.size();
    for (size_t i = 0; same && i < files.size(); ++i) {
        same = files[i].stem().string().ends_with("-" + current->own[i]->kid);
    }
    if (same || files.empty()) return;
    auto own = LoadKeyFiles(files);
    if (!own) {
        core::Log(core::LogLevel::kWarn, "keys.reload_failed", "the signing keys directory cannot be read",
                  {{"dir", dir_.string()}, {"error", own.error().detail()}});
        return;
    }
    if (SameKids(*own, current->own)) return;
    // Published before it signs, so every role can verify the first token it signs.
    if (auto published = Publish(*own); !published) {
        core::Log(core::LogLevel::kWarn, "keys.publish_failed", "a new signing key waits until it can be published",
                  {{"error", published.error().detail()}});
        next_dir_scan_ms_ = core::MonotonicMs() + kSharedReadEveryMs;
        return;
    }
    {
        std::scoped_lock lock(mutex_);
        state_ = std::make_shared<const State>(State{std::move(*own), state_->shared});
    }
    core::Log(core::LogLevel::kInfo, "keys.reloaded", "signing with the newest key", {{"kid", Active()->kid}});
}

KeyRef KeyRing::Active() const {
    auto s = Snapshot();
    return s->own.empty() ? nullptr : s->own.back();
}

KeyRef KeyRing::Find(std::string_view kid) const {
    auto search = [&](const State& s) -> KeyRef {
        for (const auto* list : {&s.own, &s.shared}) {
            for (const auto& k : *list) {
                if (k->kid == kid) return k;
            }
        }
        return nullptr;
    };
    if (auto k = search(*Snapshot())) return k;
    if (!db_ || core::MonotonicMs() < next_shared_read_ms_.load()) return nullptr;
    {
        // One reader at a time, and nobody waits for it: a flood of made-up kids while the
        // database is slow must not park every handler thread here.
        std::unique_lock guard(refresh_mutex_, std::try_to_lock);
        if (!guard.owns_lock()) return nullptr;
        if (core::MonotonicMs() < next_shared_read_ms_.load()) return search(*Snapshot());
        ReloadShared();
        next_shared_read_ms_ = core::MonotonicMs() + kSharedReadEveryMs;  // after the read, however long it took
    }
    return search(*Snapshot());
}

std::vector<KeyRef> KeyRing::Trusted() const {
    auto s = Snapshot();
    std::vector<KeyRef> keys;
    for (const auto* list : {&s->own, &s->shared}) {
        for (const auto& k : *list) {
            bool seen = std::any_of(keys.begin(), keys.end(), [&](const KeyRef& t) { return t->kid == k->kid; });
            if (!seen) keys.push_back(k);
        }
    }
    return keys;
}

std::vector<std::string> KeyRing::Kids() const {
    std::vector<std::string> kids;
    for (const auto& k : Trusted()) kids.push_back(k->kid);
    return kids;
}

std::string KeyRing::JwksJson() const {
    boost::json::array keys;
    for (const auto& k : Trusted()) {
        keys.push_back({{"kty", "EC"},
                        {"crv", "P-256"},
                        {"kid", k->kid},
                        {"use", "sig"},
                        {"alg", "ES256"},
                        {"x", CoordinateB64(k->key.get(), OSSL_PKEY_PARAM_EC_PUB_X)},
                        {"y", CoordinateB64(k->key.get(), OSSL_PKEY_PARAM_EC_PUB_Y)}});
    }
    return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}});
}

}  // namespace insightstream::auth
