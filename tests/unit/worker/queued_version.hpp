// What a worker test starts from: a tenant, its dataset, version 1 queued with `file` as its
// source object, and the version's job in the queue.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "catalog/datasets.hpp"
#include "catalog/job_message.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"
#include "store/queue/job_queue.hpp"

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

}  // namespace insightstream::testing
