// A file analysed in splits: cut at record ends as its bytes go by, each split analysed on its own
// (on any worker, in any order) into a partial result, the partials merged into the file's
// insight set — the same insight set, byte for byte, as one engine reading the whole file.
//
// Why it is exact: every split's engine first reads the file's head and infers the schema from
// the same sample the whole file's analysis uses (the sample ends at the same byte however the
// file is fed); a split starts at a record's start, with that record's line number, found by the
// same record scanner the engine cuts its blocks with; and partials merge exactly and in any
// order (the result does not depend on how rows were spread over threads or splits). What a pass
// finds for the next one (engine.hpp, Analyze) is found by the merge, and every split is read
// again with it.
//
// A file whose record ends cannot be found in its own bytes is one split: UTF-16 (the decoded
// text's structure is not in the bytes) and JSON arrays (an element's end is found by nesting;
// NDJSON splits).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "engine/engine.hpp"

namespace insightstream::engine {

/// Cuts a file into splits of at least `split_bytes` (the last may be shorter), each ending at a
/// record's end, as the file's bytes go by — the ingest sees every byte once, in order.
class SplitCutter {
public:
    SplitCutter(EngineOptions options, int64_t split_bytes);
    /// The next bytes of the file.
    void Feed(std::string_view data);
    /// The splits whose end is known, not taken before (in file order).
    std::vector<SplitRange> Take();
    /// The end of the file: the splits not taken yet, the last one included. A file that is
    /// not splittable (see above), or whose head cannot be read, is one split.
    std::vector<SplitRange> Finish();
    /// Bytes seen so far.
    [[nodiscard]] int64_t bytes() const { return offset_; }
    /// True once the head shows the file cannot be split (it will be one split whatever follows).
    [[nodiscard]] bool unsplittable() const { return ready_ && !splittable_; }

private:
    void StartScanning();
    void Scan(std::string_view data);

    Engine head_;                 // infers the dialect from the head, as every split will
    int64_t split_bytes_;
    bool ready_ = false;          // the head is read: scanning
    bool splittable_ = false;
    std::string buffered_;        // the bytes before the head was read
    RecordScanner scanner_;
    size_t header_end_ = 0;       // CSV: the header record's end (scanning starts there)
    int64_t offset_ = 0;          // bytes scanned
    int64_t split_begin_ = 0;
    int64_t split_first_line_ = 1;
    std::vector<SplitRange> done_;
};

/// Where a split's analysis reads from: the file's bytes [begin, end) (end -1: to the end).
using OpenRange = std::function<core::Result<std::unique_ptr<ByteSource>>(int64_t begin, int64_t end)>;

/// One split's analysis with the options of this pass: its partial result (engine/partial_io.hpp).
/// `stop` is asked between pieces (true: the error "job-stopped").
core::Result<std::string> AnalyzeSplit(const EngineOptions& options, const OpenRange& open, SplitRange split,
                                       size_t chunk_bytes = 4 << 20, const std::function<bool()>& stop = {});

/// The splits' partial results of one pass merged as they come, in any order (one held at a
/// time), into the file's insight set. Its `refine` says whether another pass is needed (see
/// AnalyzeInSplits).
class SplitMerger {
public:
    /// Reads the file's head for the schema.
    static core::Result<std::unique_ptr<SplitMerger>> Open(const EngineOptions& options, const OpenRange& open,
                                                           size_t chunk_bytes = 4 << 20);
    core::Result<void> Add(std::string_view partial);
    core::Result<InsightSet> Finish();

private:
    explicit SplitMerger(const EngineOptions& options);
    Engine engine_;
};

/// Every split's partial result merged (SplitMerger in one call).
core::Result<InsightSet> MergeSplits(const EngineOptions& options, const OpenRange& open,
                                     const std::vector<std::string>& partials, size_t chunk_bytes = 4 << 20);

/// The whole analysis of a file in splits, in this process (`workers` splits at a time, each with
/// options.threads threads): what Analyze returns for the whole file. Tests and the benchmark use
/// it; the service runs the same steps as jobs (worker/engine_processor.hpp).
core::Result<InsightSet> AnalyzeInSplits(EngineOptions options, const OpenRange& open, const std::vector<SplitRange>& splits,
                                         int max_passes = 3, size_t chunk_bytes = 4 << 20, EngineOptions* last = nullptr,
                                         int workers = 1);

}  // namespace insightstream::engine
