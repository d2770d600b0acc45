// Data access for datasets and their versions. Every function takes the caller's TenantId and
// filters on it, on top of PostgreSQL's row-level security; another tenant's id finds nothing.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"

namespace insightstream::catalog {

using core::Result;

/// Where a version is in its life: queued → processing → ready | failed (stored as its name).
enum class VersionStatus { kQueued, kProcessing, kReady, kFailed };
const char* StatusName(VersionStatus s);
/// The status stored in the database; an unknown name reads as failed (never as ready).
VersionStatus ParseStatus(std::string_view name);

/// A ready version's columnar snapshot (what exports and queries read), written right after the
/// version is ready: kNone before that (and for a version that is not ready).
enum class SnapshotStatus { kNone, kWriting, kReady, kFailed };
const char* SnapshotStatusName(SnapshotStatus s);  // "writing", "ready", "failed"; "" for kNone

struct VersionRecord {
    core::DatasetId dataset;
    int64_t version = 0;
    std::string format;
    VersionStatus status = VersionStatus::kQueued;
    std::string object_key;
    int64_t size_bytes = 0;
    std::string sha256;
    std::string options = "{}";
    int64_t bytes_done = 0;
    int64_t rows_done = 0;
    std::optional<int64_t> rows_total;
    std::optional<int64_t> rows_rejected;
    std::optional<std::string> error;
    int64_t attempts = 0;
    int64_t created_at = 0;
    std::optional<int64_t> started_at;
    std::optional<int64_t> progress_at;
    std::optional<int64_t> ready_at;
    std::optional<int64_t> invalid_values;
    std::optional<int64_t> issues;
    std::optional<int64_t> source_version;  // reprocessed from this version's source file
    SnapshotStatus snapshot = SnapshotStatus::kNone;
    std::optional<std::string> snapshot_error;  // why it failed (kFailed)
};

struct DatasetRecord {
    core::DatasetId id;
    std::string name;
    std::string format;
    int64_t latest_version = 0;
    std::optional<std::string> created_by;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    std::string column_options = "{}";  // remembered for later versions (see MergeOptions)
    VersionRecord latest;
};

struct ListCursor {
    int64_t created_at = 0;
    std::string id;
    [[nodiscard]] std::string Encode() const;
    static std::optional<ListCursor> Decode(std::string_view text);
};

namespace datasets {

Result<std::optional<DatasetRecord>> Find(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id);
/// Newest first; `after` continues a previous page.
Result<std::vector<DatasetRecord>> List(store::Tx& tx, const core::TenantId& tenant, int limit,
                                        const std::optional<ListCursor>& after);
Result<std::optional<VersionRecord>> FindVersion(store::Tx& tx, const core::TenantId& tenant,
                                                 const core::DatasetId& id, int64_t version);
/// The newest version that is ready, if any.
Result<std::optional<VersionRecord>> LatestReadyVersion(store::Tx& tx, const core::TenantId& tenant,
                                                        const core::DatasetId& id);
Result<bool> Exists(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id);
Result<void> InsertDataset(store::Tx& tx, const core::TenantId& tenant, const DatasetRecord& d);
Result<void> InsertVersion(store::Tx& tx, const core::TenantId& tenant, const VersionRecord& v);
/// Hands out the next version number of an existing dataset; NotFound if it does not exist.
Result<int64_t> ReserveVersion(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t now);
/// Makes `version` the latest if it is newer than the current latest.
Result<void> PromoteVersion(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                            int64_t now);
/// Remembers column settings for the dataset's later versions.
Result<void> SetColumnOptions(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id,
                              const std::string& options);
/// Removes the dataset with its versions; false if there was none.
Result<bool> Delete(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id);

// Worker state transitions; each answers false when the version no longer exists (deleted).
/// Starts an attempt; returns its number (the fencing token for MarkReady, MarkFailed and
/// Requeue), 0 when the version is gone or already ready (a duplicate delivery).
Result<int64_t> MarkProcessing(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                               int64_t now);
Result<bool> UpdateProgress(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                            int64_t bytes_done, int64_t rows_done, int64_t now);
/// Its snapshot is kWriting from then on (the version's job writes it next).
/// With `attempt` > 0, only that attempt may commit: false when the version is gone or another
/// attempt has started since (the queue redelivered the job: this worker lost its lease), so a
/// job is never committed twice even where the queue cannot tell a stale receipt.
Result<bool> MarkReady(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                       int64_t rows, int64_t rows_rejected, int64_t now, int64_t invalid_values = 0,
                       int64_t issues = 0, int64_t attempt = 0);
/// The snapshot of a ready version: kReady once stored, kFailed with the reason (only while it is
/// kWriting: one stored by another delivery stays kReady); false when nothing changed (the
/// version is gone or not ready, or the snapshot not being written).
Result<bool> MarkSnapshot(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                          SnapshotStatus status, std::optional<std::string> error = std::nullopt);
/// With `attempt` > 0, only while that attempt is the latest.
Result<bool> MarkFailed(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                        std::string_view error, int64_t now, int64_t attempt = 0);
/// Hands a version that `attempt` was processing back to the queue (`error`, when given, says why
/// the attempt failed); false when another attempt has started since.
Result<bool> Requeue(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                     std::optional<std::string> error, int64_t attempt);

}  // namespace datasets

/// Version options (JSON objects as stored) with `overlay` on top: its types and roles per column,
/// its date_order, decimal and quoted_newlines where it has them.
std::string MergeOptions(std::string_view base, std::string_view overlay);

/// The API representation of a dataset (its latest version's state and progress).
boost::json::object DatasetJson(const DatasetRecord& d, int64_t now_ms);
boost::json::object VersionJson(const VersionRecord& v, int64_t now_ms);

/// A version's computed answers (schema, summary, series, groups…), written by the worker in its
/// commit transaction and read by analytics.
struct ResultPayload {
    std::string kind;
    std::string name;  // "" for one-of-a-kind results
    std::string payload;
};

namespace results {
/// Replaces every result of the version with `items`.
Result<void> Replace(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                     const std::vector<ResultPayload>& items, int64_t now);
Result<std::optional<std::string>> Get(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id,
                                       int64_t version, std::string_view kind, std::string_view name);
}  // namespace results

/// Where a version's columnar snapshot (Apache Parquet, see engine/snapshot.hpp) is stored:
/// beside its source, under the tenant's prefix.
inline store::ObjectKey SnapshotKey(const core::TenantId& tenant, const core::DatasetId& dataset, int64_t version) {
    return store::ObjectKey::ForDatasetVersion(tenant, dataset, version, "snapshot.parquet");
}

}  // namespace insightstream::catalog
