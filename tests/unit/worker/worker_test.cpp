#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <functional>
#include <thread>

#include "catalog/datasets.hpp"
#include "ingest/ingest_service.hpp"
#include "store/objects/dir/dir_object_store.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "support/db_fixture.hpp"
#include "unit/worker/queued_version.hpp"
#include "worker/worker.hpp"

namespace insightstream::worker {
namespace {

using core::Error;
using core::Result;
using store::Tx;
using store::TxMode;

// A processor double that fails a given number of times, then counts rows like the real one.
class ScriptedProcessor final : public JobProcessor {
public:
    Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source, ProgressSink& progress) override {
        ++calls;
        if (wait_for_stop) {
            started = true;
            while (!progress.StopRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return StoppedError();
        }
        if (during) during();
        if (calls <= transient_failures) return Error::Unavailable("object store hiccup");
        if (permanent_failure) return Error::InvalidArgument("the file is not valid CSV: line 3 is binary");
        IS_TRY(auto out, RowCountProcessor().Process(job, source, progress));
        if (no_snapshot) return out;
        out.snapshot = [this, job](ProgressSink&) -> Result<void> {
            if (before_snapshot) before_snapshot();
            ++snapshot_calls;
            if (snapshot_calls <= snapshot_transient_failures) return Error::Unavailable("object store hiccup");
            if (snapshot_permanent_failure) {
                return Error::InvalidArgument("the columnar snapshot could not be written: a column is too wide");
            }
            return Put(job);
        };
        return out;
    }
    // A delivery that finds the version ready with its snapshot still to write.
    Result<void> WriteSnapshot(const JobContext& job, store::ObjectReader&, ProgressSink&) override {
        if (++rewrites <= rewrite_transient_failures) return Error::Unavailable("object store hiccup");
        return Put(job);
    }
    Result<void> Put(const JobContext& job) {
        IS_TRY_VOID(objects->PutBytes(catalog::SnapshotKey(job.message.tenant, job.message.dataset, job.message.version),
                                      "PAR1"));
        return {};
    }
    store::ObjectStore* objects = nullptr;
    std::atomic<int> calls{0};
    std::atomic<int> snapshot_calls{0};
    std::atomic<int> rewrites{0};
    int snapshot_transient_failures = 0;
    bool snapshot_permanent_failure = false;
    bool no_snapshot = false;
    int rewrite_transient_failures = 0;
    std::function<void()> before_snapshot;
    int transient_failures = 0;
    bool permanent_failure = false;
    bool wait_for_stop = false;
    std::atomic<bool> started{false};
    std::function<void()> during;
};

class WorkerTest : public testing::BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!db_) return;
        objects_ = store::DirObjectStore::Create(dir_.path() / "objects").value();
        processor_.objects = objects_.get();
        queue_ = std::make_unique<store::DbJobQueue>(*db_, clock_, store::DbQueueSettings{.max_receives = 3});
        testing::QueueVersion(*db_, *objects_, *queue_, tenant_, dataset_, "a,b\n1,2\n3,4\n5,6\n");
        if (HasFatalFailure()) return;
        worker_ = std::make_unique<Worker>(*db_, *objects_, *queue_, nullptr, processor_, metrics_, clock_,
                                           WorkerSettings{.max_receives = 3, .backoff_base_s = 2});
    }
    void DeadLetterWhileWriting(bool stored);
    catalog::VersionRecord Version() {
        auto v = store::TransactValue(*db_, tenant_, TxMode::kRead, [&](Tx& tx) {
            return catalog::datasets::FindVersion(tx, tenant_, dataset_, 1);
        });
        EXPECT_TRUE(v && v->has_value());
        return v && v->has_value() ? **v : catalog::VersionRecord{};
    }

    testing::FakeClock clock_;
    core::Metrics metrics_;
    core::TenantId tenant_{"org_w"};
    core::DatasetId dataset_{"ds_w"};
    std::unique_ptr<store::DirObjectStore> objects_;
    std::unique_ptr<store::DbJobQueue> queue_;
    ScriptedProcessor processor_;
    std::unique_ptr<Worker> worker_;
};

