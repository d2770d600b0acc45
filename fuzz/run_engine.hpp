// The whole analysis of a fuzz input (every pass engine::Analyze makes), read in pieces of a
// size taken from the input so splits land anywhere, with tiny blocks and a sample of half the
// input, so block boundaries, late columns and second passes all happen; then every payload, and
// the snapshot pass, whose file must read back with the rows and nulls the analysis counted; and
// the file cut into splits (engine/splits.hpp) of a size taken from the input, whose analysis
// must give every payload byte for byte, or the same error.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "engine/engine.hpp"
#include "engine/splits.hpp"
#include "parquet/reader.hpp"

namespace insightstream::fuzz {

inline std::string EveryPayload(const engine::InsightSet& s) {
    using namespace insightstream::engine;
    std::string out = SchemaJson(s) + SummaryJson(s);
    for (const auto& t : s.time_series) out += TimeSeriesJson(s, t);
    for (const auto& g : s.groups) out += GroupsJson(s, g);
    for (const auto& b : s.breakdowns) out += BreakdownJson(s, b);
    return out + IssuesNdjson(s) + s.encoding + std::to_string(s.passes);
}

inline void CheckSplits(std::string_view input, const engine::EngineOptions& options,
                        const core::Result<engine::InsightSet>& whole, size_t chunk) {
    using namespace insightstream::engine;
    const size_t asked = input.size() < 2 ? 1 : static_cast<unsigned char>(input[1]) % 29 + 1;
    SplitCutter cutter(options, static_cast<int64_t>(std::max(asked, input.size() / 64)));
    std::vector<SplitRange> splits;
    for (size_t i = 0; i < input.size(); i += chunk) {
        cutter.Feed(input.substr(i, chunk));
        for (auto& r : cutter.Take()) splits.push_back(r);
    }
    for (auto& r : cutter.Finish()) splits.push_back(r);
    int64_t at = 0;
    for (const auto& r : splits) {
        if (r.begin != at || r.end < r.begin) __builtin_trap();  // contiguous
        at = r.end;
    }
    if (at != static_cast<int64_t>(input.size())) __builtin_trap();  // and covering
    OpenRange open = [input](int64_t b, int64_t e) -> core::Result<std::unique_ptr<ByteSource>> {
        auto from = static_cast<size_t>(b);
        size_t to = e < 0 ? input.size() : static_cast<size_t>(e);
        return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(input.substr(from, to - from)));
    };
    auto parts = AnalyzeInSplits(options, open, splits, 3, chunk);
    if (whole.has_value() != parts.has_value()) {
        std::fprintf(stderr, "whole %s, splits %s\n", whole ? "ok" : whole.error().ToString().c_str(),
                     parts ? "ok" : parts.error().ToString().c_str());
        __builtin_trap();
    }
    if (!whole) {
        if (whole.error().detail() != parts.error().detail()) __builtin_trap();
        return;
    }
    if (EveryPayload(*whole) != EveryPayload(*parts)) {
        std::fprintf(stderr, "the file in %zu splits gives other payloads than the whole file\n", splits.size());
        __builtin_trap();
    }
}

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
    CheckSplits(input, options, result, hooks.chunk_bytes);
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
