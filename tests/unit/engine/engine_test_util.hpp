// Runs the engine over an in-memory file for tests, fed in small pieces.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine.hpp"

namespace insightstream::engine::testing {

struct RunOptions {
    std::string format = "csv";
    int threads = 2;
    size_t block_bytes = 4 << 20;
    size_t feed_bytes = 7919;  // an odd size, so pieces end in the middle of records
    size_t sample_bytes = 1 << 20;
    std::map<std::string, TypeHint> hints;
    InferOptions infer;
    size_t breakdown_groups = PartialOptions{}.breakdown_groups;
    size_t max_groups = PartialOptions{}.max_groups;
    size_t local_groups = PartialOptions{}.local_groups;
    size_t max_issues = PartialOptions{}.max_issues;
    int max_passes = 3;
    size_t memory_budget = 0;
};

/// The whole analysis (every pass Analyze makes) of an in-memory file, read in pieces of
/// `feed_bytes`.
inline core::Result<InsightSet> RunEngine(std::string_view data, const RunOptions& o = {}) {
    EngineOptions options;
    options.format = o.format;
    options.threads = o.threads;
    options.block_bytes = o.block_bytes;
    options.sample_bytes = o.sample_bytes;
    options.hints = o.hints;
    options.infer = o.infer;
    options.partial.breakdown_groups = o.breakdown_groups;
    options.partial.max_groups = o.max_groups;
    options.partial.local_groups = o.local_groups;
    options.partial.max_issues = o.max_issues;
    options.memory_budget = o.memory_budget;
    AnalyzeHooks hooks;
    hooks.chunk_bytes = o.feed_bytes;
    hooks.max_passes = o.max_passes;
    hooks.open = [&]() -> core::Result<std::unique_ptr<ByteSource>> {
        return std::unique_ptr<ByteSource>(std::make_unique<MemorySource>(data));
    };
    return Analyze(options, hooks);
}

inline std::string ReadFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// The catalogue of nasty inputs: one folder per case under `data_dir`/engine, in name order.
inline std::vector<std::filesystem::path> CatalogueCases(const std::filesystem::path& data_dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(data_dir / "engine")) {
        if (e.is_directory()) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

inline int Col(const InsightSet& s, const std::string& name) {
    for (size_t c = 0; c < s.schema.columns.size(); ++c) {
        if (s.schema.columns[c].name == name) return static_cast<int>(c);
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
}

inline const ColumnSpec& Spec(const InsightSet& s, const std::string& name) {
    return s.schema.columns[static_cast<size_t>(Col(s, name))];
}

inline const ColumnSummary& Summary(const InsightSet& s, const std::string& name) {
    return s.columns[static_cast<size_t>(Col(s, name))];
}

}  // namespace insightstream::engine::testing
