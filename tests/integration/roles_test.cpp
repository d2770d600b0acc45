// The roles as separate processes on one PostgreSQL, as the distributed mode runs them: every role
// verifies access tokens and API keys alike, with the signing keys the auth role publishes in the
// database (no other role holds a private key); a revoked API key stops working everywhere within
// seconds, a rotated signing key needs no restart, login limits hold across auth instances, and a
// second analytics instance never answers from an older version than the ready one.
#include <gtest/gtest.h>

#include <functional>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "support/datasets.hpp"
#include "support/script_process.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

uint16_t FreePort();  // a loopback port nothing listens on (below)

class Roles : public ::testing::Test {
protected:
    void SetUp() override {
        if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
        db_args_ = PostgresServiceArgs();
    }
    // One role in its own data directory, sharing the database and the object store. Only auth
    // roles have the signing keys (one directory for all of them).
    ServerOptions Role(const std::string& role, const std::string& name = "") {
        ServerOptions o{.data_dir = dir_.path() / (name.empty() ? role : name), .command = role};
        o.args = db_args_;
        // As behind the gateway: the client address is the forwarded one.
        o.args.insert(o.args.end(), {"--objects", "file:" + (dir_.path() / "objects").string(),
                                     "--trust-forwarded-for", "true"});
        if (role == "auth") o.args.insert(o.args.end(), {"--jwt-keys-dir", (dir_.path() / "keys").string()});
        return o;
    }
    // Processes started in order (auth first: it publishes the signing keys), found by the name of
    // their data directory, stopped last first at the end of the test, each exiting 0.
    struct Processes {
        std::vector<std::pair<std::string, std::unique_ptr<ServerProcess>>> list;
        ServerProcess& operator[](const std::string& name) {
            for (auto& [n, p] : list) {
                if (n == name) return *p;
            }
            throw std::out_of_range(name);
        }
        Processes() = default;
        Processes(Processes&&) = default;
        ~Processes() {
            for (auto it = list.rbegin(); it != list.rend(); ++it) EXPECT_EQ(it->second->Stop(), 0) << it->first;
        }
    };
    Processes StartAll(const std::vector<ServerOptions>& options) {
        Processes out;
        for (const auto& o : options) {
            out.list.emplace_back(o.data_dir.filename().string(), std::make_unique<ServerProcess>(o));
            out.list.back().second->Start();
        }
        return out;
    }
    TempDir dir_;
    std::vector<std::string> db_args_;
};

TEST_F(Roles, TokensAndApiKeysWorkOnEveryRoleAndARevokedKeyStopsEverywhereWithinSeconds) {
    Processes p = StartAll({Role("auth"), Role("ingest"), Role("analytics")});
    ServerProcess& auth = p["auth"];
    ServerProcess& ingest = p["ingest"];
    ServerProcess& analytics = p["analytics"];

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
}

std::string KidOf(const std::string& token) {
    auto header = core::Base64UrlDecode(token.substr(0, token.find('.')));
    if (!header) return "";
    return std::string(boost::json::parse(*header).at("kid").as_string());
}

HttpResult Login(const HttpClient& c, const std::string& email, const std::string& from = "198.51.100.7") {
    return c.PostJson("/api/v1/auth/login",
                      R"({"email":")" + email + R"(","password":"correct horse battery"})",
                      {{"X-Forwarded-For", from}});
}

TEST_F(Roles, ARotatedSigningKeyNeedsNoRestartAnywhere) {
    Processes p = StartAll({Role("auth"), Role("analytics")});
    ServerProcess& auth = p["auth"];
    ServerProcess& analytics = p["analytics"];
    std::string first = SignUp(auth.client(), "rotate@example.com");
    std::string first_kid = KidOf(first);
    ASSERT_FALSE(first_kid.empty());
    EXPECT_EQ(analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(first)).status, 404)
        << "analytics verifies with the key auth published";

    RunBinary({"keys", "rotate", "--data-dir", (dir_.path() / "rotate").string(), "--jwt-keys-dir",
               (dir_.path() / "keys").string()});
    std::string second;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = Login(auth.client(), "rotate@example.com");
        ASSERT_EQ(r.status, 200) << r.body;
        second = std::string(r.Json().at("access_token").as_string());
        if (KidOf(second) != first_kid) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ASSERT_NE(KidOf(second), first_kid) << "the auth role signs with the new key without a restart";
    auto with_new = analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(second));
    EXPECT_EQ(with_new.status, 404) << "a running analytics role verifies the new key: " << with_new.body;
    EXPECT_EQ(analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(first)).status, 404)
        << "tokens of the old key stay valid";
    auto jwks = auth.client().Get("/.well-known/jwks.json").Json();
    EXPECT_EQ(jwks.at("keys").as_array().size(), 2U);
    // A kid nobody published is still refused (after one look at the table).
    std::string forged = second;
    EXPECT_EQ(analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(forged.replace(5, 3, "abc"))).status,
              401);
}

