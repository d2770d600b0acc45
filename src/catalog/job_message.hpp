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
    [[nodiscard]] std::string ToJson() const;
    static core::Result<JobMessage> Parse(std::string_view json);
};

inline constexpr std::string_view kProcessTopic = "dataset.version.process";
inline constexpr std::string_view kSnapshotJob = "snapshot";

}  // namespace insightstream::catalog
