// The analytics service: the read API over stored insight sets — schema, summary, time series,
// groups, breakdowns (JSON or CSV), live processing events (Server-Sent Events). Answers for a
// dataset version never change: each carries a strong ETag, answers If-None-Match with 304, and
// is kept in a bounded in-process LRU cache keyed by tenant, dataset, version and query.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "analytics/column_cache.hpp"
#include "analytics/queries.hpp"
#include "analytics/result_cache.hpp"
#include "analytics/snapshot_query.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"
#include "catalog/datasets.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"

namespace insightstream::analytics {

struct AnalyticsSettings {
    size_t cache_bytes = 64 << 20;
    int events_poll_ms = 500;
    int events_max_seconds = 3600;
    /// How long the newest ready version of a dataset is remembered, so a cached answer needs no
    /// DB read. Only safe when every change that makes a new version ready or deletes a dataset
    /// calls Invalidate in this process (ingest and worker run here); 0 otherwise, so a second
    /// analytics instance never answers from a version older than the one that is ready.
    int64_t version_memo_ms = 0;
    /// Decoded snapshot columns kept for the next query (see ColumnCache).
    size_t column_cache_bytes = 256 << 20;
    /// Parsed result payloads kept for the next uncached answer (their parsed size, estimated):
    /// half for parsed JSON, half for timeseries read into numbers.
    size_t parsed_cache_bytes = 64 << 20;
    QueryLimits query;
};

class AnalyticsService {
public:
    AnalyticsService(store::Database& db, store::ObjectStore& objects, const core::Clock& clock, core::Metrics& metrics,
                     AnalyticsSettings settings);
    void RegisterRoutes(http::Router& router);
    /// Forgets everything about a dataset (it was deleted, or has a new version).
    void Invalidate(const core::TenantId& tenant, const core::DatasetId& dataset);
    /// A version of the dataset is about to be committed ready: until EndChange its newest version
    /// is read from the database, never from the memo (a read between the commit and the
    /// invalidation would otherwise answer the previous version). Always paired with EndChange.
    void BeginChange(const core::TenantId& tenant, const core::DatasetId& dataset);
    /// The change is committed, or given up: forgets the dataset as Invalidate does.
    void EndChange(const core::TenantId& tenant, const core::DatasetId& dataset);

    struct Context;  // the resolved dataset version of a request

private:
    using Compute = std::function<core::Result<std::pair<std::string, std::string>>(const Context&)>;
    core::Result<http::Response> Serve(http::Request& req, std::string_view kind, const Compute& compute);
    core::Result<http::Response> Events(http::Request& req);
    /// POST .../query: an ad-hoc question over the version's snapshot (see snapshot_query.hpp).
    core::Result<http::Response> Query(http::Request& req);
    class SnapshotColumns;
    /// The version's snapshot; when it has none (processed before snapshots), asks a worker to
    /// write it and answers snapshot-pending.
    core::Result<std::unique_ptr<store::ObjectReader>> OpenSnapshot(const core::TenantId& tenant,
                                                                    const core::DatasetId& dataset,
                                                                    const catalog::VersionRecord& version);
    static constexpr int64_t kBackfillAgainMs = 5 * 60 * 1000;
    /// A snapshot "writing" for longer than this (and four times the analysis) is asked for again.
    static constexpr int64_t kSnapshotStaleMs = 10 * 60 * 1000;
    std::mutex backfill_mutex_;
    std::unordered_map<std::string, int64_t> backfill_asked_;  // version key → when asked (monotonic ms)
    /// GET .../export?format=parquet: the version's snapshot, streamed.
    core::Result<http::Response> Export(http::Request& req);
    /// The version a request asks for (?version=) or the newest ready one; errors when it is
    /// missing or not ready.
    core::Result<catalog::VersionRecord> ResolveVersion(http::Request& req, const core::DatasetId& dataset);
    /// The cached answer of a request, without touching the DB; nullopt when not cached.
    std::optional<http::Response> FastServe(http::Request& req, std::string_view kind);

    // Which version a request without ?version= gets: remembered for version_memo_ms, when this
    // process sees every change itself (see AnalyticsSettings).
    struct VersionInfo {
        int64_t version = 0;
        int64_t rows = 0;
        int64_t ready_at = 0;
        int64_t expires_ms = 0;
    };
    std::optional<VersionInfo> CachedVersion(const std::string& key);
    static std::string AnswerKey(const core::TenantId& tenant, const core::DatasetId& dataset, int64_t version,
                                 std::string_view kind, const http::Request& req);
    static http::Response AnswerResponse(const http::Request& req, const CachedAnswer& cached,
                                         const core::DatasetId& dataset, int64_t version, std::string_view kind);
    std::mutex versions_mutex_;
    std::unordered_map<std::string, VersionInfo> versions_;
    std::unordered_map<std::string, int> changing_;  // datasets between BeginChange and EndChange
    // Bumped by every invalidation: a version read from the database before one is not memoized
    // after it (it may be the one the invalidation is about).
    uint64_t memo_generation_ = 0;

    store::Database& db_;
    store::ObjectStore& objects_;
    const core::Clock& clock_;
    AnalyticsSettings settings_;
    core::Metrics& metrics_;
    ResultCache cache_;
    ColumnCache columns_;
    // Stored result payloads, parsed: a version's payloads never change, and parsing them was most
    // of an uncached answer's cost (a timeseries payload is hundreds of KB of JSON). Same keys as
    // the answers: tenant first.
    LruCache<std::shared_ptr<const boost::json::value>> parsed_;
    // Timeseries payloads read into numbers (DaySeries), same keys; the budget is shared with parsed_.
    LruCache<std::shared_ptr<const DaySeries>> series_;
    // Answers being computed, by answer key: a request that misses the cache while another
    // computes the same answer waits for it instead of computing it again (a cold cache under
    // load made every one of the concurrent requests for a popular answer compute it).
    struct Flight;
    std::mutex flights_mutex_;
    std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

}  // namespace insightstream::analytics
