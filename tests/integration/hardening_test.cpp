// Attacks found by probing the service, each with the answer that stops it now, through the real
// binary on SQLite and on PostgreSQL.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

class Hardening : public ::testing::TestWithParam<std::string> {
protected:
    void TearDown() override {
        if (server_) EXPECT_EQ(server_->Stop(), 0);
    }
    void Start(std::vector<std::string> args = {}) {
        ServerOptions opts{.data_dir = dir_.path(), .args = std::move(args)};
        if (GetParam() == "postgres") {
            if (!PostgresAdminUrl()) GTEST_SKIP() << "INSIGHTSTREAM_TEST_PG_DIR is not set: run through ctest";
            for (auto& a : PostgresServiceArgs()) opts.args.push_back(a);
        }
        server_ = std::make_unique<ServerProcess>(opts);
        server_->Start();
    }
    HttpClient client() { return server_->client(); }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
};

// A connection that sends an upload's head and a few bytes, then nothing.
int OpenStalledUpload(uint16_t port, const std::string& token) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    std::string head = "POST /api/v1/datasets?name=stall&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                       "\r\nContent-Type: text/csv\r\nContent-Length: 10000000\r\n\r\na,b\n";
    (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    return fd;
}

// The status of the answer on `fd` (0 if none yet or the connection closed) and whether it carries
// a Retry-After header.
int AnswerOn(int fd, int wait_ms, bool* retry_after) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) return 0;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 12) return 0;
    std::string text(buf, static_cast<size_t>(n));
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    *retry_after = text.find("retry-after:") != std::string::npos;
    return std::atoi(text.c_str() + 9);
}

struct Refusals {
    std::map<int, int> by_status;
    int without_retry_after = 0;
    int held = 0;  // connections with no answer: their uploads are in progress
};

// Waits until no more answers arrive on `fds` for a second, and counts them.
Refusals Collect(const std::vector<int>& fds) {
    Refusals out;
    std::vector<pollfd> open;
    for (int fd : fds) open.push_back({fd, POLLIN, 0});
    for (;;) {
        for (auto& p : open) p.revents = 0;
        if (::poll(open.data(), open.size(), 1000) <= 0) break;
        std::vector<pollfd> still;
        for (auto& p : open) {
            if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) {
                still.push_back(p);
                continue;
            }
            bool retry = false;
            int status = AnswerOn(p.fd, 0, &retry);
            ++out.by_status[status];
            if (!retry) ++out.without_retry_after;
        }
        open = std::move(still);
    }
    out.held = static_cast<int>(open.size());
    return out;
}

