#include "store/queue/db/db_job_queue.hpp"

#include <chrono>

#include "core/crypto.hpp"

namespace insightstream::store {

using core::Error;

DbJobQueue::DbJobQueue(Database& db, const core::Clock& clock, DbQueueSettings settings)
    : db_(db), clock_(clock), settings_(std::move(settings)) {}

Result<std::string> DbJobQueue::SendInTx(Tx& tx, std::string_view queue, std::string_view body,
                                         int64_t visible_at_ms, int64_t now_ms) {
    std::string id = "msg_" + core::RandomToken(15);
    IS_TRY_VOID(tx.Exec(
        "INSERT INTO queue_messages (id, queue, body, sent_at, visible_at, receive_count) VALUES ($1, $2, $3, $4, $5, 0)",
        {id, queue, body, now_ms, visible_at_ms}));
    return id;
}

Result<std::string> DbJobQueue::Send(std::string_view body, int delay_s) {
    int64_t now = clock_.NowMs();
    IS_TRY(auto id, TransactSystemValue(db_, TxMode::kWrite, [&](Tx& tx) {
               return SendInTx(tx, settings_.name, body, now + int64_t{delay_s} * 1000, now);
           }));
    {
        std::scoped_lock lock(mutex_);
        ++send_seq_;
    }
    sent_.notify_all();
    return id;
}

Result<std::vector<QueueMessage>> DbJobQueue::TryReceive(int max_messages, int visibility_s) {
    int64_t now = clock_.NowMs();
    return TransactSystemValue(db_, TxMode::kWrite, [&](Tx& tx) -> Result<std::vector<QueueMessage>> {
        std::string select =
            "SELECT id, body, receive_count, sent_at FROM queue_messages WHERE queue = $1 AND visible_at <= $2 "
            "ORDER BY visible_at, id LIMIT $3";
        if (tx.dialect() == Dialect::kPostgres) select += " FOR UPDATE SKIP LOCKED";
        std::vector<QueueMessage> out;
        // Dead-lettered rows do not count toward the batch, so loop until the batch is full or empty.
        for (int round = 0; round < 4 && static_cast<int>(out.size()) < max_messages; ++round) {
            IS_TRY(auto rows, tx.Exec(select, {settings_.name, now, int64_t{max_messages} - int64_t(out.size())}));
            if (rows.rows.empty()) break;
            for (const auto& row : rows.rows) {
                std::string id = row.Text(0);
                int count = static_cast<int>(row.Int(2));
                if (!settings_.dead_letter_name.empty() && count >= settings_.max_receives) {
                    IS_TRY_VOID(tx.Exec(
                        "UPDATE queue_messages SET queue = $1, visible_at = $2, receive_count = 0, receipt = NULL "
                        "WHERE id = $3",
                        {settings_.dead_letter_name, now, id}));
                    continue;
                }
                std::string receipt = id + "." + core::RandomToken(15);
                IS_TRY_VOID(tx.Exec(
                    "UPDATE queue_messages SET receive_count = receive_count + 1, receipt = $1, visible_at = $2 "
                    "WHERE id = $3",
                    {receipt, now + int64_t{visibility_s} * 1000, id}));
                out.push_back(QueueMessage{id, receipt, row.Text(1), count + 1, row.Int(3)});
            }
        }
        return out;
    });
}

Result<std::vector<QueueMessage>> DbJobQueue::Receive(int max_messages, int visibility_s, int wait_ms) {
    if (max_messages < 1 || max_messages > 10) return Error::InvalidArgument("max_messages must be 1..10");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        uint64_t seq;
        {
            std::scoped_lock lock(mutex_);
            if (interrupted_) return std::vector<QueueMessage>{};
            seq = send_seq_;
        }
        IS_TRY(auto got, TryReceive(max_messages, visibility_s));
        if (!got.empty() || std::chrono::steady_clock::now() >= deadline) return got;
        std::unique_lock lock(mutex_);
        auto until = std::min(deadline, std::chrono::steady_clock::now() +
                                            std::chrono::milliseconds(settings_.poll_interval_ms));
        sent_.wait_until(lock, until, [&] { return send_seq_ != seq || interrupted_; });
    }
}

void DbJobQueue::Interrupt() {
    {
        std::scoped_lock lock(mutex_);
        interrupted_ = true;
    }
    sent_.notify_all();
}

Result<void> DbJobQueue::ChangeVisibility(const std::string& receipt, int visibility_s) {
    int64_t now = clock_.NowMs();
    return db_.TransactSystem(TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(auto r, tx.Exec("UPDATE queue_messages SET visible_at = $1 WHERE receipt = $2 AND queue = $3",
                               {now + int64_t{visibility_s} * 1000, receipt, settings_.name}));
        if (r.affected == 0) return Error::NotFound("receipt is stale").WithSlug("stale-receipt");
        return {};
    });
}

Result<void> DbJobQueue::Delete(const std::string& receipt) {
    return db_.TransactSystem(TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(auto r, tx.Exec("DELETE FROM queue_messages WHERE receipt = $1 AND queue = $2", {receipt, settings_.name}));
        if (r.affected == 0) return Error::NotFound("receipt is stale").WithSlug("stale-receipt");
        return {};
    });
}

Result<int64_t> DbJobQueue::Depth() {
    return TransactSystemValue(db_, TxMode::kRead, [&](Tx& tx) -> Result<int64_t> {
        IS_TRY(auto r, tx.Exec("SELECT COUNT(*) FROM queue_messages WHERE queue = $1", {settings_.name}));
        return r.rows.at(0).Int(0);
    });
}

Result<void> DbJobQueue::Ping() { return db_.Ping(); }

}  // namespace insightstream::store