TEST_F(Roles, LoginLimitsHoldAcrossAuthInstances) {
    auto limited = [&](const std::string& name) {
        ServerOptions o = Role("auth", name);
        o.args.insert(o.args.end(), {"--login-rate-limit", "4"});
        return o;
    };
    ServerProcess auth1(limited("auth1")), auth2(limited("auth2"));
    auth1.Start();
    auth2.Start();
    SignUp(auth1.client(), "limits@example.com");
    // Alternating between the instances: each alone would allow all six.
    std::vector<int> statuses;
    for (int i = 0; i < 6; ++i) statuses.push_back(Login((i % 2 ? auth2 : auth1).client(), "limits@example.com").status);
    EXPECT_EQ(statuses, (std::vector<int>{200, 200, 200, 200, 429, 429}));
    EXPECT_EQ(Login(auth2.client(), "limits@example.com", "198.51.100.8").status, 200) << "another address is not limited";
    // Lock-outs too: three wrong passwords on one instance throttle the next try on the other.
    for (int i = 0; i < 3; ++i) {
        auto wrong = auth1.client().PostJson("/api/v1/auth/login",
                                             R"({"email":"limits@example.com","password":"wrong password here"})",
                                             {{"X-Forwarded-For", "198.51.100.9"}});
        EXPECT_EQ(wrong.status, 401) << i;
    }
    auto throttled = Login(auth2.client(), "limits@example.com", "198.51.100.9");
    EXPECT_EQ(throttled.status, 429);
    EXPECT_EQ(throttled.ProblemSlug(), "login-throttled");
    EXPECT_EQ(auth2.Stop(), 0);
    EXPECT_EQ(auth1.Stop(), 0);
}

TEST_F(Roles, ASecondAnalyticsInstanceNeverAnswersFromAnOlderVersion) {
    Processes p = StartAll({Role("auth"), Role("ingest"), Role("worker"), Role("analytics")});
    ServerProcess& auth = p["auth"];
    ServerProcess& ingest = p["ingest"];
    ServerProcess& analytics = p["analytics"];
    std::string token = SignUp(auth.client(), "fresh@example.com");
    auto up = UploadRaw(ingest.client(), token, SalesCsv(5));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    WaitForStatus(ingest.client(), token, id, "ready");
    for (int i = 0; i < 3; ++i) {  // computed, then answered from the cache
        auto v1 = analytics.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
        ASSERT_EQ(v1.status, 200) << v1.body;
        EXPECT_EQ(v1.Header("x-dataset-version"), "1");
    }
    Headers h = Bearer(token);
    h.emplace_back("Content-Type", "text/csv");
    ASSERT_EQ(ingest.client().Post("/api/v1/datasets/" + id + "/versions", SalesCsv(9), h).status, 202);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        auto d = ingest.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
        if (d.at("version") == 2 && d.at("status") == "ready") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // At once, not after some expiry: the answer is of the version that is ready now.
    auto v2 = analytics.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
    ASSERT_EQ(v2.status, 200) << v2.body;
    EXPECT_EQ(v2.Header("x-dataset-version"), "2");
    EXPECT_EQ(v2.Json().at("provenance").at("rows"), 9) << v2.body;
}

// The spans the receiver holds of `trace`, once at least `want` have arrived (the exporters send
// once a second).
boost::json::array SpansOf(const HttpClient& receiver, const std::string& trace, size_t want) {
    boost::json::array got;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        got.clear();
        boost::json::value all = receiver.Get("/spans").Json();
        for (const auto& s : all.as_array()) {
            if (s.at("traceId") == trace.c_str()) got.push_back(s);
        }
        if (got.size() >= want) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return got;
}

const boost::json::object* FindSpan(const boost::json::array& spans, const std::string& service, const std::string& name) {
    for (const auto& s : spans) {
        if (s.at("service") == service.c_str() && s.at("name") == name.c_str()) return &s.as_object();
    }
    return nullptr;
}

