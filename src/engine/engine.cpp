#include "engine/engine.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "core/memory.hpp"
#include "engine/flat_map.hpp"
#include "engine/partial_io.hpp"
#include "engine/scan.hpp"
#include "engine/text_arena.hpp"

namespace insightstream::engine {

using core::Error;
using core::Result;

namespace {
Error Unreadable(std::string detail) { return Error::InvalidArgument(std::move(detail)).WithSlug("unreadable-file"); }
}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)), heap_at_start_(core::HeapBytesInUse()) {
    json_array_ = options_.format == "json";
    int threads = options_.threads > 0 ? options_.threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    options_.threads = threads;
    max_queue_ = static_cast<size_t>(threads) * 2;
}

Engine::~Engine() {
    Cancel();
    {
        std::scoped_lock lock(mutex_);
        closed_ = true;
    }
    queue_cv_.notify_all();
    for (auto& t : workers_) {
        if (t.joinable()) t.join();
    }
}

void Engine::Cancel() {
    cancelled_ = true;
    queue_cv_.notify_all();
    space_cv_.notify_all();
    { std::scoped_lock lock(turn_mutex_); }  // a waiter between its check and its wait sees it
    turn_cv_.notify_all();
}

EngineProgress Engine::Progress() const { return {bytes_in_.load(), bytes_done_.load(), rows_done_.load()}; }

Result<void> Engine::Feed(std::string_view data) {
    if (failure_) return *failure_;
    if (cancelled_) {
        std::scoped_lock lock(mutex_);
        if (worker_failure_) return *worker_failure_;
        return Error::Unavailable("the engine was cancelled").WithSlug("job-stopped");
    }
    bytes_in_ += static_cast<int64_t>(data.size());
    if (!started_) {
        if (options_.split) return Error::Internal("a split's engine reads the file's head first (FeedHead)");
        return Sample(data);
    }
    return Append(decoder_.Decode(data, &decoded_));
}

Result<void> Engine::Sample(std::string_view data) {
    raw_sample_.append(data);
    if (raw_sample_.size() < options_.sample_bytes) return {};
    // Huge records (a 10 MB field) can leave a sample with hardly a whole record in it: keep
    // sampling until it holds some, within a bound. Line ends are counted once each, as the
    // sample grows, and only until there are enough.
    constexpr size_t kMinSampleLines = 50;
    constexpr size_t kMaxSampleBytes = 64 << 20;
    // Counted only within the bound, so the cut below is the same however big the pieces are.
    for (; sample_counted_ < std::min(raw_sample_.size(), kMaxSampleBytes); ++sample_counted_) {
        if (sample_lf_ >= kMinSampleLines || sample_cr_ >= kMinSampleLines) break;
        sample_lf_ += raw_sample_[sample_counted_] == '\n';
        sample_cr_ += raw_sample_[sample_counted_] == '\r';
    }
    const bool enough_lines = sample_lf_ >= kMinSampleLines || sample_cr_ >= kMinSampleLines;
    if (!enough_lines && raw_sample_.size() < kMaxSampleBytes) return {};
    // The sample ends at the same byte however the file was fed (in pieces of any size, or as
    // a split's head), so the schema inferred from it is the same.
    size_t cut = enough_lines ? std::max(options_.sample_bytes, sample_counted_) : kMaxSampleBytes;
    std::string rest;
    if (cut < raw_sample_.size()) {
        rest.assign(raw_sample_, cut, std::string::npos);
        raw_sample_.resize(cut);
    }
    IS_TRY_VOID(Start(false));
    if (options_.split || rest.empty()) return {};
    return Append(decoder_.Decode(rest, &decoded_));
}

Result<void> Engine::FeedHead(std::string_view data) {
    if (!options_.split) return Error::Internal("FeedHead is for a split's engine");
    if (failure_) return *failure_;
    if (started_) return {};
    return Sample(data);
}

Result<void> Engine::EndHead() {
    if (!options_.split) return Error::Internal("EndHead is for a split's engine");
    if (failure_) return *failure_;
    if (started_) return {};
    if (raw_sample_.empty()) {
        failure_ = Unreadable("the file is empty");
        return *failure_;
    }
    return Start(true);
}

