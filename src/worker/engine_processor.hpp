// The production JobProcessor: streams the uploaded object through the engine, writes the
// quarantine (rejected rows and bad values, with line numbers) next to it, and hands back the
// insight payloads to commit with the version's status.
#pragma once

#include "store/objects/object_store.hpp"
#include "worker/job_processor.hpp"

namespace insightstream::worker {

struct EngineProcessorSettings {
    size_t chunk_bytes = 4 << 20;
    int threads = 0;                   // engine threads; 0: one per core
    double max_rejected_share = 0.2;   // more rejected rows than this fails the version
    size_t max_groups = 10'000;        // per dimension; the rest is "other"
    size_t max_issues = 10'000;        // rows and values kept in the quarantine object
};

class EngineProcessor final : public JobProcessor {
public:
    EngineProcessor(store::ObjectStore& objects, EngineProcessorSettings settings)
        : objects_(objects), settings_(settings) {}
    core::Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source,
                                     ProgressSink& progress) override;

private:
    store::ObjectStore& objects_;
    EngineProcessorSettings settings_;
};

/// Type hints stored with a version ({"types": {"zip": "string"}, "roles": {...}}), validated.
core::Result<std::string> ParseVersionOptions(std::string_view types_json, std::string_view roles_json);

}  // namespace insightstream::worker
