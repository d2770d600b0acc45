// The whole analysis of a fuzz input (every pass engine::Analyze makes), read in pieces of a
// size taken from the input so splits land anywhere, with tiny blocks and a sample of half the
// input, so block boundaries, late columns and second passes all happen; then every payload, and
// the snapshot pass, whose file must read back with the rows and nulls the analysis counted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "engine/engine.hpp"
#include "parquet/reader.hpp"

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
    EngineOptions last;
    auto result = Analyze(options, hooks, &last);
    if (!result) return;
    (void)SchemaJson(*result);
    (void)SummaryJson(*result);
    for (const auto& t : result->time_series) (void)TimeSeriesJson(*result, t);
    for (const auto& g : result->groups) (void)GroupsJson(*result, g);
    for (const auto& b : result->breakdowns) (void)BreakdownJson(*result, b);
    (void)IssuesNdjson(*result);

    parquet::StringSink sink;
    last.block_bytes = 64;  // WriteSnapshot raises it to its row-group size: many row groups anyway below
    auto stats = WriteSnapshot(last, *result, hooks, sink);
    if (!stats) {  // the same file, the same options: the snapshot pass cannot fail
        std::fprintf(stderr, "snapshot failed: %s\n", stats.error().ToString().c_str());
        __builtin_trap();
    }
    parquet::MemoryFile file(sink.data);
    auto reader = parquet::FileReader::Open(file);
    if (!reader || reader->meta().num_rows != result->rows) __builtin_trap();
    for (size_t c = 0; c < reader->meta().columns.size(); ++c) {
        int64_t nulls = 0;
        for (size_t g = 0; g < reader->meta().row_groups.size(); ++g) {
            auto col = reader->ReadColumn(g, c);
            if (!col) __builtin_trap();
            for (uint8_t d : col->defined) nulls += d == 0;
        }
        // Every row's value is in the snapshot, or it is null there because the analysis found none
        // (a null token) or counted it invalid.
        const auto& sum = result->columns[c];
        if (nulls != sum.nulls + sum.invalid && !result->schema.columns[c].late) {
            std::fprintf(stderr, "column %zu: %lld nulls in the snapshot, %lld + %lld invalid in the analysis\n", c,
                         static_cast<long long>(nulls), static_cast<long long>(sum.nulls), static_cast<long long>(sum.invalid));
            __builtin_trap();
        }
    }
}

}  // namespace insightstream::fuzz