size_t Engine::RawHeaderEnd(std::string_view raw) const {
    if (!started_ || options_.format != "csv") return 0;
    // The header as InferCsv read it (the sniffed dialect, in the sample): its structure is ASCII,
    // the same in the file's bytes as in their UTF-8 form.
    const size_t bom = bom_ ? 3 : 0;
    std::string_view sample = raw.substr(0, std::min(raw.size(), raw_sample_bytes_));
    if (sample.size() < bom) return sample.size();
    sample.remove_prefix(bom);
    CsvReader reader(header_dialect_, sample, 1);
    CsvRecord rec;
    if (!reader.Next(&rec)) return bom;
    return bom + reader.offset();
}

bool Engine::Splittable() const {
    return started_ && options_.format != "json" &&
           (decoder_.encoding() == TextEncoding::kUtf8 || decoder_.encoding() == TextEncoding::kWindows1252);
}

void Engine::SetUpSplit() {
    const SplitRange& r = *options_.split;
    skip_ = r.begin == 0 ? (bom_ ? 3 : 0) + header_bytes_ : 0;
    if (r.begin != 0) pending_first_line_ = r.first_line;  // split 0's starts after the header
    pending_.clear();
    scanned_ = 0;
    last_boundary_ = -1;
    lines_to_boundary_ = 0;
    lines_at_block_ = 0;
    scanner_ = file_scanner_;
    decoder_.Restart(r.begin == 0 ? 1 : r.first_line);
    array_splitter_ = JsonArraySplitter();
}

Result<void> Engine::Append(std::string_view decoded) {
    // Split 0 of a file in splits starts with the BOM and header the head was read for.
    const size_t skipped = std::min(skip_, decoded.size());
    skip_ -= skipped;
    decoded.remove_prefix(skipped);
    if (json_array_) {
        std::string error;
        if (!array_splitter_.Feed(decoded, &pending_, &error)) {
            failure_ = Unreadable(error);
            return *failure_;
        }
    } else {
        pending_.append(decoded);
    }
    CutBlocks(false);
    return {};
}

Result<void> Engine::Start(bool whole_file) {
    started_ = true;
    options_.infer.whole_file = whole_file;
    raw_sample_bytes_ = raw_sample_.size();
    // Everything after this point reads UTF-8: decode the sample, then the rest as it comes.
    decoder_.Detect(raw_sample_);
    raw_sample_ = std::string(decoder_.Decode(raw_sample_, &decoded_));
    if (whole_file) raw_sample_ += decoder_.Finish();
    std::string_view head(raw_sample_);
    if (head.substr(0, 64 * 1024).find('\0') != std::string_view::npos) {
        failure_ = Unreadable("the file is not text (it contains binary data)");
        return *failure_;
    }
    bom_ = head.starts_with("\xEF\xBB\xBF");
    if (bom_) raw_sample_.erase(0, 3);
    Result<void> inferred;
    if (options_.format == "csv") {
        inferred = InferCsv(raw_sample_);
    } else {
        if (json_array_) {
            std::string error;
            std::string converted;
            if (!array_splitter_.Feed(raw_sample_, &converted, &error)) {
                failure_ = Unreadable(error);
                return *failure_;
            }
            pending_ = std::move(converted);
        } else {
            pending_ = std::move(raw_sample_);
        }
        inferred = InferJson(pending_);
    }
    raw_sample_.clear();
    raw_sample_.shrink_to_fit();
    if (!inferred) {
        failure_ = inferred.error();
        return inferred;
    }
    {
        // Quotes matter to record ends only where quoted fields may hold line breaks.
        const bool csv = options_.format == "csv";
        file_scanner_ = RecordScanner(csv ? dialect_.newline : '\n', csv && dialect_.multiline_quotes ? dialect_.quote : '\0',
                                      dialect_.delimiter);
        scanner_ = file_scanner_;
    }
    if (options_.split) SetUpSplit();
    if (options_.snapshot != nullptr) {
        // The snapshot's columns come from the analysis, whose last pass read the same sample
        // with the same options: the same columns, or the file changed under us.
        const auto& cols = options_.snapshot->columns();
        bool same = cols.size() == schema_.columns.size();
        for (size_t c = 0; same && c < cols.size(); ++c) same = cols[c].spec.name == schema_.columns[c].name;
        if (!same) {
            failure_ = Error::Internal("the snapshot pass read other columns than the analysis").WithSlug("snapshot-failed");
            return *failure_;
        }
        for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(static_cast<size_t>(i)); });
        CutBlocks(false);
        return {};
    }
    options_.partial.seeds = options_.refined.seeds;
    // Each thread keeps its own groups up to a limit; beyond it, one table per dimension for all.
    std::vector<SharedGroups*> shared;
    const auto measures = static_cast<size_t>(std::count_if(schema_.columns.begin(), schema_.columns.end(),
                                                            [](const ColumnSpec& c) { return c.role == ColumnRole::kMeasure; }));
    for (const auto& col : schema_.columns) {
        if (col.role != ColumnRole::kDimension) continue;
        auto sg = std::make_unique<SharedGroups>();
        for (auto& shard : sg->shards) {
            shard.table.other_accs.resize(measures);
            shard.table.cell_limit = options_.partial.breakdown_groups;
        }
        auto seeded = options_.partial.seeds.find(col.name);
        if (seeded != options_.partial.seeds.end()) SeedGroups(sg->shards[0].table, seeded->second, measures);
        shared.push_back(sg.get());
        shared_groups_.push_back(std::move(sg));
    }
    for (int i = 0; i < options_.threads; ++i) {
        partials_.push_back(std::make_unique<Partial>(schema_, options_.partial, shared));
    }
    for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(static_cast<size_t>(i)); });
    CutBlocks(false);
    return {};
}

