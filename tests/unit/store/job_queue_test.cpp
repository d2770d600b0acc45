// The job queue's contract, run on every backend: the DB table on SQLite and PostgreSQL, and SQS
// (on the emulator, signed and IAM-checked). Time is real (SQS keeps its own clock), so the
// visibility timeouts are one or two seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "store/queue/sqs/sqs_job_queue.hpp"
#include "support/aws_env.hpp"
#include "support/db_fixture.hpp"

namespace insightstream::store {
namespace {

using testing::AwsTestEnv;

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

class JobQueueContract : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        if (GetParam() == "sqs") {
            IS_REQUIRE_AWS(env);
            std::string name = "contract-" + env.FreshPrefix().substr(env.prefix.size() + 1, 12);
            auto [url, dlq_url] = env.CreateQueue(name, /*max_receives=*/3);
            ASSERT_FALSE(url.empty());
            auto client = env.Client("sqs", "admin");
            auto q = SqsJobQueue::Open(url, client);
            auto d = SqsJobQueue::Open(dlq_url, client);
            ASSERT_TRUE(q && d);
            queue_ = std::move(*q);
            dlq_ = std::move(*d);
            return;
        }
        if (GetParam() == "postgres" && std::getenv("INSIGHTSTREAM_TEST_PG_DIR") == nullptr) {
            GTEST_SKIP() << "INSIGHTSTREAM_TEST_PG_DIR is not set: run through ctest for the PostgreSQL cases";
        }
        db_ = testing::OpenTestDatabase(GetParam(), dir_);
        ASSERT_TRUE(db_);
        queue_ = std::make_unique<DbJobQueue>(*db_, clock_, DbQueueSettings{.max_receives = 3, .poll_interval_ms = 50});
        dlq_ = std::make_unique<DbJobQueue>(*db_, clock_,
                                            DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = "", .poll_interval_ms = 50});
    }
    testing::TempDir dir_;
    core::SystemClock clock_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<JobQueue> queue_;
    std::unique_ptr<JobQueue> dlq_;
};

TEST_P(JobQueueContract, DeliversAndDeletes) {
    ASSERT_TRUE(queue_->Send("hello", 0));
    auto got = queue_->Receive(10, 30, 2000);
    ASSERT_TRUE(got) << got.error().ToString();
    ASSERT_EQ(got->size(), 1U);
    EXPECT_EQ((*got)[0].body, "hello");
    EXPECT_EQ((*got)[0].receive_count, 1);
    EXPECT_FALSE((*got)[0].id.empty());
    EXPECT_GT((*got)[0].sent_at_ms, 1'700'000'000'000);  // when it was sent, for the wait-time metric
    EXPECT_EQ(*queue_->Depth(), 1);
    ASSERT_TRUE(queue_->Delete((*got)[0].receipt));
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_TRUE(queue_->Receive(10, 30, 0)->empty());
    EXPECT_TRUE(queue_->Ping());
}

TEST_P(JobQueueContract, AReceivedMessageIsHiddenUntilItsVisibilityEndsAndItsReceiptGoesStale) {
    ASSERT_TRUE(queue_->Send("m", 0));
    auto first = queue_->Receive(1, 1, 2000);
    ASSERT_EQ(first->size(), 1U);
    EXPECT_TRUE(queue_->Receive(1, 1, 0)->empty());
    Sleep(1500);
    auto again = queue_->Receive(1, 30, 2000);
    ASSERT_EQ(again->size(), 1U);
    EXPECT_EQ((*again)[0].receive_count, 2);
    // The first delivery's receipt is stale now. The DB queue says so; SQS may accept it (AWS
    // documents a stale delete as "succeeds, but may not delete"), which is why the worker fences
    // its commit with the attempt number in the database (Database.OnlyTheLatestAttemptOfAJobMayCommitIt).
    if (GetParam() != "sqs") {
        auto stale = queue_->ChangeVisibility((*first)[0].receipt, 60);
        ASSERT_FALSE(stale);
        EXPECT_EQ(stale.error().code(), core::ErrorCode::kNotFound) << stale.error().ToString();
        EXPECT_EQ(queue_->Delete((*first)[0].receipt).error().code(), core::ErrorCode::kNotFound);
    }
    ASSERT_TRUE(queue_->Delete((*again)[0].receipt));
    // A deleted message's receipt is stale on every backend: a worker's heartbeat learns it.
    auto gone = queue_->ChangeVisibility((*again)[0].receipt, 60);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), core::ErrorCode::kNotFound) << gone.error().ToString();
    EXPECT_TRUE(queue_->Receive(1, 30, 0)->empty());
}

