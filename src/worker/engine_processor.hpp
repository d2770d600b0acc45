// The production JobProcessor: streams the uploaded object through the engine, writes the
// quarantine (rejected rows and bad values, with line numbers) next to it, and hands back the
// insight payloads to commit with the version's status.
#pragma once

#include <map>
#include <string>

#include "engine/engine.hpp"
#include "store/objects/object_store.hpp"
#include "worker/job_processor.hpp"

namespace insightstream::worker {

struct EngineProcessorSettings {
    size_t chunk_bytes = 4 << 20;
    int threads = 0;                   // engine threads; 0: one per core
    double max_rejected_share = 0.2;   // more rejected rows than this fails the version
    size_t max_groups = 1'000'000;     // per dimension; the rest is "other"
    size_t max_issues = 10'000;        // rows and values kept in the quarantine object
    size_t memory_budget = 0;          // heap bytes one analysis may grow by (0: no limit)
};

class EngineProcessor final : public JobProcessor {
public:
    EngineProcessor(store::ObjectStore& objects, EngineProcessorSettings settings)
        : objects_(objects), settings_(settings) {}
    core::Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source,
                                     ProgressSink& progress) override;
    /// The snapshot alone: the analysis again (for the final schema), then the snapshot pass.
    core::Result<void> WriteSnapshot(const JobContext& job, store::ObjectReader& source, ProgressSink& progress) override;

private:
    engine::EngineOptions Options(const JobContext& job) const;
    engine::AnalyzeHooks Hooks(const JobContext& job, store::ObjectReader& source, ProgressSink& progress, bool* first);
    core::Result<void> PutSnapshot(const JobContext& job, const engine::EngineOptions& last,
                                   const engine::InsightSet& insights, const engine::AnalyzeHooks& hooks);
    store::ObjectStore& objects_;
    EngineProcessorSettings settings_;
};

/// A version's processing options, validated from the upload's parameters (`types` and `roles`
/// are JSON objects of column name to type hint / role; `date_order` dmy|mdy; `decimal`
/// comma|point; `quoted_newlines` true|false) into the JSON stored with the version:
/// {"types": {...}, "roles": {...}, "date_order": "dmy", "decimal": "comma", "quoted_newlines": true}.
core::Result<std::string> ParseVersionOptions(const std::map<std::string, std::string>& params);
/// The engine options a stored options JSON asks for (anything unreadable is ignored).
void ApplyVersionOptions(std::string_view options_json, engine::EngineOptions* options);

}  // namespace insightstream::worker
