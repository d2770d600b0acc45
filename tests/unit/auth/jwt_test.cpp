#include <gtest/gtest.h>

#include <openssl/hmac.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "auth/auth_service.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/token_keys.hpp"
#include "core/crypto.hpp"
#include "support/test_env.hpp"

namespace insightstream::auth {
namespace {

namespace json = boost::json;

class FixedClock final : public core::Clock {
public:
    [[nodiscard]] int64_t NowMs() const override { return now_ms; }
    int64_t now_ms = 1'800'000'000'000;
};

class Jwt : public ::testing::Test {
protected:
    void SetUp() override {
        auto ring = KeyRing::LoadDir(dir_.path() / "keys", true);
        ASSERT_TRUE(ring);
        keys_ = std::move(*ring);
    }
    // Signs arbitrary header and claims with the ring's key (to forge well-signed bad tokens).
    std::string Sign(const json::object& header, const json::object& claims) {
        std::string input = core::Base64UrlEncode(json::serialize(header)) + "." +
                            core::Base64UrlEncode(json::serialize(claims));
        auto sig = SignEs256(keys_->Active()->key.get(), input);
        EXPECT_TRUE(sig);
        return input + "." + core::Base64UrlEncode(*sig);
    }
    json::object Header() { return {{"alg", "ES256"}, {"typ", "JWT"}, {"kid", keys_->Active()->kid}}; }
    json::object Claims() {
        int64_t now = clock_.NowMs() / 1000;
        return {{"iss", "insightstream"}, {"aud", "insightstream-api"}, {"sub", "usr_1"}, {"tid", "org_1"},
                {"role", "admin"},        {"iat", now},                  {"nbf", now},     {"exp", now + 900}};
    }
    void ExpectRejected(const std::string& token, const std::string& why) {
        auto r = codec().Verify(token);
        ASSERT_FALSE(r) << why;
        EXPECT_EQ(r.error().code(), core::ErrorCode::kUnauthenticated) << why;
        EXPECT_EQ(r.error().internal(), why);
    }
    JwtCodec codec() { return JwtCodec(*keys_, clock_, JwtSettings{}); }

