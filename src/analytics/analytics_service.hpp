// The analytics service: the read API over stored insight sets — schema, summary, time series,
// groups, breakdowns (JSON or CSV), live processing events (Server-Sent Events). Answers for a
// dataset version never change: each carries a strong ETag, answers If-None-Match with 304, and
// is kept in a bounded in-process LRU cache keyed by tenant, dataset, version and query.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "analytics/result_cache.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/router.hpp"
#include "store/db/database.hpp"

namespace insightstream::analytics {

struct AnalyticsSettings {
    size_t cache_bytes = 64 << 20;
    int events_poll_ms = 500;
    int events_max_seconds = 3600;
};

class AnalyticsService {
public:
    AnalyticsService(store::Database& db, const core::Clock& clock, core::Metrics& metrics, AnalyticsSettings settings);
    void RegisterRoutes(http::Router& router);

    struct Context;  // the resolved dataset version of a request

private:
    using Compute = std::function<core::Result<std::pair<std::string, std::string>>(const Context&)>;
    core::Result<http::Response> Serve(http::Request& req, std::string_view kind, const Compute& compute);
    core::Result<http::Response> Events(http::Request& req);

    store::Database& db_;
    const core::Clock& clock_;
    AnalyticsSettings settings_;
    ResultCache cache_;
};

}  // namespace insightstream::analytics