Result<void> Engine::InferCsv(std::string_view sample) {
    dialect_ = SniffCsv(sample);
    header_dialect_ = dialect_;
    // Only whole records of the sample count (unless the sample is the whole file).
    const bool maybe_cut = !options_.infer.whole_file;
    CsvReader reader(dialect_, sample, 1);
    CsvRecord rec;
    if (!reader.Next(&rec)) return Unreadable("the file has no header line");
    if (rec.fields.size() > options_.max_columns) {
        return Unreadable("the header has " + std::to_string(rec.fields.size()) + " columns; at most " +
                          std::to_string(options_.max_columns) + " are analysed");
    }
    std::vector<std::string> header(rec.fields.begin(), rec.fields.end());
    size_t header_end = reader.offset();
    auto names = UniqueColumnNames(header);
    // Do quoted fields of this file hold line breaks? Yes if a record of the sample has one in a
    // quoted field that closes properly, in a record of the header's width. Otherwise every line
    // end ends a record, so a stray quote breaks one line instead of swallowing the file.
    bool multiline = false;
    if (options_.quoted_newlines) {
        multiline = *options_.quoted_newlines;
    } else {
        for (size_t seen = 0; seen < options_.sample_rows && reader.Next(&rec); ++seen) {
            if (maybe_cut && reader.offset() >= sample.size()) break;
            if (rec.lines > 1 && !rec.unterminated_quote && !rec.loose_quote && rec.fields.size() == names.size()) {
                multiline = true;
                break;
            }
        }
    }
    dialect_.multiline_quotes = multiline;
    CsvReader rows_reader(dialect_, sample.substr(header_end), 2);
    std::vector<std::vector<std::string>> rows;
    while (rows.size() < options_.sample_rows && rows_reader.Next(&rec)) {
        if (maybe_cut && header_end + rows_reader.offset() >= sample.size()) break;  // maybe cut off
        if (rec.unterminated_quote || rec.fields.size() != names.size()) continue;  // rejected later
        rows.emplace_back(rec.fields.begin(), rec.fields.end());
    }
    InferOptions infer = options_.infer;
    infer.delimiter = dialect_.delimiter;
    infer.refined = &options_.refined;
    schema_ = InferSchema(names, rows, options_.hints, infer);
    int64_t header_lines = std::count(sample.begin(), sample.begin() + static_cast<ptrdiff_t>(header_end), dialect_.newline);
    pending_ = std::string(sample.substr(header_end));
    header_bytes_ = header_end;
    pending_first_line_ = 1 + header_lines;
    return {};
}