TEST_P(JobQueueContract, HeartbeatsExtendTheLeaseAndZeroReleasesIt) {
    ASSERT_TRUE(queue_->Send("m", 0));
    auto got = queue_->Receive(1, 2, 2000);
    ASSERT_EQ(got->size(), 1U);
    Sleep(1000);
    ASSERT_TRUE(queue_->ChangeVisibility((*got)[0].receipt, 3));
    Sleep(1500);  // past the first lease, within the extended one
    EXPECT_TRUE(queue_->Receive(1, 10, 0)->empty());
    ASSERT_TRUE(queue_->ChangeVisibility((*got)[0].receipt, 0));
    EXPECT_EQ(queue_->Receive(1, 10, 2000)->size(), 1U);
}

TEST_P(JobQueueContract, DelayedMessagesWait) {
    ASSERT_TRUE(queue_->Send("later", 2));
    EXPECT_TRUE(queue_->Receive(1, 10, 0)->empty());
    EXPECT_EQ(*queue_->Depth(), 1);  // a delayed message counts as waiting
    Sleep(2200);
    EXPECT_EQ(queue_->Receive(1, 10, 2000)->size(), 1U);
}

TEST_P(JobQueueContract, DeadLettersAfterMaxReceives) {
    ASSERT_TRUE(queue_->Send("poison", 0));
    for (int i = 1; i <= 3; ++i) {
        auto got = queue_->Receive(1, 1, 2000);
        ASSERT_EQ(got->size(), 1U) << i;
        EXPECT_EQ((*got)[0].receive_count, i);
        Sleep(1200);
    }
    EXPECT_TRUE(queue_->Receive(1, 1, 0)->empty());
    EXPECT_EQ(*queue_->Depth(), 0);
    auto dead = dlq_->Receive(10, 30, 2000);
    ASSERT_EQ(dead->size(), 1U);
    EXPECT_EQ((*dead)[0].body, "poison");
}

TEST_P(JobQueueContract, LongPollingWakesUpOnSend) {
    std::thread sender([&] {
        Sleep(300);
        ASSERT_TRUE(queue_->Send("wake", 0));
    });
    auto start = std::chrono::steady_clock::now();
    auto got = queue_->Receive(1, 30, 5000);
    auto waited = std::chrono::steady_clock::now() - start;
    sender.join();
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 1U);
    EXPECT_LT(waited, std::chrono::milliseconds(4000));  // answered on arrival, not at the end of the wait
}

TEST_P(JobQueueContract, InterruptEndsALongPollAtOnce) {
    auto start = std::chrono::steady_clock::now();
    std::thread stopper([&] {
        Sleep(300);
        queue_->Interrupt();
    });
    auto got = queue_->Receive(1, 30, 20'000);
    stopper.join();
    ASSERT_TRUE(got) << got.error().ToString();
    EXPECT_TRUE(got->empty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
    EXPECT_TRUE(queue_->Receive(1, 30, 20'000)->empty());  // and later receives do not wait
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

// Every message reaches a consumer. The database queues hand each out once; SQS promises at least
// once (a standard queue may deliver a message twice, and the emulator does now and then under
// concurrent receives): the worker's attempt fencing makes a second delivery harmless.
TEST_P(JobQueueContract, ConcurrentConsumersGetEveryMessageTheDatabaseQueuesEachOnce) {
    constexpr int kMessages = 60;
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(queue_->Send(std::to_string(i), 0));
    std::mutex mu;
    std::multiset<std::string> seen;
    std::vector<std::thread> consumers;
    for (int t = 0; t < 4; ++t) {
        consumers.emplace_back([&] {
            int empty = 0;
            while (empty < 2) {
                auto got = queue_->Receive(3, 300, 200);
                ASSERT_TRUE(got) << got.error().ToString();
                if (got->empty()) {
                    ++empty;
                    continue;
                }
                for (const auto& m : *got) {
                    {
                        std::scoped_lock lock(mu);
                        seen.insert(m.body);
                    }
                    ASSERT_TRUE(queue_->Delete(m.receipt));
                }
            }
        });
    }
    for (auto& c : consumers) c.join();
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kMessages));
    if (GetParam() != "sqs") EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
}

INSTANTIATE_TEST_SUITE_P(Backends, JobQueueContract, ::testing::Values("sqlite", "postgres", "sqs"),
                         testing::BackendName);

}  // namespace
}  // namespace insightstream::store
