// Runs the real insightstream binary for integration tests: `all --listen 127.0.0.1:0` in its own
// data directory, reads the bound port from the ready line, waits for /readyz, and stops it with
// SIGTERM (or SIGKILL, to test crashes) in teardown.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "support/http_client.hpp"

namespace insightstream::testing {

struct ServerOptions {
    std::filesystem::path data_dir;
    std::string command = "all";
    std::vector<std::string> args;                            // extra flags
    std::vector<std::pair<std::string, std::string>> env;     // extra environment
    bool wait_ready = true;
    std::string listen = "127.0.0.1:0";  // a fixed port lets a test restart a process where it was  // false: Start() returns once it listens, even if /readyz says 503
};

class ServerProcess {
public:
    explicit ServerProcess(ServerOptions options);
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    /// Starts the process and waits until it is ready. Fails the test on timeout.
    void Start();
    /// Sends `sig` and waits up to `timeout_s`; returns the exit code (128+signal if killed).
    int Stop(int sig = 15, int timeout_s = 30);
    void Kill9();
    [[nodiscard]] bool Running() const { return pid_ > 0; }
    [[nodiscard]] uint16_t port() const { return port_; }
    [[nodiscard]] HttpClient client() const { return HttpClient(port_); }
    /// Everything the process wrote to stderr so far (its JSON log).
    [[nodiscard]] std::string Log() const;
    /// The log once it holds `needle` (a request's line is written after its answer is sent),
    /// or as it is after `timeout_ms`.
    [[nodiscard]] std::string LogWith(const std::string& needle, int timeout_ms = 5000) const;
    [[nodiscard]] const ServerOptions& options() const { return options_; }
    [[nodiscard]] pid_t pid() const { return pid_; }

private:
    ServerOptions options_;
    pid_t pid_ = -1;
    uint16_t port_ = 0;
    std::filesystem::path log_path_;
};

/// Runs the binary with `args` to its end (at most `timeout_s`, then it is killed); returns its exit
/// code (-1 if it did not exit on its own) and, in `output`, what it wrote to stdout and stderr.
int RunBinaryToExit(const std::vector<std::string>& args, std::string* output = nullptr, int timeout_s = 30);
/// Runs the binary with `args` (a one-off command such as `migrate` or `keys rotate`) and fails the
/// test unless it exits 0.
void RunBinary(const std::vector<std::string>& args);
/// Runs `insightstream migrate --database url` and fails the test unless it exits 0.
void MigrateWithBinary(const std::string& database_url);
/// Flags that run the service on a fresh schema of the test PostgreSQL the way production does:
/// migrated by the owner, served by the non-owner application role (so row-level security applies).
std::vector<std::string> PostgresServiceArgs();

/// Signs up a fresh organization and returns its owner's access token.
std::string SignUp(const HttpClient& client, const std::string& email, const std::string& org = "Acme");

}  // namespace insightstream::testing
