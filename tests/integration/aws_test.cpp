// The distributed backends through the real binary: PostgreSQL, S3 and SQS (the emulator, with
// signatures and IAM policies enforced), each test on its own key prefix and its own queue pair.
// Faults are injected by a TCP proxy between the binary and the emulator.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "core/crypto.hpp"
#include "store/objects/s3/s3_object_store.hpp"
#include "support/aws_env.hpp"
#include "support/datasets.hpp"
#include "support/fault_proxy.hpp"
#include "support/script_process.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

namespace json = boost::json;

class AwsBackends : public ::testing::Test {
protected:
    void SetUp() override {
        env_ = AwsTestEnv::Load();
        if (!env_) GTEST_SKIP() << "INSIGHTSTREAM_TEST_AWS_DIR is not set: run through ctest";
        if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
        prefix_ = env_->FreshPrefix();
        std::string id = prefix_.substr(env_->prefix.size() + 1, 12);
        std::tie(queue_url_, dlq_url_) = env_->CreateQueue("jobs-" + id, /*max_receives=*/3);
        ASSERT_FALSE(queue_url_.empty());
        db_args_ = PostgresServiceArgs();
        auto admin = store::S3ObjectStore::Create({.bucket = env_->bucket, .prefix = prefix_}, env_->Client("s3", "admin"));
        ASSERT_TRUE(admin);
        admin_ = std::move(*admin);
    }

    // `insightstream <command>` on PostgreSQL, S3 and SQS as IAM user `user`; S3 or SQS may be
    // reached through a proxy.
    ServerOptions Options(const std::string& user, std::vector<std::string> args = {}, const std::string& s3 = "",
                          const std::string& sqs = "", const std::string& command = "all",
                          const std::string& data = "a") {
        ServerOptions o{.data_dir = dir_.path() / data, .command = command};
        o.args = db_args_;
        for (const std::string& a : {std::string("--objects"), "s3://" + env_->bucket + "/" + prefix_, std::string("--queue"),
                                     queue_url_, std::string("--dead-letter-queue"), dlq_url_,
                                     std::string("--aws-max-attempts"), std::string("2")}) {
            o.args.push_back(a);
        }
        if (std::find(args.begin(), args.end(), "--aws-request-timeout-ms") == args.end()) {
            o.args.insert(o.args.end(), {"--aws-request-timeout-ms", "5000"});
        }
        o.args.insert(o.args.end(), args.begin(), args.end());
        for (const auto& [k, v] : env_->ProcessEnv(user)) o.env.emplace_back(k, v);
        if (!s3.empty()) o.env.emplace_back("AWS_ENDPOINT_URL_S3", s3);
        if (!sqs.empty()) o.env.emplace_back("AWS_ENDPOINT_URL_SQS", sqs);
        return o;
    }
    size_t ObjectsUnderPrefix() {
        auto list = admin_->List("");
        EXPECT_TRUE(list) << list.error().ToString();
        return list ? list->size() : 0;
    }
    size_t PendingMultipartUploads() { return env_->PendingMultipartUploads(*admin_); }

    std::optional<AwsTestEnv> env_;
    TempDir dir_;
    std::string prefix_, queue_url_, dlq_url_;
    std::vector<std::string> db_args_;
    std::unique_ptr<store::S3ObjectStore> admin_;
};