Result<void> Engine::InferJson(std::string_view sample) {
    std::string padded(sample);
    padded.append(JsonPadding(), ' ');
    JsonFlattener flattener;
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> rows;
    size_t pos = 0;
    std::string error;
    while (pos < sample.size() && rows.size() < options_.sample_rows) {
        size_t end = sample.find('\n', pos);
        if (end == std::string_view::npos) end = sample.size();
        // A view into the padded copy: simdjson reads up to `capacity` bytes past its start.
        std::string_view line(padded.data() + pos, end - pos);
        size_t capacity = padded.size() - pos;
        pos = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        std::vector<std::string> row(names.size());
        bool ok = flattener.Parse(
            line, capacity,
            [&](std::string_view path, std::string_view value, JsonFlattener::Kind) {
                auto it = json_columns_.find(path);
                if (it == json_columns_.end()) {
                    if (names.size() >= options_.max_columns) return;  // counted as not analysed later
                    it = json_columns_.emplace(std::string(path), names.size()).first;
                    names.emplace_back(path);
                    row.emplace_back();
                }
                row[it->second] = std::string(value);
            },
            &error);
        if (ok) rows.push_back(std::move(row));
    }
    // Keys an earlier pass saw only after the sample are columns too, after the sample's.
    for (const auto& key : options_.refined.new_keys) {
        if (names.size() >= options_.max_columns) break;
        if (json_columns_.emplace(key, names.size()).second) names.push_back(key);
    }
    if (names.empty() && !rows.empty()) return Unreadable("the JSON records have no fields");
    json_paths_ = names;
    InferOptions infer = options_.infer;
    infer.refined = &options_.refined;
    schema_ = InferSchema(names, rows, options_.hints, infer);
    pending_first_line_ = 1;
    return {};
}

void Engine::CutBlocks(bool final) {
    for (;;) {
        scanner_.Scan(pending_.data(), scanned_, pending_.size(), [&](size_t at) {
            last_boundary_ = static_cast<int64_t>(at) + 1;
            lines_to_boundary_ = scanner_.newlines - lines_at_block_;
        });
        scanned_ = pending_.size();
        if (final) {
            if (!pending_.empty()) Dispatch(std::move(pending_), pending_first_line_);
            pending_.clear();
            scanned_ = 0;
            return;
        }
        if (pending_.size() < options_.block_bytes || last_boundary_ <= 0) return;
        auto cut = static_cast<size_t>(last_boundary_);
        // The block keeps the buffer; only the short tail after the boundary is copied.
        std::string block = std::move(pending_);
        pending_ = TakeSpare();
        pending_.assign(block, cut, std::string::npos);
        pending_.reserve(options_.block_bytes + (1 << 20));
        block.resize(cut);
        Dispatch(std::move(block), pending_first_line_);
        pending_first_line_ += lines_to_boundary_;
        lines_at_block_ += lines_to_boundary_;
        scanned_ -= cut;
        last_boundary_ = -1;
        lines_to_boundary_ = 0;
        if (pending_.size() < options_.block_bytes) return;
    }
}

std::string Engine::TakeSpare() {
    std::scoped_lock lock(mutex_);
    if (spare_.empty()) return {};
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
}

void Engine::Dispatch(std::string data, int64_t first_line) {
    Block b;
    b.size = data.size();
    b.first_line = first_line;
    b.seq = next_seq_++;
    b.data = std::move(data);
    if (options_.format != "csv") b.data.append(JsonPadding(), ' ');
    std::unique_lock lock(mutex_);
    space_cv_.wait(lock, [&] { return queue_.size() < max_queue_ || cancelled_; });
    if (cancelled_) return;
    queue_.push_back(std::move(b));
    queue_cv_.notify_one();
}

