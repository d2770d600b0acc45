#include "support/server_process.hpp"

#include "support/script_process.hpp"
#include "support/test_env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#ifndef INSIGHTSTREAM_BINARY
#error "INSIGHTSTREAM_BINARY must name the binary under test"
#endif

namespace insightstream::testing {

namespace fs = std::filesystem;

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
    log_path_ = options_.data_dir / "server.log";
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) Stop(SIGTERM, 30);
}

std::string ServerProcess::Log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string ServerProcess::LogWith(const std::string& needle, int timeout_ms) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        std::string log = Log();
        if (log.find(needle) != std::string::npos || std::chrono::steady_clock::now() > deadline) return log;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void ServerProcess::Start() {
    ASSERT_LE(pid_, 0) << "already running";
    fs::create_directories(options_.data_dir);
    size_t log_offset = fs::exists(log_path_) ? fs::file_size(log_path_) : 0;
    std::vector<std::string> argv_s{INSIGHTSTREAM_BINARY, options_.command, "--listen", options_.listen, "--data-dir",
                                    options_.data_dir.string(), "--io-threads", "2"};
    // 8 handler threads unless the test sets its own.
    if (std::find(options_.args.begin(), options_.args.end(), "--handler-threads") == options_.args.end()) {
        argv_s.insert(argv_s.end(), {"--handler-threads", "8"});
    }
    argv_s.insert(argv_s.end(), options_.args.begin(), options_.args.end());
    pid_ = SpawnLogged(std::move(argv_s), log_path_.string(), options_.env);
    ASSERT_GT(pid_, 0) << "fork failed";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    static const std::regex kReady(R"re("event":"server.listening".*"port":(\d+))re");
    for (;;) {
        std::string log = Log();
        std::smatch m;
        std::string fresh = log.size() > log_offset ? log.substr(log_offset) : "";
        if (std::regex_search(fresh, m, kReady)) {
            port_ = static_cast<uint16_t>(std::stoi(m[1]));
            break;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            FAIL() << "insightstream exited during start:\n" << fresh;
        }
        if (std::chrono::steady_clock::now() > deadline) FAIL() << "insightstream did not start:\n" << fresh;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    while (options_.wait_ready) {
        try {
            if (client().Get("/readyz").status == 200) return;
        } catch (const std::exception&) {
        }
        if (std::chrono::steady_clock::now() > deadline) FAIL() << "insightstream never became ready";
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int ServerProcess::Stop(int sig, int timeout_s) {
    if (pid_ <= 0) return -1;
    kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            ADD_FAILURE() << "insightstream did not stop within " << timeout_s << " s of signal " << sig;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    port_ = 0;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

void ServerProcess::Kill9() { Stop(SIGKILL, 10); }

int RunBinaryToExit(const std::vector<std::string>& args, std::string* output, int timeout_s) {
    TempDir dir;
    std::string log = (dir.path() / "output.log").string();
    std::vector<std::string> argv{INSIGHTSTREAM_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    pid_t pid = SpawnLogged(argv, log);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < timeout_s * 20 && !exited; ++i) {
        exited = waitpid(pid, &status, WNOHANG) == pid;
        if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    if (output) {
        std::ifstream in(log);
        std::stringstream ss;
        ss << in.rdbuf();
        *output = ss.str();
    }
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void RunBinary(const std::vector<std::string>& args) {
    std::string output;
    int code = RunBinaryToExit(args, &output);
    ASSERT_EQ(code, 0) << "insightstream " << args.at(0) << " failed: " << output;
}

void MigrateWithBinary(const std::string& database_url) { RunBinary({"migrate", "--database", database_url}); }

std::vector<std::string> PostgresServiceArgs() {
    auto admin = PostgresAdminUrl();
    auto app = PostgresAppUrl();
    if (!admin || !app) {
        ADD_FAILURE() << "PostgreSQL is not configured";
        return {};
    }
    std::string schema;
    MigrateWithBinary(FreshPostgresSchema(*admin, &schema));
    return {"--database", WithSearchPath(*app, schema), "--migrate", "false"};
}

std::string SignUp(const HttpClient& client, const std::string& email, const std::string& org) {
    boost::json::object body{{"organization", org}, {"email", email}, {"password", "correct horse battery"}};
    auto r = client.PostJson("/api/v1/auth/signup", boost::json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    return std::string(r.Json().at("access_token").as_string());
}

}  // namespace insightstream::testing
