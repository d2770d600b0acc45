#include "catalog/datasets.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/clock.hpp"
#include "core/crypto.hpp"

namespace insightstream::catalog {

using core::Error;
namespace json = boost::json;

const char* StatusName(VersionStatus s) {
    switch (s) {
        case VersionStatus::kQueued: return "queued";
        case VersionStatus::kProcessing: return "processing";
        case VersionStatus::kReady: return "ready";
        case VersionStatus::kFailed: return "failed";
    }
    return "queued";
}

const char* SnapshotStatusName(SnapshotStatus s) {
    switch (s) {
        case SnapshotStatus::kNone: return "";
        case SnapshotStatus::kWriting: return "writing";
        case SnapshotStatus::kReady: return "ready";
        case SnapshotStatus::kFailed: return "failed";
    }
    return "";
}

VersionStatus ParseStatus(std::string_view name) {
    if (name == "queued") return VersionStatus::kQueued;
    if (name == "processing") return VersionStatus::kProcessing;
    if (name == "ready") return VersionStatus::kReady;
    return VersionStatus::kFailed;
}

std::string ListCursor::Encode() const { return core::Base64UrlEncode(std::to_string(created_at) + ":" + id); }

std::optional<ListCursor> ListCursor::Decode(std::string_view text) {
    auto raw = core::Base64UrlDecode(text);
    if (!raw) return std::nullopt;
    size_t colon = raw->find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    ListCursor c;
    char* end = nullptr;
    std::string num = raw->substr(0, colon);
    c.created_at = std::strtoll(num.c_str(), &end, 10);
    if (end == nullptr || *end != '\0') return std::nullopt;
    c.id = raw->substr(colon + 1);
    if (!core::IsValidId(c.id)) return std::nullopt;
    return c;
}

namespace {

constexpr const char* kVersionColumns =
    "v.dataset_id, v.version, v.format, v.status, v.object_key, v.size_bytes, v.sha256, v.options, v.bytes_done, "
    "v.rows_done, v.rows_total, v.rows_rejected, v.error, v.attempts, v.created_at, v.started_at, v.progress_at, "
    "v.ready_at, v.invalid_values, v.issues, v.source_version, v.snapshot_status, v.snapshot_error";

VersionRecord ReadVersion(const store::Row& r, size_t o) {
    VersionRecord v;
    v.dataset = core::DatasetId(r.Text(o + 0));
    v.version = r.Int(o + 1);
    v.format = r.Text(o + 2);
    v.status = ParseStatus(r.Text(o + 3));
    v.object_key = r.Text(o + 4);
    v.size_bytes = r.Int(o + 5);
    v.sha256 = r.Text(o + 6);
    v.options = r.Text(o + 7);
    v.bytes_done = r.Int(o + 8);
    v.rows_done = r.Int(o + 9);
    v.rows_total = r.OptInt(o + 10);
    v.rows_rejected = r.OptInt(o + 11);
    v.error = r.OptText(o + 12);
    v.attempts = r.Int(o + 13);
    v.created_at = r.Int(o + 14);
    v.started_at = r.OptInt(o + 15);
    v.progress_at = r.OptInt(o + 16);
    v.ready_at = r.OptInt(o + 17);
    v.invalid_values = r.OptInt(o + 18);
    v.issues = r.OptInt(o + 19);
    v.source_version = r.OptInt(o + 20);
    if (v.status == VersionStatus::kReady) {
        auto snapshot = r.OptText(o + 21);
        // Unknown or missing reads as ready: the object decides then (see AnalyticsService::OpenSnapshot).
        v.snapshot = !snapshot || *snapshot == "ready" ? SnapshotStatus::kReady
                     : *snapshot == "writing"          ? SnapshotStatus::kWriting
                     : *snapshot == "failed"           ? SnapshotStatus::kFailed
                                                       : SnapshotStatus::kReady;
        v.snapshot_error = r.OptText(o + 22);
    }
    return v;
}

std::string DatasetSelect() {
    return std::string("SELECT d.id, d.name, d.format, d.latest_version, d.created_by, d.created_at, d.updated_at, "
                       "d.column_options, ") +
           kVersionColumns +
           " FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = d.latest_version "
           "AND v.tenant_id = d.tenant_id WHERE d.tenant_id = $1";
}

DatasetRecord ReadDataset(const store::Row& r) {
    DatasetRecord d;
    d.id = core::DatasetId(r.Text(0));
    d.name = r.Text(1);
    d.format = r.Text(2);
    d.latest_version = r.Int(3);
    d.created_by = r.OptText(4);
    d.created_at = r.Int(5);
    d.updated_at = r.Int(6);
    d.column_options = r.Text(7);
    d.latest = ReadVersion(r, 8);
    return d;
}

}  // namespace

namespace datasets {

Result<std::optional<DatasetRecord>> Find(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id) {
    IS_TRY(auto r, tx.Exec(DatasetSelect() + " AND d.id = $2", {tenant, id}));
    if (r.rows.empty()) return std::optional<DatasetRecord>();
    return std::optional<DatasetRecord>(ReadDataset(r.rows[0]));
}

Result<std::vector<DatasetRecord>> List(store::Tx& tx, const core::TenantId& tenant, int limit,
                                        const std::optional<ListCursor>& after) {
    std::string sql = DatasetSelect();
    std::vector<store::Param> params{tenant, int64_t{limit}};
    if (after) {
        sql += " AND (d.created_at < $3 OR (d.created_at = $3 AND d.id < $4))";
        params.emplace_back(after->created_at);
        params.emplace_back(after->id);
    }
    sql += " ORDER BY d.created_at DESC, d.id DESC LIMIT $2";
    IS_TRY(auto r, tx.Exec(sql, params));
    std::vector<DatasetRecord> out;
    out.reserve(r.rows.size());
    for (const auto& row : r.rows) out.push_back(ReadDataset(row));
    return out;
}

Result<std::optional<VersionRecord>> FindVersion(store::Tx& tx, const core::TenantId& tenant,
                                                 const core::DatasetId& id, int64_t version) {
    IS_TRY(auto r, tx.Exec(std::string("SELECT ") + kVersionColumns +
                               " FROM dataset_versions v WHERE v.tenant_id = $1 AND v.dataset_id = $2 AND v.version = $3",
                           {tenant, id, version}));
    if (r.rows.empty()) return std::optional<VersionRecord>();
    return std::optional<VersionRecord>(ReadVersion(r.rows[0], 0));
}

Result<std::optional<VersionRecord>> LatestReadyVersion(store::Tx& tx, const core::TenantId& tenant,
                                                        const core::DatasetId& id) {
    IS_TRY(auto r, tx.Exec(std::string("SELECT ") + kVersionColumns +
                               " FROM dataset_versions v WHERE v.tenant_id = $1 AND v.dataset_id = $2 AND "
                               "v.status = 'ready' ORDER BY v.version DESC LIMIT 1",
                           {tenant, id}));
    if (r.rows.empty()) return std::optional<VersionRecord>();
    return std::optional<VersionRecord>(ReadVersion(r.rows[0], 0));
}

Result<bool> Exists(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id) {
    IS_TRY(auto r, tx.Exec("SELECT 1 FROM datasets WHERE tenant_id = $1 AND id = $2", {tenant, id}));
    return !r.rows.empty();
}

Result<void> InsertDataset(store::Tx& tx, const core::TenantId& tenant, const DatasetRecord& d) {
    IS_TRY_VOID(tx.Exec(
        "INSERT INTO datasets (id, tenant_id, name, format, latest_version, version_seq, created_by, created_at, "
        "updated_at, column_options) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9)",
        {d.id, tenant, d.name, d.format, d.latest_version, d.created_by, d.created_at, d.updated_at, d.column_options}));
    return {};
}

Result<void> InsertVersion(store::Tx& tx, const core::TenantId& tenant, const VersionRecord& v) {
    IS_TRY_VOID(tx.Exec(
        "INSERT INTO dataset_versions (tenant_id, dataset_id, version, format, status, object_key, size_bytes, sha256, "
        "options, bytes_done, rows_done, created_at, source_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0, "
        "$10, $11)",
        {tenant, v.dataset, v.version, v.format, StatusName(v.status), v.object_key, v.size_bytes, v.sha256, v.options,
         v.created_at, v.source_version}));
    return {};
}

Result<int64_t> ReserveVersion(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t now) {
    IS_TRY(auto r, tx.Exec("UPDATE datasets SET version_seq = version_seq + 1, updated_at = $3 "
                           "WHERE tenant_id = $1 AND id = $2 RETURNING version_seq",
                           {tenant, id, now}));
    if (r.rows.empty()) return Error::NotFound("dataset not found");
    return r.rows[0].Int(0);
}

Result<void> PromoteVersion(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                            int64_t now) {
    IS_TRY(auto r, tx.Exec("UPDATE datasets SET latest_version = $3, updated_at = $4 "
                           "WHERE tenant_id = $1 AND id = $2 AND latest_version < $3",
                           {tenant, id, version, now}));
    (void)r;
    return {};
}

Result<void> SetColumnOptions(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id,
                              const std::string& options) {
    IS_TRY_VOID(tx.Exec("UPDATE datasets SET column_options = $3 WHERE tenant_id = $1 AND id = $2", {tenant, id, options}));
    return {};
}

Result<bool> Delete(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id) {
    IS_TRY_VOID(tx.Exec("DELETE FROM dataset_results WHERE tenant_id = $1 AND dataset_id = $2", {tenant, id}));
    IS_TRY_VOID(tx.Exec("DELETE FROM dataset_versions WHERE tenant_id = $1 AND dataset_id = $2", {tenant, id}));
    IS_TRY(auto r, tx.Exec("DELETE FROM datasets WHERE tenant_id = $1 AND id = $2", {tenant, id}));
    return r.affected > 0;
}

Result<int64_t> MarkProcessing(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                               int64_t now) {
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET status = 'processing', attempts = attempts + 1, "
                           "bytes_done = 0, rows_done = 0, started_at = $4, progress_at = $4, error = NULL "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 AND status <> 'ready' "
                           "RETURNING attempts",
                           {tenant, id, version, now}));
    return r.rows.empty() ? int64_t{0} : r.rows[0].Int(0);
}

