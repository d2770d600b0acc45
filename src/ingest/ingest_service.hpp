// The ingest service: upload endpoints (raw body or multipart, streamed to the object store while
// hashing, never held in memory), dataset records and versions, listing, deletion, and the job
// that announces each new version (through the outbox, in the same transaction).
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <utility>

#include <cstdint>
#include <functional>
#include <string>

#include "catalog/datasets.hpp"
#include "catalog/job_message.hpp"
#include "catalog/upload_splits.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "core/rate_limiter.hpp"
#include "http/router.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"
#include "store/outbox.hpp"

namespace insightstream::ingest {

// The catalog (datasets, versions, the job message) is shared with the worker and analytics.
namespace datasets = catalog::datasets;
using catalog::DatasetJson;
using catalog::DatasetRecord;
using catalog::JobMessage;
using catalog::kProcessTopic;
using catalog::ListCursor;
using catalog::MergeOptions;
using catalog::VersionJson;
using catalog::VersionRecord;
using catalog::VersionStatus;

struct IngestSettings {
    uint64_t max_upload_bytes = 0;      // 0: no limit
    // Per-tenant quotas; 0 disables each.
    uint64_t quota_storage_bytes = 100ULL << 30;
    int64_t quota_datasets = 10'000;
    double quota_uploads_per_minute = 60;
    int max_concurrent_uploads = 256;           // in all; 0: no limit
    int max_concurrent_uploads_per_org = 8;     // per organization; 0: no limit
};


/// Uploads in progress, counted per organization and in all, so that clients who open many and
/// send nothing are refused at once (429 per organization, 503 in all, with Retry-After).
class UploadSlots {
public:
    UploadSlots(int max_total, int max_per_tenant) : max_total_(max_total), max_per_tenant_(max_per_tenant) {}
    /// Held while an upload runs; given back when destroyed.
    class Slot {
    public:
        Slot() = default;
        Slot(UploadSlots* owner, std::string tenant) : owner_(owner), tenant_(std::move(tenant)) {}
        Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), tenant_(std::move(o.tenant_)) {}
        Slot& operator=(Slot&& o) noexcept {
            if (this != &o) {
                if (owner_) owner_->Release(tenant_);
                owner_ = std::exchange(o.owner_, nullptr);
                tenant_ = std::move(o.tenant_);
            }
            return *this;
        }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() {
            if (owner_) owner_->Release(tenant_);
        }

    private:
        UploadSlots* owner_ = nullptr;
        std::string tenant_;
    };
    core::Result<Slot> Acquire(const std::string& tenant);

private:
    void Release(const std::string& tenant);
    std::mutex mutex_;
    int max_total_;
    int max_per_tenant_;
    int total_ = 0;
    std::map<std::string, int> per_tenant_;
};

class IngestService {
public:
    /// Validates the upload's processing options (?types=, ?roles=, ?date_order=, ?decimal=,
    /// ?quoted_newlines=, by name; absent ones are not in the map) into the version's stored options.
    using OptionsParser = std::function<core::Result<std::string>(const std::map<std::string, std::string>& params)>;
    /// The query parameters an OptionsParser reads.
    static constexpr std::array<std::string_view, 5> kOptionParams = {"types", "roles", "date_order", "decimal",
                                                                       "quoted_newlines"};
    IngestService(store::Database& db, store::ObjectStore& objects, store::OutboxRelay& relay,
                  const core::Clock& clock, core::IdSource& ids, core::Metrics& metrics, IngestSettings settings,
                  OptionsParser options_parser);
    void RegisterRoutes(http::Router& router);
    /// Splits each upload while it streams (worker/upload_splits.hpp); unset: never.
    void SplitWhileUploading(catalog::UploadSplitterFactory splitters) { splitters_ = std::move(splitters); }
    /// Called after a dataset was deleted or got a new version.
    void OnChange(std::function<void(const core::TenantId&, const core::DatasetId&)> listener) {
        on_change_ = std::move(listener);
    }

private:
    class UploadBody;
    /// Checks an upload, numbers it and begins its object write; the body goes to the result.
    core::Result<std::unique_ptr<http::BodySink>> StartUpload(http::Request& req, const core::DatasetId* existing);
    core::Result<http::Response> List(http::Request& req);
    core::Result<http::Response> Get(http::Request& req);
    core::Result<http::Response> Delete(http::Request& req);
    core::Result<http::Response> Errors(http::Request& req);
    /// A new version of the dataset from an earlier version's source file, read with changed
    /// column settings (which the dataset remembers for later uploads).
    core::Result<http::Response> Reprocess(http::Request& req);
    /// Checks the tenant's quotas before `incoming` more bytes (and maybe a new dataset) are stored.
    core::Result<void> CheckQuota(const core::TenantId& tenant, uint64_t incoming, bool new_dataset);

    store::Database& db_;
    store::ObjectStore& objects_;
    store::OutboxRelay& relay_;
    const core::Clock& clock_;
    core::IdSource& ids_;
    core::Metrics& metrics_;
    IngestSettings settings_;
    core::RateLimiter uploads_;
    UploadSlots slots_;
    OptionsParser worker_options_;
    std::function<void(const core::TenantId&, const core::DatasetId&)> on_change_;
    catalog::UploadSplitterFactory splitters_;
};


}  // namespace insightstream::ingest
