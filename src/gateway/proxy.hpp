// The gateway's forwarding: each API route goes to the service that registered it, over HTTP/1.1
// to one of that service's instances (round robin over the healthy ones), on kept-alive
// connections (up to 16 idle per instance, for 10 s; one found closed is replaced before the
// request is sent). Bodies stream both ways (uploads of any size, Server-Sent Events, CSV
// downloads) through the server's streaming route and chunked response machinery — except an
// answer of known length up to 1 MiB, which is read whole and sent on as one body — and
// `Expect: 100-continue` is kept end to end: the client's body flows only once the service said
// 100, and a service's early refusal (401, 413, 429...) reaches the client before it sends a byte. An instance that refuses or times out is skipped for a while
// (its circuit opens after 3 failures in a row, for 5 s; while every circuit of a service is open
// one request a second still tries it); when no instance of a service can be reached the client
// gets 503 problem+json naming the service, with Retry-After, at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/router.hpp"

namespace insightstream::gateway {

struct Exchange;  // one connection to an instance (proxy.cpp)

struct UpstreamSettings {
    int connect_timeout_ms = 1000;
    int response_timeout_ms = 60000;  // the longest wait for the next bytes of an answer
    int failures_to_open = 3;
    int open_ms = 5000;
};

class Upstreams {
public:
    /// `specs`: "service=http://host:port[,http://host:port...]" each.
    static core::Result<std::unique_ptr<Upstreams>> Parse(const std::vector<std::string>& specs,
                                                          UpstreamSettings settings = {});

    struct Instance {
        std::string host;
        std::string port;
        std::atomic<int> failures{0};
        std::atomic<int64_t> open_until_ms{0};
        std::mutex idle_mutex;
        std::vector<std::shared_ptr<Exchange>> idle;  // kept-alive connections, newest last
    };
    /// The next healthy instance of `service` that is not in `skip` (the ones this request tried
    /// already), or Unavailable naming the service.
    core::Result<Instance*> Pick(const std::string& service, const std::vector<const Instance*>& skip = {});
    void Report(Instance& instance, bool ok);
    [[nodiscard]] bool Has(const std::string& service) const { return services_.count(service) > 0; }
    [[nodiscard]] size_t Instances(const std::string& service) const;
    /// Whether some instance of `service` accepts a TCP connection within 300 ms (for /readyz).
    [[nodiscard]] bool Reachable(const std::string& service) const;
    [[nodiscard]] const UpstreamSettings& settings() const { return settings_; }

private:
    struct Service {
        std::vector<std::unique_ptr<Instance>> instances;
        std::atomic<size_t> next{0};
        std::atomic<int64_t> last_trial_ms{0};
    };
    UpstreamSettings settings_;
    std::map<std::string, std::unique_ptr<Service>> services_;
};

/// Registers, for every route of `table` that belongs to a service, a forwarding route to that
/// service's upstreams. Routes of a service without upstreams answer 503 naming it.
void RegisterForwarding(http::Router& router, const std::vector<http::Route>& table, Upstreams& upstreams);

}  // namespace insightstream::gateway