TEST_F(Roles, OneTraceFollowsAnUploadFromTheGatewayThroughTheQueueIntoTheWorker) {
    ScriptProcess receiver(TestScript("otlp_receiver.py"), {});
    std::string otlp = "http://127.0.0.1:" + std::to_string(receiver.Port("port"));
    auto traced = [&](ServerOptions o) {
        o.args.insert(o.args.end(), {"--otlp-endpoint", otlp});
        return o;
    };
    ServerProcess auth(traced(Role("auth")));
    auth.Start();
    ServerProcess ingest(traced(Role("ingest")));
    ingest.Start();
    ServerProcess worker(traced(Role("worker")));
    worker.Start();
    ServerOptions g{.data_dir = dir_.path() / "gateway", .command = "gateway"};
    g.args = {"--upstream", "auth=http://127.0.0.1:" + std::to_string(auth.port()), "--upstream",
              "ingest=http://127.0.0.1:" + std::to_string(ingest.port())};
    ServerProcess gateway(traced(g));
    gateway.Start();
    HttpClient gw = gateway.client();
    std::string token = SignUp(gw, "trace@example.com");

    const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736", client_span = "00f067aa0ba902b7";
    auto up = gw.Request("POST", "/api/v1/datasets?name=sales&format=csv", SalesCsv(500),
                         {{"Authorization", "Bearer " + token},
                          {"Content-Type", "text/csv"},
                          {"traceparent", "00-" + trace + "-" + client_span + "-01"}});
    ASSERT_EQ(up.status, 202) << up.body;
    WaitForStatus(gw, token, std::string(up.Json().at("id").as_string()), "ready", 60);

    auto spans = SpansOf(HttpClient(receiver.Port("port")), trace, 6);
    const auto* at_gateway = FindSpan(spans, "insightstream-gateway", "POST /api/v1/datasets");
    const auto* at_ingest = FindSpan(spans, "insightstream-ingest", "POST /api/v1/datasets");
    const auto* wait = FindSpan(spans, "insightstream-worker", "job.queue_wait");
    const auto* process = FindSpan(spans, "insightstream-worker", "job.process");
    const auto* ready = FindSpan(spans, "insightstream-worker", "job.ready");
    const auto* snapshot = FindSpan(spans, "insightstream-worker", "job.snapshot");
    ASSERT_TRUE(at_gateway && at_ingest && wait && process && ready && snapshot) << boost::json::serialize(spans);
    // upload (gateway -> ingest) -> queue wait -> processing -> ready, each a child of the one
    // before; the snapshot is written after ready, in the same job.
    EXPECT_EQ(at_gateway->at("parentSpanId"), client_span.c_str());
    EXPECT_EQ(at_gateway->at("kind"), 2);
    EXPECT_EQ(at_ingest->at("parentSpanId"), at_gateway->at("spanId"));
    EXPECT_EQ(at_ingest->at("attributes").at("http.response.status_code"), 202);
    EXPECT_EQ(wait->at("parentSpanId"), at_ingest->at("spanId"));
    EXPECT_EQ(process->at("parentSpanId"), at_ingest->at("spanId"));
    EXPECT_EQ(ready->at("parentSpanId"), process->at("spanId"));
    EXPECT_EQ(process->at("attributes").at("outcome"), "succeeded");
    auto ns = [](const boost::json::object* s, const char* k) { return std::stoll(std::string(s->at(k).as_string())); };
    EXPECT_LE(ns(wait, "endTimeUnixNano"), ns(process, "startTimeUnixNano") + 1'000'000);
    EXPECT_LE(ns(ready, "endTimeUnixNano"), ns(process, "endTimeUnixNano"));
    EXPECT_EQ(snapshot->at("parentSpanId"), process->at("spanId"));
    EXPECT_EQ(snapshot->at("status").at("code"), 0);
    EXPECT_LE(ns(ready, "endTimeUnixNano"), ns(snapshot, "startTimeUnixNano"));
    EXPECT_TRUE(HttpClient(receiver.Port("port")).Get("/errors").Json().as_array().empty());
    // Every log line of the job carries the trace and the span it belongs to.
    std::string process_span(process->at("spanId").as_string());
    EXPECT_NE(worker.Log().find("\"trace_id\":\"" + trace + "\",\"span_id\":\"" + process_span + "\""), std::string::npos)
        << worker.Log().substr(0, 2000);
    std::string ingest_span(at_ingest->at("spanId").as_string());
    EXPECT_NE(ingest.Log().find("\"span_id\":\"" + ingest_span + "\""), std::string::npos);
    EXPECT_EQ(gateway.Stop(), 0);
    EXPECT_EQ(worker.Stop(), 0);
    EXPECT_EQ(ingest.Stop(), 0);
    EXPECT_EQ(auth.Stop(), 0);
}

