// Sessions, members, API keys, the audit log, abuse limits and edge headers through the real
// binary, on SQLite and on PostgreSQL (served by the non-owner role, so row-level security is on).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

class Auth : public ::testing::TestWithParam<std::string> {
protected:
    void Start(std::vector<std::string> args = {}) {
        if (GetParam() == "postgres") {
            if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
            auto pg = PostgresServiceArgs();
            args.insert(args.end(), pg.begin(), pg.end());
        }
        server_ = std::make_unique<ServerProcess>(ServerOptions{.data_dir = dir_.path(), .args = std::move(args)});
        server_->Start();
    }
    void TearDown() override {
        if (server_ && server_->Running()) {
            EXPECT_EQ(server_->Stop(), 0);
        }
    }
    HttpClient client() { return server_->client(); }
    json::value SignUpFull(const std::string& email, const std::string& org = "Acme") {
        auto r = client().PostJson("/api/v1/auth/signup",
                                   json::serialize(json::object{{"organization", org},
                                                                {"email", email},
                                                                {"password", "correct horse battery"}}));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.Json();
    }
    HttpResult Login(const std::string& email, const std::string& password = "correct horse battery") {
        return client().PostJson("/api/v1/auth/login",
                                 json::serialize(json::object{{"email", email}, {"password", password}}));
    }
    std::string Token(const HttpResult& r) { return std::string(r.Json().at("access_token").as_string()); }
    HttpResult Refresh(const std::string& refresh) {
        return client().PostJson("/api/v1/auth/refresh", json::serialize(json::object{{"refresh_token", refresh}}));
    }
    // Adds a member as `admin_token` and returns a fresh access token of the new member.
    std::string AddMember(const std::string& admin_token, const std::string& email, const std::string& role,
                          std::string* id = nullptr) {
        Headers h = Bearer(admin_token);
        auto r = client().PostJson("/api/v1/users",
                                   json::serialize(json::object{{"email", email},
                                                                {"role", role},
                                                                {"password", "member password 1"}}),
                                   h);
        EXPECT_EQ(r.status, 201) << r.body;
        if (id && r.status == 201) *id = std::string(r.Json().at("id").as_string());
        auto l = Login(email, "member password 1");
        EXPECT_EQ(l.status, 200) << l.body;
        return l.status == 200 ? Token(l) : std::string();
    }
    HttpResult Patch(const std::string& token, const std::string& target, const json::object& body) {
        Headers h = Bearer(token);
        h.emplace_back("Content-Type", "application/json");
        return client().Request("PATCH", target, json::serialize(body), h);
    }
    std::vector<std::string> AuditActions(const std::string& token) {
        auto r = client().Get("/api/v1/audit?limit=500", Bearer(token));
        EXPECT_EQ(r.status, 200) << r.body;
        std::vector<std::string> out;
        auto body = r.Json();
        for (const auto& e : body.at("items").as_array()) out.emplace_back(e.at("action").as_string());
        return out;
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_P(Auth, RefreshRotatesAndAReusedTokenRevokesTheWholeFamily) {
    Start();
    auto s = SignUpFull("ann@example.com");
    std::string r1(s.at("refresh_token").as_string());
    auto second = Refresh(r1);
    ASSERT_EQ(second.status, 200) << second.body;
    std::string r2(second.Json().at("refresh_token").as_string());
    EXPECT_NE(r1, r2);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(second))).status, 200);
    // The thief (or the victim) replays r1: the family dies, including the fresh r2.
    auto replay = Refresh(r1);
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(replay.ProblemSlug(), "invalid-refresh-token");
    EXPECT_EQ(Refresh(r2).status, 401);
    // Another session of the same user is another family and lives on.
    auto other = Login("ann@example.com");
    EXPECT_EQ(Refresh(std::string(other.Json().at("refresh_token").as_string())).status, 200);
    auto actions = AuditActions(Token(other));
    EXPECT_NE(std::find(actions.begin(), actions.end(), "auth.refresh_reuse"), actions.end());
}