Result<bool> UpdateProgress(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                            int64_t bytes_done, int64_t rows_done, int64_t now) {
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET bytes_done = $4, rows_done = $5, progress_at = $6 "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 AND status = 'processing'",
                           {tenant, id, version, bytes_done, rows_done, now}));
    return r.affected > 0;
}

Result<bool> MarkReady(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                       int64_t rows, int64_t rows_rejected, int64_t now, int64_t invalid_values, int64_t issues,
                       int64_t attempt) {
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET status = 'ready', rows_total = $4, rows_rejected = $5, "
                           "rows_done = $4, bytes_done = size_bytes, ready_at = $6, progress_at = $6, error = NULL, "
                           "invalid_values = $7, issues = $8, snapshot_status = 'writing', snapshot_error = NULL "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 "
                           "AND ($9 = 0 OR (attempts = $9 AND status = 'processing'))",
                           {tenant, id, version, rows, rows_rejected, now, invalid_values, issues, attempt}));
    return r.affected > 0;
}

Result<bool> MarkSnapshot(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                          SnapshotStatus status, std::optional<std::string> error) {
    // Failed only while being written: a snapshot another delivery stored stays ready.
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET snapshot_status = $4, snapshot_error = $5 "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 AND status = 'ready' "
                           "AND ($4 <> 'failed' OR snapshot_status = 'writing')",
                           {tenant, id, version, SnapshotStatusName(status),
                            error ? store::Param(*error) : store::Param(nullptr)}));
    return r.affected > 0;
}

