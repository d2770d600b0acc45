// Runs the engine over an in-memory file for tests, fed in small pieces.
#pragma once

#include <gtest/gtest.h>

#include <string>

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
};

inline core::Result<InsightSet> RunEngine(std::string_view data, const RunOptions& o = {}) {
    EngineOptions options;
    options.format = o.format;
    options.threads = o.threads;
    options.block_bytes = o.block_bytes;
    options.sample_bytes = o.sample_bytes;
    options.hints = o.hints;
    options.infer = o.infer;
    Engine engine(options);
    for (size_t i = 0; i < data.size(); i += o.feed_bytes) {
        auto fed = engine.Feed(data.substr(i, o.feed_bytes));
        if (!fed) return fed.error();
    }
    return engine.Finish();
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
