#include "engine/splits.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

namespace insightstream::engine {

using core::Error;
using core::Result;

namespace {

EngineOptions SplitOptions(EngineOptions options, SplitRange split) {
    options.split = split;
    options.snapshot = nullptr;
    return options;
}

// Reads the file's head into a split's engine until it has its sample (or the file ends).
Result<void> ReadHead(Engine& engine, const OpenRange& open, std::string& buffer) {
    IS_TRY(auto source, open(0, -1));
    while (!engine.HeadDone()) {
        IS_TRY(size_t n, source->Read(buffer.data(), buffer.size()));
        if (n == 0) return engine.EndHead();
        IS_TRY_VOID(engine.FeedHead(std::string_view(buffer.data(), n)));
    }
    return {};
}

}  // namespace

namespace {
EngineOptions CutterOptions(EngineOptions options) {
    options.threads = 1;  // it only reads the head
    return SplitOptions(std::move(options), SplitRange{});
}
}  // namespace

SplitCutter::SplitCutter(EngineOptions options, int64_t split_bytes)
    : head_(CutterOptions(std::move(options))), split_bytes_(std::max<int64_t>(split_bytes, 1)) {}

void SplitCutter::Feed(std::string_view data) {
    if (ready_) return Scan(data);
    buffered_.append(data);
    if (!head_.FeedHead(data)) {
        ready_ = true;  // the analysis will say what is wrong with the head: one split
        offset_ = static_cast<int64_t>(buffered_.size());
        buffered_.clear();
        return;
    }
    if (!head_.HeadDone()) return;
    StartScanning();
}

void SplitCutter::StartScanning() {
    ready_ = true;
    splittable_ = head_.Splittable();
    scanner_ = head_.FileScanner();
    header_end_ = head_.RawHeaderEnd(buffered_);
    std::string head = std::move(buffered_);
    buffered_.clear();
    Scan(head);
}

void SplitCutter::Scan(std::string_view data) {
    const auto n = static_cast<int64_t>(data.size());
    if (!splittable_) {
        offset_ += n;
        return;
    }
    auto record_end = [&](size_t at) {
        const int64_t end = offset_ + static_cast<int64_t>(at) + 1;
        if (end - split_begin_ < split_bytes_) return;
        done_.push_back(SplitRange{split_begin_, end, split_first_line_});
        split_begin_ = end;
        split_first_line_ = 1 + scanner_.newlines;
    };
    size_t from = 0;
    if (offset_ == 0) {
        // The header is one record however it was read (its quotes as sniffed, the BOM before
        // it): the scan starts where it ends.
        from = std::min(header_end_, data.size());
        scanner_.newlines = CountByte(data.substr(0, from), scanner_.newline());
        if (from > 0 && from < data.size()) record_end(from - 1);
    }
    if (!scanner_.quoted()) {
        // Every newline ends a record: the one that closes the split is the first at or after
        // the split's last byte; the others are only counted (for the next split's first line),
        // 64 bytes at a time — the ingest cuts an upload with this while it streams.
        const size_t len = data.size();
        const char nl = scanner_.newline();
        for (size_t i = from; i < len;) {
            const int64_t need = split_begin_ + split_bytes_ - 1 - offset_;  // index in data
            const size_t at = need <= static_cast<int64_t>(i) ? i : static_cast<size_t>(std::min<int64_t>(need, static_cast<int64_t>(len)));
            scanner_.newlines += CountByte(data.substr(i, at - i), nl);
            if (at >= len) break;
            const void* q = std::memchr(data.data() + at, nl, len - at);
            if (q == nullptr) break;
            const size_t j = static_cast<size_t>(static_cast<const char*>(q) - data.data());
            ++scanner_.newlines;
            record_end(j);
            i = j + 1;
        }
    } else {
        scanner_.Scan(data.data(), from, data.size(), record_end);
    }
    offset_ += n;
}

std::vector<SplitRange> SplitCutter::Take() { return std::exchange(done_, {}); }

std::vector<SplitRange> SplitCutter::Finish() {
    if (!ready_) {
        if (head_.EndHead()) {
            StartScanning();
        } else {
            ready_ = true;  // one split
            offset_ = static_cast<int64_t>(buffered_.size());
            buffered_.clear();
        }
    }
    if (!splittable_) {
        done_.clear();
        return {SplitRange{0, offset_, 1}};
    }
    if (offset_ > split_begin_ || (done_.empty() && split_begin_ == 0)) {
        done_.push_back(SplitRange{split_begin_, offset_, split_first_line_});
        split_begin_ = offset_;
    }
    return Take();
}

Result<std::string> AnalyzeSplit(const EngineOptions& options, const OpenRange& open, SplitRange split, size_t chunk_bytes,
                                 const std::function<bool()>& stop) {
    std::string buffer(std::max<size_t>(chunk_bytes, 1), '\0');
    Engine engine(SplitOptions(options, split));
    IS_TRY_VOID(ReadHead(engine, open, buffer));
    IS_TRY(auto source, open(split.begin, split.end));
    int64_t read = 0;
    for (;;) {
        if (stop && stop()) {
            engine.Cancel();
            return Error::Unavailable("the split's analysis was stopped").WithSlug("job-stopped");
        }
        IS_TRY(size_t n, source->Read(buffer.data(), buffer.size()));
        if (n == 0) break;
        read += static_cast<int64_t>(n);
        IS_TRY_VOID(engine.Feed(std::string_view(buffer.data(), n)));
    }
    // A split read short (the object shorter than the plan says) is never analysed as if whole.
    if (split.end >= 0 && read != split.end - split.begin) {
        engine.Cancel();
        return Error::Unavailable("the split's bytes " + std::to_string(split.begin) + "-" + std::to_string(split.end) +
                                  " could be read only up to " + std::to_string(split.begin + read))
            .WithSlug("split-short-read");
    }
    return engine.FinishSplit();
}

SplitMerger::SplitMerger(const EngineOptions& options) : engine_(SplitOptions(options, SplitRange{})) {}

Result<std::unique_ptr<SplitMerger>> SplitMerger::Open(const EngineOptions& options, const OpenRange& open, size_t chunk_bytes) {
    std::unique_ptr<SplitMerger> m(new SplitMerger(options));
    std::string buffer(std::max<size_t>(chunk_bytes, 1), '\0');
    IS_TRY_VOID(ReadHead(m->engine_, open, buffer));
    return m;
}

Result<void> SplitMerger::Add(std::string_view partial) { return engine_.MergePartial(partial); }

Result<InsightSet> SplitMerger::Finish() { return engine_.FinishMerged(); }

Result<InsightSet> MergeSplits(const EngineOptions& options, const OpenRange& open, const std::vector<std::string>& partials,
                               size_t chunk_bytes) {
    IS_TRY(auto merger, SplitMerger::Open(options, open, chunk_bytes));
    for (const auto& p : partials) IS_TRY_VOID(merger->Add(p));
    return merger->Finish();
}

Result<InsightSet> AnalyzeInSplits(EngineOptions options, const OpenRange& open, const std::vector<SplitRange>& splits,
                                   int max_passes, size_t chunk_bytes, EngineOptions* last, int workers) {
    if (splits.empty()) return Error::InvalidArgument("a file in splits needs at least one split");
    for (int pass = 1;; ++pass) {
        std::vector<Result<std::string>> partials(splits.size(), Error::Internal("not analysed"));
        std::atomic<size_t> next{0};
        auto work = [&] {
            for (size_t k; (k = next++) < splits.size();) {
                try {
                    partials[k] = AnalyzeSplit(options, open, splits[k], chunk_bytes);
                } catch (const std::bad_alloc&) {  // on a pool thread: the error, not the process's end
                    partials[k] = Error::InvalidArgument("a split needs more memory than there is").WithSlug("job-memory-exceeded");
                }
            }
        };
        {
            std::vector<std::jthread> pool;
            for (int w = 1; w < workers; ++w) pool.emplace_back(work);
            work();
        }
        std::vector<std::string> done;
        for (auto& p : partials) {
            if (!p) return p.error();
            done.push_back(std::move(*p));
        }
        IS_TRY(auto s, MergeSplits(options, open, done, chunk_bytes));
        s.passes = pass;
        if (IsLastPass(s, options, pass, max_passes)) {
            if (last != nullptr) *last = options;
            return s;
        }
        options.refined.Merge(s.refine);
    }
}

}  // namespace insightstream::engine