// Opens a connection, sends `request` and leaves the answer unread (the socket stays open).
int OpenAndLeave(uint16_t port, const std::string& request) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    return fd;
}

// A listening socket on 127.0.0.1 and an ephemeral port (in *port); with `rcvbuf`, a receive
// window that small, so a sender stalls at once. -1 if it cannot be had.
int ListenOnLoopback(uint16_t* port, int rcvbuf = 0) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

TEST_F(Roles, QuietEventStreamsThroughTheGatewayHoldNoHandlerThread) {
    Processes p = StartAll({Role("auth"), Role("ingest"), Role("analytics")});
    ServerProcess& auth = p["auth"];
    ServerProcess& ingest = p["ingest"];
    ServerProcess& analytics = p["analytics"];
    // No worker: the version waits queued, and its event stream stays open and quiet.
    ServerOptions g{.data_dir = dir_.path() / "gateway", .command = "gateway"};
    g.args = {"--handler-threads", "4", "--upstream", "auth=http://127.0.0.1:" + std::to_string(auth.port()),
              "--upstream", "ingest=http://127.0.0.1:" + std::to_string(ingest.port()), "--upstream",
              "analytics=http://127.0.0.1:" + std::to_string(analytics.port())};
    ServerProcess gateway(g);
    gateway.Start();
    HttpClient gw = gateway.client();
    std::string token = SignUp(gw, "streams@example.com");
    auto up = UploadRaw(gw, token, SalesCsv(10));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    std::vector<int> streams;
    for (int i = 0; i < 12; ++i) {  // three times the gateway's handler threads
        int fd = OpenAndLeave(gateway.port(), "GET /api/v1/datasets/" + id + "/events HTTP/1.1\r\nHost: x\r\n"
                                              "Authorization: Bearer " + token + "\r\n\r\n");
        ASSERT_GE(fd, 0);
        streams.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    // The first stream is live: its first event came through the gateway.
    char buf[4096];
    ssize_t n = ::recv(streams[0], buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("text/event-stream"), std::string::npos);
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) EXPECT_EQ(gw.Get("/api/v1/datasets", Bearer(token)).status, 200);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, std::chrono::seconds(2)) << "twelve open event streams leave the gateway's four threads free";
    for (int fd : streams) ::close(fd);
    EXPECT_EQ(gateway.Stop(), 0);
}

