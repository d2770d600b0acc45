// Crashes and shutdowns through the real binary: kill -9 during an upload and during processing,
// SIGTERM with a request in flight. No accepted upload may be lost; no half-written object may
// become visible.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <filesystem>
#include <future>
#include <thread>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace fs = std::filesystem;

class Faults : public ::testing::TestWithParam<std::string> {
protected:
    ServerOptions Options(std::vector<std::string> args) {
        ServerOptions opts{.data_dir = dir_.path(), .args = std::move(args)};
        if (GetParam() == "postgres") {
            if (db_args_.empty()) db_args_ = PostgresServiceArgs();
            opts.args.insert(opts.args.end(), db_args_.begin(), db_args_.end());
        }
        return opts;
    }
    void SetUp() override {
        if (GetParam() == "postgres" && !PostgresAdminUrl()) {
            GTEST_SKIP() << "run through ctest for PostgreSQL";
        }
    }
    size_t VisibleObjects() {
        size_t n = 0;
        fs::path root = dir_.path() / "objects";
        for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
            if (it->path().filename() == ".tmp") {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file()) ++n;
        }
        return n;
    }
    TempDir dir_;
    std::vector<std::string> db_args_;
};

TEST_P(Faults, KillDuringProcessingThenRestartCompletesTheJob) {
    // Slow the worker down (64 KiB chunks, 150 ms each) so the kill lands mid-job.
    ServerProcess server(Options({"--worker-chunk-bytes", "65536", "--fault-chunk-pause-ms", "150", "--job-visibility",
                                  "3", "--job-heartbeat", "1"}));
    server.Start();
    std::string token = SignUp(server.client(), "crash@example.com");
    std::string csv = SalesCsv(20000);  // ~1 MB: 16 chunks
    auto up = UploadRaw(server.client(), token, csv);
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    auto processing = WaitForStatus(server.client(), token, id, "processing");
    // Wait for the first progress write, then crash.
    for (int i = 0; i < 200; ++i) {
        auto d = server.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
        if (d.at("progress").at("bytes_done").as_int64() > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    server.Kill9();

    ServerProcess again(Options({"--job-visibility", "3", "--job-heartbeat", "1"}));
    again.Start();
    auto ready = WaitForStatus(again.client(), token, id, "ready", 60);
    EXPECT_EQ(ready.at("rows"), 20000);
    EXPECT_EQ(ready.at("attempts"), 2) << "the job was received again after the crash";
    EXPECT_EQ(again.Stop(), 0);
}

TEST_P(Faults, KillWhileTheSnapshotIsWrittenThenRestartWritesItWithoutReprocessing) {
    // Ready, and killed while the snapshot (written after ready) is half done: the next delivery
    // of the job writes it; the version stays ready throughout, its insights from the first attempt.
    ServerProcess server(Options({"--worker-chunk-bytes", "65536", "--fault-chunk-pause-ms", "150", "--job-visibility",
                                  "3", "--job-heartbeat", "1"}));
    server.Start();
    std::string token = SignUp(server.client(), "snapshot-crash@example.com");
    auto up = UploadRaw(server.client(), token, SalesCsv(20000));  // ~1 MB: 16 chunks per pass
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    boost::json::value d;
    for (int i = 0; i < 2000; ++i) {
        d = server.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
        if (d.at("status") == "ready" || d.at("status") == "failed") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(d.at("status"), "ready") << d;
    ASSERT_EQ(d.at("snapshot").at("status"), "writing") << d;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // into the snapshot pass
    server.Kill9();

    ServerProcess again(Options({"--job-visibility", "3", "--job-heartbeat", "1"}));
    again.Start();
    auto after = again.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
    EXPECT_EQ(after.at("status"), "ready") << after;
    EXPECT_EQ(again.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).status, 200);
    auto ready = WaitForStatus(again.client(), token, id, "ready", 60);
    EXPECT_EQ(ready.at("snapshot").at("status"), "ready") << ready;
    EXPECT_EQ(ready.at("rows"), 20000);
    EXPECT_EQ(ready.at("attempts"), 1) << "the insights were not computed again";
    auto q = again.client().PostJson("/api/v1/datasets/" + id + "/query", R"({"measures":[{"agg":"count"}]})",
                                     Bearer(token));
    ASSERT_EQ(q.status, 200) << q.body;
    EXPECT_EQ(q.Json().at("rows").at(0).at("count").as_int64(), 20000);
    EXPECT_EQ(again.Stop(), 0);
}

TEST_P(Faults, KillDuringUploadLeavesNoDatasetAndNoVisibleObject) {
    ServerProcess server(Options({}));
    server.Start();
    std::string token = SignUp(server.client(), "cut@example.com");
    // Half a body, then the server dies while it waits for the rest.
    {
        std::string head = "POST /api/v1/datasets?name=half&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           token + "\r\nContent-Type: text/csv\r\nContent-Length: 5000000\r\n\r\n";
        // The connection stays open (no half-close): the server waits for the rest of the body.
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(server.port());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        std::string bytes = head + SalesCsv(5000);
        ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
        // The temp file exists once the server has started writing.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (fs::is_empty(dir_.path() / "objects" / ".tmp") && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_FALSE(fs::is_empty(dir_.path() / "objects" / ".tmp"));
        server.Kill9();
        ::close(fd);
    }
    EXPECT_EQ(VisibleObjects(), 0U);
    ServerProcess again(Options({}));
    again.Start();
    EXPECT_TRUE(fs::is_empty(dir_.path() / "objects" / ".tmp")) << "leftover temp files are swept at start";
    EXPECT_TRUE(again.client().Get("/api/v1/datasets", Bearer(token)).Json().at("items").as_array().empty());
    EXPECT_EQ(again.Stop(), 0);
}

TEST_P(Faults, AcceptedUploadSurvivesAKillBeforeProcessing) {
    // The worker is slowed to a crawl so the job is certainly not done when the process dies. Its
    // lease is short, so the restarted process gets the job again within seconds (with the
    // default 60 s lease the redelivery could come after the wait below gives up).
    ServerProcess server(Options({"--worker-chunk-bytes", "4096", "--fault-chunk-pause-ms", "1000", "--job-visibility",
                                  "2", "--job-heartbeat", "1"}));
    server.Start();
    std::string token = SignUp(server.client(), "early@example.com");
    auto up = UploadRaw(server.client(), token, SalesCsv(2000));
    ASSERT_EQ(up.status, 202);
    std::string id(up.Json().at("id").as_string());
    server.Kill9();
    ServerProcess again(Options({"--job-visibility", "2", "--job-heartbeat", "1"}));
    again.Start();
    auto ready = WaitForStatus(again.client(), token, id, "ready", 60);
    EXPECT_EQ(ready.at("rows"), 2000);
    EXPECT_EQ(again.Stop(), 0);
}

TEST_P(Faults, SigtermFinishesTheInFlightUploadAndExitsZero) {
    ServerProcess server(Options({"--fault-chunk-pause-ms", "0"}));
    server.Start();
    std::string token = SignUp(server.client(), "graceful@example.com");
    uint16_t port = server.port();
    std::string csv = SalesCsv(3000);
    // The body goes out in two halves with a pause between; SIGTERM lands in the pause.
    auto result = std::async(std::launch::async, [&] {
        HttpClient c(port);
        std::string head = "POST /api/v1/datasets?name=slow&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           token + "\r\nContent-Type: text/csv\r\nContent-Length: " + std::to_string(csv.size()) +
                           "\r\nConnection: close\r\n\r\n";
        return c.RawBytes(head + csv.substr(0, csv.size() / 2), csv.substr(csv.size() / 2), 700);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(server.Stop(SIGTERM, 30), 0);
    std::string answer = result.get();
    ASSERT_EQ(answer.rfind("HTTP/1.1 202", 0), 0U) << answer;
    EXPECT_NE(server.Log().find("server.stopped"), std::string::npos);
    // The accepted upload is still there after a restart, and gets processed.
    ServerProcess again(Options({}));
    again.Start();
    auto items = again.client().Get("/api/v1/datasets", Bearer(token)).Json().at("items").as_array();
    ASSERT_EQ(items.size(), 1U);
    auto ready = WaitForStatus(again.client(), token, std::string(items[0].at("id").as_string()), "ready");
    EXPECT_EQ(ready.at("rows"), 3000);
    EXPECT_EQ(again.Stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, Faults, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace insightstream::testing