TEST_P(Auth, TheRefreshCookieIsHttpOnlySecureStrictAndWorks) {
    Start();
    auto r = client().PostJson("/api/v1/auth/signup",
                               json::serialize(json::object{{"organization", "Acme"},
                                                            {"email", "cookie@example.com"},
                                                            {"password", "correct horse battery"}}));
    std::string cookie = r.Header("set-cookie");
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("Secure"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    EXPECT_NE(cookie.find("Path=/api/v1/auth"), std::string::npos);
    std::string pair = cookie.substr(0, cookie.find(';'));
    auto refreshed = client().Post("/api/v1/auth/refresh", "", {{"Cookie", "theme=dark; " + pair}});
    ASSERT_EQ(refreshed.status, 200) << refreshed.body;
    EXPECT_EQ(client().Post("/api/v1/auth/refresh", "", {}).status, 401);
}

TEST_P(Auth, LogoutEndsTheSession) {
    Start();
    auto s = SignUpFull("bob@example.com");
    std::string refresh(s.at("refresh_token").as_string());
    auto out = client().PostJson("/api/v1/auth/logout", json::serialize(json::object{{"refresh_token", refresh}}));
    EXPECT_EQ(out.status, 204);
    EXPECT_NE(out.Header("set-cookie").find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(Refresh(refresh).status, 401);
    // With only an access token, logout ends every session of the user.
    auto a = Login("bob@example.com");
    auto b = Login("bob@example.com");
    EXPECT_EQ(client().Post("/api/v1/auth/logout", "", Bearer(Token(a))).status, 204);
    EXPECT_EQ(Refresh(std::string(a.Json().at("refresh_token").as_string())).status, 401);
    EXPECT_EQ(Refresh(std::string(b.Json().at("refresh_token").as_string())).status, 401);
    EXPECT_EQ(client().Post("/api/v1/auth/logout", "", {}).status, 401);
}

TEST_P(Auth, RemovedMembersCannotRefreshAndRoleChangesReachTheNextRefresh) {
    Start();
    std::string owner = std::string(SignUpFull("owner@example.com").at("access_token").as_string());
    std::string id;
    AddMember(owner, "ana@example.com", "analyst", &id);
    auto session = Login("ana@example.com", "member password 1");
    std::string refresh(session.Json().at("refresh_token").as_string());
    ASSERT_EQ(Patch(owner, "/api/v1/users/" + id, {{"role", "viewer"}}).status, 200);
    auto next = Refresh(refresh);
    ASSERT_EQ(next.status, 200);
    EXPECT_EQ(next.Json().at("user").at("role"), "viewer");
    // The new access token carries the new role: a viewer may not upload.
    EXPECT_EQ(UploadRaw(client(), Token(next), "a\n1\n").status, 403);
    refresh = std::string(next.Json().at("refresh_token").as_string());
    EXPECT_EQ(client().Delete("/api/v1/users/" + id, Bearer(owner)).status, 204);
    EXPECT_EQ(Refresh(refresh).status, 401);
    EXPECT_EQ(Login("ana@example.com", "member password 1").status, 401);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(next))).status, 401) << "/me checks the account still exists";
}

TEST_P(Auth, MemberRulesHold) {
    Start();
    auto s = SignUpFull("root@example.com");
    std::string owner(s.at("access_token").as_string());
    std::string owner_id(s.at("user").at("id").as_string());
    std::string admin_id, analyst_id, viewer_id;
    std::string admin = AddMember(owner, "adm@example.com", "admin", &admin_id);
    std::string analyst = AddMember(admin, "ana@example.com", "analyst", &analyst_id);
    std::string viewer = AddMember(admin, "vi@example.com", "viewer", &viewer_id);
    // Admins cannot make admins or owners, nor touch other admins.
    Headers h = Bearer(admin);
    auto make_admin = client().PostJson(
        "/api/v1/users",
        json::serialize(json::object{{"email", "x@example.com"}, {"role", "admin"}, {"password", "member password 1"}}), h);
    EXPECT_EQ(make_admin.status, 403);
    EXPECT_EQ(Patch(admin, "/api/v1/users/" + viewer_id, {{"role", "admin"}}).status, 403);
    EXPECT_EQ(Patch(admin, "/api/v1/users/" + owner_id, {{"role", "viewer"}}).status, 403);
    EXPECT_EQ(Patch(admin, "/api/v1/users/" + viewer_id, {{"role", "analyst"}}).status, 200);
    // Nobody raises their own role.
    auto self_raise = Patch(admin, "/api/v1/users/" + admin_id, {{"role", "owner"}});
    EXPECT_EQ(self_raise.status, 403);
    // Analysts and viewers do not manage members at all.
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(analyst)).status, 403);
    EXPECT_EQ(client().Delete("/api/v1/users/" + viewer_id, Bearer(viewer)).status, 403);
    // The last owner stays.
    auto demote = Patch(owner, "/api/v1/users/" + owner_id, {{"role", "admin"}});
    EXPECT_EQ(demote.status, 409);
    EXPECT_EQ(demote.ProblemSlug(), "last-owner");
    EXPECT_EQ(client().Delete("/api/v1/users/" + owner_id, Bearer(owner)).status, 409);
    ASSERT_EQ(Patch(owner, "/api/v1/users/" + admin_id, {{"role", "owner"}}).status, 200);
    EXPECT_EQ(Patch(owner, "/api/v1/users/" + owner_id, {{"role", "admin"}}).status, 200);
    // Bad input.
    EXPECT_EQ(Patch(owner, "/api/v1/users/" + viewer_id, {{"role", "emperor"}}).status, 400);
    EXPECT_EQ(Patch(owner, "/api/v1/users/usr_nobody", {{"role", "viewer"}}).status, 404);
    auto list = client().Get("/api/v1/users", Bearer(owner));
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.Json().at("items").as_array().size(), 4U);
    // Another organization's members are not there.
    std::string other(SignUpFull("eve@example.org", "Eve").at("access_token").as_string());
    EXPECT_EQ(Patch(other, "/api/v1/users/" + viewer_id, {{"role", "viewer"}}).status, 404);
    EXPECT_EQ(client().Delete("/api/v1/users/" + viewer_id, Bearer(other)).status, 404);
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(other)).Json().at("items").as_array().size(), 1U);
}