Result<bool> MarkFailed(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                        std::string_view error, int64_t now, int64_t attempt) {
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET status = 'failed', error = $4, progress_at = $5 "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 AND status <> 'ready' "
                           "AND ($6 = 0 OR attempts = $6)",
                           {tenant, id, version, error, now, attempt}));
    return r.affected > 0;
}

Result<bool> Requeue(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                     std::optional<std::string> error, int64_t attempt) {
    IS_TRY(auto r, tx.Exec("UPDATE dataset_versions SET status = 'queued', error = COALESCE($4, error) "
                           "WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3 AND status = 'processing' "
                           "AND attempts = $5",
                           {tenant, id, version, error ? store::Param(*error) : store::Param(nullptr), attempt}));
    return r.affected > 0;
}

}  // namespace datasets

namespace {
json::value OptTime(const std::optional<int64_t>& ms) {
    if (!ms) return nullptr;
    return json::value(core::FormatRfc3339(*ms));
}
json::value OptInt(const std::optional<int64_t>& v) {
    if (!v) return nullptr;
    return json::value(*v);
}
}  // namespace

json::object VersionJson(const VersionRecord& v, int64_t now_ms) {
    int64_t total = v.size_bytes;
    int64_t done = v.status == VersionStatus::kReady ? total : std::min(v.bytes_done, total);
    double percent = total > 0 ? std::floor(1000.0 * static_cast<double>(done) / static_cast<double>(total)) / 10.0
                               : (v.status == VersionStatus::kReady ? 100.0 : 0.0);
    json::value eta = nullptr;
    if (v.status == VersionStatus::kProcessing && v.started_at && done > 0 && done < total) {
        double elapsed = static_cast<double>(now_ms - *v.started_at) / 1000.0;
        eta = std::round(elapsed * static_cast<double>(total - done) / static_cast<double>(done));
    } else if (v.status == VersionStatus::kReady) {
        eta = 0;
    }
    json::object progress{{"bytes_done", done},
                          {"bytes_total", total},
                          {"rows", v.status == VersionStatus::kReady && v.rows_total ? *v.rows_total : v.rows_done},
                          {"percent", std::floor(percent) == percent ? json::value(static_cast<int64_t>(percent))
                                                                     : json::value(percent)},
                          {"eta_seconds", eta}};
    return json::object{{"version", v.version},
                        {"format", v.format},
                        {"status", StatusName(v.status)},
                        {"progress", std::move(progress)},
                        {"size_bytes", v.size_bytes},
                        {"sha256", v.sha256},
                        {"rows", OptInt(v.rows_total)},
                        {"rows_rejected", OptInt(v.rows_rejected)},
                        {"invalid_values", OptInt(v.invalid_values)},
                        {"issues", OptInt(v.issues)},
                        {"options", [&]() -> json::value {
                             boost::system::error_code ec;
                             auto o = json::parse(v.options, ec);
                             return ec ? json::value(json::object()) : o;
                         }()},
                        {"error", v.error ? json::value(*v.error) : json::value(nullptr)},
                        {"reprocessed_from", OptInt(v.source_version)},
                        {"attempts", v.attempts},
                        {"created_at", core::FormatRfc3339(v.created_at)},
                        {"started_at", OptTime(v.started_at)},
                        {"ready_at", OptTime(v.ready_at)},
                        {"snapshot", v.status != VersionStatus::kReady
                                         ? json::value(nullptr)
                                         : json::value(json::object{
                                               {"status", SnapshotStatusName(v.snapshot)},
                                               {"error", v.snapshot_error ? json::value(*v.snapshot_error)
                                                                          : json::value(nullptr)}})}};
}

