// The embedded job queue: a table in the metadata DB. Receive claims rows atomically (on
// PostgreSQL with FOR UPDATE SKIP LOCKED, on SQLite under the single-writer lock), so several
// workers and processes can share it. A message received max_receives times moves to the
// dead-letter queue (another queue name in the same table) on its next receive, as SQS does.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "store/db/database.hpp"
#include "store/queue/job_queue.hpp"

namespace insightstream::store {

struct DbQueueSettings {
    std::string name = "jobs";
    std::string dead_letter_name = "jobs-dlq";  // empty: never dead-letter
    int max_receives = 5;
    int poll_interval_ms = 200;
};

class DbJobQueue final : public JobQueue {
public:
    DbJobQueue(Database& db, const core::Clock& clock, DbQueueSettings settings);

    Result<std::string> Send(std::string_view body, int delay_s) override;
    Result<std::vector<QueueMessage>> Receive(int max_messages, int visibility_s, int wait_ms) override;
    Result<void> ChangeVisibility(const std::string& receipt, int visibility_s) override;
    Result<void> Delete(const std::string& receipt) override;
    Result<int64_t> Depth() override;
    Result<void> Ping() override;
    void Interrupt() override;

    /// Sends inside a caller's transaction (used by the outbox relay on the same DB).
    static Result<std::string> SendInTx(Tx& tx, std::string_view queue, std::string_view body, int64_t visible_at_ms,
                                        int64_t now_ms);

private:
    Result<std::vector<QueueMessage>> TryReceive(int max_messages, int visibility_s);

    Database& db_;
    const core::Clock& clock_;
    DbQueueSettings settings_;
    std::mutex mutex_;
    std::condition_variable sent_;  // wakes in-process long polls early
    uint64_t send_seq_ = 0;
    bool interrupted_ = false;
};

}  // namespace insightstream::store
