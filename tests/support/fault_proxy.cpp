#include "support/fault_proxy.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/http_client.hpp"

namespace insightstream::testing {

FaultProxy::FaultProxy(const std::string& upstream) {
    const char* script = std::getenv("INSIGHTSTREAM_FAULT_PROXY");
    if (!script || !*script) {
        ADD_FAILURE() << "INSIGHTSTREAM_FAULT_PROXY is not set: run through ctest";
        return;
    }
    std::string target = upstream;
    if (auto p = target.find("://"); p != std::string::npos) target = target.substr(p + 3);
    std::string ports = (dir_.path() / "ports.json").string();
    std::string log = (dir_.path() / "proxy.log").string();
    std::vector<std::string> argv_s{script, "--upstream", target, "--ports-file", ports};
    pid_ = fork();
    if (pid_ == 0) {
        int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& s : argv_s) argv.push_back(s.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(ports);
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        auto v = boost::json::parse(ss.str(), ec);
        if (!ec && v.is_object()) {
            proxy_port_ = static_cast<uint16_t>(v.at("proxy").as_int64());
            control_port_ = static_cast<uint16_t>(v.at("control").as_int64());
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the fault proxy did not start";
}

FaultProxy::~FaultProxy() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
}

void FaultProxy::Control(const std::string& target) {
    auto r = HttpClient(control_port_).Post(target, "");
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
}

std::string FaultProxy::State() const { return HttpClient(control_port_).Get("/state").body; }

}  // namespace insightstream::testing