    testing::TempDir dir_;
    std::unique_ptr<KeyRing> keys_;
    FixedClock clock_;
};

TEST_F(Jwt, IssuedTokensVerifyToTheirPrincipal) {
    auto token = codec().Issue(core::TenantId("org_1"), core::UserId("usr_1"), core::Role::kAnalyst);
    ASSERT_TRUE(token);
    auto p = codec().Verify(*token);
    ASSERT_TRUE(p) << p.error().internal();
    EXPECT_EQ(p->tenant.str(), "org_1");
    EXPECT_EQ(p->user.str(), "usr_1");
    EXPECT_EQ(p->role, core::Role::kAnalyst);
    EXPECT_TRUE(codec().Verify(Sign(Header(), Claims())));
}

TEST_F(Jwt, RejectsAlgNone) {
    json::object h{{"alg", "none"}, {"typ", "JWT"}, {"kid", keys_->Active()->kid}};
    std::string t = core::Base64UrlEncode(json::serialize(h)) + "." +
                    core::Base64UrlEncode(json::serialize(Claims())) + ".";
    ExpectRejected(t, "alg is not ES256");
}

TEST_F(Jwt, RejectsHs256SignedWithThePublicKey) {
    // The algorithm-confusion attack: HMAC keyed with the public key text the JWKS publishes.
    json::object h{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", keys_->Active()->kid}};
    std::string input = core::Base64UrlEncode(json::serialize(h)) + "." + core::Base64UrlEncode(json::serialize(Claims()));
    std::string mac = core::HmacSha256(keys_->JwksJson(), input);
    ExpectRejected(input + "." + core::Base64UrlEncode(mac), "alg is not ES256");
}

TEST_F(Jwt, RejectsExpiredAndNotYetValid) {
    auto c = Claims();
    c["exp"] = clock_.NowMs() / 1000 - 31;
    ExpectRejected(Sign(Header(), c), "expired");
    c = Claims();
    c["nbf"] = clock_.NowMs() / 1000 + 120;
    ExpectRejected(Sign(Header(), c), "not yet valid");
    c = Claims();
    c.erase("exp");
    ExpectRejected(Sign(Header(), c), "expired");
}

TEST_F(Jwt, RejectsWrongIssuerAudienceAndUnknownKid) {
    auto c = Claims();
    c["iss"] = "evil";
    ExpectRejected(Sign(Header(), c), "wrong issuer");
    c = Claims();
    c["aud"] = "someone-else";
    ExpectRejected(Sign(Header(), c), "wrong audience");
    auto h = Header();
    h["kid"] = "0000000000000000";
    ExpectRejected(Sign(h, Claims()), "unknown kid");
}

TEST_F(Jwt, RejectsTamperedAndTruncatedTokens) {
    auto token = *codec().Issue(core::TenantId("org_1"), core::UserId("usr_1"), core::Role::kViewer);
    size_t d1 = token.find('.');
    size_t d2 = token.find('.', d1 + 1);
    auto claims = Claims();
    claims["role"] = "owner";
    std::string forged = token.substr(0, d1 + 1) + core::Base64UrlEncode(json::serialize(claims)) + token.substr(d2);
    ExpectRejected(forged, "bad signature");
    ExpectRejected(token.substr(0, token.size() - 5), "bad signature");
    ExpectRejected(token.substr(0, d2), "not three parts");
    ExpectRejected("", "not three parts");
    ExpectRejected("a.b.c", "bad header");
}

TEST_F(Jwt, TokensOfAnotherKeyRingAreRejected) {
    testing::TempDir other;
    auto ring = KeyRing::LoadDir(other.path(), true);
    ASSERT_TRUE(ring);
    JwtCodec foreign(**ring, clock_, JwtSettings{});
    auto token = foreign.Issue(core::TenantId("org_1"), core::UserId("usr_1"), core::Role::kOwner);
    ExpectRejected(*token, "unknown kid");
}

TEST_F(Jwt, RotationKeepsOldTokensValidAndSignsWithTheNewKey) {
    auto old_token = *codec().Issue(core::TenantId("org_1"), core::UserId("usr_1"), core::Role::kViewer);
    auto kid = KeyRing::Rotate(dir_.path() / "keys", clock_.NowMs(), 3600 * 1000);
    ASSERT_TRUE(kid);
    auto rotated = KeyRing::LoadDir(dir_.path() / "keys", false);
    ASSERT_TRUE(rotated);
    EXPECT_EQ((*rotated)->Kids().size(), 2U);
    EXPECT_EQ((*rotated)->Active()->kid, *kid);
    JwtCodec after(**rotated, clock_, JwtSettings{});
    EXPECT_TRUE(after.Verify(old_token));
    auto jwks = json::parse((*rotated)->JwksJson());
    EXPECT_EQ(jwks.at("keys").as_array().size(), 2U);
}

TEST(KeyRing, JwksPublishesOnlyPublicCoordinates) {
    testing::TempDir d;
    auto ring = KeyRing::LoadDir(d.path(), true);
    ASSERT_TRUE(ring);
    auto jwks = json::parse((*ring)->JwksJson());
    const auto& k = jwks.at("keys").at(0).as_object();
    EXPECT_EQ(k.at("kty"), "EC");
    EXPECT_EQ(k.at("crv"), "P-256");
    EXPECT_EQ(k.at("alg"), "ES256");
    EXPECT_EQ(core::Base64UrlDecode(std::string(k.at("x").as_string()))->size(), 32U);
    EXPECT_FALSE(k.contains("d"));
}

TEST(Password, HashesWithArgon2idAndVerifies) {
    PasswordHasher h;
    auto hash = h.Hash("correct horse battery");
    ASSERT_TRUE(hash);
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0U);
    EXPECT_TRUE(h.Verify(*hash, "correct horse battery"));
    EXPECT_FALSE(h.Verify(*hash, "correct horse batterY"));
    EXPECT_NE(*h.Hash("correct horse battery"), *hash);  // salted
}

TEST(Email, IsNormalizedAndValidated) {
    EXPECT_EQ(*NormalizeEmail("  Ann@Acme.IO "), "ann@acme.io");
    EXPECT_FALSE(NormalizeEmail("ann"));
    EXPECT_FALSE(NormalizeEmail("ann@acme"));
    EXPECT_FALSE(NormalizeEmail("a@b@c.io"));
    EXPECT_FALSE(NormalizeEmail("an n@acme.io"));
    EXPECT_FALSE(NormalizeEmail("@acme.io"));
}

TEST(Password, OneSaltPerAddressMakesOneDerivationCheckEveryMembership) {
    auth::PasswordHasher hasher(1, 8192 * 1024);  // the smallest limits: the rules, not the cost
    std::string salt = auth::PasswordHasher::NewSalt();
    auto a = hasher.Hash("one password for all", salt);
    auto b = hasher.Hash("one password for all", salt);
    auto c = hasher.Hash("another password", salt);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, *b) << "same salt, same password: the same hash";
    EXPECT_NE(*a, *c);
    EXPECT_TRUE(hasher.Verify(*a, "one password for all")) << "standard PHC strings";
    EXPECT_EQ(hasher.Rederive(*c, "one password for all"), *a) << "one derivation answers for every membership";
    EXPECT_NE(*hasher.Hash("one password for all"), *a) << "a fresh salt otherwise";
    // Hashes made before (libsodium's own string, random salt) are rederived the same way.
    char legacy[crypto_pwhash_STRBYTES];
    ASSERT_EQ(crypto_pwhash_str_alg(legacy, "old password", 12, 1, 8192 * 1024, crypto_pwhash_ALG_ARGON2ID13), 0);
    EXPECT_EQ(hasher.Rederive(legacy, "old password"), std::string(legacy));
    EXPECT_NE(hasher.Rederive(legacy, "old passwore"), std::string(legacy));
    EXPECT_EQ(hasher.Rederive("$2b$10$notargon", "x"), "") << "not an Argon2id string: never equal";
    EXPECT_EQ(hasher.Rederive("$argon2id$v=19$m=", "x"), "");
}

}  // namespace
}  // namespace insightstream::auth
