#include "gateway/ops_routes.hpp"

#include <boost/json.hpp>

#include "core/log.hpp"
#include "http/json_body.hpp"

namespace insightstream::gateway {

namespace json = boost::json;

void RegisterOpsRoutes(http::Router& router, core::Metrics& metrics, std::vector<ReadinessCheck> checks) {
    http::RouteOptions pub{.access = http::Access::kPublic, .body_limit = 1024};
    router.Add(
        "GET", "/healthz",
        [](http::Request&) -> core::Result<http::Response> {
            return http::JsonResponse(200, json::object{{"status", "ok"}});
        },
        pub);
    router.Add(
        "GET", "/readyz",
        [checks = std::move(checks)](http::Request&) -> core::Result<http::Response> {
            json::object results;
            bool ready = true;
            for (const auto& c : checks) {
                auto r = c.check();
                if (!r) {
                    ready = false;
                    // The reason goes to the log; the probe answer names only the failing backend.
                    core::Log(core::LogLevel::kWarn, "readyz.backend_down", r.error().ToString(), {{"backend", c.name}});
                }
                results[c.name] = r ? "ok" : "unavailable";
            }
            auto resp = http::JsonResponse(ready ? 200 : 503,
                                           json::object{{"status", ready ? "ready" : "unavailable"}, {"checks", results}});
            if (!ready) resp.Header("Retry-After", "5");
            return resp;
        },
        pub);
    router.Add(
        "GET", "/api/v1/openapi.json",
        [](http::Request&) -> core::Result<http::Response> {
            auto resp = http::Response::Json(200, std::string(OpenApiText()));
            resp.Header("Cache-Control", "public, max-age=300");
            return resp;
        },
        pub);
    router.Add(
        "GET", "/metrics",
        [&metrics](http::Request&) -> core::Result<http::Response> {
            return http::Response::Text(200, metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
        },
        pub);
}

}  // namespace insightstream::gateway
