// The whole analysis of a fuzz input (every pass engine::Analyze makes), read in pieces of a
// size taken from the input so splits land anywhere, with tiny blocks and a sample of half the
// input, so block boundaries, late columns and second passes all happen; then every payload.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "engine/engine.hpp"

namespace insightstream::fuzz {

inline void RunEngine(std::string_view input, const char* format) {
    using namespace insightstream::engine;
    EngineOptions options;
    options.format = format;
    options.threads = 2;
    options.block_bytes = 64;
    options.sample_bytes = input.size() / 2 + 1;
    options.sample_rows = 50;
    options.partial.breakdown_groups = 4;
    options.partial.local_groups = 3;
    options.partial.max_groups = 20;
    AnalyzeHooks hooks;
    hooks.chunk_bytes = input.empty() ? 1 : static_cast<unsigned char>(input[0]) % 17 + 1;
    hooks.open = [&]() -> core::Result<std::unique_ptr<ByteSource>> {
        return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(input));
    };
    auto result = Analyze(options, hooks);
    if (!result) return;
    (void)SchemaJson(*result);
    (void)SummaryJson(*result);
    for (const auto& t : result->time_series) (void)TimeSeriesJson(*result, t);
    for (const auto& g : result->groups) (void)GroupsJson(*result, g);
    for (const auto& b : result->breakdowns) (void)BreakdownJson(*result, b);
    (void)IssuesNdjson(*result);
}

}  // namespace insightstream::fuzz