TEST_P(Hardening, HundredsOfStalledUploadsLeaveEveryoneElseAnswering) {
    // Uploads are read by the connection's coroutine, not a pool thread, and capped per
    // organization and in all. One organization opens 10 stalled uploads: 8 are held, 2 refused
    // (429). 24 more open 8 each: the service holds 150 in all and refuses the rest (503). With
    // 150 uploads stalled, health, login and another tenant's reads answer at once.
    Start({"--signup-rate-limit", "1000", "--max-concurrent-uploads", "150", "--max-concurrent-uploads-per-org", "8",
           "--body-timeout", "15"});
    std::vector<std::string> tokens;
    for (int i = 0; i < 25; ++i) tokens.push_back(SignUp(client(), "stall" + std::to_string(i) + "@example.com"));
    std::string bystander = SignUp(client(), "bystander@example.com");
    std::vector<int> first;
    for (int i = 0; i < 10; ++i) first.push_back(OpenStalledUpload(server_->port(), tokens[0]));
    for (int fd : first) ASSERT_GE(fd, 0);
    Refusals one = Collect(first);
    EXPECT_EQ(one.held, 8);
    EXPECT_EQ(one.by_status[429], 2) << "10 from one organization, 8 allowed";
    EXPECT_EQ(one.without_retry_after, 0);

    std::vector<int> rest;
    for (int round = 0; round < 8; ++round) {
        for (size_t t = 1; t < tokens.size(); ++t) rest.push_back(OpenStalledUpload(server_->port(), tokens[t]));
    }
    for (int fd : rest) ASSERT_GE(fd, 0);
    Refusals all = Collect(rest);
    EXPECT_EQ(all.held, 150 - 8);
    EXPECT_EQ(all.by_status[503], 24 * 8 - (150 - 8)) << "150 in all";
    EXPECT_EQ(all.without_retry_after, 0);
    // Everyone else is served at once while 150 uploads stall.
    int64_t slowest_ms = 0;
    for (int i = 0; i < 5; ++i) {
        auto t0 = Clock::now();
        EXPECT_EQ(client().Get("/healthz").status, 200);
        auto r = client().PostJson("/api/v1/auth/login", R"({"email":"bystander@example.com","password":"correct horse battery"})");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(bystander)).status, 200);
        slowest_ms = std::max<int64_t>(slowest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
    }
    EXPECT_LT(slowest_ms, 2000);
    std::printf("with 150 uploads stalled: slowest round of health + login + list took %lld ms\n",
                static_cast<long long>(slowest_ms));
    // The service is full, and says so to a new organization's upload too.
    auto busy = UploadRaw(client(), bystander, "a,b\n1,2\n");
    EXPECT_EQ(busy.status, 503) << busy.body;
    // Stalled uploads end after the body timeout and free their slots; nothing of them remains.
    std::this_thread::sleep_for(std::chrono::seconds(16));
    auto ok = UploadRaw(client(), tokens[0], "a,b\n1,2\n");
    EXPECT_EQ(ok.status, 202) << ok.body;
    for (int fd : first) ::close(fd);
    for (int fd : rest) ::close(fd);
    auto list = client().Get("/api/v1/datasets", Bearer(tokens[0])).Json();
    EXPECT_EQ(list.at("items").as_array().size(), 1U) << "no stalled upload became a dataset";
}

TEST_P(Hardening, AnUploadThatTricklesBelowTheMinimumRateIsEnded) {
    Start({"--min-upload-rate", "100000", "--body-timeout", "60"});
    std::string token = SignUp(client(), "trickle@example.com");
    int fd = OpenStalledUpload(server_->port(), token);
    ASSERT_GE(fd, 0);
    // A byte every second: never idle long enough for the body timeout, far below the rate.
    int status = 0;
    bool retry = false;
    auto t0 = Clock::now();
    for (int i = 0; i < 30 && status == 0; ++i) {
        (void)::send(fd, "x", 1, MSG_NOSIGNAL);
        status = AnswerOn(fd, 1000, &retry);
    }
    ::close(fd);
    EXPECT_EQ(status, 408);
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count(), 20);
    // The request's log line follows its answer.
    for (int i = 0; i < 50 && server_->Log().find("upload-too-slow") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(server_->Log().find("upload-too-slow"), std::string::npos);
}

