// The engine: bytes in, insight set out. Feed() the file in pieces of any size as they arrive
// from the object store; the engine samples the start to sniff the format and infer the schema,
// then cuts the stream into blocks at record boundaries (quote-aware) and aggregates them on all
// cores. Memory stays bounded: a few blocks in flight plus the aggregation state. The result
// does not depend on the number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "engine/csv.hpp"
#include "engine/hash.hpp"
#include "engine/insights.hpp"
#include "engine/json_records.hpp"
#include "engine/partial.hpp"
#include "engine/scan.hpp"
#include "engine/schema.hpp"
#include "engine/snapshot.hpp"
#include "engine/text_decoder.hpp"

namespace insightstream::engine {

/// More columns than a spreadsheet has (Excel's limit): a CSV header beyond it fails the file with
/// that reason; JSON keys beyond it are counted as not analysed.
inline constexpr size_t kMaxColumns = 16'384;

/// One split of a file (engine/splits.hpp): its bytes [begin, end), which start at a record's
/// start, and the line number of that record.
struct SplitRange {
    int64_t begin = 0;
    int64_t end = 0;
    int64_t first_line = 1;
    bool operator==(const SplitRange&) const = default;
};

struct EngineOptions {
    std::string format = "csv";  // csv | json | ndjson
    int threads = 0;             // 0: one per core
    // Niceness the engine's threads run at (Linux: per thread): a service where analyses share
    // the cores with requests lowers them, so requests get the CPU first. 0: as the caller's.
    int thread_nice = 0;
    size_t block_bytes = 4 << 20;
    size_t sample_bytes = 1 << 20;
    size_t sample_rows = 10'000;
    size_t top_values = 10;
    PartialOptions partial;
    std::map<std::string, TypeHint> hints;
    InferOptions infer;                  // the upload's defaults (date order, decimal mark)
    std::optional<bool> quoted_newlines;  // CSV: unset = decided from the sample
    Refinement refined;                  // what earlier passes found (see Analyze)
    size_t max_columns = kMaxColumns;
    // Heap bytes the analysis may grow by (measured from the allocator, so other work in the same
    // process counts too); beyond it the analysis fails with job-memory-exceeded. 0: no limit.
    size_t memory_budget = 0;
    // Set: the pass writes the snapshot instead of analysing (see engine/snapshot.hpp). The
    // columns must be those this pass infers (the options of the analysis's last pass).
    SnapshotOutput* snapshot = nullptr;
    // Set: the engine analyses one split of the file (see Engine::FeedHead) into a partial result,
    // or (MergePartial, FinishMerged) merges the splits' partial results.
    std::optional<SplitRange> split;
};

struct EngineProgress {
    int64_t bytes_in = 0;    // fed so far
    int64_t bytes_done = 0;  // parsed and aggregated
    int64_t rows = 0;
};

class Engine {
public:
    explicit Engine(EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    /// Takes the next piece of the file. May wait while the workers catch up.
    core::Result<void> Feed(std::string_view data);
    /// Ends the input and returns the insight set. Errors: an empty or binary file, a JSON file
    /// that is not an array of objects, a header with no columns.
    core::Result<InsightSet> Finish();
    /// Ends the input of a snapshot pass (EngineOptions::snapshot): every row group is appended.
    core::Result<SnapshotStats> FinishSnapshot();
    [[nodiscard]] EngineProgress Progress() const;

    /// A split's engine (EngineOptions::split) first reads the file's head, from byte 0, and
    /// infers the schema from it exactly as the whole file's analysis does: FeedHead until
    /// HeadDone(), or EndHead() when the file ends first. Feed then takes the split's bytes.
    core::Result<void> FeedHead(std::string_view data);
    core::Result<void> EndHead();
    [[nodiscard]] bool HeadDone() const { return started_; }
    /// Ends a split's input: its partial result (engine/partial_io.hpp).
    core::Result<std::string> FinishSplit();
    /// Instead of a split's bytes: the partial results of every split of the file, one at a time
    /// in any order, then the file's insight set (the same as Finish on the whole file).
    core::Result<void> MergePartial(std::string_view partial);
    core::Result<InsightSet> FinishMerged();
    /// Known once the head is read: whether record ends can be found in the file's own bytes
    /// (not UTF-16, whose bytes are not ASCII-compatible, and not a JSON array, whose elements
    /// are found by nesting), and a scanner that finds them.
    [[nodiscard]] bool Splittable() const;
    [[nodiscard]] RecordScanner FileScanner() const { return file_scanner_; }
    /// Known once the head is read: where the CSV header record ends in the file's own bytes
    /// (`raw` is the head from byte 0); 0 for JSON. No split may end inside it.
    [[nodiscard]] size_t RawHeaderEnd(std::string_view raw) const;
    /// Makes Feed and Finish fail soon; safe from another thread.
    void Cancel();

private:
    struct Block {
        std::string data;  // followed by JSON padding
        size_t size = 0;
        int64_t first_line = 1;
        uint64_t seq = 0;  // blocks are numbered in file order
    };
    /// Ends the input and waits for every block to be processed.
    core::Result<void> Drain();
    /// The snapshot pass's work on one block: its rows converted, then appended in file order.
    void SnapshotBlock(const Block& b, JsonFlattener& flattener);
    core::Result<void> Start(bool whole_file);
    /// Takes the next bytes before the schema is known; starts once the sample is complete
    /// (the bytes after it go on to the blocks, or for a split's head, are dropped).
    core::Result<void> Sample(std::string_view data);
    /// A split's engine, once the head is read: forgets the head's records and reads the split's.
    void SetUpSplit();
    /// After Drain: the threads' partials merged into one (with the decoder's notes).
    core::Result<Partial*> Combine();
    InsightSet Conclude(Partial& merged);
    core::Result<void> InferCsv(std::string_view sample);
    core::Result<void> InferJson(std::string_view sample);
    void CutBlocks(bool final);
    void Dispatch(std::string data, int64_t first_line);
    std::string TakeSpare();  // a buffer from spare_, or a new one
    void WorkerLoop(size_t index);
    void Fail(core::Error e);
    /// Fails the analysis when the heap has grown by more than the budget since it started.
    bool OverBudget();
    core::Result<void> Append(std::string_view decoded);
    // Rows: a Partial (analysis) or SnapshotRows (the snapshot pass).
    template <class Rows>
    void ProcessCsv(Rows& p, const Block& b);
    template <class Rows>
    void ProcessJson(Rows& p, const Block& b, JsonFlattener& flattener);

    EngineOptions options_;
    bool started_ = false;
    bool finished_ = false;
    std::optional<core::Error> failure_;         // set by the feeding thread
    std::optional<core::Error> worker_failure_;  // set by a worker thread, under mutex_
    std::string raw_sample_;      // bytes before the schema is known
    bool bom_ = false;            // the decoded file starts with a UTF-8 byte-order mark
    size_t raw_sample_bytes_ = 0;  // the file's bytes the sample was decoded from
    CsvDialect header_dialect_;   // as sniffed: how the header record was read
    size_t header_bytes_ = 0;     // CSV: the header record's decoded bytes (after the BOM)
    size_t skip_ = 0;             // decoded bytes Append still skips (split 0's BOM and header)
    RecordScanner file_scanner_;  // as the file's record ends are found (fresh state)
    size_t sample_lf_ = 0, sample_cr_ = 0, sample_counted_ = 0;  // line ends in raw_sample_[0, counted)
    std::string pending_;         // bytes after the schema is known, not yet dispatched
    int64_t pending_first_line_ = 1;
    size_t scanned_ = 0;          // bytes of pending_ already scanned for boundaries
    int64_t last_boundary_ = -1;  // offset in pending_ just past the last record end found
    int64_t lines_to_boundary_ = 0;  // newlines from the block's start to last_boundary_
    int64_t lines_at_block_ = 0;     // scanner_.newlines where the pending block starts
    RecordScanner scanner_;
    JsonArraySplitter array_splitter_;
    bool json_array_ = false;

    TextDecoder decoder_;
    std::string decoded_;         // scratch for the decoder
    CsvDialect dialect_;
    Schema schema_;
    // JSON key path → column, looked up by string_view (no string made per value), and the
    // paths by column, to check a record's keys against the order the previous record had.
    struct PathHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return HashBytes(s); }
    };
    std::unordered_map<std::string, size_t, PathHash, std::equal_to<>> json_columns_;
    std::vector<std::string> json_paths_;
    /// The column of a record's key at `position`, guessed from the previous record's order
    /// (`order`, per thread) and checked, else looked up; SIZE_MAX for a key without a column.
    size_t JsonColumn(std::string_view path, size_t position, std::vector<uint32_t>& order) const;