TEST_P(WorkerTest, ProcessesAJobToReadyAndAcknowledgesIt) {
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.rows_total, 3);
    EXPECT_EQ(v.attempts, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "succeeded"}}), 1);
}

TEST_P(WorkerTest, TheVersionIsReadyBeforeItsSnapshotWhichTheSameJobWritesNext) {
    catalog::VersionRecord during;
    processor_.before_snapshot = [&] { during = Version(); };
    ASSERT_TRUE(worker_->RunOnce(0));
    // While the snapshot was written, the version was ready already, its snapshot "writing".
    EXPECT_EQ(during.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(during.snapshot, catalog::SnapshotStatus::kWriting);
    EXPECT_EQ(during.rows_total, 3);
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kReady);
    EXPECT_FALSE(v.snapshot_error);
    EXPECT_TRUE(objects_->Open(catalog::SnapshotKey(tenant_, dataset_, 1)));
    EXPECT_EQ(processor_.snapshot_calls, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_EQ(metrics_.Value("insightstream_snapshots_total", {{"outcome", "snapshot"}}), 1);
    auto json = catalog::VersionJson(v, 0);
    EXPECT_EQ(boost::json::serialize(json.at("snapshot")), R"({"status":"ready","error":null})");
}

TEST_P(WorkerTest, ASnapshotThatCannotBeWrittenLeavesTheInsightsReadyAndSaysWhy) {
    processor_.snapshot_permanent_failure = true;
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.rows_total, 3);
    EXPECT_FALSE(v.error);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kFailed);
    EXPECT_EQ(v.snapshot_error, "the columnar snapshot could not be written: a column is too wide");
    EXPECT_EQ(*queue_->Depth(), 0);  // nothing to retry
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "succeeded"}}), 1);
    EXPECT_EQ(metrics_.Value("insightstream_snapshots_total", {{"outcome", "snapshot_failed"}}), 1);
    EXPECT_EQ(catalog::VersionJson(v, 0).at("snapshot").at("status"), "failed");
}

TEST_P(WorkerTest, ASnapshotInterruptedByAnOutageIsWrittenOnTheNextDeliveryWithoutReprocessing) {
    processor_.snapshot_transient_failures = 1;
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kWriting);
    EXPECT_EQ(*queue_->Depth(), 1);      // the message comes back after a back-off
    EXPECT_FALSE(worker_->RunOnce(0));  // not yet
    clock_.Advance(3'000);
    ASSERT_TRUE(worker_->RunOnce(0));
    v = Version();
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kReady);
    EXPECT_EQ(processor_.calls, 1);  // the insights were not computed again
    EXPECT_EQ(processor_.rewrites, 1);
    EXPECT_EQ(v.attempts, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_TRUE(objects_->Open(catalog::SnapshotKey(tenant_, dataset_, 1)));
}

TEST_P(WorkerTest, ASnapshotThatMeetsAnOutageOnEveryAttemptFailsWithTheReasonAfterTheLast) {
    processor_.snapshot_transient_failures = 100;
    processor_.rewrite_transient_failures = 100;  // the redeliveries' writes fail too
    ASSERT_TRUE(worker_->RunOnce(0));
    for (int i = 0; i < 2; ++i) {
        clock_.Advance(600'000);
        ASSERT_TRUE(worker_->RunOnce(0)) << i;
    }
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kFailed);
    ASSERT_TRUE(v.snapshot_error);
    EXPECT_EQ(*v.snapshot_error, "writing the snapshot failed 3 times: a backend service is unavailable; retry later");
    EXPECT_EQ(processor_.calls, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, AProcessorWithoutSnapshotsSaysSoOnTheVersion) {
    processor_.no_snapshot = true;
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kFailed);
    EXPECT_EQ(v.snapshot_error, "this worker writes no snapshots");
    EXPECT_EQ(*queue_->Depth(), 0);
}