TEST_P(Auth, ApiKeysAreShownOnceScopedAndRevocable) {
    Start();
    std::string owner(SignUpFull("keys@example.com").at("access_token").as_string());
    Headers h = Bearer(owner);
    auto read = client().PostJson("/api/v1/api-keys", R"({"name":"dashboard","scopes":["read"]})", h);
    ASSERT_EQ(read.status, 201) << read.body;
    std::string read_key(read.Json().at("key").as_string());
    auto write = client().PostJson("/api/v1/api-keys", R"({"name":"etl","scopes":["read","write"]})", h);
    std::string write_key(write.Json().at("key").as_string());
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(read_key)).status, 200);
    auto denied = UploadRaw(client(), read_key, "a\n1\n");
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(denied.ProblemSlug(), "insufficient-scope");
    EXPECT_EQ(UploadRaw(client(), write_key, "a\n1\n").status, 202);
    // Keys act as analysts at most: no member or key management.
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(write_key)).status, 403);
    EXPECT_EQ(client().PostJson("/api/v1/api-keys", R"({"name":"x","scopes":["read"]})", Bearer(write_key)).status, 403);
    auto list = client().Get("/api/v1/api-keys", h);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.body.find(read_key), std::string::npos) << "the secret is shown only once";
    EXPECT_EQ(list.body.find("secret"), std::string::npos);
    auto items = list.Json().at("items").as_array();
    ASSERT_EQ(items.size(), 2U);
    bool used = false;
    for (const auto& k : items) {
        EXPECT_EQ(read_key.rfind(std::string(k.at("prefix").as_string()), 0) == 0 ||
                      write_key.rfind(std::string(k.at("prefix").as_string()), 0) == 0,
                  true);
        used = used || !k.at("last_used_at").is_null();
    }
    EXPECT_TRUE(used);
    std::string id(read.Json().at("id").as_string());
    EXPECT_EQ(client().Delete("/api/v1/api-keys/" + id, h).status, 204);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(read_key)).status, 401);
    EXPECT_EQ(client().Delete("/api/v1/api-keys/" + id, h).status, 404);
    std::string tampered = write_key;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(tampered)).status, 401);
    auto bad = client().PostJson("/api/v1/api-keys", R"({"name":"x","scopes":["admin"]})", h);
    EXPECT_EQ(bad.status, 400);
}

TEST_P(Auth, TheAuditLogRecordsWhoDidWhatNewestFirst) {
    Start();
    std::string owner(SignUpFull("audit@example.com").at("access_token").as_string());
    EXPECT_EQ(Login("audit@example.com", "wrong password!").status, 401);
    Login("audit@example.com");
    std::string viewer = AddMember(owner, "v@example.com", "viewer");
    auto key = client().PostJson("/api/v1/api-keys", R"({"name":"k","scopes":["read"]})", Bearer(owner));
    client().Delete("/api/v1/api-keys/" + std::string(key.Json().at("id").as_string()), Bearer(owner));
    auto up = UploadRaw(client(), owner, "a\n1\n");
    client().Delete("/api/v1/datasets/" + std::string(up.Json().at("id").as_string()), Bearer(owner));
    auto actions = AuditActions(owner);
    std::vector<std::string> expected{"dataset.deleted", "dataset.uploaded", "api_key.revoked", "api_key.created",
                                      "auth.login",      "member.added",     "auth.login",      "auth.login_failed",
                                      "auth.signup"};
    EXPECT_EQ(actions, expected);
    auto r = client().Get("/api/v1/audit?limit=1", Bearer(owner));
    auto first = r.Json().at("items").at(0);
    EXPECT_EQ(first.at("action"), "dataset.deleted");
    EXPECT_FALSE(first.at("actor").at("user_id").is_null());
    EXPECT_EQ(first.at("ip"), "127.0.0.1");
    EXPECT_FALSE(r.Json().at("next_cursor").is_null());
    EXPECT_EQ(client().Get("/api/v1/audit", Bearer(viewer)).status, 403);
}