TEST_F(AwsBackends, AnUploadGoesThroughS3AndSqsToReadyAndItsDeletionEmptiesThePrefix) {
    ServerProcess server(Options("all", {"--s3-part-bytes", "5242880"}));
    server.Start();
    auto ready = server.client().Get("/readyz").Json();
    EXPECT_EQ(ready.at("checks").at("objects"), "ok");
    EXPECT_EQ(ready.at("checks").at("queue"), "ok");
    std::string token = SignUp(server.client(), "s3@example.com");
    std::string csv = SalesCsv(150000);  // more than one 5 MiB part: a multipart upload
    ASSERT_GT(csv.size(), 5u << 20);
    auto up = UploadRaw(server.client(), token, csv);
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    auto done = WaitForStatus(server.client(), token, id, "ready", 90);
    EXPECT_EQ(done.at("rows"), 150000);
    EXPECT_EQ(std::string(done.at("sha256").as_string()), core::Sha256Hex(csv));
    EXPECT_EQ(done.at("attempts"), 1);
    EXPECT_EQ(server.client().Get("/api/v1/datasets/" + id + "/errors", Bearer(token)).status, 200);
    auto overview = server.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token));
    EXPECT_EQ(overview.status, 200) << overview.body;
    EXPECT_GE(ObjectsUnderPrefix(), 1U);
    EXPECT_EQ(PendingMultipartUploads(), 0U);
    auto metrics = server.client().Get("/metrics").body;
    EXPECT_NE(metrics.find("insightstream_queue_depth{queue=\"jobs\"}"), std::string::npos);
    EXPECT_NE(metrics.find("insightstream_queue_depth{queue=\"jobs-dlq\"}"), std::string::npos);
    EXPECT_EQ(server.client().Delete("/api/v1/datasets/" + id, Bearer(token)).status, 204);
    EXPECT_EQ(ObjectsUnderPrefix(), 0U);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, QueuesNamedBySqsUrlsWorkForALeastPrivilegeRole) {
    // `--queue sqs://NAME`: the URL comes from GetQueueUrl, or (when a queue-scoped grant is refused
    // it, as the emulator does) from the caller's account.
    ServerOptions o = Options("all");
    std::string name = queue_url_.substr(queue_url_.rfind('/') + 1);
    for (size_t i = 0; i + 1 < o.args.size(); ++i) {
        if (o.args[i] == "--queue") o.args[i + 1] = "sqs://" + name;
        if (o.args[i] == "--dead-letter-queue") o.args[i + 1] = "sqs://" + name + "-dlq";
    }
    ServerProcess server(o);
    server.Start();
    std::string token = SignUp(server.client(), "named@example.com");
    auto up = UploadRaw(server.client(), token, SalesCsv(300));
    ASSERT_EQ(up.status, 202) << up.body;
    auto done = WaitForStatus(server.client(), token, std::string(up.Json().at("id").as_string()), "ready", 60);
    EXPECT_EQ(done.at("rows"), 300);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, ARefusingBackendGivesAClearProblemAndReadyzNamesItWhileSignInWorks) {
    // The analytics user may only read objects (its listing, the readiness check, succeeds) and
    // touch no queue; a wrong secret fails every signature.
    for (std::string how : {"analytics", "wrong-secret"}) {
        SCOPED_TRACE(how);
        ServerOptions o = Options(how == "analytics" ? "analytics" : "all", {}, "", "", "all", how);
        if (how == "wrong-secret") {
            for (auto& [k, v] : o.env) {
                if (k == "AWS_SECRET_ACCESS_KEY") v = "not-the-secret";
            }
        }
        o.wait_ready = false;
        ServerProcess server(o);
        server.Start();
        auto ready = server.client().Get("/readyz");
        EXPECT_EQ(ready.status, 503);
        if (how == "analytics") {
            EXPECT_EQ(ready.Json().at("checks").at("objects"), "ok");
        } else {
            EXPECT_EQ(ready.Json().at("checks").at("objects"), "unavailable");
        }
        EXPECT_EQ(ready.Json().at("checks").at("queue"), "unavailable");
        EXPECT_EQ(ready.Json().at("checks").at("database"), "ok");
        // Sign-up and sign-in do not depend on S3 or SQS.
        std::string token = SignUp(server.client(), how + "@example.com");
        auto up = UploadRaw(server.client(), token, SalesCsv(100));
        EXPECT_EQ(up.status, 503) << up.body;
        EXPECT_EQ(up.Header("content-type"), "application/problem+json");
        EXPECT_EQ(up.ProblemSlug(), "unavailable");
        EXPECT_FALSE(up.Header("retry-after").empty());
        std::string detail(up.Json().at("detail").as_string());
        EXPECT_NE(detail.find("object store"), std::string::npos) << detail;
        EXPECT_EQ(up.body.find("<Error>"), std::string::npos) << "no AWS error body reaches the client";
        EXPECT_EQ(up.body.find("not-the-secret"), std::string::npos);
        EXPECT_EQ(server.Log().find("not-the-secret"), std::string::npos) << "a secret reached the log";
        EXPECT_EQ(server.Log().find(env_->users.at("all").secret_access_key), std::string::npos);
        EXPECT_TRUE(server.client().Get("/api/v1/datasets", Bearer(token)).Json().at("items").as_array().empty());
        EXPECT_EQ(server.Stop(), 0);
    }
}