double MetricValue(const HttpClient& c, const std::string& name) {
    std::string text = c.Get("/metrics").body;
    size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

TEST(Gateway, KeepsUpstreamConnectionsAliveAndExpectContinueHoldsEndToEnd) {
    TempDir dir;
    ServerProcess all(ServerOptions{.data_dir = dir.path() / "all"});
    all.Start();
    std::string url = "http://127.0.0.1:" + std::to_string(all.port());
    ServerProcess gateway(ServerOptions{.data_dir = dir.path() / "gateway",
                                        .command = "gateway",
                                        .args = {"--upstream", "auth=" + url, "--upstream", "ingest=" + url,
                                                 "--upstream", "analytics=" + url}});
    gateway.Start();
    HttpClient gw = gateway.client();
    std::string token = SignUp(gw, "keepalive@example.com");

    // A HEAD through the gateway says what the GET would send.
    auto direct_head = all.client().Request("HEAD", "/api/v1/openapi.json", "", {});
    auto proxied_head = gw.Request("HEAD", "/api/v1/openapi.json", "", {});
    EXPECT_EQ(proxied_head.status, 200);
    EXPECT_FALSE(direct_head.Header("content-length").empty());
    EXPECT_EQ(proxied_head.Header("content-length"), direct_head.Header("content-length"));

    double before = MetricValue(all.client(), "insightstream_http_connections_total");
    for (int i = 0; i < 30; ++i) ASSERT_EQ(gw.Get("/api/v1/datasets", Bearer(token)).status, 200);
    double opened = MetricValue(all.client(), "insightstream_http_connections_total") - before;
    EXPECT_GE(opened, 1);  // the metrics request itself
    EXPECT_LE(opened, 3) << "30 requests through the gateway reuse its connections to the service";

    // Refused before the body: the client that asked for 100-continue gets the service's 401 and
    // never has to send the 100 MB it announced.
    std::string head = "POST /api/v1/datasets?name=big&format=csv HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                       "Content-Length: 100000000\r\nExpect: 100-continue\r\n";
    std::string refused = gw.RawBytes(head + "\r\n");
    EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0U) << refused.substr(0, 300);
    EXPECT_EQ(refused.find("100 Continue"), std::string::npos);
    // Accepted: the service's go-ahead reaches the client, then the body flows and the upload lands.
    std::string csv = SalesCsv(20);
    std::string go = "POST /api/v1/datasets?name=expect&format=csv HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                     "Authorization: Bearer " + token + "\r\nContent-Length: " + std::to_string(csv.size()) +
                     "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
    std::string accepted = gw.RawBytes(go, csv, 300);
    EXPECT_EQ(accepted.rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0U) << accepted.substr(0, 300);
    size_t at = accepted.find("HTTP/1.1 202");
    ASSERT_NE(at, std::string::npos) << accepted;
    // A small answer of known length is relayed whole, with its length (not chunked).
    const size_t head_end = accepted.find("\r\n\r\n", at);
    ASSERT_NE(head_end, std::string::npos) << accepted;
    const std::string answer_head = accepted.substr(at, head_end - at);
    EXPECT_EQ(answer_head.find("Transfer-Encoding"), std::string::npos) << answer_head;
    const size_t length_at = answer_head.find("Content-Length: ");
    ASSERT_NE(length_at, std::string::npos) << answer_head;
    const std::string json_text = accepted.substr(head_end + 4);
    EXPECT_EQ(std::stoul(answer_head.substr(length_at + 16)), json_text.size());
    auto body = boost::json::parse(json_text);
    EXPECT_EQ(WaitForStatus(gw, token, std::string(body.at("id").as_string()), "ready").at("rows"), 20);
    EXPECT_EQ(gateway.Stop(), 0);
    EXPECT_EQ(all.Stop(), 0);
}

// A service that is slow to read an upload (a full receive window for longer than the 5 s after
// which the gateway gives up on a host that vanished) is back-pressure, not a dead host: the
// upload goes through. The service here reads the head, stops reading for 6 s, reads all but the
// body's last 2 MiB, stops again for 6 s (the gateway has handed it all to the kernel by then and
// waits for the answer), then takes the rest and answers 202.
TEST(Gateway, AnUploadToAServiceSlowToReadIsNotMistakenForAVanishedHost) {
    TempDir dir;
    ServerProcess all(ServerOptions{.data_dir = dir.path() / "all"});
    all.Start();
    uint16_t service_port = 0;
    int lfd = ListenOnLoopback(&service_port, 16 << 10);  // the gateway's sends stall at once
    ASSERT_GE(lfd, 0);
    timeval patience{30, 0};  // a regression fails the test, never hangs it
    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    const std::string body(8 << 20, 'x');
    std::atomic<uint64_t> body_read{0};
    std::jthread slow([&] {
        // Connections that close without a request (the gateway checking the address) are skipped.
        int fd = -1;
        std::string head;
        char buf[65536];
        while (head.find("\r\n\r\n") == std::string::npos) {
            if (fd < 0) {
                fd = accept(lfd, nullptr, nullptr);
                if (fd < 0) return;
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
                head.clear();
            }
            ssize_t r = recv(fd, buf, 1, 0);
            if (r <= 0) {
                close(fd);
                fd = -1;
                continue;
            }
            head.append(buf, 1);
        }
        // The gateway forwards the body with its length, or chunked: read to its end either way.
        auto at = head.find("Content-Length: ");
        const bool chunked = at == std::string::npos;
        uint64_t want = chunked ? 0 : std::stoull(head.substr(at + 16));
        std::string tail;
        auto read_until = [&](uint64_t until, bool to_end) {
            while (to_end ? (chunked ? !tail.ends_with("\r\n0\r\n\r\n") : body_read < want) : body_read < until) {
                size_t room = to_end ? sizeof buf : std::min<uint64_t>(sizeof buf, until - body_read);
                ssize_t r = recv(fd, buf, room, 0);
                if (r <= 0) return false;
                body_read += static_cast<uint64_t>(r);
                tail = (tail + std::string(buf, static_cast<size_t>(r)));
                if (tail.size() > 16) tail.erase(0, tail.size() - 16);
            }
            return true;
        };
        std::this_thread::sleep_for(std::chrono::seconds(6));
        bool alive = read_until(body.size() - (2 << 20), false);
        if (alive) std::this_thread::sleep_for(std::chrono::seconds(6));
        if (alive && read_until(0, true)) {
            std::string answer = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 11\r\n"
                                 "Connection: close\r\n\r\n{\"ok\":true}";
            send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        }
        close(fd);
    });
    std::string url = "http://127.0.0.1:" + std::to_string(all.port());
    ServerProcess gateway(ServerOptions{.data_dir = dir.path() / "gateway",
                                        .command = "gateway",
                                        .args = {"--upstream", "auth=" + url, "--upstream",
                                                 "ingest=http://127.0.0.1:" + std::to_string(service_port),
                                                 "--upstream", "analytics=" + url}});
    gateway.Start();
    HttpClient gw = gateway.client();
    std::string token = SignUp(gw, "slowreader@example.com");
    Headers h = Bearer(token);
    h.emplace_back("Content-Type", "text/csv");
    auto r = gw.Post("/api/v1/datasets?name=slow&format=csv", body, h);
    slow.join();
    close(lfd);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_GE(body_read.load(), body.size()) << "the whole body reached the service";
    EXPECT_EQ(gateway.Stop(), 0);
    EXPECT_EQ(all.Stop(), 0);
}