TEST_P(Auth, LoginAndSignupAreRateLimitedPerAddress) {
    Start({"--login-rate-limit", "3", "--signup-rate-limit", "2"});
    SignUpFull("r1@example.com");
    SignUpFull("r2@example.com");
    auto third = client().PostJson("/api/v1/auth/signup",
                                   R"({"organization":"x","email":"r3@example.com","password":"correct horse battery"})");
    EXPECT_EQ(third.status, 429);
    EXPECT_FALSE(third.Header("retry-after").empty());
    for (int i = 0; i < 3; ++i) EXPECT_NE(Login("r1@example.com").status, 429) << i;
    auto limited = Login("r1@example.com");
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(limited.ProblemSlug(), "rate-limited");
    EXPECT_GE(std::stoi(limited.Header("retry-after")), 1);
}

// --- Access ends with the membership (issue 11, finding 3) --------------------------------------

TEST_P(Auth, ARemovedMemberLosesEveryPowerAtOnceAndTheirKeysGoWithThem) {
    Start();
    std::string owner(SignUpFull("own@example.com").at("access_token").as_string());
    std::string admin_id;
    std::string admin = AddMember(owner, "adm@example.com", "admin", &admin_id);
    auto key = client().PostJson("/api/v1/api-keys", R"({"name":"ci","scopes":["read","write"]})", Bearer(admin));
    ASSERT_EQ(key.status, 201);
    std::string secret(key.Json().at("key").as_string());
    std::string viewer_id;
    AddMember(owner, "vw@example.com", "viewer", &viewer_id);
    ASSERT_EQ(client().Get("/api/v1/audit", Bearer(admin)).status, 200);
    ASSERT_EQ(client().Delete("/api/v1/users/" + admin_id, Bearer(owner)).status, 204);
    // The old token, within its 15 minutes, can do nothing any more.
    auto add = client().PostJson("/api/v1/users",
                                 R"({"email":"new@example.com","role":"admin","password":"member password 1"})",
                                 Bearer(admin));
    EXPECT_EQ(add.status, 401) << add.body;
    EXPECT_EQ(client().PostJson("/api/v1/api-keys", R"({"name":"x","scopes":["read","write"]})", Bearer(admin)).status, 401);
    EXPECT_EQ(client().Get("/api/v1/api-keys", Bearer(admin)).status, 401);
    EXPECT_EQ(client().Get("/api/v1/audit", Bearer(admin)).status, 401);
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(admin)).status, 401);
    EXPECT_EQ(Patch(admin, "/api/v1/users/" + viewer_id, {{"role", "analyst"}}).status, 401);
    EXPECT_EQ(client().Delete("/api/v1/users/" + viewer_id, Bearer(admin)).status, 401);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(admin)).status, 401);
    EXPECT_EQ(UploadRaw(client(), admin, "a\n1\n").status, 401);
    // The key the member made is revoked with them.
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(secret)).status, 401);
    auto keys = client().Get("/api/v1/api-keys", Bearer(owner)).Json();
    ASSERT_EQ(keys.at("items").as_array().size(), 1U);
    EXPECT_FALSE(keys.at("items").at(0).at("revoked_at").is_null());
}

TEST_P(Auth, ADemotedMemberActsWithTheNewRoleAtOnce) {
    Start();
    auto s = SignUpFull("first@example.com");
    std::string owner(s.at("access_token").as_string());
    std::string second_id;
    std::string second = AddMember(owner, "second@example.com", "owner", &second_id);
    auto key = client().PostJson("/api/v1/api-keys", R"({"name":"ci","scopes":["read"]})", Bearer(second));
    ASSERT_EQ(key.status, 201);
    std::string secret(key.Json().at("key").as_string());
    std::string viewer_id;
    AddMember(owner, "v@example.com", "viewer", &viewer_id);
    // Owner → admin: the old owner token can no longer make owners or promote anyone to owner.
    ASSERT_EQ(Patch(owner, "/api/v1/users/" + second_id, {{"role", "admin"}}).status, 200);
    auto make_owner = client().PostJson(
        "/api/v1/users", R"({"email":"o3@example.com","role":"owner","password":"member password 1"})", Bearer(second));
    EXPECT_EQ(make_owner.status, 403) << make_owner.body;
    EXPECT_EQ(Patch(second, "/api/v1/users/" + viewer_id, {{"role", "owner"}}).status, 403);
    EXPECT_EQ(Patch(second, "/api/v1/users/" + second_id, {{"role", "owner"}}).status, 403);
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(second)).status, 200) << "still an admin";
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(secret)).status, 200) << "an admin keeps their keys";
    // Admin → viewer: no member, key or audit route any more, and the keys they made are revoked.
    ASSERT_EQ(Patch(owner, "/api/v1/users/" + second_id, {{"role", "viewer"}}).status, 200);
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(second)).status, 403);
    EXPECT_EQ(client().Get("/api/v1/audit", Bearer(second)).status, 403);
    EXPECT_EQ(client().PostJson("/api/v1/api-keys", R"({"name":"x","scopes":["read"]})", Bearer(second)).status, 403);
    EXPECT_EQ(UploadRaw(client(), second, "a\n1\n").status, 403);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(second)).status, 200);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(second)).Json().at("user").at("role"), "viewer");
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(secret)).status, 401);
}