TEST_F(AwsBackends, S3FailingDuringAnUploadAnswers503AbortsTheMultipartUploadAndLeavesNoVersion) {
    FaultProxy s3(env_->endpoint);
    ServerProcess server(Options("all", {"--s3-part-bytes", "5242880"}, s3.Url()));
    server.Start();
    std::string token = SignUp(server.client(), "cut@example.com");
    s3.CutAfter(1 << 20);  // every connection to S3 dies after 1 MiB: no 5 MiB part gets through
    std::string csv = SalesCsv(250000);
    auto up = UploadRaw(server.client(), token, csv);
    EXPECT_EQ(up.status, 503) << up.body;
    EXPECT_EQ(up.ProblemSlug(), "unavailable");
    EXPECT_FALSE(up.Header("retry-after").empty());
    EXPECT_EQ(PendingMultipartUploads(), 0U) << "the multipart upload was aborted";
    EXPECT_EQ(ObjectsUnderPrefix(), 0U);
    EXPECT_TRUE(server.client().Get("/api/v1/datasets", Bearer(token)).Json().at("items").as_array().empty())
        << "no version waits for an object that does not exist";
    // S3 is back: the same upload goes through.
    s3.Pass();
    auto again = UploadRaw(server.client(), token, csv);
    ASSERT_EQ(again.status, 202) << again.body;
    auto done = WaitForStatus(server.client(), token, std::string(again.Json().at("id").as_string()), "ready", 90);
    EXPECT_EQ(done.at("rows"), 250000);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, AnAbortS3RefusedIsTriedAgainUntilNoPartIsLeftBehind) {
    FaultProxy s3(env_->endpoint);
    ServerProcess server(Options("all", {"--s3-part-bytes", "5242880"}, s3.Url()));
    server.Start();
    std::string token = SignUp(server.client(), "abort@example.com");
    // Half the body first (the multipart upload begins, parts go out), then S3 goes away — so
    // the abort that follows the failure cannot reach it either.
    std::string csv = SalesCsv(400000);
    std::string head = "POST /api/v1/datasets?name=cut&format=csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
                       "\r\nContent-Type: text/csv\r\nContent-Length: " + std::to_string(csv.size()) +
                       "\r\nConnection: close\r\n\r\n";
    size_t half = csv.size() / 2;
    std::string answer;
    std::thread client([&] { answer = server.client().RawBytes(head + csv.substr(0, half), csv.substr(half), 1500); });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    s3.Refuse();
    client.join();
    EXPECT_EQ(answer.rfind("HTTP/1.1 503", 0), 0U) << answer.substr(0, 300);
    EXPECT_NE(server.Log().find("tried again later"), std::string::npos) << "the first abort could not reach S3";
    s3.Pass();
    size_t pending = 1;
    for (int i = 0; i < 100 && pending != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        pending = PendingMultipartUploads();
    }
    EXPECT_EQ(pending, 0U) << "the abort was tried again once S3 answered";
    EXPECT_NE(server.Log().find("aborted on a later try"), std::string::npos);
    EXPECT_EQ(ObjectsUnderPrefix(), 0U);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, WhileSqsIsUnreachableUploadsAreAcceptedAndTheirJobsWaitInTheOutbox) {
    FaultProxy sqs(env_->endpoint);
    ServerProcess server(Options("all", {"--outbox-relay-interval-ms", "500"}, "", sqs.Url()));
    server.Start();
    std::string token = SignUp(server.client(), "outbox@example.com");
    sqs.Refuse();
    auto up = UploadRaw(server.client(), token, SalesCsv(1000));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    EXPECT_EQ(server.client().Get("/readyz").Json().at("checks").at("queue"), "unavailable");
    std::this_thread::sleep_for(std::chrono::seconds(2));
    EXPECT_EQ(server.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json().at("status"), "queued");
    sqs.Pass();
    auto done = WaitForStatus(server.client(), token, id, "ready", 60);
    EXPECT_EQ(done.at("rows"), 1000);
    EXPECT_EQ(done.at("attempts"), 1);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, AStalledQueueNeverHoldsAnUploadItsJobIsSentOnceTheQueueAnswers) {
    FaultProxy sqs(env_->endpoint);
    // A queue that takes the connection and never answers: a send would wait for the whole
    // request deadline (8 s here) and its retry.
    ServerProcess server(Options("all", {"--outbox-relay-interval-ms", "500", "--aws-request-timeout-ms", "8000"}, "",
                                 sqs.Url()));
    server.Start();
    std::string token = SignUp(server.client(), "stalled@example.com");
    sqs.Stall();
    auto start = std::chrono::steady_clock::now();
    auto up = UploadRaw(server.client(), token, SalesCsv(100));
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_EQ(up.status, 202) << up.body;
    EXPECT_LT(took, std::chrono::seconds(10)) << "the upload did not wait for the queue";
    sqs.Pass();
    auto done = WaitForStatus(server.client(), token, std::string(up.Json().at("id").as_string()), "ready", 120);
    EXPECT_EQ(done.at("rows"), 100);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, AStalledS3GetsA503WithinItsDeadlineInsteadOfAHang) {
    FaultProxy s3(env_->endpoint);
    ServerProcess server(Options("all", {"--aws-request-timeout-ms", "1500"}, s3.Url()));
    server.Start();
    std::string token = SignUp(server.client(), "stall@example.com");
    s3.Stall();
    auto start = std::chrono::steady_clock::now();
    auto up = UploadRaw(server.client(), token, SalesCsv(100));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(up.status, 503) << up.body;
    EXPECT_EQ(up.ProblemSlug(), "unavailable");
    // Two attempts of 1.5 s and one back-off of at most 1 s, then the answer: never a hang.
    EXPECT_LT(took, std::chrono::seconds(8));
    s3.Pass();
    auto again = UploadRaw(server.client(), token, SalesCsv(100));
    ASSERT_EQ(again.status, 202) << again.body;
    WaitForStatus(server.client(), token, std::string(again.Json().at("id").as_string()), "ready", 60);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, KeysFromTheContainerCredentialsEndpointAreRenewedBeforeTheyExpire) {
    // Keys that live four seconds, as an ECS task role's would if time ran faster.
    const char* dir = std::getenv("INSIGHTSTREAM_TEST_AWS_DIR");
    ScriptProcess agent(TestScript("credentials_server.py"),
                        {"--aws-dir", dir, "--user", "all", "--token", "agent-token-123", "--lifetime", "4"});
    std::string agent_url = "http://127.0.0.1:" + std::to_string(agent.Port("port"));
    ServerOptions o = Options("all");
    std::erase_if(o.env, [](const auto& kv) { return kv.first.starts_with("AWS_ACCESS_KEY") || kv.first.starts_with("AWS_SECRET"); });
    o.env.emplace_back("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent_url + "/creds");
    o.env.emplace_back("AWS_CONTAINER_AUTHORIZATION_TOKEN", "agent-token-123");
    ServerProcess server(o);
    server.Start();
    std::string token = SignUp(server.client(), "ecs@example.com");
    for (int round = 0; round < 2; ++round) {
        auto up = UploadRaw(server.client(), token, SalesCsv(1000));
        ASSERT_EQ(up.status, 202) << up.body;
        WaitForStatus(server.client(), token, std::string(up.Json().at("id").as_string()), "ready", 60);
        if (round == 0) std::this_thread::sleep_for(std::chrono::milliseconds(4500));  // the first keys expire
    }
    auto count = HttpClient(agent.Port("port")).Get("/count").Json().at("count").as_int64();
    EXPECT_GE(count, 2) << "the keys were fetched again before they expired";
    EXPECT_NE(server.Log().find("\"credentials\":\"container\""), std::string::npos);
    EXPECT_EQ(server.Log().find("agent-token-123"), std::string::npos) << "the agent's token reached the log";
    EXPECT_EQ(server.Log().find(env_->users.at("all").secret_access_key), std::string::npos);
    EXPECT_EQ(server.Stop(), 0);
}

TEST_F(AwsBackends, AWorkerKilledMidJobGetsTheMessageBackAfterItsVisibilityTimeoutAndFinishesOnce) {
    ServerProcess server(Options("all", {"--worker-chunk-bytes", "65536", "--fault-chunk-pause-ms", "150",
                                         "--job-visibility", "3", "--job-heartbeat", "1"}));
    server.Start();
    std::string token = SignUp(server.client(), "kill@example.com");
    auto up = UploadRaw(server.client(), token, SalesCsv(20000));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    WaitForStatus(server.client(), token, id, "processing");
    for (int i = 0; i < 200; ++i) {
        auto d = server.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json();
        if (d.at("progress").at("bytes_done").as_int64() > 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    server.Kill9();
    ServerProcess again(Options("all", {"--job-visibility", "3", "--job-heartbeat", "1"}));
    again.Start();
    auto done = WaitForStatus(again.client(), token, id, "ready", 60);
    EXPECT_EQ(done.at("rows"), 20000);
    EXPECT_EQ(done.at("attempts"), 2) << "SQS delivered the job again after the visibility timeout";
    std::this_thread::sleep_for(std::chrono::seconds(4));  // a third delivery would show here
    EXPECT_EQ(again.client().Get("/api/v1/datasets/" + id, Bearer(token)).Json().at("attempts"), 2);
    EXPECT_EQ(again.Stop(), 0);
}

TEST_F(AwsBackends, AFileInSplitsIsSharedByWorkersThroughSqsWithTheirLeastPrivilegeRoles) {
    // The front (`all` as the ingest IAM user, so its own worker never gets a job) and two
    // workers as the worker user: the version's job sends split jobs (sqs:SendMessage), the
    // splits read ranges of the upload from S3 and write their partial results beside it, and
    // the merge deletes them (s3:DeleteObject).
    ServerProcess ingest(Options("ingest"));
    ingest.Start();
    std::vector<std::unique_ptr<ServerProcess>> workers;
    for (const char* data : {"w1", "w2"}) {
        ServerOptions o = Options("worker", {"--split-bytes", "65536"}, "", "", "worker", data);
        workers.push_back(std::make_unique<ServerProcess>(o));
        workers.back()->Start();
    }
    std::string token = SignUp(ingest.client(), "splits@example.com");
    std::string csv = SalesCsv(20000);
    auto up = UploadRaw(ingest.client(), token, csv);
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());
    auto done = WaitForStatus(ingest.client(), token, id, "ready", 120);
    EXPECT_EQ(done.at("rows"), 20000);
    int64_t cents = 0;  // SalesCsv's revenue: i % 100 units and 10 + i % 90 cents
    for (int i = 0; i < 20000; ++i) cents += (i % 100) * 100 + 10 + i % 90;
    auto summary = ingest.client().Get("/api/v1/datasets/" + id + "/summary", Bearer(token)).Json();
    std::string want = std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
    EXPECT_EQ(std::string(summary.at("columns").at(5).at("sum").as_string()), want) << summary;
    std::string logs;
    for (auto& w : workers) logs += w->Log();
    EXPECT_NE(logs.find("job.splits"), std::string::npos) << "the file was not split";
    EXPECT_EQ(logs.find("split_send_failed"), std::string::npos) << "the worker may not send split jobs";
    auto left = admin_->List("");
    ASSERT_TRUE(left);
    for (const auto& o : *left) EXPECT_EQ(o.key.find("/split-"), std::string::npos) << o.key << " was left behind";
    for (auto& w : workers) EXPECT_EQ(w->Stop(), 0);
    EXPECT_EQ(ingest.Stop(), 0);
}

TEST_F(AwsBackends, APoisonJobIsRetriedThenDeadLetteredBySqsThenFailedWithItsReason) {
    // The roles run apart, each as its own IAM user: `all` as the ingest user (which may not
    // receive jobs, so its own worker never gets one) and a worker whose S3 always fails, so
    // every attempt fails again. The queue's RedrivePolicy (3 receives) dead-letters the job
    // before the worker's own limit (10), and the dead-letter watcher fails the version.
    ServerOptions front = Options("ingest");
    ServerProcess ingest(front);
    ingest.Start();
    std::string token = SignUp(ingest.client(), "poison@example.com");
    auto up = UploadRaw(ingest.client(), token, SalesCsv(500));
    ASSERT_EQ(up.status, 202) << up.body;
    std::string id(up.Json().at("id").as_string());

    FaultProxy broken_s3(env_->endpoint);
    broken_s3.Refuse();
    ServerOptions back = Options("worker", {"--job-max-receives", "10", "--job-backoff-base", "1", "--job-visibility", "2",
                                            "--job-heartbeat", "1"},
                                 broken_s3.Url(), "", "worker", "w");
    back.wait_ready = false;
    ServerProcess worker(back);
    worker.Start();
    auto failed = WaitForStatus(ingest.client(), token, id, "failed", 90);
    std::string error(failed.at("error").as_string());
    EXPECT_NE(error.find("dead-letter"), std::string::npos) << error;
    EXPECT_GE(failed.at("attempts").as_int64(), 3);
    EXPECT_NE(worker.Log().find("job.dead_lettered"), std::string::npos);
    EXPECT_EQ(worker.Stop(), 0);
    EXPECT_EQ(ingest.Stop(), 0);
}

}  // namespace
}  // namespace insightstream::testing
