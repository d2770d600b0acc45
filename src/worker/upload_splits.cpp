#include "worker/upload_splits.hpp"

#include <cstdio>
#include <random>
#include <vector>

#include "core/log.hpp"
#include "engine/partial_io.hpp"
#include "engine/splits.hpp"

namespace insightstream::worker {

namespace {

class UploadSplits final : public catalog::UploadSplitter {
public:
    UploadSplits(store::ObjectStore& objects, store::JobQueue& queue, core::Metrics& metrics,
                 const engine::EngineOptions& options, int64_t split_bytes, catalog::UploadStart start)
        : objects_(objects), queue_(queue), metrics_(metrics), options_(options), cutter_(options, split_bytes),
          start_(std::move(start)) {
        std::random_device rd;
        char id[17];
        std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
        run_ = id;
        job_ = catalog::JobMessage{start_.tenant, start_.dataset, start_.version, start_.trace_id, start_.request_id, start_.span_id};
    }
    ~UploadSplits() override {
        if (!finished_) Withdraw();
    }
    UploadSplits(const UploadSplits&) = delete;
    UploadSplits& operator=(const UploadSplits&) = delete;

    void Written(std::string_view bytes) override {
        if (off_) return;
        cutter_.Feed(bytes);
        if (cutter_.unsplittable()) {
            off_ = true;  // UTF-16, a JSON array: known from the head, before any split was cut
            return;
        }
        for (const auto& s : cutter_.Take()) Send(s);
    }

    std::string Finish() override {
        finished_ = true;
        if (off_ || splits_.empty()) {
            Withdraw();
            return {};
        }
        // The splits after the last one sent; the version's job analyses them (it starts with
        // the last, which ends with the file).
        for (const auto& s : cutter_.Finish()) splits_.push_back(s);
        std::string plan;
        for (const auto& s : splits_) {
            plan += std::to_string(s.begin) + " " + std::to_string(s.end) + " " + std::to_string(s.first_line) + "\n";
        }
        if (auto put = objects_.PutBytes(Key(1, "plan"), plan); !put) {
            core::Log(core::LogLevel::kWarn, "upload.split_plan_failed", put.error().ToString());
            Withdraw();
            return {};
        }
        return run_;
    }

    void Withdraw() override {
        if (withdrawn_ || !options_written_) return;
        withdrawn_ = true;
        // The options first: a split job that finishes after this sees them gone and deletes
        // what it wrote itself (EngineProcessor::ProcessSplit).
        (void)objects_.Delete(Key(1, "options"));
        for (size_t k = 0; k < splits_.size(); ++k) {
            (void)objects_.Delete(Key(1, std::to_string(k) + ".partial"));
            (void)objects_.Delete(Key(1, std::to_string(k) + ".taken"));
        }
        (void)objects_.Delete(Key(1, "plan"));
    }

private:
    store::ObjectKey Key(int pass, const std::string& what) const { return SplitObjectKey(job_, run_, pass, what); }

    void Send(const engine::SplitRange& s) {
        if (!options_written_) {
            // What every split of this pass is read with, as the version's job would write it.
            if (auto put = objects_.PutBytes(Key(1, "options"), engine::WritePassOptions(options_)); !put) {
                core::Log(core::LogLevel::kWarn, "upload.split_options_failed", put.error().ToString());
                off_ = true;  // the version's job cuts the file itself
                return;
            }
            options_written_ = true;
        }
        catalog::JobMessage m = SplitJobMessage(job_, run_, 1, splits_.size(), s);
        m.writing = start_.writing;
        m.format = start_.format;
        m.options = start_.options;
        splits_.push_back(s);
        // A split job that cannot be sent is analysed by the version's job.
        if (auto sent = queue_.Send(m.ToJson()); !sent) {
            core::Log(core::LogLevel::kWarn, "upload.split_send_failed", sent.error().ToString());
            return;
        }
        metrics_.Add("insightstream_upload_splits_sent_total", {});
    }

    store::ObjectStore& objects_;
    store::JobQueue& queue_;
    core::Metrics& metrics_;
    engine::EngineOptions options_;
    engine::SplitCutter cutter_;
    catalog::UploadStart start_;
    catalog::JobMessage job_;
    std::string run_;
    std::vector<engine::SplitRange> splits_;  // cut so far, in file order (split k is splits_[k])
    bool off_ = false;                        // not split while uploading (after all)
    bool options_written_ = false;
    bool finished_ = false;
    bool withdrawn_ = false;
};

}  // namespace

catalog::UploadSplitterFactory UploadSplitters(store::ObjectStore& objects, store::JobQueue& queue, core::Metrics& metrics,
                                               EngineProcessorSettings settings, int64_t split_bytes) {
    metrics.Describe("insightstream_upload_splits_sent_total", "counter",
                     "Split jobs sent while their file was still uploading.");
    return [&objects, &queue, &metrics, settings, split_bytes](
               const catalog::UploadStart& start) -> std::unique_ptr<catalog::UploadSplitter> {
        // Nothing to split: a store that cannot show the write, a body announced no bigger than
        // one split, a JSON array (its elements' ends are found by nesting: one split).
        if (split_bytes <= 0 || start.writing.empty() || start.format == "json") return nullptr;
        if (start.size_bytes >= 0 && start.size_bytes <= split_bytes) return nullptr;
        return std::make_unique<UploadSplits>(objects, queue, metrics, EngineOptionsFor(settings, start.format, start.options),
                                              split_bytes, start);
    };
}

}  // namespace insightstream::worker
