#include "support/script_process.hpp"

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

namespace insightstream::testing {

pid_t SpawnLogged(std::vector<std::string> argv, const std::string& log_path,
                  const std::vector<std::pair<std::string, std::string>>& env) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& s : argv) args.push_back(s.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
}

std::string TestScript(const std::string& name) {
    const char* dir = std::getenv("INSIGHTSTREAM_TEST_SCRIPTS");
    if (!dir || !*dir) {
        ADD_FAILURE() << "INSIGHTSTREAM_TEST_SCRIPTS is not set: run through ctest";
        return "/nonexistent/" + name;
    }
    return std::string(dir) + "/" + name;
}

ScriptProcess::ScriptProcess(const std::string& script, std::vector<std::string> args) {
    std::string ports = (dir_.path() / "ports.json").string();
    std::string log = (dir_.path() / "script.log").string();
    std::vector<std::string> argv_s{script};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    argv_s.push_back("--ports-file");
    argv_s.push_back(ports);
    pid_ = SpawnLogged(std::move(argv_s), log);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(ports);
        std::stringstream ss;
        ss << in.rdbuf();
        boost::system::error_code ec;
        auto v = boost::json::parse(ss.str(), ec);
        if (!ec && v.is_object()) {
            for (const auto& [k, p] : v.as_object()) {
                if (p.is_int64()) ports_[std::string(k)] = static_cast<uint16_t>(p.as_int64());
            }
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    ADD_FAILURE() << script << " did not start:\n" << ss.str();
}

ScriptProcess::~ScriptProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
}

uint16_t ScriptProcess::Port(const std::string& name) const {
    auto it = ports_.find(name);
    return it == ports_.end() ? 0 : it->second;
}

}  // namespace insightstream::testing