// A job that killed its worker on every attempt while the snapshot was written reaches the
// dead-letter queue: the watcher marks the snapshot failed (the insights stay ready), or ready if
// a delivery stored it before dying. `stored`: the object is there.
void WorkerTest::DeadLetterWhileWriting(bool stored) {
    processor_.snapshot_transient_failures = 100;
    ASSERT_TRUE(worker_->RunOnce(0));  // ready, snapshot "writing", the message back to the queue
    ASSERT_EQ(Version().snapshot, catalog::SnapshotStatus::kWriting);
    if (stored) ASSERT_TRUE(processor_.Put(JobContext{catalog::JobMessage{tenant_, dataset_, 1, "t", "r"}, {}, 1}));
    store::DbJobQueue dead(*db_, clock_, store::DbQueueSettings{.name = "jobs-dlq", .dead_letter_name = ""});
    ASSERT_TRUE(dead.Send(catalog::JobMessage{tenant_, dataset_, 1, "t", "r"}.ToJson(), 0));
    testing::WatchDeadLetters(*db_, *objects_, dead, processor_, metrics_, clock_,
                              [&] { return Version().snapshot != catalog::SnapshotStatus::kWriting; });
}

TEST_P(WorkerTest, TheDeadLetterWatcherSettlesASnapshotLeftWriting) {
    DeadLetterWhileWriting(false);
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kReady);
    EXPECT_EQ(v.snapshot, catalog::SnapshotStatus::kFailed);
    EXPECT_NE(v.snapshot_error.value_or("").find("dead-letter queue"), std::string::npos) << v.snapshot_error.value_or("");
}

TEST_P(WorkerTest, TheDeadLetterWatcherMarksAStoredSnapshotReady) {
    DeadLetterWhileWriting(true);
    EXPECT_EQ(Version().snapshot, catalog::SnapshotStatus::kReady);
    EXPECT_FALSE(Version().snapshot_error);
}

TEST_P(WorkerTest, AFailedSnapshotNeverOverwritesOneAnotherDeliveryStored) {
    ASSERT_TRUE(worker_->RunOnce(0));
    ASSERT_EQ(Version().snapshot, catalog::SnapshotStatus::kReady);
    ASSERT_TRUE(db_->Transact(tenant_, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(bool changed, catalog::datasets::MarkSnapshot(tx, tenant_, dataset_, 1, catalog::SnapshotStatus::kFailed,
                                                            "a late failure"));
        EXPECT_FALSE(changed);
        return {};
    }));
    EXPECT_EQ(Version().snapshot, catalog::SnapshotStatus::kReady);
    EXPECT_FALSE(Version().snapshot_error);
}

TEST_P(WorkerTest, ASnapshotWrittenForADatasetDeletedMeanwhileDoesNotOutliveIt) {
    processor_.before_snapshot = [&] {
        ASSERT_TRUE(db_->Transact(tenant_, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY_VOID(catalog::datasets::Delete(tx, tenant_, dataset_));
            return {};
        }));
    };
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(processor_.snapshot_calls, 1);
    EXPECT_FALSE(objects_->Open(catalog::SnapshotKey(tenant_, dataset_, 1)));
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_EQ(metrics_.Value("insightstream_snapshots_total", {{"outcome", "gone"}}), 1);
}