// --- PostgreSQL keeps SQLite's promises under concurrency (findings 4 and 5) -----------------------

TEST_P(Auth, TheLastOwnerRuleHoldsUnderConcurrentDemotions) {
    Start({"--login-rate-limit", "1000"});
    auto s = SignUpFull("o1@example.com");
    std::string o1(s.at("access_token").as_string());
    std::string o1_id(s.at("user").at("id").as_string());
    std::string o2_id;
    AddMember(o1, "o2@example.com", "owner", &o2_id);
    for (int round = 0; round < 15; ++round) {
        // O1 demotes the other owner and themselves at the same moment: at most one may win.
        std::atomic<int> ok{0};
        std::thread a([&] { ok += Patch(o1, "/api/v1/users/" + o2_id, {{"role", "admin"}}).status == 200; });
        std::thread b([&] { ok += Patch(o1, "/api/v1/users/" + o1_id, {{"role", "admin"}}).status == 200; });
        a.join();
        b.join();
        EXPECT_EQ(ok.load(), 1) << "round " << round;
        auto owners = 0;
        std::string remaining;
        // Read as whoever is still owner (one of the two logins) and restore the second owner.
        for (const auto& [email, id] : {std::pair{std::string("o1@example.com"), o1_id}, {"o2@example.com", o2_id}}) {
            auto l = Login(email, email == "o1@example.com" ? "correct horse battery" : "member password 1");
            ASSERT_EQ(l.status, 200);
            if (l.Json().at("user").at("role") == "owner") {
                ++owners;
                remaining = Token(l);
            }
        }
        ASSERT_EQ(owners, 1) << "round " << round << ": the organization must keep exactly one owner";
        ASSERT_EQ(Patch(remaining, "/api/v1/users/" + o1_id, {{"role", "owner"}}).status == 200 ||
                      Patch(remaining, "/api/v1/users/" + o2_id, {{"role", "owner"}}).status == 200,
                  true);
        auto l1 = Login("o1@example.com");
        o1 = Token(l1);
        ASSERT_EQ(l1.Json().at("user").at("role"), "owner");
    }
}

TEST_P(Auth, ARefreshTokenSpentInParallelSucceedsOnceAndTheFamilyDies) {
    Start();
    SignUpFull("par@example.com");
    for (int round = 0; round < 5; ++round) {
        auto l = Login("par@example.com");
        std::string token(l.Json().at("refresh_token").as_string());
        std::vector<HttpResult> results(10);
        std::vector<std::thread> threads;
        for (size_t i = 0; i < results.size(); ++i) threads.emplace_back([&, i] { results[i] = Refresh(token); });
        for (auto& t : threads) t.join();
        int ok = 0;
        std::string child;
        for (const auto& r : results) {
            if (r.status == 200) {
                ++ok;
                child = std::string(r.Json().at("refresh_token").as_string());
            } else {
                EXPECT_EQ(r.status, 401) << r.body;
            }
        }
        ASSERT_EQ(ok, 1) << "round " << round << ": one token, one success";
        // The other presentations were reuses: the family, the new child included, is revoked.
        EXPECT_EQ(Refresh(child).status, 401) << "round " << round;
    }
}

// --- Login throttling (finding 6) -------------------------------------------------------------------

