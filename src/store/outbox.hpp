// The transactional outbox. A message is written in the same DB transaction as the state it
// announces (e.g. a new dataset version), then handed to the queue right after commit — by the
// relay's thread, so the request that committed never waits for the queue (an SQS outage costs
// an upload nothing) — and the relay re-sends whatever a failure or a crash left behind. Delivery is at least once, so consumers are idempotent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/db/database.hpp"
#include "store/queue/job_queue.hpp"

namespace insightstream::store {

/// Inserts a message into the outbox inside `tx`; returns its id.
Result<std::string> OutboxAdd(Tx& tx, const core::TenantId& tenant, std::string_view topic, std::string_view body,
                              int64_t now_ms);

class OutboxRelay {
public:
    OutboxRelay(Database& db, JobQueue& queue, const core::Clock& clock);
    ~OutboxRelay();
    /// Sends one committed message now and removes it from the outbox.
    Result<void> Publish(const std::string& outbox_id);
    /// Hands a committed message to the relay's thread to send at once, without waiting for it
    /// (synchronously when the thread is not running). A failure leaves it to the periodic relay.
    void PublishSoon(const std::string& outbox_id);
    /// Sends every message older than `min_age_ms`; returns how many were sent.
    Result<int> RelayPending(int64_t min_age_ms);
    /// Runs RelayPending every `interval_ms` on a thread until Stop().
    void Start(int interval_ms, int64_t min_age_ms);
    void Stop();

private:
    bool Stopping();
    void PublishOrDefer(const std::string& outbox_id);

    Database& db_;
    JobQueue& queue_;
    const core::Clock& clock_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool running_ = false;
    std::vector<std::string> soon_;  // committed messages to send now
};

}  // namespace insightstream::store
