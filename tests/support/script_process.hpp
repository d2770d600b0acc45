// A helper script of the tests (a fault proxy, a credentials server) run as a child process: it
// is given `--ports-file FILE`, writes the ports it bound there as a JSON object once it serves,
// and is stopped with SIGTERM when this object goes away.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/test_env.hpp"

namespace insightstream::testing {

/// Forks and execs `argv` with stdout and stderr appended to `log_path` and `env` added to the
/// environment; returns the child's pid.
pid_t SpawnLogged(std::vector<std::string> argv, const std::string& log_path,
                  const std::vector<std::pair<std::string, std::string>>& env = {});

/// The path of a script in tests/support (from INSIGHTSTREAM_TEST_SCRIPTS, set by ctest).
std::string TestScript(const std::string& name);

class ScriptProcess {
public:
    ScriptProcess(const std::string& script, std::vector<std::string> args);
    ~ScriptProcess();
    ScriptProcess(const ScriptProcess&) = delete;
    ScriptProcess& operator=(const ScriptProcess&) = delete;

    /// A port from the ports file, e.g. "proxy" (0 if the script did not start).
    [[nodiscard]] uint16_t Port(const std::string& name) const;

private:
    TempDir dir_;
    pid_t pid_ = -1;
    std::map<std::string, uint16_t> ports_;
};

}  // namespace insightstream::testing
