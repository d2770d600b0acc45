// The queue consumer. For each job: receive → heartbeat (extend the lease while working) →
// process (stream the object, report progress at least once a second) → commit results and
// status in one transaction → delete the message. Transient failures retry with exponential
// back-off and jitter; the last allowed attempt fails the version with a readable reason; a
// dead-letter watcher fails versions whose jobs died without a word (e.g. the process crashed on
// every attempt). A stop finishes the current chunk and hands the message back to the queue.
#pragma once

#include <atomic>
#include <functional>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"
#include "store/queue/job_queue.hpp"
#include "worker/job_processor.hpp"

namespace insightstream::worker {

struct WorkerSettings {
    int concurrency = 1;            // jobs processed at once by this process
    int visibility_s = 60;          // lease per delivery
    int heartbeat_s = 20;           // lease extension period
    int max_receives = 5;           // attempts before the job is given up (and dead-lettered)
    int backoff_base_s = 2;
    int backoff_max_s = 300;
    int progress_interval_ms = 1000;
    int poll_wait_ms = 1000;
    int dead_letter_poll_s = 5;
    /// Fault injection for tests and demos: sleep this long after every chunk, so a job can be
    /// caught mid-way (killed, stopped). 0 in production.
    int fault_chunk_pause_ms = 0;
};

class Worker {
public:
    /// `dead_letters` may be null (no watcher).
    Worker(store::Database& db, store::ObjectStore& objects, store::JobQueue& queue, store::JobQueue* dead_letters,
           JobProcessor& processor, core::Metrics& metrics, const core::Clock& clock, WorkerSettings settings);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void Start();
    /// Asks running jobs to stop at their next chunk and release their messages; joins.
    void Stop();
    /// Called just before a version is committed ready, and (OnReady) just after the commit
    /// whatever its outcome: caches of its dataset must not answer between the two.
    void OnCommitting(std::function<void(const core::TenantId&, const core::DatasetId&)> listener) {
        on_committing_ = std::move(listener);
    }
    void OnReady(std::function<void(const core::TenantId&, const core::DatasetId&)> listener) {
        on_ready_ = std::move(listener);
    }
    /// Processes at most one message now (tests); returns whether one was handled.
    bool RunOnce(int wait_ms);
    /// Backoff before attempt `receive_count + 1`: base * 2^(n-1), capped, with ±20 % jitter.
    [[nodiscard]] int BackoffSeconds(int receive_count) const;

private:
    struct Lease {
        std::string receipt;
        std::atomic<bool> lost{false};
    };
    void Loop();
    void HeartbeatLoop();
    void DeadLetterLoop();
    void Handle(const store::QueueMessage& m);
    /// Runs `run` on the version's source object while the message's lease is registered (the
    /// heartbeat keeps it); what the processor throws becomes the error; afterwards the job's
    /// memory goes back to the system.
    core::Result<void> RunOnSource(const store::QueueMessage& m, const JobContext& job, const std::shared_ptr<Lease>& lease,
                                   const std::function<core::Result<void>(store::ObjectReader&)>& run);
    /// Runs `run` holding the message's lease (kept alive by the heartbeat); a job too big for
    /// memory fails itself, not the process.
    core::Result<void> RunLeased(const store::QueueMessage& m, const std::shared_ptr<Lease>& lease,
                                 const std::function<core::Result<void>()>& run);
    void Ack(const store::QueueMessage& m);
    /// Registers a message's lease with the heartbeat for its lifetime (unless already registered:
    /// then the outer hold keeps it).
    class LeaseHold {
    public:
        LeaseHold(Worker& worker, const std::string& id, const std::shared_ptr<Lease>& lease);
        ~LeaseHold();
        LeaseHold(const LeaseHold&) = delete;
        LeaseHold& operator=(const LeaseHold&) = delete;

    private:
        Worker& worker_;
        std::string id_;
        bool held_ = false;
    };
    /// The version a snapshot or split job is about (nullopt: the database did not answer, and
    /// the message comes back after a back-off).
    std::optional<std::optional<catalog::VersionRecord>> VersionOf(const store::QueueMessage& m, const catalog::JobMessage& msg);
    /// A kSplitJob: one split of a version's file; returns the outcome for the metrics.
    const char* ProcessSplit(const store::QueueMessage& m, JobContext& job);
    /// A kSnapshotJob, or a version's job delivered again while its snapshot is being written:
    /// the snapshot of a ready version that has none; returns the outcome for the metrics.
    const char* WriteSnapshot(const store::QueueMessage& m, JobContext& job);
    /// Records how writing a ready version's snapshot ended: stored, to be tried again (the
    /// message comes back), or failed with the reason (the version's insights stay ready).
    const char* SnapshotDone(const store::QueueMessage& m, const catalog::JobMessage& msg, const core::Result<void>& written,
                             const Lease& lease);
    const char* SnapshotOutcome(const store::QueueMessage& m, const catalog::JobMessage& msg,
                                const core::Result<void>& written, const Lease& lease);
    /// Records a failed snapshot; false if that could not be stored (the message comes back).
    bool SnapshotFailed(const catalog::JobMessage& msg, const std::string& reason);
    bool SleepUnlessStopped(int ms);

    store::Database& db_;
    store::ObjectStore& objects_;
    store::JobQueue& queue_;
    store::JobQueue* dead_letters_;
    JobProcessor& processor_;
    core::Metrics& metrics_;
    const core::Clock& clock_;
    WorkerSettings settings_;

    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::string, std::shared_ptr<Lease>> leases_;  // by message id
    std::vector<std::thread> threads_;
    std::function<void(const core::TenantId&, const core::DatasetId&)> on_committing_;
    std::function<void(const core::TenantId&, const core::DatasetId&)> on_ready_;
};

}  // namespace insightstream::worker