TEST_P(Auth, LoginThrottlingTellsNoAccountApartAndNoStrangerLocksAUserOut) {
    Start({"--trust-forwarded-for", "true", "--login-rate-limit", "1000"});
    SignUpFull("victim@example.com");
    auto from = [&](const std::string& ip, const std::string& email, const std::string& password) {
        return client().PostJson("/api/v1/auth/login",
                                 json::serialize(json::object{{"email", email}, {"password", password}}),
                                 {{"X-Forwarded-For", ip}});
    };
    // A stranger guesses at a real account and at one that does not exist: the same answers.
    for (const std::string email : {"victim@example.com", "nobody-here@example.com"}) {
        SCOPED_TRACE(email);
        for (int i = 0; i < 3; ++i) {
            auto r = from("203.0.113.7", email, "a guess " + std::to_string(i));
            EXPECT_EQ(r.status, 401);
            EXPECT_EQ(r.ProblemSlug(), "invalid-credentials");
        }
        auto slowed = from("203.0.113.7", email, "a guess 4");
        EXPECT_EQ(slowed.status, 429);
        EXPECT_EQ(slowed.ProblemSlug(), "login-throttled");
        EXPECT_EQ(slowed.Header("retry-after"), "1");
    }
    // The real user, from their own address, is not locked out.
    EXPECT_EQ(from("198.51.100.20", "victim@example.com", "correct horse battery").status, 200);
    // The stranger's delay grows: after a second one more try, then two seconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    EXPECT_EQ(from("203.0.113.7", "victim@example.com", "a guess 5").status, 401);
    auto longer = from("203.0.113.7", "victim@example.com", "correct horse battery");
    EXPECT_EQ(longer.status, 429) << "while throttled, even the right password waits (no oracle)";
    EXPECT_EQ(longer.Header("retry-after"), "2");
}

// --- One person, several organizations (finding 9) ---------------------------------------------------

TEST_P(Auth, OnePersonBelongsToSeveralOrganizationsAndAddingThemRevealsNothing) {
    Start();
    std::string a(SignUpFull("alice@example.com", "A").at("access_token").as_string());
    std::string b(SignUpFull("bob@example.com", "B").at("access_token").as_string());
    std::string a_id(client().Get("/api/v1/me", Bearer(a)).Json().at("organization").at("id").as_string());
    std::string b_id(client().Get("/api/v1/me", Bearer(b)).Json().at("organization").at("id").as_string());
    auto add = [&](const std::string& token, const std::string& email, const std::string& role,
                   const std::string& password) {
        return client().PostJson(
            "/api/v1/users",
            json::serialize(json::object{{"email", email}, {"role", role}, {"password", password}}), Bearer(token));
    };
    // Adding an address that has an account elsewhere answers exactly like a new one.
    auto known = add(b, "alice@example.com", "analyst", "correct horse battery");
    auto fresh = add(b, "carol@example.com", "analyst", "correct horse battery");
    EXPECT_EQ(known.status, 201) << known.body;
    EXPECT_EQ(fresh.status, 201);
    EXPECT_EQ(known.Json().as_object().size(), fresh.Json().as_object().size());
    // Only this organization's own members conflict.
    auto twice = add(b, "alice@example.com", "viewer", "another password!");
    EXPECT_EQ(twice.status, 409);
    EXPECT_EQ(twice.ProblemSlug(), "already-a-member");
    // Alice signs in: both organizations open with her password; the token carries one.
    auto login = Login("alice@example.com");
    ASSERT_EQ(login.status, 200);
    EXPECT_EQ(login.Json().at("organizations").as_array().size(), 2U);
    auto in_b = client().PostJson("/api/v1/auth/login",
                                  json::serialize(json::object{{"email", "alice@example.com"},
                                                               {"password", "correct horse battery"},
                                                               {"organization", b_id}}));
    ASSERT_EQ(in_b.status, 200);
    EXPECT_EQ(in_b.Json().at("organization").at("id"), json::value(b_id));
    EXPECT_EQ(in_b.Json().at("user").at("role"), "analyst");
    std::string alice_b = Token(in_b);
    // As B's analyst she sees B's data only, and no member routes; as A's owner, A's.
    std::string b_data(UploadRaw(client(), b, "x\n1\n").Json().at("id").as_string());
    std::string a_data(UploadRaw(client(), a, "y\n1\n").Json().at("id").as_string());
    EXPECT_EQ(client().Get("/api/v1/datasets/" + b_data, Bearer(alice_b)).status, 200);
    EXPECT_EQ(client().Get("/api/v1/datasets/" + a_data, Bearer(alice_b)).status, 404);
    EXPECT_EQ(client().Get("/api/v1/users", Bearer(alice_b)).status, 403);
    // Switching without the password: to A, where she is owner.
    auto sw = client().PostJson("/api/v1/auth/switch", json::serialize(json::object{{"organization", a_id}}),
                                Bearer(alice_b));
    ASSERT_EQ(sw.status, 200) << sw.body;
    EXPECT_EQ(sw.Json().at("user").at("role"), "owner");
    std::string alice_a = Token(sw);
    EXPECT_EQ(client().Get("/api/v1/datasets/" + a_data, Bearer(alice_a)).status, 200);
    EXPECT_EQ(client().Get("/api/v1/datasets/" + b_data, Bearer(alice_a)).status, 404);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(alice_a)).Json().at("organizations").as_array().size(), 2U);
    // A membership with another password is not reachable by switching, nor named at login.
    ASSERT_EQ(add(b, "dave@example.com", "viewer", "dave's b password").status, 201);
    std::string dave_c(SignUpFull("dave@example.com", "C").at("access_token").as_string());
    auto no = client().PostJson("/api/v1/auth/switch", json::serialize(json::object{{"organization", b_id}}),
                                Bearer(dave_c));
    EXPECT_EQ(no.status, 404);
    auto wrong_org = client().PostJson("/api/v1/auth/login", json::serialize(json::object{{"email", "dave@example.com"},
                                                                                       {"password", "correct horse battery"},
                                                                                       {"organization", b_id}}));
    EXPECT_EQ(wrong_org.status, 401);
    // Removing her from B leaves A untouched.
    std::string alice_in_b(known.Json().at("id").as_string());
    ASSERT_EQ(client().Delete("/api/v1/users/" + alice_in_b, Bearer(b)).status, 204);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(alice_b)).status, 401);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(alice_a)).status, 200);
    EXPECT_EQ(Login("alice@example.com").Json().at("organizations").as_array().size(), 1U);
}

