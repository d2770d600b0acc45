// What the worker runs for one dataset version: stream the source object through a processor
// that reports progress and returns the results to commit. The engine-backed processor lives
// with the engine integration; RowCountProcessor is the minimal one.
#pragma once

#include <cstdint>
#include <functional>

#include "core/result.hpp"
#include "catalog/datasets.hpp"
#include "catalog/job_message.hpp"
#include "store/db/database.hpp"
#include "store/objects/object_store.hpp"

namespace insightstream::worker {

struct JobContext {
    catalog::JobMessage message;
    catalog::VersionRecord version;
    int attempt = 1;
};

class ProgressSink {
public:
    virtual ~ProgressSink() = default;
    /// Cheap to call often; the worker writes to the DB at most once per progress interval.
    virtual void Report(int64_t bytes_done, int64_t rows_done) = 0;
    /// True when the job must stop at the next chunk boundary (shutdown, or the lease was lost).
    [[nodiscard]] virtual bool StopRequested() const = 0;
};

struct JobOutcome {
    int64_t rows = 0;
    int64_t rows_rejected = 0;
    int64_t invalid_values = 0;
    int64_t issues = 0;
    /// Writes the version's results; runs inside the transaction that marks it ready, so results
    /// and status commit together (re-processing replaces, never duplicates).
    std::function<core::Result<void>(store::Tx&)> write_results;
    /// Writes the version's columnar snapshot; run once the version is ready (its insights do not
    /// wait for it), under the same job. Errors as for Process. Empty: the processor writes none.
    std::function<core::Result<void>(ProgressSink&)> snapshot;
};

class JobProcessor {
public:
    virtual ~JobProcessor() = default;
    /// Errors: retriable ones (kUnavailable, kDeadlineExceeded) are tried again with back-off; any
    /// other fails the version at once with the error's detail as the reason. A stop request is
    /// answered with an error whose slug is "job-stopped".
    virtual core::Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source,
                                             ProgressSink& progress) = 0;
    /// Writes the columnar snapshot of a version that is ready (a kSnapshotJob); the version's
    /// results and status do not change. Processors without snapshots say so.
    virtual core::Result<void> WriteSnapshot(const JobContext& job, store::ObjectReader& source, ProgressSink& progress);
    /// A catalog::kSplitJob: one split of a version's file, analysed into a partial result the
    /// version's own job merges; false if there was nothing to do (done or taken already, or the
    /// version's job is over). Processors that never split say so.
    virtual core::Result<bool> ProcessSplit(const JobContext& job, ProgressSink& progress);
    /// How the processor sends split jobs (the worker's queue); without it nothing is split.
    virtual void SetSplitSender(std::function<core::Result<void>(const catalog::JobMessage&)> send) { (void)send; }
};

core::Error StoppedError();

/// Counts records (lines; a CSV header is not a record) and bytes.
class RowCountProcessor final : public JobProcessor {
public:
    explicit RowCountProcessor(size_t chunk_bytes = 4 << 20) : chunk_bytes_(chunk_bytes) {}
    core::Result<JobOutcome> Process(const JobContext& job, store::ObjectReader& source,
                                     ProgressSink& progress) override;

private:
    size_t chunk_bytes_;
};

}  // namespace insightstream::worker
