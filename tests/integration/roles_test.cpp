// The roles as separate processes on one PostgreSQL, as the distributed mode runs them: every role
// verifies access tokens and API keys alike, and a key revoked on the auth role stops working on
// the others within seconds.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

class Roles : public ::testing::Test {
protected:
    void SetUp() override {
        if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
        db_args_ = PostgresServiceArgs();
    }
    // One role in its own data directory, sharing the database and the signing keys.
    ServerOptions Role(const std::string& role) {
        ServerOptions o{.data_dir = dir_.path() / role, .command = role};
        o.args = db_args_;
        // As behind the gateway: the client address is the forwarded one.
        o.args.insert(o.args.end(), {"--jwt-keys-dir", (dir_.path() / "keys").string(), "--objects",
                                     "file:" + (dir_.path() / "objects").string(), "--trust-forwarded-for", "true"});
        return o;
    }
    TempDir dir_;
    std::vector<std::string> db_args_;
};

TEST_F(Roles, TokensAndApiKeysWorkOnEveryRoleAndARevokedKeyStopsEverywhereWithinSeconds) {
    ServerProcess auth(Role("auth"));
    auth.Start();
    ServerProcess ingest(Role("ingest"));
    ingest.Start();
    ServerProcess analytics(Role("analytics"));
    analytics.Start();

    std::string owner = SignUp(auth.client(), "roles@example.com");
    auto made = auth.client().PostJson("/api/v1/api-keys", R"({"name":"etl","scopes":["read","write"]})", Bearer(owner));
    ASSERT_EQ(made.status, 201) << made.body;
    std::string key(made.Json().at("key").as_string());
    std::string key_id(made.Json().at("id").as_string());

    for (const std::string& credential : {owner, key}) {
        EXPECT_EQ(ingest.client().Get("/api/v1/datasets", Bearer(credential)).status, 200);
        // Analytics knows the caller (404 for a dataset that does not exist, not 401).
        auto missing = analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(credential));
        EXPECT_EQ(missing.status, 404) << missing.body;
    }
    auto up = UploadRaw(ingest.client(), key, SalesCsv(10));
    EXPECT_EQ(up.status, 202) << up.body;
    EXPECT_EQ(analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer("isk.bogus")).status, 401);

    ASSERT_EQ(auth.client().Delete("/api/v1/api-keys/" + key_id, Bearer(owner)).status, 204);
    EXPECT_EQ(auth.client().Get("/api/v1/me", Bearer(key)).status, 401) << "at once on the role that revoked it";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int ingest_status = 0, analytics_status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        ingest_status = ingest.client().Get("/api/v1/datasets", Bearer(key)).status;
        analytics_status = analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(key)).status;
        if (ingest_status == 401 && analytics_status == 401) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(ingest_status, 401) << "a revoked key stops working on ingest within seconds";
    EXPECT_EQ(analytics_status, 401) << "and on analytics";
    EXPECT_EQ(ingest.client().Get("/api/v1/datasets", Bearer(owner)).status, 200);
    EXPECT_EQ(analytics.Stop(), 0);
    EXPECT_EQ(ingest.Stop(), 0);
    EXPECT_EQ(auth.Stop(), 0);
}

TEST(Edge, AClientOverItsRequestRateGets429WhileProbesAreNeverLimited) {
    TempDir dir;
    ServerProcess server(ServerOptions{.data_dir = dir.path(), .args = {"--client-rate-limit", "5"}});
    server.Start();
    HttpClient c = server.client();
    int limited = 0, answered = 0;
    HttpResult last;
    for (int i = 0; i < 40; ++i) {
        auto r = c.Get("/api/v1/datasets");
        if (r.status == 429) {
            ++limited;
            last = r;
        } else {
            EXPECT_EQ(r.status, 401);  // answered by the route (no credentials)
            ++answered;
        }
    }
    EXPECT_GE(answered, 10);  // the burst of twice the rate, and what refills meanwhile
    EXPECT_GE(limited, 1);
    EXPECT_EQ(last.ProblemSlug(), "rate-limited");
    EXPECT_EQ(last.Header("content-type"), "application/problem+json");
    EXPECT_FALSE(last.Header("retry-after").empty());
    for (int i = 0; i < 20; ++i) EXPECT_EQ(c.Get("/healthz").status, 200);
    EXPECT_EQ(server.Stop(), 0);
}

uint16_t FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