// --- Passwords (accounts) -----------------------------------------------------------------------------

TEST_P(Auth, ChangingYourPasswordEndsYourOtherSessions) {
    Start();
    SignUpFull("pw@example.com");
    auto one = Login("pw@example.com");
    auto two = Login("pw@example.com");
    auto change = [&](const std::string& token, const std::string& current, const std::string& next) {
        return client().PostJson("/api/v1/me/password",
                                 json::serialize(json::object{{"current_password", current}, {"new_password", next}}),
                                 Bearer(token));
    };
    auto wrong = change(Token(one), "not my password", "a brand new password");
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(change(Token(one), "correct horse battery", "short").status, 400);
    auto ok = change(Token(one), "correct horse battery", "a brand new password");
    ASSERT_EQ(ok.status, 200) << ok.body;
    // This session goes on with the tokens of the answer; every other one is over.
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(ok))).status, 200);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(one))).status, 401);
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(two))).status, 401);
    EXPECT_EQ(Refresh(std::string(two.Json().at("refresh_token").as_string())).status, 401);
    EXPECT_EQ(Login("pw@example.com").status, 401);
    EXPECT_EQ(Login("pw@example.com", "a brand new password").status, 200);
    EXPECT_EQ(client().PostJson("/api/v1/me/password", R"({"current_password":"a","new_password":"bbbbbbbbbbbb"})",
                                Bearer(Token(ok)))
                  .status,
              400);
    auto actions = AuditActions(Token(ok));
    EXPECT_NE(std::find(actions.begin(), actions.end(), "auth.password_changed"), actions.end());
}

TEST_P(Auth, AnAdminResetsAPasswordAndTheMemberMustChangeItFirst) {
    Start();
    std::string owner(SignUpFull("boss@example.com").at("access_token").as_string());
    std::string admin_id, member_id;
    std::string admin = AddMember(owner, "adm@example.com", "admin", &admin_id);
    std::string member = AddMember(owner, "mem@example.com", "analyst", &member_id);
    auto reset = [&](const std::string& token, const std::string& id) {
        return client().PostJson("/api/v1/users/" + id + "/password", R"({"password":"temporary pass 1"})",
                                 Bearer(token));
    };
    EXPECT_EQ(reset(admin, admin_id).status, 400) << "your own password is changed, not reset";
    EXPECT_EQ(reset(member, admin_id).status, 403);
    ASSERT_EQ(reset(admin, member_id).status, 204);
    // The member's sessions are over; the old password no longer works.
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(member)).status, 401);
    EXPECT_EQ(Login("mem@example.com", "member password 1").status, 401);
    auto temp = Login("mem@example.com", "temporary pass 1");
    ASSERT_EQ(temp.status, 200);
    EXPECT_EQ(temp.Json().at("user").at("must_change_password"), true);
    // Nothing but choosing a new password until it is done.
    auto blocked = client().Get("/api/v1/datasets", Bearer(Token(temp)));
    EXPECT_EQ(blocked.status, 403);
    EXPECT_EQ(blocked.ProblemSlug(), "password-change-required");
    EXPECT_EQ(client().Get("/api/v1/me", Bearer(Token(temp))).status, 200);
    auto changed = client().PostJson("/api/v1/me/password",
                                     R"({"current_password":"temporary pass 1","new_password":"my own password 1"})",
                                     Bearer(Token(temp)));
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_EQ(changed.Json().at("user").at("must_change_password"), false);
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(Token(changed))).status, 200);
    // An admin may not reset an owner's password; an owner may reset an admin's.
    std::string boss_id(client().Get("/api/v1/me", Bearer(owner)).Json().at("user").at("id").as_string());
    EXPECT_EQ(reset(admin, boss_id).status, 403);
    EXPECT_EQ(reset(owner, admin_id).status, 204);
    auto actions = AuditActions(owner);
    EXPECT_EQ(std::count(actions.begin(), actions.end(), "member.password_reset"), 2);
}

