#include "store/outbox.hpp"

#include <algorithm>

#include "core/crypto.hpp"
#include "core/log.hpp"

namespace insightstream::store {

Result<std::string> OutboxAdd(Tx& tx, const core::TenantId& tenant, std::string_view topic, std::string_view body,
                              int64_t now_ms) {
    std::string id = "obx_" + core::RandomToken(15);
    IS_TRY_VOID(tx.Exec("INSERT INTO outbox (id, tenant_id, topic, body, created_at) VALUES ($1, $2, $3, $4, $5)",
                        {id, tenant, topic, body, now_ms}));
    return id;
}

OutboxRelay::OutboxRelay(Database& db, JobQueue& queue, const core::Clock& clock)
    : db_(db), queue_(queue), clock_(clock) {}

OutboxRelay::~OutboxRelay() { Stop(); }

Result<void> OutboxRelay::Publish(const std::string& outbox_id) {
    IS_TRY(auto rows, TransactSystemValue(db_, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT body FROM outbox WHERE id = $1", {outbox_id});
           }));
    if (rows.rows.empty()) return {};  // already relayed
    IS_TRY_VOID(queue_.Send(rows.rows[0].Text(0), 0));
    return db_.TransactSystem(TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("DELETE FROM outbox WHERE id = $1", {outbox_id}));
        return {};
    });
}

Result<int> OutboxRelay::RelayPending(int64_t min_age_ms) {
    int64_t cutoff = clock_.NowMs() - min_age_ms;
    IS_TRY(auto rows, TransactSystemValue(db_, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT id FROM outbox WHERE created_at <= $1 ORDER BY created_at LIMIT 100", {cutoff});
           }));
    int sent = 0;
    for (const auto& row : rows.rows) {
        if (Stopping()) break;
        IS_TRY_VOID(Publish(row.Text(0)));
        ++sent;
    }
    if (sent > 0) core::Log(core::LogLevel::kInfo, "outbox.relayed", "re-sent messages left in the outbox", {{"count", sent}});
    return sent;
}

void OutboxRelay::PublishSoon(const std::string& outbox_id) {
    {
        std::scoped_lock lock(mutex_);
        if (running_ && !stop_) {
            soon_.push_back(outbox_id);
            cv_.notify_all();
            return;
        }
    }
    PublishOrDefer(outbox_id);
}

void OutboxRelay::PublishOrDefer(const std::string& outbox_id) {
    // The queue is down: the periodic sweep sends it once it is back.
    if (auto sent = Publish(outbox_id); !sent) {
        core::Log(core::LogLevel::kWarn, "outbox.publish_deferred", sent.error().ToString(), {{"outbox_id", outbox_id}});
    }
}

void OutboxRelay::Start(int interval_ms, int64_t min_age_ms) {
    {
        std::scoped_lock lock(mutex_);
        running_ = true;
    }
    thread_ = std::thread([this, interval_ms, min_age_ms] {
        std::unique_lock lock(mutex_);
        int64_t next_sweep = 0;
        while (!stop_) {
            std::vector<std::string> now_ids;
            now_ids.swap(soon_);
            lock.unlock();
            for (const auto& id : now_ids) {
                if (Stopping()) break;  // durable in the outbox: the next start sends it
                PublishOrDefer(id);
            }
            if (!Stopping() && core::MonotonicMs() >= next_sweep) {
                auto r = RelayPending(min_age_ms);
                if (!r) core::Log(core::LogLevel::kWarn, "outbox.relay_failed", r.error().ToString());
                next_sweep = core::MonotonicMs() + interval_ms;
            }
            lock.lock();
            cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(1, next_sweep - core::MonotonicMs())),
                         [&] { return stop_ || !soon_.empty(); });
        }
        running_ = false;
    });
}

bool OutboxRelay::Stopping() {
    std::scoped_lock lock(mutex_);
    return stop_;
}

void OutboxRelay::Stop() {
    {
        std::scoped_lock lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

}  // namespace insightstream::store
