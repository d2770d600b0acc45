#include "worker/job_processor.hpp"

#include <algorithm>
#include <string>

namespace insightstream::worker {

core::Result<void> JobProcessor::WriteSnapshot(const JobContext&, store::ObjectReader&, ProgressSink&) {
    return core::Error::InvalidArgument("this processor writes no snapshots");
}

core::Result<bool> JobProcessor::ProcessSplit(const JobContext&, ProgressSink&) {
    return core::Error::InvalidArgument("this processor does not analyse files in splits");
}

core::Error StoppedError() {
    return core::Error::Unavailable("the job was stopped before it finished").WithSlug("job-stopped");
}

core::Result<JobOutcome> RowCountProcessor::Process(const JobContext& job, store::ObjectReader& source,
                                                    ProgressSink& progress) {
    std::string buf(chunk_bytes_, '\0');
    int64_t bytes = 0;
    int64_t lines = 0;
    char last = '\n';
    for (;;) {
        if (progress.StopRequested()) return StoppedError();
        IS_TRY(size_t n, source.Read(buf.data(), buf.size()));
        if (n == 0) break;
        lines += std::count(buf.data(), buf.data() + n, '\n');
        last = buf[n - 1];
        bytes += static_cast<int64_t>(n);
        progress.Report(bytes, lines);
    }
    if (last != '\n') ++lines;  // a last line without a newline is still a record
    if (job.version.format == "csv" && lines > 0) --lines;  // the header
    JobOutcome out;
    out.rows = lines;
    return out;
}

}  // namespace insightstream::worker
