// The production JobProcessor: streams the uploaded object through the engine, writes the
// quarantine (rejected rows and bad values, with line numbers) next to it, and hands back the
// insight payloads to commit with the version's status.
#pragma once

#include <map>
#include <string>

#include "engine/engine.hpp"
#include "engine/splits.hpp"
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
    // A file bigger than this is analysed in splits of about this size, each its own job that
    // any worker may take (0: never). See "Splits" below.
    int64_t split_bytes = 0;
    // A split another worker took but has not finished after this long is analysed by the
    // version's job itself (that worker may be gone).
    int split_stall_ms = 60'000;
    // Niceness of the engine threads: where processing shares the cores with requests (the
    // embedded `all`), sign-in, uploads and reads get the CPU first. The job threads, which hold
    // database locks (SQLite's writer) for moments, keep their priority. 0: unchanged.
    int nice = 0;
};

class EngineProcessor final : public JobProcessor {
public:
    EngineProcessor(store::ObjectStore& objects, EngineProcessorSettings settings)
        : objects_(objects), settings_(settings) {}
    core::Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source,
                                     ProgressSink& progress) override;
    /// The snapshot alone: the analysis again (for the final schema), then the snapshot pass.
    core::Result<void> WriteSnapshot(const JobContext& job, store::ObjectReader& source, ProgressSink& progress) override;
    core::Result<bool> ProcessSplit(const JobContext& job, ProgressSink& progress) override;
    void SetSplitSender(std::function<core::Result<void>(const catalog::JobMessage&)> send) override {
        send_split_ = std::move(send);
    }

private:
    // Splits (engine/splits.hpp). The version's job cuts the file at record ends, writes the
    // pass's options beside the upload and sends one split job per split; it then analyses the
    // splits nobody has taken itself (from the last one down, as split jobs are taken from the
    // first one up), waits for the others' partial results, and merges them. A split job marks
    // its split taken, analyses it and stores its partial result; a split whose job is lost or
    // slow (split_stall_ms) is analysed by the version's job. A pass that asks for another sends
    // the splits again with the new options. Every object lives under the version's prefix and
    // is deleted once the merge is done.
    /// The analysis in splits, or nullopt when the file is one split.
    core::Result<std::optional<engine::InsightSet>> AnalyzeInSplits(const JobContext& version_job, store::ObjectReader& source,
                                                                    ProgressSink& progress, engine::EngineOptions* last);
    /// The splits the ingest cut while the file uploaded (catalog/upload_splits.hpp), if the job
    /// names their run, their plan covers the stored file and they were read with this worker's
    /// options; false: the file is cut again (or analysed whole).
    bool AdoptUploadSplits(const JobContext& job, const engine::EngineOptions& options, std::vector<engine::SplitRange>* splits);
    /// Every split's partial result of the pass into `merger`: taken from the store as other
    /// workers write them, or analysed here.
    core::Result<void> GatherSplits(const JobContext& job, const engine::EngineOptions& options, int pass,
                                    const std::vector<engine::SplitRange>& splits, engine::SplitMerger& merger,
                                    ProgressSink& progress);
    /// Analyses one split and stores its partial result.
    core::Result<std::string> RunSplit(const JobContext& job, const engine::EngineOptions& options, int pass, size_t k,
                                       engine::SplitRange range, const std::function<bool()>& stop);
    [[nodiscard]] bool TakenElsewhere(const JobContext& job, int pass, size_t k) const;
    engine::OpenRange Opener(const JobContext& job);
    std::function<core::Result<void>(const catalog::JobMessage&)> send_split_;
    engine::EngineOptions Options(const JobContext& job) const;
    /// `source` is the object the worker opened, read by the first pass while `*first`; every other
    /// pass opens the object again.
    engine::AnalyzeHooks Hooks(const JobContext& job, store::ObjectReader* source, ProgressSink& progress, bool* first);
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
/// The options a version of `format` with `options_json` is analysed with under `settings`.
engine::EngineOptions EngineOptionsFor(const EngineProcessorSettings& settings, const std::string& format,
                                       std::string_view options_json);
/// An object of analysis `run` of a version in splits, beside its upload:
/// split-<run>-p<pass>-<what> (what: options, plan, <k>.partial, <k>.taken).
store::ObjectKey SplitObjectKey(const catalog::JobMessage& job, const std::string& run, int pass, const std::string& what);
/// The job of split k (its byte range and first line) of pass `pass` of analysis `run` of the
/// version `version_job` is about.
catalog::JobMessage SplitJobMessage(const catalog::JobMessage& version_job, const std::string& run, int pass, size_t k,
                                    const engine::SplitRange& range);
/// Deletes the split objects beside a version's upload (every run's, or all but the first pass
/// of `keep_run`): when its job starts over, and when it fails for good.
void SweepSplitObjects(store::ObjectStore& objects, const catalog::JobMessage& job, const std::string& keep_run = {});

}  // namespace insightstream::worker
