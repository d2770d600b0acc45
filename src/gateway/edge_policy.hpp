// What the public edge adds to every exchange: security headers on every response, and CORS
// (off unless origins are configured). Plugged into the HTTP server's hooks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/rate_limiter.hpp"

#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"

namespace insightstream::gateway {

struct EdgeSettings {
    std::vector<std::string> cors_origins;  // exact origins ("https://app.example.com"); empty: CORS off
    int cors_max_age_s = 600;
    double client_requests_per_second = 0;  // per client address, bursts of twice that; 0: no limit
};

class EdgePolicy {
public:
    EdgePolicy(EdgeSettings settings, const http::Router& router)
        : settings_(std::move(settings)), router_(router),
          clients_(2 * settings_.client_requests_per_second, 60 * settings_.client_requests_per_second) {}
    /// Answers CORS pre-flight requests (OPTIONS with Origin and Access-Control-Request-Method),
    /// and 429 problem+json to a client address over its request rate (the operational routes
    /// /healthz, /readyz and /metrics are never limited: probes come from one address).
    [[nodiscard]] std::optional<http::Response> Intercept(const http::Request& req) const;
    /// Security headers, and CORS headers for allowed origins.
    void Decorate(const http::Request& req, http::Response& resp) const;

private:
    [[nodiscard]] bool OriginAllowed(const std::string& origin) const;
    EdgeSettings settings_;
    const http::Router& router_;
    mutable core::RateLimiter clients_;
};

}  // namespace insightstream::gateway
