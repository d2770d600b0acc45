#include "gateway/edge_policy.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "http/problem.hpp"

namespace insightstream::gateway {

bool EdgePolicy::OriginAllowed(const std::string& origin) const {
    return std::find(settings_.cors_origins.begin(), settings_.cors_origins.end(), origin) !=
           settings_.cors_origins.end();
}

std::optional<http::Response> EdgePolicy::Intercept(const http::Request& req) const {
    if (settings_.client_requests_per_second > 0 && req.path != "/healthz" && req.path != "/readyz" &&
        req.path != "/metrics") {
        if (auto ok = clients_.Take(req.remote_ip, core::MonotonicMs(), "requests from this address"); !ok) {
            return http::ToProblem(ok.error(), req.path, req.request_id);
        }
    }
    if (req.method != "OPTIONS") return std::nullopt;
    const std::string* origin = req.Header("origin");
    const std::string* method = req.Header("access-control-request-method");
    auto methods = router_.AllowedMethods(req.path);
    if (methods.empty()) return std::nullopt;  // unknown path: the router answers 404
    http::Response resp = http::Response::Empty(204);
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    resp.Header("Allow", allow + ", OPTIONS");
    if (origin && method && OriginAllowed(*origin)) {
        resp.Header("Access-Control-Allow-Methods", allow);
        resp.Header("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id, traceparent");
        resp.Header("Access-Control-Max-Age", std::to_string(settings_.cors_max_age_s));
    }
    return resp;
}

void EdgePolicy::Decorate(const http::Request& req, http::Response& resp) const {
    resp.Header("X-Content-Type-Options", "nosniff");
    resp.Header("Referrer-Policy", "no-referrer");
    resp.Header("X-Frame-Options", "DENY");
    if (!resp.FindHeader("Content-Security-Policy")) {
        // API answers are data, never documents: nothing in them may load or run anything.
        resp.Header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    }
    if (!resp.FindHeader("Cache-Control")) resp.Header("Cache-Control", "no-store");
    const std::string* origin = req.Header("origin");
    if (origin && OriginAllowed(*origin)) {
        resp.Header("Access-Control-Allow-Origin", *origin);
        resp.Header("Access-Control-Allow-Credentials", "true");
        resp.Header("Access-Control-Expose-Headers", "Location, X-Request-Id, ETag, Retry-After");
        resp.Header("Vary", "Origin");
    }
}

}  // namespace insightstream::gateway
