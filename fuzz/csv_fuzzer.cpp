// CSV through the whole engine: sniffing, reading, inference, aggregation, payloads.
#include <cstdint>
#include <string_view>

#include "engine/engine.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace insightstream::engine;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    EngineOptions options;
    options.format = "csv";
    options.threads = 2;
    options.block_bytes = 64;  // many blocks: boundaries everywhere
    options.sample_bytes = size / 2 + 1;
    Engine engine(options);
    // Fed in pieces of a size taken from the input, so splits land anywhere.
    size_t piece = size > 0 ? data[0] % 17 + 1 : 1;
    for (size_t i = 0; i < size; i += piece) {
        if (!engine.Feed(input.substr(i, piece))) return 0;
    }
    auto result = engine.Finish();
    if (result) {
        (void)SummaryJson(*result);
        for (const auto& t : result->time_series) (void)TimeSeriesJson(*result, t);
        for (const auto& g : result->groups) (void)GroupsJson(*result, g);
        for (const auto& b : result->breakdowns) (void)BreakdownJson(*result, b);
        (void)IssuesNdjson(*result);
    }
    return 0;
}