TEST_F(Roles, TheGatewayRoutesEachPathToItsServiceAndAServiceThatIsDownIsA503NamingIt) {
    ServerProcess auth(Role("auth"));
    auth.Start();
    ServerProcess ingest(Role("ingest"));
    ingest.Start();
    ServerProcess worker(Role("worker"));
    worker.Start();
    // Two analytics instances on fixed ports, so one can come back where it was.
    uint16_t a1 = FreePort(), a2 = FreePort();
    ServerOptions o1 = Role("analytics"), o2 = Role("analytics");
    o1.listen = "127.0.0.1:" + std::to_string(a1);
    o2.data_dir = dir_.path() / "analytics2";
    o2.listen = "127.0.0.1:" + std::to_string(a2);
    ServerProcess analytics1(o1), analytics2(o2);
    analytics1.Start();
    analytics2.Start();
    ServerOptions g{.data_dir = dir_.path() / "gateway", .command = "gateway"};
    g.args = {"--upstream", "auth=http://127.0.0.1:" + std::to_string(auth.port()), "--upstream",
              "ingest=http://127.0.0.1:" + std::to_string(ingest.port()), "--upstream",
              "analytics=http://127.0.0.1:" + std::to_string(a1) + ",http://127.0.0.1:" + std::to_string(a2)};
    ServerProcess gateway(g);
    gateway.Start();
    HttpClient gw = gateway.client();
    auto ready = gw.Get("/readyz").Json();
    EXPECT_EQ(ready.at("checks").at("upstream:analytics"), "ok");

    // Every service through the one address: sign-up (auth), a streamed upload (ingest), the
    // answers (analytics) as JSON, CSV and Server-Sent Events.
    std::string token = SignUp(gw, "gateway@example.com");
    std::string csv = SalesCsv(40000);
    auto up = gw.Request("POST", "/api/v1/datasets?name=sales&format=csv", csv,
                         {{"Authorization", "Bearer " + token}, {"Content-Type", "text/csv"}, {"X-Request-Id", "req_fromtheclient1"}});
    ASSERT_EQ(up.status, 202) << up.body;
    EXPECT_EQ(up.Header("x-request-id"), "req_fromtheclient1");
    EXPECT_NE(ingest.Log().find("req_fromtheclient1"), std::string::npos) << "the request id reaches the service";
    // A client cannot choose the address the services see.
    auto spoofed = gw.Request("GET", "/api/v1/datasets", "",
                              {{"Authorization", "Bearer " + token}, {"X-Forwarded-For", "203.0.113.9"}, {"X-Request-Id", "req_spoofcheck1"}});
    EXPECT_EQ(spoofed.status, 200);
    auto line = ingest.Log().find("req_spoofcheck1");
    ASSERT_NE(line, std::string::npos);
    std::string entry = ingest.Log().substr(ingest.Log().rfind('\n', line) + 1);
    entry = entry.substr(0, entry.find('\n'));
    EXPECT_EQ(entry.find("203.0.113.9"), std::string::npos) << entry;
    EXPECT_NE(entry.find("\"remote_ip\":\"127.0.0.1\""), std::string::npos) << entry;
    std::string id(up.Json().at("id").as_string());
    auto done = WaitForStatus(gw, token, id, "ready", 60);
    EXPECT_EQ(done.at("rows"), 40000);
    for (int i = 0; i < 4; ++i) {  // both instances answer
        auto summary = gw.Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
        EXPECT_EQ(summary.status, 200) << summary.body;
        EXPECT_EQ(summary.Json().at("rows"), 40000);
    }
    auto groups = gw.Get("/api/v1/datasets/" + id + "/groups?dimension=region", {{"Authorization", "Bearer " + token}, {"Accept", "text/csv"}});
    EXPECT_EQ(groups.status, 200);
    EXPECT_EQ(groups.body.rfind("key,", 0), 0U) << groups.body.substr(0, 100);
    auto events = gw.Get("/api/v1/datasets/" + id + "/events", Bearer(token));
    EXPECT_NE(events.body.find("event: ready"), std::string::npos) << events.body.substr(0, 200);
    EXPECT_EQ(gw.Get("/api/v1/datasets", {}).status, 401) << "the service's own answer passes through";

    // One analytics instance down: the other answers every request.
    analytics1.Kill9();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(gw.Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).status, 200);
    // Both down: a 503 naming the service, at once; the rest of the product keeps answering.
    analytics2.Kill9();
    auto start = std::chrono::steady_clock::now();
    auto down = gw.Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.ProblemSlug(), "service-unavailable");
    EXPECT_NE(std::string(down.Json().at("detail").as_string()).find("analytics"), std::string::npos);
    EXPECT_FALSE(down.Header("retry-after").empty());
    EXPECT_LT(took, std::chrono::milliseconds(500));
    std::printf("gateway 503 for a service that is down: %.1f ms\n",
                std::chrono::duration<double, std::milli>(took).count());
    EXPECT_EQ(gw.Get("/api/v1/datasets", Bearer(token)).status, 200);
    EXPECT_EQ(gw.Get("/readyz").Json().at("checks").at("upstream:analytics"), "unavailable");
    // Back where it was: answers again.
    ServerProcess again(o1);
    again.Start();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline && status != 200) {
        status = gw.Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).status;
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_EQ(status, 200);
    EXPECT_EQ(gateway.Stop(), 0);
}

}  // namespace
}  // namespace insightstream::testing