// A stand-in for a service on an ephemeral port: for each connection that sends a request head,
// answers with `pieces` (sleeping `pause` between them), then closes.
class ScriptedService {
public:
    ScriptedService(std::vector<std::string> pieces, std::chrono::milliseconds pause)
        : pieces_(std::move(pieces)), pause_(pause) {
        fd_ = ListenOnLoopback(&port_);
        EXPECT_GE(fd_, 0);
        thread_ = std::jthread([this] {
            for (;;) {
                int c = accept(fd_, nullptr, nullptr);
                if (c < 0) return;
                timeval patience{10, 0};
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
                std::string head;
                char ch;
                while (head.find("\r\n\r\n") == std::string::npos && recv(c, &ch, 1, 0) == 1) head += ch;
                if (head.find("\r\n\r\n") != std::string::npos) {
                    for (size_t i = 0; i < pieces_.size(); ++i) {
                        if (i > 0) std::this_thread::sleep_for(pause_);
                        send(c, pieces_[i].data(), pieces_[i].size(), MSG_NOSIGNAL);
                    }
                }
                close(c);
            }
        });
    }
    ~ScriptedService() {
        shutdown(fd_, SHUT_RDWR);
        close(fd_);
    }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::vector<std::string> pieces_;
    std::chrono::milliseconds pause_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::jthread thread_;
};

// A gateway whose services are all `all`, except `service`, which is at `url`.
std::unique_ptr<ServerProcess> GatewayWith(const TempDir& dir, const char* name, const ServerProcess& all,
                                           const std::string& service, const std::string& url,
                                           std::vector<std::string> args = {}) {
    const std::string at_all = "http://127.0.0.1:" + std::to_string(all.port());
    for (const char* s : {"auth", "ingest", "analytics"}) {
        args.insert(args.end(), {"--upstream", std::string(s) + "=" + (s == service ? url : at_all)});
    }
    auto gateway = std::make_unique<ServerProcess>(
        ServerOptions{.data_dir = dir.path() / name, .command = "gateway", .args = std::move(args)});
    gateway->Start();
    return gateway;
}

