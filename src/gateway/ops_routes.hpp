// Operational endpoints every role serves: /healthz (the process is alive), /readyz (its
// backends answer) and /metrics (Prometheus text).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

namespace insightstream::gateway {

struct ReadinessCheck {
    std::string name;
    std::function<core::Result<void>()> check;
};

void RegisterOpsRoutes(http::Router& router, core::Metrics& metrics, std::vector<ReadinessCheck> checks);

/// The OpenAPI 3.1 document of the whole API (docs/api/openapi.json, embedded at build time).
std::string_view OpenApiText();

}  // namespace insightstream::gateway
