// The HTTP edge through the real binary: operational routes, sign-in, and every kind of bad
// request answered with a specific problem+json, never a 500 or a crash.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <thread>

#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

class Api : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        server_ = new ServerProcess({.data_dir = dir_->path()});
        server_->Start();
    }
    static void TearDownTestSuite() {
        EXPECT_EQ(server_->Stop(), 0) << "a clean SIGTERM exits 0";
        EXPECT_EQ(server_->Log().find("\"level\":\"error\""), std::string::npos) << server_->Log();
        delete server_;
        delete dir_;
    }
    HttpClient client() { return server_->client(); }
    static std::string UniqueEmail() {
        static int n = 0;
        return "user" + std::to_string(++n) + "_" + std::to_string(::getpid()) + "@example.com";
    }
    static TempDir* dir_;
    static ServerProcess* server_;
};
TempDir* Api::dir_ = nullptr;
ServerProcess* Api::server_ = nullptr;

TEST_F(Api, HealthReadinessAndMetrics) {
    auto h = client().Get("/healthz");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.Json().at("status"), "ok");
    auto r = client().Get("/readyz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Json().at("checks").at("database"), "ok");
    EXPECT_EQ(r.Json().at("checks").at("objects"), "ok");
    auto m = client().Get("/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("insightstream_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"),
              std::string::npos);
    EXPECT_NE(m.body.find("insightstream_http_request_duration_seconds_bucket"), std::string::npos);
    EXPECT_NE(m.body.find("insightstream_queue_depth{queue=\"jobs\"}"), std::string::npos);
    EXPECT_NE(m.body.find("insightstream_http_in_flight_requests"), std::string::npos);
}

TEST_F(Api, EveryResponseCarriesARequestIdAndSecurityHeaders) {
    auto r = client().Get("/healthz", {{"X-Request-Id", "my-trace-123"}});
    EXPECT_EQ(r.Header("x-request-id"), "my-trace-123");
    auto g = client().Get("/healthz", {{"X-Request-Id", "bad id with spaces"}});
    EXPECT_EQ(g.Header("x-request-id").rfind("req_", 0), 0U);
    EXPECT_EQ(g.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(g.Header("server"), "");
}

TEST_F(Api, UnknownRouteIs404AndWrongMethodIs405WithAllow) {
    auto nf = client().Get("/api/v1/nothing-here");
    EXPECT_EQ(nf.status, 404);
    EXPECT_EQ(nf.ProblemSlug(), "not-found");
    EXPECT_EQ(nf.Json().at("instance"), "/api/v1/nothing-here");
    auto na = client().Request("PUT", "/api/v1/auth/login", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(na.status, 405);
    EXPECT_EQ(na.ProblemSlug(), "method-not-allowed");
    EXPECT_EQ(na.Header("allow"), "POST");
}

TEST_F(Api, SignUpLogInAndMe) {
    std::string email = UniqueEmail();
    auto s = client().PostJson("/api/v1/auth/signup",
                               json::serialize(json::object{{"organization", "Acme Corp"},
                                                            {"email", email},
                                                            {"password", "correct horse battery"},
                                                            {"name", "Ann"}}));
    ASSERT_EQ(s.status, 201) << s.body;
    auto sj = s.Json();
    EXPECT_EQ(sj.at("token_type"), "Bearer");
    EXPECT_EQ(sj.at("expires_in"), 900);
    EXPECT_EQ(sj.at("user").at("role"), "owner");
    auto l = client().PostJson("/api/v1/auth/login",
                               json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}));
    ASSERT_EQ(l.status, 200) << l.body;
    std::string token(l.Json().at("access_token").as_string());
    auto me = client().Get("/api/v1/me", Bearer(token));
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.Json().at("user").at("email").as_string(), email);
    EXPECT_EQ(me.Json().at("user").at("name"), "Ann");
    EXPECT_EQ(me.Json().at("organization").at("name"), "Acme Corp");
    EXPECT_EQ(me.Json().at("organization").at("id"), sj.at("organization").at("id"));
}

