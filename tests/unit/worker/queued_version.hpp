// What a worker test starts from: a tenant, its dataset, version 1 queued with `file` as its
// source object, and the version's job in the queue; and a worker that only watches the
// dead-letter queue.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string_view>
#include <thread>

#include "catalog/datasets.hpp"
#include "catalog/job_message.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"
#include "store/queue/db/db_job_queue.hpp"
#include "store/queue/job_queue.hpp"
#include "worker/worker.hpp"

namespace insightstream::testing {

inline void QueueVersion(store::Database& db, store::ObjectStore& objects, store::JobQueue& queue, const core::TenantId& tenant,
                         const core::DatasetId& dataset, std::string_view file) {
    const auto source = store::ObjectKey::ForDatasetVersion(tenant, dataset, 1, "source");
    ASSERT_TRUE(db.Transact(tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> core::Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, 'Acme', 1)", {tenant}));
        catalog::DatasetRecord d{dataset, "sales", "csv", 1, std::nullopt, 1, 1, {}};
        IS_TRY_VOID(catalog::datasets::InsertDataset(tx, tenant, d));
        catalog::VersionRecord v;
        v.dataset = dataset;
        v.version = 1;
        v.format = "csv";
        v.status = catalog::VersionStatus::kQueued;
        v.object_key = source.str();
        v.size_bytes = static_cast<int64_t>(file.size());
        return catalog::datasets::InsertVersion(tx, tenant, v);
    }));
    ASSERT_TRUE(objects.PutBytes(source, file));
    ASSERT_TRUE(queue.Send(catalog::JobMessage{tenant, dataset, 1, "t", "r"}.ToJson(), 0));
}

/// Runs a worker whose only work is its dead-letter watcher over `dead` (its job queue is one
/// nobody sends to) until `settled()` or `timeout_ms`, then stops it. A stopped worker interrupts
/// its queues for good: `dead` is of no further use.
inline void WatchDeadLetters(store::Database& db, store::ObjectStore& objects, store::JobQueue& dead,
                             worker::JobProcessor& processor, core::Metrics& metrics, const core::Clock& clock,
                             const std::function<bool()>& settled, int timeout_ms = 5000) {
    store::DbJobQueue idle(db, clock, store::DbQueueSettings{.name = "idle", .dead_letter_name = ""});
    worker::Worker watcher(db, objects, idle, &dead, processor, metrics, clock,
                           worker::WorkerSettings{.poll_wait_ms = 50, .dead_letter_poll_s = 1});
    watcher.Start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!settled() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    watcher.Stop();
}

}  // namespace insightstream::testing