TEST_P(Auth, WrongEmailTakesAsLongAsWrongPassword) {
    Start({"--login-rate-limit", "1000"});
    for (int i = 0; i < 5; ++i) SignUpFull("t" + std::to_string(i) + "@example.com");
    auto time = [&](const std::string& email) {
        auto t0 = std::chrono::steady_clock::now();
        EXPECT_EQ(Login(email, "not the password").status, 401);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<double> known, unknown;
    for (int i = 0; i < 5; ++i) {
        known.push_back(time("t" + std::to_string(i) + "@example.com"));
        unknown.push_back(time("nobody" + std::to_string(i) + "@example.com"));
    }
    std::sort(known.begin(), known.end());
    std::sort(unknown.begin(), unknown.end());
    double ratio = unknown[2] / known[2];
    // Without the dummy hash an unknown e-mail answers ~100x faster; Argon2 dominates both here.
    EXPECT_GT(ratio, 0.5) << "known " << known[2] << " s, unknown " << unknown[2] << " s";
    EXPECT_LT(ratio, 2.0) << "known " << known[2] << " s, unknown " << unknown[2] << " s";
}

TEST_P(Auth, TenantQuotasAnswer413And429) {
    Start({"--quota-storage-bytes", "1000", "--quota-datasets", "2", "--quota-uploads-per-minute", "4"});
    std::string owner(SignUpFull("quota@example.com").at("access_token").as_string());
    auto big = UploadRaw(client(), owner, std::string(1500, 'a'));
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.ProblemSlug(), "storage-quota-exceeded");
    EXPECT_EQ(UploadRaw(client(), owner, "a\n1\n").status, 202);
    EXPECT_EQ(UploadRaw(client(), owner, "a\n2\n").status, 202);
    auto third = UploadRaw(client(), owner, "a\n3\n");
    EXPECT_EQ(third.status, 429);
    EXPECT_EQ(third.ProblemSlug(), "dataset-quota-exceeded");
    auto fast = UploadRaw(client(), owner, "a\n4\n");  // the fifth upload this minute
    EXPECT_EQ(fast.status, 429);
    EXPECT_EQ(fast.ProblemSlug(), "upload-rate-limited");
    EXPECT_FALSE(fast.Header("retry-after").empty());
}

TEST_P(Auth, SecurityHeadersOnEveryAnswerAndCorsOffByDefault) {
    Start();
    for (const auto& r : {client().Get("/healthz"), client().Get("/api/v1/me"), client().Get("/nope")}) {
        EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
        EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
        EXPECT_NE(r.Header("content-security-policy").find("default-src 'none'"), std::string::npos);
        EXPECT_EQ(r.Header("server"), "");
    }
    auto cors = client().Get("/healthz", {{"Origin", "https://evil.example"}});
    EXPECT_EQ(cors.Header("access-control-allow-origin"), "");
}

TEST_P(Auth, CorsAllowsOnlyConfiguredOrigins) {
    Start({"--cors-origins", "https://app.example.com"});
    auto pre = client().Request("OPTIONS", "/api/v1/datasets", "",
                                {{"Origin", "https://app.example.com"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(pre.status, 204);
    EXPECT_NE(pre.Header("access-control-allow-methods").find("POST"), std::string::npos);
    EXPECT_NE(pre.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
    auto ok = client().Get("/healthz", {{"Origin", "https://app.example.com"}});
    EXPECT_EQ(ok.Header("access-control-allow-origin"), "https://app.example.com");
    EXPECT_EQ(ok.Header("vary"), "Origin");
    auto evil = client().Request("OPTIONS", "/api/v1/datasets", "",
                                 {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(evil.Header("access-control-allow-origin"), "");
    EXPECT_EQ(evil.Header("access-control-allow-methods"), "");
}

INSTANTIATE_TEST_SUITE_P(Backends, Auth, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