TEST_F(Api, JwksPublishesTheVerificationKey) {
    auto r = client().Get("/.well-known/jwks.json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("content-type"), "application/jwk-set+json");
    auto jwks = r.Json();
    const auto& key = jwks.at("keys").at(0);
    EXPECT_EQ(key.at("alg"), "ES256");
    EXPECT_FALSE(key.as_object().contains("d"));
}

TEST_F(Api, SigningUpAgainWithTheSameAddressMakesASecondOrganization) {
    // No 409: a sign-up never reveals that an address has an account elsewhere. The same address
    // with the same password then signs in to both; with another password, each to its own.
    std::string email = UniqueEmail();
    SignUp(client(), email, "First");
    auto again = client().PostJson(
        "/api/v1/auth/signup",
        json::serialize(json::object{{"organization", "Second"}, {"email", email}, {"password", "correct horse battery"}}));
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.Json().at("organization").at("name"), "Second");
    auto login = client().PostJson("/api/v1/auth/login",
                                   json::serialize(json::object{{"email", email}, {"password", "correct horse battery"}}));
    ASSERT_EQ(login.status, 200);
    EXPECT_EQ(login.Json().at("organizations").as_array().size(), 2U);
    EXPECT_EQ(login.Json().at("organization").at("name"), "Second") << "the most recently used organization";
    std::string third_email = UniqueEmail();
    SignUp(client(), third_email, "Third");
    auto other = client().PostJson(
        "/api/v1/auth/signup",
        json::serialize(json::object{{"organization", "Fourth"}, {"email", third_email}, {"password", "a different one!"}}));
    ASSERT_EQ(other.status, 201);
    auto only = client().PostJson("/api/v1/auth/login",
                                  json::serialize(json::object{{"email", third_email}, {"password", "a different one!"}}));
    ASSERT_EQ(only.status, 200);
    EXPECT_EQ(only.Json().at("organizations").as_array().size(), 1U);
    EXPECT_EQ(only.Json().at("organization").at("name"), "Fourth");
}

TEST_F(Api, WrongPasswordAndUnknownAccountAreTheSame401) {
    std::string email = UniqueEmail();
    SignUp(client(), email);
    auto wrong = client().PostJson("/api/v1/auth/login",
                                   json::serialize(json::object{{"email", email}, {"password", "not the password"}}));
    auto unknown = client().PostJson(
        "/api/v1/auth/login",
        json::serialize(json::object{{"email", "nobody@example.com"}, {"password", "not the password"}}));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.ProblemSlug(), "invalid-credentials");
    EXPECT_EQ(wrong.Json().at("detail"), unknown.Json().at("detail"));
}

TEST_F(Api, MalformedJsonIs400) {
    auto r = client().PostJson("/api/v1/auth/signup", "{\"organization\": \"x\", ");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.ProblemSlug(), "malformed-json");
    auto arr = client().PostJson("/api/v1/auth/login", "[1,2]");
    EXPECT_EQ(arr.status, 400);
    EXPECT_EQ(arr.ProblemSlug(), "malformed-json");
}

TEST_F(Api, MissingExtraAndInvalidFieldsAreListed) {
    auto r = client().PostJson("/api/v1/auth/signup",
                               json::serialize(json::object{{"email", "not-an-email"}, {"password", "short"},
                                                            {"admin", true}}));
    ASSERT_EQ(r.status, 400);
    EXPECT_EQ(r.ProblemSlug(), "invalid-request");
    std::set<std::string> fields;
    auto problem = r.Json();
    for (const auto& e : problem.at("errors").as_array()) fields.insert(std::string(e.at("field").as_string()));
    EXPECT_EQ(fields, (std::set<std::string>{"/admin", "/organization", "/email", "/password"}));
}