bool Engine::OverBudget() {
    if (options_.memory_budget == 0) return false;
    size_t now = core::HeapBytesInUse();
    if (now <= heap_at_start_ || now - heap_at_start_ <= options_.memory_budget) return false;
    Fail(Error::InvalidArgument("analysing this file needs more than " + std::to_string(options_.memory_budget >> 20) +
                                " MiB, the memory one job may use (--job-memory-bytes); it has " +
                                std::to_string(schema_.columns.size()) + " columns")
             .WithSlug("job-memory-exceeded"));
    return true;
}

void Engine::Fail(Error e) {
    {
        std::scoped_lock lock(mutex_);
        if (!worker_failure_) worker_failure_ = std::move(e);
    }
    Cancel();
}

void Engine::WorkerLoop(size_t index) {
    // Best effort: a thread may always lower its own priority; nothing to do if it cannot.
    if (options_.thread_nice > 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), options_.thread_nice);
    JsonFlattener flattener;
    for (;;) {
        Block b;
        {
            std::unique_lock lock(mutex_);
            queue_cv_.wait(lock, [&] { return !queue_.empty() || closed_ || cancelled_; });
            if (cancelled_) return;
            if (queue_.empty()) return;  // closed and drained
            b = std::move(queue_.front());
            queue_.pop_front();
        }
        space_cv_.notify_one();
        // A file too big for memory fails its own job, never the process.
        try {
            if (options_.snapshot != nullptr) {
                SnapshotBlock(b, flattener);
            } else {
                Partial& p = *partials_[index];
                int64_t before = p.rows + p.rejected;
                if (options_.format == "csv") ProcessCsv(p, b);
                else ProcessJson(p, b, flattener);
                rows_done_ += p.rows + p.rejected - before;
            }
        } catch (const std::bad_alloc&) {
            Fail(Error::InvalidArgument("the file needs more memory to analyse than this worker has").WithSlug("job-memory-exceeded"));
            return;
        }
        bytes_done_ += static_cast<int64_t>(b.size);
        {
            std::scoped_lock lock(mutex_);
            if (spare_.size() < 2) spare_.push_back(std::move(b.data));
        }
        if (OverBudget()) return;
    }
}

void Engine::SnapshotBlock(const Block& b, JsonFlattener& flattener) {
    SnapshotRows rows(options_.snapshot->columns());
    if (options_.format == "csv") ProcessCsv(rows, b);
    else ProcessJson(rows, b, flattener);
    auto rg = rows.Encode();
    std::unique_lock lock(turn_mutex_);
    turn_cv_.wait(lock, [&] { return turn_ == b.seq || cancelled_; });
    if (cancelled_) return;
    auto appended = rg ? options_.snapshot->Append(std::move(*rg)) : Result<void>(rg.error());
    if (!appended) {
        lock.unlock();
        Fail(appended.error());
        return;
    }
    if (rows.rows > 0) ++snapshot_row_groups_;
    ++turn_;
    lock.unlock();
    turn_cv_.notify_all();
    snapshot_rows_ += rows.rows;
    rows_done_ += rows.rows + rows.rejected;
}

namespace {
// A block's rows not analysed when its processing ends by an exception (out of memory: the job
// fails) are forgotten, never analysed later from bytes that are gone. Otherwise the processing
// analyses them itself before it returns (an analysis may throw: never from a destructor).
template <class Rows>
struct RowsDiscarded {
    Rows& rows;
    ~RowsDiscarded() { rows.DiscardRows(); }
};
}  // namespace

