#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "store/queue/db/db_job_queue.hpp"
#include "support/db_fixture.hpp"

namespace insightstream::store {
namespace {

using testing::BackendTest;
using testing::FakeClock;

class JobQueueContract : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!db_) return;
        queue_ = std::make_unique<DbJobQueue>(*db_, clock_, DbQueueSettings{.max_receives = 3});
        dlq_ = std::make_unique<DbJobQueue>(*db_, clock_, DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
    }
    FakeClock clock_;
    std::unique_ptr<DbJobQueue> queue_;
    std::unique_ptr<DbJobQueue> dlq_;
};

TEST_P(JobQueueContract, DeliversAndDeletes) {
    ASSERT_TRUE(queue_->Send("hello", 0));
    auto got = queue_->Receive(10, 30, 0);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 1U);
    EXPECT_EQ((*got)[0].body, "hello");
    EXPECT_EQ((*got)[0].receive_count, 1);
    EXPECT_EQ(*queue_->Depth(), 1);
    ASSERT_TRUE(queue_->Delete((*got)[0].receipt));
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_TRUE(queue_->Receive(10, 30, 0)->empty());
}

TEST_P(JobQueueContract, AReceivedMessageIsHiddenUntilItsVisibilityEnds) {
    ASSERT_TRUE(queue_->Send("m", 0));
    auto first = queue_->Receive(1, 30, 0);
    ASSERT_EQ(first->size(), 1U);
    EXPECT_TRUE(queue_->Receive(1, 30, 0)->empty());
    clock_.Advance(29'000);
    EXPECT_TRUE(queue_->Receive(1, 30, 0)->empty());
    clock_.Advance(2'000);
    auto again = queue_->Receive(1, 30, 0);
    ASSERT_EQ(again->size(), 1U);
    EXPECT_EQ((*again)[0].receive_count, 2);
    // The first delivery's receipt is stale now: it can neither extend nor delete.
    auto stale = queue_->Delete((*first)[0].receipt);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code(), core::ErrorCode::kNotFound);
    EXPECT_FALSE(queue_->ChangeVisibility((*first)[0].receipt, 60));
    EXPECT_TRUE(queue_->Delete((*again)[0].receipt));
}

TEST_P(JobQueueContract, HeartbeatsExtendTheLeaseAndZeroReleasesIt) {
    ASSERT_TRUE(queue_->Send("m", 0));
    auto got = queue_->Receive(1, 10, 0);
    clock_.Advance(8'000);
    ASSERT_TRUE(queue_->ChangeVisibility((*got)[0].receipt, 10));
    clock_.Advance(8'000);
    EXPECT_TRUE(queue_->Receive(1, 10, 0)->empty());
    ASSERT_TRUE(queue_->ChangeVisibility((*got)[0].receipt, 0));
    EXPECT_EQ(queue_->Receive(1, 10, 0)->size(), 1U);
}

TEST_P(JobQueueContract, DelayedMessagesWait) {
    ASSERT_TRUE(queue_->Send("later", 5));
    EXPECT_TRUE(queue_->Receive(1, 10, 0)->empty());
    clock_.Advance(5'000);
    EXPECT_EQ(queue_->Receive(1, 10, 0)->size(), 1U);
}

TEST_P(JobQueueContract, DeadLettersAfterMaxReceives) {
    ASSERT_TRUE(queue_->Send("poison", 0));
    for (int i = 1; i <= 3; ++i) {
        auto got = queue_->Receive(1, 1, 0);
        ASSERT_EQ(got->size(), 1U) << i;
        EXPECT_EQ((*got)[0].receive_count, i);
        clock_.Advance(1'500);
    }
    EXPECT_TRUE(queue_->Receive(1, 1, 0)->empty());
    EXPECT_EQ(*queue_->Depth(), 0);
    auto dead = dlq_->Receive(10, 30, 0);
    ASSERT_EQ(dead->size(), 1U);
    EXPECT_EQ((*dead)[0].body, "poison");
}

TEST_P(JobQueueContract, LongPollingWakesUpOnSend) {
    std::thread sender([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ASSERT_TRUE(queue_->Send("wake", 0));
    });
    auto got = queue_->Receive(1, 30, 5'000);
    sender.join();
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 1U);
}

TEST_P(JobQueueContract, ConcurrentConsumersNeverShareAMessage) {
    constexpr int kMessages = 120;
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(queue_->Send(std::to_string(i), 0));
    std::mutex mu;
    std::multiset<std::string> seen;
    std::vector<std::thread> consumers;
    for (int t = 0; t < 4; ++t) {
        consumers.emplace_back([&] {
            for (;;) {
                auto got = queue_->Receive(3, 300, 0);
                ASSERT_TRUE(got) << got.error().ToString();
                if (got->empty()) return;
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
    EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kMessages));
}

INSTANTIATE_TEST_SUITE_P(Backends, JobQueueContract, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::store