TEST(Gateway, ASmallAnswerIsRelayedWholeAndOneThatBreaksOffIsA503NotATruncatedBody) {
    TempDir dir;
    ServerProcess all(ServerOptions{.data_dir = dir.path() / "all"});
    all.Start();
    const std::string json = "{\"points\":[1,2,3],\"total\":\"6\"}";
    // An answer whose body comes in three pieces, 200 ms apart: relayed whole, with its length.
    ScriptedService slow({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(json.size()) + "\r\nConnection: close\r\n\r\n" + json.substr(0, 5),
                          json.substr(5, 10), json.substr(15)},
                         std::chrono::milliseconds(200));
    // An answer that promises 1 000 bytes and closes after 10.
    ScriptedService broken({"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
                            "{\"points\":"},
                           std::chrono::milliseconds(50));
    auto to_slow = GatewayWith(dir, "gw-slow", all, "analytics", slow.url());
    std::string whole = to_slow->client().RawBytes("GET /api/v1/datasets/ds_x/summary HTTP/1.1\r\nHost: x\r\n"
                                                  "Connection: close\r\n\r\n");
    EXPECT_EQ(whole.rfind("HTTP/1.1 200", 0), 0U) << whole;
    EXPECT_NE(whole.find("Content-Length: " + std::to_string(json.size()) + "\r\n"), std::string::npos) << whole;
    EXPECT_EQ(whole.find("Transfer-Encoding"), std::string::npos) << whole;
    EXPECT_TRUE(whole.ends_with("\r\n\r\n" + json)) << whole;
    EXPECT_EQ(to_slow->Stop(), 0);

    auto to_broken = GatewayWith(dir, "gw-broken", all, "analytics", broken.url());
    auto r = to_broken->client().Get("/api/v1/datasets/ds_x/summary");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.Header("content-type"), "application/problem+json");
    EXPECT_NE(r.body.find("the analytics service is unavailable"), std::string::npos) << r.body;
    EXPECT_EQ(to_broken->Stop(), 0);
    EXPECT_EQ(all.Stop(), 0);
}