template <class Rows>
void Engine::ProcessCsv(Rows& p, const Block& b) {
    std::string_view data(b.data.data(), b.size);
    CsvReader reader(dialect_, data, b.first_line);
    // The rows point into the block and the reader's unescaped fields: flushed at the end, before
    // they go (RowsDiscarded).
    RowsDiscarded<Rows> guard{p};
    CsvRecord rec;
    const size_t ncols = schema_.columns.size();
    // A NUL byte is never part of a value: its record is rejected (checked per record only in a
    // block that has one).
    const bool nul = data.find('\0') != std::string_view::npos;
    while (reader.Next(&rec)) {
        p.lines += rec.lines;
        if (rec.unterminated_quote) {
            p.Reject(rec.line, rec.lines,
                     dialect_.multiline_quotes
                         ? "unterminated quoted field: the file ends inside quotes"
                         : "unterminated quoted field: a quote is not closed on its line (quoted fields in this file do "
                           "not span lines)",
                     rec.raw);
        } else if (rec.fields.size() != ncols) {
            p.Reject(rec.line, rec.lines,
                     "expected " + std::to_string(ncols) + " fields, found " + std::to_string(rec.fields.size()),
                     rec.raw);
        } else if (nul && rec.raw.find('\0') != std::string_view::npos) {
            p.Reject(rec.line, rec.lines, "the record contains a NUL byte (binary data)", rec.raw);
        } else {
            p.AddRow(rec.fields, rec.line);
        }
        if (!p.pending()) reader.ForgetUnescaped();  // the batch is analysed: its fields are not needed
        if (cancelled_) return;
    }
    p.FlushRows();
}

template <class Rows>
void Engine::ProcessJson(Rows& p, const Block& b, JsonFlattener& flattener) {
    // A record's strings are unescaped by the parser into its own buffer, which the next record
    // reuses: copied aside for the batch. The rest points into the block.
    TextArena strings;
    RowsDiscarded<Rows> guard{p};  // flushed at the end, before the block and the strings go
    const size_t ncols = schema_.columns.size();
    std::vector<std::string_view> fields(ncols);
    std::vector<uint8_t> set(ncols);
    std::vector<uint32_t> order;  // the columns of the previous record's keys, in its order
    std::string error;
    size_t pos = 0;
    int64_t line = b.first_line;
    const bool nul = std::string_view(b.data.data(), b.size).find('\0') != std::string_view::npos;
    for (; pos < b.size; ++line) {
        size_t end = b.data.find('\n', pos);
        if (end == std::string::npos || end > b.size) end = b.size;
        std::string_view text(b.data.data() + pos, end - pos);
        size_t capacity = b.data.size() - pos;
        pos = end + 1;
        if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        ++p.lines;
        if (nul && text.find('\0') != std::string_view::npos) {
            p.Reject(line, 1, "the record contains a NUL byte (binary data)", text);
            continue;
        }
        std::fill(fields.begin(), fields.end(), std::string_view());
        std::fill(set.begin(), set.end(), 0);
        int64_t this_line = line;
        size_t position = 0;
        bool ok = flattener.Parse(
            text, capacity,
            [&](std::string_view path, std::string_view value, JsonFlattener::Kind kind) {
                const size_t column = JsonColumn(path, position++, order);
                if (column == SIZE_MAX) {
                    p.LateKey(path, value, this_line);  // first seen after the sample: typed on another pass
                    return;
                }
                if (set[column]) {
                    p.Issue(this_line, path, "duplicate key; the first value is used", value);
                    return;
                }
                set[column] = 1;
                // Rows analysed at once (the snapshot's) need no copy.
                constexpr bool kBatched = !std::is_same_v<Rows, SnapshotRows>;
                fields[column] = kBatched && kind == JsonFlattener::Kind::kString ? strings.Copy(value) : value;
            },
            &error);
        if (!ok) {
            p.Reject(line, 1, error, text);
        } else {
            p.AddRow(fields, line);
        }
        if (!p.pending()) strings.Clear();  // the batch is analysed: its strings are not needed
        if (cancelled_) return;
    }
    p.FlushRows();
}

size_t Engine::JsonColumn(std::string_view path, size_t position, std::vector<uint32_t>& order) const {
    // Records from one producer list their keys in one order: the key at this position is
    // most likely the one the previous record had there, and one comparison confirms it.
    if (position < order.size() && order[position] != UINT32_MAX) {
        const std::string& guess = json_paths_[order[position]];
        if (guess.size() == path.size() && SameBytes(guess.data(), path.data(), path.size())) return order[position];
    }
    auto it = json_columns_.find(path);
    const size_t column = it == json_columns_.end() ? SIZE_MAX : it->second;
    if (position >= order.size()) order.resize(position + 1, UINT32_MAX);
    order[position] = column == SIZE_MAX ? UINT32_MAX : static_cast<uint32_t>(column);
    return column;
}