    std::vector<std::unique_ptr<Partial>> partials_;
    std::vector<std::unique_ptr<SharedGroups>> shared_groups_;  // per dimension
    std::vector<std::thread> workers_;
    mutable std::mutex mutex_;
    std::condition_variable queue_cv_;
    std::condition_variable space_cv_;
    std::deque<Block> queue_;
    // Buffers of blocks done with, for the next blocks: a fresh 4 MiB buffer is new pages, and
    // their faults cost about as much as reading the bytes.
    std::vector<std::string> spare_;
    bool closed_ = false;
    std::atomic<bool> cancelled_{false};
    std::atomic<int64_t> bytes_in_{0};
    std::atomic<int64_t> bytes_done_{0};
    std::atomic<int64_t> rows_done_{0};
    size_t max_queue_ = 4;
    size_t heap_at_start_ = 0;
    uint64_t next_seq_ = 0;
    // The snapshot pass: the number of the block whose row group is appended next.
    std::mutex turn_mutex_;
    std::condition_variable turn_cv_;
    uint64_t turn_ = 0;
    std::atomic<int64_t> snapshot_rows_{0};
    int64_t snapshot_row_groups_ = 0;  // under turn_mutex_
};

/// Where Analyze reads a file from: opened once per pass, from its start.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Up to `capacity` bytes; 0 at the end.
    virtual core::Result<size_t> Read(char* buffer, size_t capacity) = 0;
};