// A stand-in for a service that accepts connections and never reads from or answers them (a
// small receive window, so a sender stalls at once), until Release closes them all.
class StallingService {
public:
    StallingService() {
        fd_ = ListenOnLoopback(&port_, 16 << 10);
        EXPECT_GE(fd_, 0);
        thread_ = std::jthread([this] {
            for (int c; (c = accept(fd_, nullptr, nullptr)) >= 0;) {
                std::scoped_lock lock(mutex_);
                held_.push_back(c);
            }
        });
    }
    ~StallingService() { Release(); }
    /// Waits until `n` connections are held (up to 10 s).
    bool Holds(size_t n) {
        for (int i = 0; i < 200; ++i) {
            {
                std::scoped_lock lock(mutex_);
                if (held_.size() >= n) return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }
    void Release() {
        if (fd_ >= 0) {
            shutdown(fd_, SHUT_RDWR);
            close(fd_);
            fd_ = -1;
        }
        std::scoped_lock lock(mutex_);
        for (int c : held_) close(c);
        held_.clear();
    }
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    int fd_ = -1;
    uint16_t port_ = 0;
    std::mutex mutex_;
    std::vector<int> held_;
    std::jthread thread_;
};

// Through a gateway with two threads per pool whose `service` never takes or answers anything:
// two `held` requests (each on a thread of its own) wait on it; meanwhile `probe` is answered
// with `want` within 10 s while both are still held; once the service vanishes both return.
void ExpectAnsweredWhileTwoAreHeld(const std::string& service, const std::function<void(HttpClient&)>& held,
                                   const std::function<HttpResult(HttpClient&)>& probe, int want) {
    TempDir dir;
    ServerProcess all(ServerOptions{.data_dir = dir.path() / "all"});
    all.Start();
    StallingService stalled;
    auto gateway = GatewayWith(dir, "gateway", all, service, stalled.url(), {"--handler-threads", "2"});
    HttpClient gw = gateway->client();
    std::atomic<int> held_done{0};
    std::vector<std::jthread> holding;
    for (int i = 0; i < 2; ++i) {
        holding.emplace_back([&] {
            held(gw);
            ++held_done;
        });
    }
    ASSERT_TRUE(stalled.Holds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto started = std::chrono::steady_clock::now();
    auto answer = probe(gw);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(answer.status, want) << answer.body;
    EXPECT_EQ(held_done.load(), 0) << "the held requests were still waiting when the probe was answered";
    EXPECT_LT(took, std::chrono::seconds(10)) << "the probe waited for the held requests";
    stalled.Release();  // the service vanishes: the gateway answers the held requests
    holding.clear();
    EXPECT_EQ(held_done.load(), 2);
    EXPECT_EQ(gateway->Stop(), 0);
    EXPECT_EQ(all.Stop(), 0);
}

TEST(Gateway, ReadsAreAnsweredWhileEveryUploadThreadWaitsOnAServiceSlowToRead) {
    // Two uploads to an ingest that takes no bytes hold both body threads; a request without a
    // body is forwarded on another pool and answered (the analytics service's 401: no token).
    const std::string body(8 << 20, 'x');
    ExpectAnsweredWhileTwoAreHeld(
        "ingest",
        [&](HttpClient& gw) { (void)gw.Post("/api/v1/datasets?name=stuck&format=csv", body, {{"Content-Type", "text/csv"}}); },
        [](HttpClient& gw) { return gw.Get("/api/v1/datasets/ds_x/summary"); }, 401);
}

TEST(Gateway, ItsOwnHealthIsAnsweredWhileEveryReadWaitsOnAServiceThatDoesNotAnswer) {
    // Two reads to an analytics that never answers hold the relay pool; the gateway's own routes
    // run on the handler pool and answer meanwhile.
    ExpectAnsweredWhileTwoAreHeld(
        "analytics", [](HttpClient& gw) { (void)gw.Get("/api/v1/datasets/ds_x/summary"); },
        [](HttpClient& gw) { return gw.Get("/healthz"); }, 200);
}

TEST(Gateway, ADeadInstanceNeverCostsARequestWhileAnotherAnswers) {
    TempDir dir;
    ServerProcess all(ServerOptions{.data_dir = dir.path() / "all"});
    all.Start();
    std::string live = "http://127.0.0.1:" + std::to_string(all.port());
    std::string dead = "http://127.0.0.1:" + std::to_string(FreePort());  // nothing listens there
    ServerProcess gateway(ServerOptions{.data_dir = dir.path() / "gateway",
                                        .command = "gateway",
                                        .args = {"--upstream", "auth=" + live, "--upstream", "ingest=" + live,
                                                 "--upstream", "analytics=" + dead + "," + live}});
    gateway.Start();
    std::string token = SignUp(gateway.client(), "dead@example.com");
    // Many at once, as a dashboard asks: each request tries each instance at most once, so the
    // dead one (refused until its circuit opens) never turns into a 503 for anyone.
    std::vector<int> statuses(24);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < statuses.size(); ++i) {
        threads.emplace_back([&, i] {
            statuses[i] = gateway.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(token)).status;
        });
    }
    for (auto& t : threads) t.join();
    for (int status : statuses) EXPECT_EQ(status, 404) << "answered by the live instance";
    EXPECT_EQ(gateway.Stop(), 0);
    EXPECT_EQ(all.Stop(), 0);
}

TEST(Gateway, AMalformedUpstreamIsRefusedAtStartWithTheReason) {
    TempDir dir;
    for (std::string bad : {"analytics", "=http://127.0.0.1:1", "analytics=ftp://host:1", "analytics=http://:80",
                                   "analytics=,"}) {
        std::string output;
        EXPECT_EQ(RunBinaryToExit({"gateway", "--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--upstream", bad},
                                  &output),
                  1)
            << bad;
        EXPECT_NE(output.find("insightstream: "), std::string::npos) << bad << ": " << output;
        EXPECT_NE(output.find("upstream"), std::string::npos) << bad << ": " << output;
    }
}

TEST(Edge, BehindAProxyTheClientCannotChooseTheAddressItsLimitsCountAgainst) {
    TempDir dir;
    ServerProcess server(ServerOptions{.data_dir = dir.path(), .args = {"--trust-forwarded-for", "true", "--login-rate-limit", "2"}});
    server.Start();
    SignUp(server.client(), "xff@example.com");
    // A load balancer appends the address it saw; whatever the client put before it is the client's.
    std::vector<int> statuses;
    for (int i = 0; i < 4; ++i) {
        statuses.push_back(Login(server.client(), "xff@example.com", "203.0.113." + std::to_string(i) + ", 198.51.100.20").status);
    }
    EXPECT_EQ(statuses, (std::vector<int>{200, 200, 429, 429}));
    EXPECT_EQ(server.Stop(), 0);
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
    EXPECT_NE(ingest.LogWith("req_fromtheclient1").find("req_fromtheclient1"), std::string::npos)
        << "the request id reaches the service";
    // A client cannot choose the address the services see.
    auto spoofed = gw.Request("GET", "/api/v1/datasets", "",
                              {{"Authorization", "Bearer " + token}, {"X-Forwarded-For", "203.0.113.9"}, {"X-Request-Id", "req_spoofcheck1"}});
    EXPECT_EQ(spoofed.status, 200);
    const std::string log = ingest.LogWith("req_spoofcheck1");
    auto line = log.find("req_spoofcheck1");
    ASSERT_NE(line, std::string::npos);
    std::string entry = log.substr(log.rfind('\n', line) + 1);
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