TEST_F(Api, WrongContentTypeIs415) {
    auto r = client().Post("/api/v1/auth/login", "email=a&password=b",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(r.ProblemSlug(), "unsupported-media-type");
}

TEST_F(Api, MissingGarbageAndTamperedTokensAre401) {
    auto none = client().Get("/api/v1/me");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.Header("www-authenticate"), "Bearer");
    EXPECT_EQ(client().Get("/api/v1/me", Bearer("garbage")).status, 401);
    EXPECT_EQ(client().Get("/api/v1/me", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status, 401);
    std::string token = SignUp(client(), UniqueEmail());
    std::string tampered = token;
    tampered[tampered.find('.') + 5] ^= 1;
    auto t = client().Get("/api/v1/me", Bearer(tampered));
    EXPECT_EQ(t.status, 401);
    EXPECT_EQ(t.ProblemSlug(), "invalid-token");
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(tampered)).status, 401);
}

TEST_F(Api, OversizedHeaderIs431) {
    auto r = client().Get("/healthz", {{"X-Big", std::string(20 * 1024, 'a')}});
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(r.ProblemSlug(), "headers-too-large");
}

TEST_F(Api, OversizedJsonBodyIs413) {
    std::string big = "{\"organization\":\"" + std::string(2 * 1024 * 1024, 'a') + "\"}";
    auto r = client().PostJson("/api/v1/auth/signup", big);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.ProblemSlug(), "payload-too-large");
    // Chunked bodies have no length up front; the limit holds while reading.
    auto chunked = client().Raw(
        "POST /api/v1/auth/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
            [] {
                std::string s;
                for (int i = 0; i < 40; ++i) s += "4000\r\n" + std::string(0x4000, 'a') + "\r\n";
                return s + "0\r\n\r\n";
            }(),
        false);
    EXPECT_EQ(chunked.status, 413);
}

TEST_F(Api, MalformedHttpIs400AndTheServerLivesOn) {
    auto r = client().Raw("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.ProblemSlug(), "malformed-request");
    auto bad_len = client().Raw("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
    EXPECT_EQ(bad_len.status, 400);
    EXPECT_EQ(client().Get("/healthz").status, 200);
}

TEST_F(Api, KeepAliveServesSeveralRequestsOnOneConnection) {
    std::string bytes = client().RawBytes(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    size_t answers = 0;
    for (size_t at = bytes.find("HTTP/1.1 200 OK"); at != std::string::npos; at = bytes.find("HTTP/1.1 200 OK", at + 1))
        ++answers;
    EXPECT_EQ(answers, 3U) << bytes;
    EXPECT_NE(bytes.find("\"status\":\"ready\""), std::string::npos);
}

TEST_F(Api, AccessLogHasOneJsonLinePerRequestWithoutSecrets) {
    std::string token = SignUp(client(), UniqueEmail());
    client().Get("/api/v1/me", {{"Authorization", "Bearer " + token}, {"X-Request-Id", "log-check-1"}});
    // The access line is written right after the answer: wait for it.
    std::string line, log;
    for (int i = 0; i < 500 && line.empty(); ++i) {
        log = server_->Log();
        for (size_t pos = 0, next; pos < log.size(); pos = next + 1) {
            next = log.find('\n', pos);
            if (next == std::string::npos) next = log.size();
            std::string_view l(log.data() + pos, next - pos);
            if (l.find("\"event\":\"http.request\"") != std::string_view::npos &&
                l.find("\"request_id\":\"log-check-1\"") != std::string_view::npos) {
                line = std::string(l);
            }
        }
        if (line.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(line.empty()) << "no access line for the request";
    auto v = json::parse(line);
    EXPECT_EQ(v.at("event"), "http.request");
    EXPECT_EQ(v.at("route"), "/api/v1/me");
    EXPECT_EQ(v.at("status"), 200);
    EXPECT_TRUE(v.as_object().contains("duration_ms"));
    EXPECT_TRUE(v.as_object().contains("tenant_id"));
    EXPECT_EQ(log.find(token), std::string::npos) << "a token reached the log";
    EXPECT_EQ(log.find("correct horse battery"), std::string::npos) << "a password reached the log";
}

}  // namespace
}  // namespace insightstream::testing