Result<void> Engine::Drain() {
    if (finished_) return Error::Internal("Finish called twice");
    finished_ = true;
    if (failure_) return *failure_;
    if (!started_) {
        if (options_.split) return Error::Internal("a split's engine reads the file's head first (EndHead)");
        if (raw_sample_.empty()) return Unreadable("the file is empty");
        IS_TRY_VOID(Start(true));
    }
    if (std::string tail = decoder_.Finish(); !tail.empty()) {
        IS_TRY_VOID(Append(tail));
    }
    if (json_array_) {
        std::string error;
        if (!array_splitter_.Finish(&pending_, &error)) return Unreadable(error);
    }
    CutBlocks(true);
    {
        std::scoped_lock lock(mutex_);
        closed_ = true;
    }
    queue_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    if (worker_failure_) return *worker_failure_;
    if (cancelled_) return Error::Unavailable("the engine was cancelled").WithSlug("job-stopped");
    if (schema_.columns.empty()) return Unreadable("the file has no columns");
    return {};
}

Result<SnapshotStats> Engine::FinishSnapshot() {
    if (options_.snapshot == nullptr) return Error::Internal("not a snapshot pass");
    IS_TRY_VOID(Drain());
    SnapshotStats stats;
    stats.rows = snapshot_rows_.load();
    std::scoped_lock lock(turn_mutex_);
    stats.row_groups = snapshot_row_groups_;
    return stats;
}

Result<Partial*> Engine::Combine() {
    for (size_t i = 1; i < partials_.size(); ++i) partials_[0]->Merge(*partials_[i]);
    // A dimension that spilled into its shared table: the threads' own groups join it, and it
    // becomes the dimension's table (so the big table is never copied).
    for (size_t d = 0; d < shared_groups_.size(); ++d) {
        if (!shared_groups_[d]->used()) continue;
        GroupTable& mine = partials_[0]->group_tables[d];
        mine = shared_groups_[d]->Combine(mine, partials_[0]->measures.size(), options_.partial.max_groups,
                                          options_.partial.max_text_bytes);
    }
    if (OverBudget()) return *worker_failure_;
    Partial& merged = *partials_[0];
    merged.AddRepaired(decoder_.repaired_lines(), decoder_.repaired_count());
    return &merged;
}

InsightSet Engine::Conclude(Partial& merged) {
    // Lines whose bytes were not UTF-8 and were read as Windows-1252 are noted, never hidden
    // (among the earliest issues by line, as a merge keeps them).
    std::vector<RowIssue> notes;
    for (int64_t line : merged.repaired_lines) {
        notes.push_back(RowIssue{line, "", "bytes that are not UTF-8 were read as Windows-1252 (Latin-1)", "", IssueKind::kNote});
    }
    merged.MergeIssues(std::move(notes), merged.repaired_count);
    InsightSet s = Finalize(merged, options_.top_values);
    s.encoding = EncodingName(decoder_.encoding());
    partials_.clear();
    return s;
}

Result<InsightSet> Engine::Finish() {
    if (options_.snapshot != nullptr) return Error::Internal("a snapshot pass has no insights");
    if (options_.split) return Error::Internal("a split's engine ends with FinishSplit or FinishMerged");
    IS_TRY_VOID(Drain());
    IS_TRY(Partial * merged, Combine());
    return Conclude(*merged);
}

Result<std::string> Engine::FinishSplit() {
    if (!options_.split) return Error::Internal("FinishSplit is for a split's engine");
    IS_TRY_VOID(Drain());
    IS_TRY(Partial * merged, Combine());
    return WritePartial(*merged);
}

Result<void> Engine::MergePartial(std::string_view partial) {
    if (!options_.split) return Error::Internal("MergePartial is for a split's engine");
    if (bytes_in_ > 0) return Error::Internal("a merge takes the splits' results, not their bytes");
    if (!finished_) IS_TRY_VOID(Drain());
    Partial p(schema_, options_.partial);
    IS_TRY_VOID(ReadPartial(partial, p));
    partials_[0]->Merge(p);
    if (OverBudget()) return *worker_failure_;
    return {};
}