std::string MergeOptions(std::string_view base, std::string_view overlay) {
    auto parse = [](std::string_view text) {
        boost::system::error_code ec;
        auto v = json::parse(text, ec);
        return ec || !v.is_object() ? json::object() : v.as_object();
    };
    json::object out = parse(base);
    for (const auto& [key, value] : parse(overlay)) {
        if ((key == "types" || key == "roles") && value.is_object()) {
            auto* mine = out.if_contains(key);
            if (!mine || !mine->is_object()) {
                out[key] = value;
                continue;
            }
            for (const auto& [column, v] : value.as_object()) mine->as_object()[column] = v;
        } else {
            out[key] = value;
        }
    }
    return json::serialize(out);
}

json::object DatasetJson(const DatasetRecord& d, int64_t now_ms) {
    json::object o = VersionJson(d.latest, now_ms);
    o["id"] = d.id.str();
    o["name"] = d.name;
    o["created_at"] = core::FormatRfc3339(d.created_at);
    o["updated_at"] = core::FormatRfc3339(d.updated_at);
    boost::system::error_code ec;
    auto remembered = json::parse(d.column_options, ec);
    o["column_options"] = ec || !remembered.is_object() ? json::value(json::object()) : remembered;
    return o;
}

namespace results {

Result<void> Replace(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id, int64_t version,
                     const std::vector<ResultPayload>& items, int64_t now) {
    IS_TRY_VOID(tx.Exec("DELETE FROM dataset_results WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3",
                        {tenant, id, version}));
    for (const auto& item : items) {
        IS_TRY_VOID(tx.Exec("INSERT INTO dataset_results (tenant_id, dataset_id, version, kind, name, payload, "
                            "computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            {tenant, id, version, item.kind, item.name, item.payload, now}));
    }
    return {};
}

Result<std::optional<std::string>> Get(store::Tx& tx, const core::TenantId& tenant, const core::DatasetId& id,
                                       int64_t version, std::string_view kind, std::string_view name) {
    IS_TRY(auto r, tx.Exec("SELECT payload FROM dataset_results WHERE tenant_id = $1 AND dataset_id = $2 AND "
                           "version = $3 AND kind = $4 AND name = $5",
                           {tenant, id, version, kind, name}));
    if (r.rows.empty()) return std::optional<std::string>();
    return std::optional<std::string>(r.rows[0].Text(0));
}

}  // namespace results

}  // namespace insightstream::catalog
