#include "support/fault_proxy.hpp"

#include <gtest/gtest.h>

#include "support/http_client.hpp"

namespace insightstream::testing {

namespace {
std::string HostPort(std::string upstream) {
    if (auto p = upstream.find("://"); p != std::string::npos) upstream = upstream.substr(p + 3);
    return upstream;
}
}  // namespace

FaultProxy::FaultProxy(const std::string& upstream)
    : process_(TestScript("fault_proxy.py"), {"--upstream", HostPort(upstream)}) {}

void FaultProxy::Control(const std::string& target) {
    auto r = HttpClient(process_.Port("control")).Post(target, "");
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
}

std::string FaultProxy::State() const { return HttpClient(process_.Port("control")).Get("/state").body; }

}  // namespace insightstream::testing
