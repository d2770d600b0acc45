// Routes: a method and a path pattern ("/api/v1/datasets/{id}") with the handler and its limits.
// Each service registers its own routes; the router answers 404 for unknown paths and 405 (with
// Allow) for known paths with a wrong method. The route table is also what the authorization
// matrix test walks, so a new route cannot skip it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace insightstream::http {

using Handler = std::function<core::Result<Response>(Request&)>;
/// Starts a streaming request (after authorization, before its body is read): checks it and
/// returns where the body goes.
using SinkHandler = std::function<core::Result<std::unique_ptr<BodySink>>(Request&)>;

enum class Access {
    kPublic,  // anyone
    kUser,    // a verified access token or API key
};

struct RouteOptions {
    Access access = Access::kUser;
    core::Permission permission = core::Permission::kReadData;  // checked for Access::kUser routes
    bool writes = false;                  // changes state: API keys need the "write" scope
    bool users_only = false;              // people only: API keys are refused (403)
    bool during_password_change = false;  // open to a member who must change their password first
    SinkHandler sink;                     // a streaming route: the body goes here, not into Request::body
    uint64_t body_limit = 1024 * 1024;    // bytes; for streaming routes 0 means no limit
    /// Optional answer from memory, tried on the I/O thread before the blocking pool for requests
    /// without a body: it must not block and returns nullopt to let `handler` do the work.
    std::function<std::optional<Response>(Request&)> fast;
};

struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
    std::vector<std::string> segments;  // the pattern split on '/'
    std::string service;                // the service that registered it ("" for every role's own)
};

struct RouteMatch {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
};

class Router {
public:
    void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});
    /// Routes added from now on belong to `service` (the gateway routes by it).
    void SetService(std::string service) { service_ = std::move(service); }
    /// The route for (method, path), or NotFound / MethodNotAllowed (detail lists the allowed methods).
    [[nodiscard]] core::Result<RouteMatch> Match(std::string_view method, std::string_view path) const;
    /// Methods registered for a path (for Allow and CORS pre-flight).
    [[nodiscard]] std::vector<std::string> AllowedMethods(std::string_view path) const;
    [[nodiscard]] const std::vector<Route>& routes() const { return routes_; }

private:
    std::vector<Route> routes_;
    std::string service_;
};

}  // namespace insightstream::http