TEST_P(WorkerTest, ASnapshotStoredButNotRecordedIsOnlyRecordedOnTheNextDelivery) {
    processor_.snapshot_transient_failures = 1;
    ASSERT_TRUE(worker_->RunOnce(0));
    ASSERT_TRUE(processor_.Put(JobContext{catalog::JobMessage{tenant_, dataset_, 1, "t", "r"}, {}, 1}));
    clock_.Advance(3'000);
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(Version().snapshot, catalog::SnapshotStatus::kReady);
    EXPECT_EQ(processor_.rewrites, 0);  // the object was there: only its status was missing
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, RetriesTransientFailuresAfterABackoff) {
    processor_.transient_failures = 1;
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kQueued);
    ASSERT_TRUE(v.error);
    EXPECT_NE(v.error->find("retrying"), std::string::npos);
    EXPECT_FALSE(worker_->RunOnce(0));  // hidden during the back-off
    clock_.Advance(3'000);              // 2 s base + 20 % jitter at most
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(Version().status, catalog::VersionStatus::kReady);
    EXPECT_EQ(processor_.calls, 2);
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, BadInputFailsAtOnceWithTheReason) {
    processor_.permanent_failure = true;
    ASSERT_TRUE(worker_->RunOnce(0));
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kFailed);
    EXPECT_EQ(v.error, "the file is not valid CSV: line 3 is binary");
    EXPECT_EQ(processor_.calls, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, GivesUpAfterMaxReceivesWithAReadableReason) {
    processor_.transient_failures = 100;
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(worker_->RunOnce(0)) << i;
        clock_.Advance(600'000);
    }
    auto v = Version();
    EXPECT_EQ(v.status, catalog::VersionStatus::kFailed);
    EXPECT_EQ(v.error, "processing failed 3 times: a backend service is unavailable; retry later");
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, SkipsAVersionThatWasDeleted) {
    ASSERT_TRUE(db_->Transact(tenant_, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(catalog::datasets::Delete(tx, tenant_, dataset_));
        return {};
    }));
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(processor_.calls, 0);
    EXPECT_EQ(*queue_->Depth(), 0);
}

TEST_P(WorkerTest, AVersionDeletedWhileProcessedIsDroppedNotFailed) {
    processor_.during = [&] {
        ASSERT_TRUE(db_->Transact(tenant_, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY_VOID(catalog::datasets::Delete(tx, tenant_, dataset_));
            return {};
        }));
    };
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(processor_.calls, 1);
    EXPECT_EQ(*queue_->Depth(), 0);
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "gone"}}), 1);
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "succeeded"}}), 0);
    EXPECT_EQ(metrics_.Value("insightstream_jobs_total", {{"outcome", "failed"}}), 0);
}

TEST_P(WorkerTest, ADuplicateDeliveryOfAReadyVersionIsNotReprocessed) {
    ASSERT_TRUE(worker_->RunOnce(0));
    ASSERT_TRUE(queue_->Send(catalog::JobMessage{tenant_, dataset_, 1, "t", "r"}.ToJson(), 0));
    ASSERT_TRUE(worker_->RunOnce(0));
    EXPECT_EQ(processor_.calls, 1);
    EXPECT_EQ(Version().attempts, 1);
}

TEST_P(WorkerTest, StopReleasesTheMessageAtAChunkBoundary) {
    processor_.wait_for_stop = true;
    worker_->Start();
    while (!processor_.started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    worker_->Stop();
    EXPECT_EQ(Version().status, catalog::VersionStatus::kQueued);
    // Another worker (the stopped one's queue is interrupted for good) gets it at once, with no
    // waiting for the lease.
    store::DbJobQueue other(*db_, clock_, store::DbQueueSettings{.max_receives = 3});
    auto again = other.Receive(1, 30, 0);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->size(), 1U);
}

TEST(WorkerBackoff, GrowsExponentiallyWithJitterAndACap) {
    testing::FakeClock clock;
    core::Metrics metrics;
    RowCountProcessor p;
    testing::TempDir d;
    auto db = testing::OpenTestDatabase("sqlite", d);
    auto objects = store::DirObjectStore::Create(d.path() / "o");
    store::DbJobQueue q(*db, clock, {});
    Worker w(*db, **objects, q, nullptr, p, metrics, clock, WorkerSettings{.backoff_base_s = 2, .backoff_max_s = 60});
    for (int n = 1; n <= 10; ++n) {
        double expected = std::min(2.0 * (1 << (n - 1)), 60.0);
        int b = w.BackoffSeconds(n);
        EXPECT_GE(b, static_cast<int>(expected * 0.8) - 1) << n;
        EXPECT_LE(b, static_cast<int>(expected * 1.2) + 1) << n;
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkerTest, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::worker
