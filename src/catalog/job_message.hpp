// The job message: what a new version sends through the queue (JSON), and what the worker and
// the dead-letter watcher read back. Shared by ingest and the worker through this module only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace insightstream::catalog {

struct JobMessage {
    core::TenantId tenant;
    core::DatasetId dataset;
    int64_t version = 0;
    std::string trace_id;
    std::string request_id;
    std::string span_id;  // the sender's span (the upload request's): the parent of the job's spans
    /// What to do: "" processes the version; kSnapshotJob writes the snapshot of a version that is
    /// ready but was processed before snapshots existed (asked for by an export or a query).
    std::string kind;
    /// kSplitJob: one split of the version's file — bytes [begin, end), starting on line
    /// first_line — analysed with the options of pass `pass` of the analysis `run` (a hex id the
    /// version's job chose; worker/engine_processor.hpp).
    std::string run;
    int pass = 0;
    int split = -1;
    int64_t begin = 0;
    int64_t end = 0;
    int64_t first_line = 1;
    /// A split cut while the file was still uploading (worker/upload_splits.hpp): the write in
    /// progress its bytes are read from (store::ObjectWriter::ReadableAs), and the upload's format
    /// and options (the version is not in the catalogue yet). A version's job with a `run` adopts
    /// that analysis's splits.
    std::string writing;
    std::string format;
    std::string options;
    [[nodiscard]] std::string ToJson() const;
    static core::Result<JobMessage> Parse(std::string_view json);
};

inline constexpr std::string_view kProcessTopic = "dataset.version.process";
inline constexpr std::string_view kSnapshotJob = "snapshot";
inline constexpr std::string_view kSplitJob = "split";

}  // namespace insightstream::catalog
