// The HTTP/1.1 server on Boost.Beast and Asio: a pool of I/O threads (one per core) runs one
// coroutine per connection; handlers run on a separate blocking pool so that DB calls, file I/O
// and Argon2 never stall the event loop. Keep-alive, streaming request bodies, header and body
// limits, read/write timeouts, request ids, one JSON access-log line and metrics per request,
// problem+json for every error, and a graceful shutdown that finishes in-flight requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/metrics.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

namespace insightstream::http {

struct ServerSettings {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;           // 0 picks a free port (tests)
    int io_threads = 0;             // 0: one per core
    int handler_threads = 32;       // the blocking pool
    uint32_t max_header_bytes = 16 * 1024;
    int header_timeout_s = 30;      // a request head (and an idle keep-alive connection) must arrive within this
    int body_timeout_s = 60;        // the longest pause allowed while a body is being received
    uint64_t min_body_rate = 1024;  // streaming bodies: bytes a second on average, after the grace (0: any)
    int body_rate_grace_s = 10;
    int write_timeout_s = 60;
    bool trust_forwarded_for = false;  // take the client address from X-Forwarded-For (behind a load balancer)
};

/// Behaviour the application plugs into the server.
struct ServerHooks {
    /// Verifies the credentials of a request to an Access::kUser route.
    std::function<core::Result<core::Principal>(const Request&)> authenticate;
    /// The same without blocking (e.g. a token verified before); nullopt when it cannot tell.
    std::function<std::optional<core::Result<core::Principal>>(const Request&)> authenticate_fast;
    /// Adds headers to every response (security headers, CORS).
    std::function<void(const Request&, Response&)> decorate;
    /// Answers requests before routing (CORS pre-flight, the dashboard's static files); nullopt
    /// lets the router handle the request.
    std::function<std::optional<Response>(const Request&)> intercept;
};

class HttpServer {
public:
    HttpServer(ServerSettings settings, const Router& router, core::Metrics& metrics, ServerHooks hooks = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds and starts serving; returns the bound port.
    core::Result<uint16_t> Start();
    /// Stops accepting, lets in-flight requests finish within `grace`, then closes every
    /// connection and joins the threads. Idempotent.
    void Shutdown(std::chrono::milliseconds grace);
    [[nodiscard]] int64_t in_flight() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace insightstream::http