/// A file already in memory (tests, fuzzing): the view must outlive the source.
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string_view data) : data_(data) {}
    core::Result<size_t> Read(char* buffer, size_t capacity) override {
        size_t n = std::min(capacity, data_.size() - pos_);
        std::copy_n(data_.data() + pos_, n, buffer);
        pos_ += n;
        return n;
    }

private:
    std::string_view data_;
    size_t pos_ = 0;
};

struct AnalyzeHooks {
    std::function<core::Result<std::unique_ptr<ByteSource>>()> open;  // required
    std::function<void(int pass, int64_t bytes_read, int64_t rows)> progress;
    std::function<bool()> stop;  // true: stop at the next piece (the error's slug is "job-stopped")
    size_t chunk_bytes = 4 << 20;
    int max_passes = 3;
};

/// The whole analysis of a file: one pass through the engine, or more when a pass finds that
/// another would be more exact (a column typed only after the sample, JSON keys first seen
/// later, dates whose order the whole column decided differently, top groups whose months were
/// not all counted — see Refinement). Each pass reads the file again from its start. The result
/// of the last pass is returned; whatever it still could not do is flagged in it.
core::Result<InsightSet> Analyze(EngineOptions options, const AnalyzeHooks& hooks, EngineOptions* last = nullptr);

/// After pass `pass` read with `options`: true if it is the last (nothing more to ask for, or
/// nothing a pass has not already done, or no pass left). Every multi-pass loop asks this.
bool IsLastPass(const InsightSet& s, const EngineOptions& options, int pass, int max_passes);

/// The pass number AnalyzeHooks::progress gets during WriteSnapshot's pass.
inline constexpr int kSnapshotPass = 0;

/// Writes the snapshot of an analysed file: one more pass, with `last` (the options of the
/// analysis's last pass, see Analyze), into `out`. Fails if the rows written are not the rows
/// the analysis used.
core::Result<SnapshotStats> WriteSnapshot(EngineOptions last, const InsightSet& analysed, const AnalyzeHooks& hooks,
                                          parquet::ByteSink& out);

}  // namespace insightstream::engine
