// The fault-injecting TCP proxy (tests/support/fault_proxy.py) as a test object: started between
// the binary and the S3/SQS emulator, switched while connections are open. Faults: refuse (accept
// and reset at once), stall (hold every byte), cut (reset open connections), cut_after N bytes
// upstream per connection, latency.
#pragma once

#include <string>

#include "support/script_process.hpp"

namespace insightstream::testing {

class FaultProxy {
public:
    /// Starts a proxy to `upstream` ("http://127.0.0.1:PORT" or "127.0.0.1:PORT").
    explicit FaultProxy(const std::string& upstream);

    /// "http://127.0.0.1:PORT" of the proxy.
    [[nodiscard]] std::string Url() const { return "http://127.0.0.1:" + std::to_string(process_.Port("proxy")); }
    void Pass() { Control("/mode/pass"); }
    void Refuse() { Control("/mode/refuse"); }
    void Stall() { Control("/mode/stall"); }
    void Cut() { Control("/cut"); }
    void CutAfter(size_t bytes) { Control("/mode/cut_after?bytes=" + std::to_string(bytes)); }
    /// GET /state as JSON text.
    [[nodiscard]] std::string State() const;

private:
    void Control(const std::string& target);

    ScriptProcess process_;
};

}  // namespace insightstream::testing