// Finding 2: a wide file fails its own version (too many columns, or over the job's memory
// budget) while the server keeps answering everyone.
TEST_P(Hardening, AWideFileFailsItsVersionWhileTheServerKeepsAnswering) {
    Start({"--job-memory-bytes", "16777216", "--login-rate-limit", "1000"});
    std::string token = SignUp(client(), "wide@example.com");
    auto wide = [](int columns, int rows) {
        std::string csv;
        for (int c = 0; c < columns; ++c) csv += (c ? ",c" : "c") + std::to_string(c);
        csv += "\n";
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < columns; ++c) csv += (c ? ",v" : "v") + std::to_string((r * 7919 + c) % 100000);
            csv += "\n";
        }
        return csv;
    };
    auto over_limit = UploadRaw(client(), token, wide(20'000, 2), "?name=too-wide&format=csv");
    ASSERT_EQ(over_limit.status, 202) << over_limit.body;
    auto heavy = UploadRaw(client(), token, wide(16'000, 300), "?name=heavy&format=csv");
    ASSERT_EQ(heavy.status, 202) << heavy.body;
    // While they are analysed, health and login answer quickly.
    int64_t slowest_ms = 0;
    for (int i = 0; i < 20; ++i) {
        auto t0 = Clock::now();
        EXPECT_EQ(client().Get("/healthz").status, 200);
        EXPECT_EQ(client().PostJson("/api/v1/auth/login", R"({"email":"wide@example.com","password":"correct horse battery"})").status,
                  200);
        slowest_ms = std::max<int64_t>(slowest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_LT(slowest_ms, 3000);
    auto failed = WaitForStatus(client(), token, std::string(over_limit.Json().at("id").as_string()), "failed", 120);
    EXPECT_NE(std::string(failed.at("error").as_string()).find("at most 16384"), std::string::npos) << failed;
    auto second = WaitForStatus(client(), token, std::string(heavy.Json().at("id").as_string()), "failed", 180);
    EXPECT_NE(std::string(second.at("error").as_string()).find("--job-memory-bytes"), std::string::npos) << second;
    // The worker is fine afterwards.
    auto small = UploadRaw(client(), token, "k,v\na,1\n", "?name=small&format=csv");
    WaitForStatus(client(), token, std::string(small.Json().at("id").as_string()), "ready");
}

// Finding 7: every text input is valid UTF-8 without NUL or control characters, checked at the
// edge: 400 invalid-text, never a 500, never a string cut at a NUL, never invalid JSON out.
TEST_P(Hardening, InvalidTextIsRefusedAtTheEdgeOnEveryInput) {
    Start({"--login-rate-limit", "1000"});
    std::string token = SignUp(client(), "text@example.com");
    auto expect_invalid = [&](const HttpResult& r, const std::string& what) {
        EXPECT_EQ(r.status, 400) << what << ": " << r.body;
        if (r.status == 400) {
            EXPECT_EQ(r.ProblemSlug(), "invalid-text") << what;
            json::error_code ec;
            json::parse(r.body, ec);
            EXPECT_FALSE(ec) << what << ": the problem itself must be valid JSON";
        }
    };
    // Query parameters, as a dataset name and as a filter.
    expect_invalid(UploadRaw(client(), token, "a\n1\n", "?name=%FF&format=csv"), "?name=%FF");
    expect_invalid(UploadRaw(client(), token, "a\n1\n", "?name=a%00b&format=csv"), "?name=a%00b");
    expect_invalid(UploadRaw(client(), token, "a\n1\n", "?name=%C0%AF&format=csv"), "overlong UTF-8");
    expect_invalid(UploadRaw(client(), token, "a\n1\n", "?name=%ED%A0%80&format=csv"), "a UTF-16 surrogate");
    expect_invalid(client().Get("/api/v1/audit?action=%FF", Bearer(token)), "GET /audit?action=%FF");
    expect_invalid(client().Get("/api/v1/datasets?cursor=%00", Bearer(token)), "?cursor=%00");
    // Path segments.
    expect_invalid(client().Get("/api/v1/datasets/%FF%FE", Bearer(token)), "a path segment of %FF%FE");
    expect_invalid(client().Get("/api/v1/datasets/ds%00x", Bearer(token)), "a path segment with NUL");
    // JSON strings: NUL and control characters arrive as escapes.
    expect_invalid(client().PostJson("/api/v1/auth/login", R"({"email":"text@example.com\u0000","password":"correct horse battery"})"),
                   "a login e-mail with NUL");
    expect_invalid(client().PostJson("/api/v1/auth/signup",
                                     R"({"organization":"Acme\u0001","email":"t2@example.com","password":"correct horse battery"})"),
                   "an organization name with a control character");
    expect_invalid(client().PostJson("/api/v1/api-keys", R"({"name":"ci","scopes":["read"],"x\u0000":1})", Bearer(token)),
                   "a JSON key with NUL");
    auto raw_json = client().Post("/api/v1/auth/login", "{\"email\":\"\xff\xfe@example.com\",\"password\":\"x\"}",
                                  {{"Content-Type", "application/json"}});
    EXPECT_EQ(raw_json.status, 400) << "invalid UTF-8 inside JSON is not JSON";
    // Multipart fields and file names.
    std::string boundary = "XyZ";
    auto multipart = [&](const std::string& field_name, const std::string& value, const std::string& filename) {
        std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field_name + "\"\r\n\r\n" + value +
                           "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
                           "\"\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n\r\n--" + boundary + "--\r\n";
        return client().Post("/api/v1/datasets", body,
                             {{"Authorization", "Bearer " + token},
                              {"Content-Type", "multipart/form-data; boundary=" + boundary}});
    };
    expect_invalid(multipart("name", "\xff\xfe", "data.csv"), "a multipart name field of \\xff\\xfe");
    expect_invalid(multipart("name", std::string("a\0b", 3), "data.csv"), "a multipart field with NUL");
    expect_invalid(multipart("name", "fine", "d\xff.csv"), "a file name that is not UTF-8");
    // A stored header value.
    expect_invalid(client().Get("/api/v1/datasets", {{"Authorization", "Bearer " + token}, {"User-Agent", "agent\xff"}}),
                   "a User-Agent that is not UTF-8");
    // Good text in many scripts passes, and everything the service says back is valid JSON.
    auto good = UploadRaw(client(), token, "a\n1\n", "?name=Ums%C3%A4tze%20%E2%82%AC%20%F0%9F%93%88&format=csv");
    EXPECT_EQ(good.status, 202) << good.body;
    for (const std::string target : {"/api/v1/datasets", "/api/v1/audit?limit=500", "/api/v1/me"}) {
        auto r = client().Get(target, Bearer(token));
        EXPECT_EQ(r.status, 200) << target;
        json::error_code ec;
        json::parse(r.body, ec);
        EXPECT_FALSE(ec) << target << " answered invalid JSON";
    }
    EXPECT_EQ(client().Get("/api/v1/datasets", Bearer(token)).Json().at("items").as_array().size(), 1U);
    EXPECT_EQ(server_->Log().find("\"status\":500"), std::string::npos) << "no input may cause a 500";
}

// Finding 8: HTTP strictness. A malformed chunk size gets a 400 and the connection is closed; a
// folded header (obs-fold), Transfer-Encoding above all, is refused.
TEST_P(Hardening, MalformedChunksAndFoldedHeadersAre400AndClose) {
    Start();
    std::string token = SignUp(client(), "strict@example.com");
    auto status_of = [](const std::string& bytes) { return bytes.size() > 12 ? std::atoi(bytes.c_str() + 9) : 0; };
    for (const std::string target : {"/api/v1/auth/login", "/api/v1/datasets?name=c&format=csv"}) {
        SCOPED_TRACE(target);
        std::string head = "POST " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                           "\r\nContent-Type: " + (target.find("login") != std::string::npos ? "application/json" : "text/csv") +
                           "\r\nTransfer-Encoding: chunked\r\n\r\n";
        std::string bytes = client().RawBytes(head + "zz\r\nabc\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(status_of(bytes), 400) << bytes;
        EXPECT_NE(bytes.find("malformed-request"), std::string::npos);
        EXPECT_NE(bytes.find("Connection: close"), std::string::npos) << "the connection is closed after the 400";
        EXPECT_EQ(bytes.find("HTTP/1.1 200"), std::string::npos) << "nothing after the bad chunk is served";
    }
    for (const std::string folded : {"Transfer-Encoding:\r\n chunked\r\n", "Transfer-Encoding: gzip,\r\n\tchunked\r\n",
                                     "X-Note: a\r\n b\r\n"}) {
        std::string bytes = client().RawBytes("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                                              folded + "\r\n5\r\n{}   \r\n0\r\n\r\n");
        EXPECT_EQ(status_of(bytes), 400) << folded << ": " << bytes;
        EXPECT_NE(bytes.find("obs-fold"), std::string::npos);
    }
    EXPECT_EQ(client().Get("/healthz").status, 200) << "the server lives on";
}

// The niceness of each of the process's threads (field 19 of /proc/PID/task/TID/stat), by thread id.
std::map<long, int> ThreadNiceness(pid_t pid) {
    std::map<long, int> out;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::ifstream in(task.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto close = stat.rfind(") ");
        if (close == std::string::npos) continue;
        std::istringstream fields(stat.substr(close + 2));
        std::string field;
        for (int i = 0; i <= 16 && fields >> field; ++i) {
        }
        out[std::stol(task.path().filename().string())] = std::stoi(field);
    }
    return out;
}

// Processing shares the cores with requests in `all`: the engine's threads run at a lower
// priority (--worker-nice, 10 by default) so sign-in, uploads and reads get the CPU first; every
// other thread (requests, the job threads holding database locks, upload hashing) keeps its own.
TEST(WorkerPriority, EngineThreadsYieldTheCpuToRequestsAndTheNicenessIsConfigurable) {
    auto count_at = [](const std::map<long, int>& threads, int nice) {
        return std::count_if(threads.begin(), threads.end(), [&](const auto& t) { return t.second == nice; });
    };
    // The most threads seen at nice 10 while a slowed job runs (its analysis and its snapshot),
    // and the thread count then. The engine's threads start once the 1 MiB sample is read: the
    // file is twice that.
    auto while_processing = [&](const std::vector<std::string>& args) {
        TempDir dir;
        std::vector<std::string> all = {"--worker-chunk-bytes", "65536", "--fault-chunk-pause-ms", "60"};
        all.insert(all.end(), args.begin(), args.end());
        ServerProcess server({.data_dir = dir.path(), .args = all});
        server.Start();
        std::string token = SignUp(server.client(), "nice@example.com");
        auto up = UploadRaw(server.client(), token, SalesCsv(45000));
        EXPECT_EQ(up.status, 202);
        std::string id(up.Json().at("id").as_string());
        long most = 0;
        size_t threads_then = 0;
        for (int i = 0; i < 2000; ++i) {
            auto threads = ThreadNiceness(server.pid());
            EXPECT_EQ(threads.at(server.pid()), 0) << "the main thread";
            if (count_at(threads, 10) > most) {
                most = count_at(threads, 10);
                threads_then = threads.size();
            }
            auto d = server.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
            if (d.at("status") == "failed") break;
            if (d.at("status") == "ready" && d.at("snapshot").at("status") != "writing") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        // The job still runs to the end at that priority.
        EXPECT_EQ(WaitForStatus(server.client(), token, id, "ready").at("rows"), 45000);
        EXPECT_EQ(server.Stop(), 0);
        return std::pair{most, threads_then};
    };
    auto [lowered, threads] = while_processing({"--engine-threads", "2"});
    EXPECT_EQ(lowered, 2) << "the two engine threads";
    EXPECT_GT(threads, 4U) << "the threads that answer requests, the job thread, hashing, keep theirs";
    EXPECT_EQ(while_processing({"--engine-threads", "2", "--worker-nice", "0"}).first, 0);
    TempDir dir;
    std::string output;
    EXPECT_EQ(RunBinaryToExit({"all", "--listen", "127.0.0.1:0", "--data-dir", dir.path().string(), "--worker-nice", "20"},
                              &output),
              2);
    EXPECT_NE(output.find("worker_nice"), std::string::npos) << output;
}

INSTANTIATE_TEST_SUITE_P(Backends, Hardening, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
