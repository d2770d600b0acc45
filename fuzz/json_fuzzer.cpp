// JSON arrays and NDJSON (the first byte picks) through the whole engine.
#include <cstdint>
#include <string_view>

#include "run_engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    insightstream::fuzz::RunEngine(input, size > 0 && data[0] % 2 ? "json" : "ndjson");
    return 0;
}