Result<InsightSet> Engine::FinishMerged() {
    if (!options_.split) return Error::Internal("FinishMerged is for a split's engine");
    if (!finished_) IS_TRY_VOID(Drain());
    if (partials_.empty()) return Error::Internal("FinishMerged called twice");
    return Conclude(*partials_[0]);
}

namespace {

// The error a stopped analysis returns: the worker hands the job back untouched.
Error Stopped() { return Error::Unavailable("the engine was cancelled").WithSlug("job-stopped"); }

// Feeds the whole file through the engine (one pass).
Result<void> FeedFile(Engine& engine, const AnalyzeHooks& hooks, int pass, std::string& buffer) {
    IS_TRY(auto source, hooks.open());
    int64_t read = 0;
    for (;;) {
        if (hooks.stop && hooks.stop()) {
            engine.Cancel();
            return Stopped();
        }
        IS_TRY(size_t n, source->Read(buffer.data(), buffer.size()));
        if (n == 0) return {};
        read += static_cast<int64_t>(n);
        IS_TRY_VOID(engine.Feed(std::string_view(buffer.data(), n)));
        if (hooks.progress) hooks.progress(pass, read, engine.Progress().rows);
    }
}

}  // namespace

bool IsLastPass(const InsightSet& s, const EngineOptions& options, int pass, int max_passes) {
    return s.refine.empty() || !s.refine.AsksMoreThan(options.refined) || pass >= max_passes;
}

Result<InsightSet> Analyze(EngineOptions options, const AnalyzeHooks& hooks, EngineOptions* last) {
    std::string buffer(hooks.chunk_bytes, '\0');
    for (int pass = 1;; ++pass) {
        Engine engine(options);
        IS_TRY_VOID(FeedFile(engine, hooks, pass, buffer));
        IS_TRY(auto s, engine.Finish());
        s.passes = pass;
        if (IsLastPass(s, options, pass, hooks.max_passes)) {
            if (last != nullptr) *last = options;
            return s;
        }
        options.refined.Merge(s.refine);
    }
}

namespace {

// Appends row groups to the file as the snapshot pass hands them over, in order.
class SnapshotFile final : public SnapshotOutput {
public:
    SnapshotFile(std::vector<SnapshotColumn> columns, parquet::ByteSink& out)
        : columns_(std::move(columns)), writer_(ParquetColumns(columns_), out) {}
    [[nodiscard]] const std::vector<SnapshotColumn>& columns() const override { return columns_; }
    Result<void> Append(parquet::EncodedRowGroup rg) override { return writer_.Append(std::move(rg)); }
    parquet::FileWriter& writer() { return writer_; }

private:
    static std::vector<parquet::SchemaColumn> ParquetColumns(const std::vector<SnapshotColumn>& columns) {
        std::vector<parquet::SchemaColumn> out;
        for (const auto& c : columns) out.push_back(c.parquet);
        return out;
    }
    std::vector<SnapshotColumn> columns_;
    parquet::FileWriter writer_;
};

}  // namespace

Result<SnapshotStats> WriteSnapshot(EngineOptions last, const InsightSet& analysed, const AnalyzeHooks& hooks,
                                    parquet::ByteSink& out) {
    SnapshotFile file(SnapshotColumns(analysed), out);
    last.snapshot = &file;
    // Row groups of about 8 MB of input each (some 70 000 rows of a sales file).
    last.block_bytes = std::max<size_t>(last.block_bytes, 8 << 20);
    std::string buffer(hooks.chunk_bytes, '\0');
    Engine engine(last);
    IS_TRY_VOID(FeedFile(engine, hooks, kSnapshotPass, buffer));
    IS_TRY(auto stats, engine.FinishSnapshot());
    if (stats.rows != analysed.rows) {
        return Error::Internal("the snapshot pass read " + std::to_string(stats.rows) + " rows, the analysis " +
                               std::to_string(analysed.rows) + " (did the file change?)")
            .WithSlug("snapshot-failed");
    }
    IS_TRY(stats.bytes, file.writer().Finish({{"insightstream.rows", std::to_string(stats.rows)}}));
    return stats;
}

}  // namespace insightstream::engine
