// Wiring: the only code that knows every implementation. Chooses backends from their URLs,
// builds the services the command names, serves them, and shuts down cleanly on SIGTERM/SIGINT.
#pragma once

#include <cstdint>
#include <memory>

#include "app/config.hpp"
#include "core/result.hpp"
#include "http/router.hpp"

namespace insightstream::store {
class Database;
}

namespace insightstream::app {

/// Every component of one process, built from a Config. Tests build it in process to walk the
/// real route table.
class Application {
public:
    /// Opens the backends, migrates (if configured) and builds the services of `config.command`.
    static core::Result<std::unique_ptr<Application>> Create(const Config& config);
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    /// Starts serving HTTP and the background work; returns the bound port.
    core::Result<uint16_t> Start();
    /// Stops taking work, lets running work finish within the grace period, and joins.
    void Stop();
    [[nodiscard]] const http::Router& router() const;
    [[nodiscard]] store::Database* database() const;

    struct Parts;

private:
    explicit Application(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> parts_;
};

/// The whole program; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace insightstream::app
