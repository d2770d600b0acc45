// Appending JSON text by hand, for the hot or dependency-free paths (logs, metrics, engine
// results). Request and response bodies of the API use Boost.JSON instead.
#pragma once

#include <string>
#include <string_view>

namespace insightstream::core {

/// Appends `s` as a JSON string literal (quotes included); invalid UTF-8 bytes become U+FFFD.
void AppendJsonString(std::string& out, std::string_view s);
/// Appends a finite double in shortest round-trip form; NaN and infinities become null.
void AppendJsonDouble(std::string& out, double v);

}  // namespace insightstream::core
