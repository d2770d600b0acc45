// Wiring: the only code that knows every implementation. Chooses backends from their URLs,
// builds the services the command names, serves them, and shuts down cleanly on SIGTERM/SIGINT.
#pragma once

namespace insightstream::app {

/// The whole program; returns the process exit code.
int Main(int argc, char** argv);

}  // namespace insightstream::app
