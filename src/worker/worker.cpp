#include "worker/worker.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include "core/log.hpp"
#include "core/trace.hpp"
#include "core/memory.hpp"
#include "catalog/datasets.hpp"
#include "worker/engine_processor.hpp"

namespace insightstream::worker {

using core::Error;
using core::LogLevel;
using core::Result;

namespace {

class DbProgress final : public ProgressSink {
public:
    DbProgress(store::Database& db, const core::Clock& clock, const JobContext& job, int interval_ms,
               int pause_ms, const std::atomic<bool>& stopping, const std::atomic<bool>& lost)
        : db_(db),
          clock_(clock),
          job_(job),
          interval_ms_(interval_ms),
          pause_ms_(pause_ms),
          stopping_(stopping),
          lost_(lost) {}

    void Report(int64_t bytes_done, int64_t rows_done) override {
        if (pause_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms_));
        int64_t now = core::MonotonicMs();
        if (now - last_write_ms_ < interval_ms_) return;
        last_write_ms_ = now;
        const auto& m = job_.message;
        auto r = db_.Transact(m.tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
            IS_TRY_VOID(catalog::datasets::UpdateProgress(tx, m.tenant, m.dataset, m.version, bytes_done, rows_done,
                                                         clock_.NowMs()));
            return {};
        });
        // Progress is advisory: a failed write is logged and the job goes on.
        if (!r) core::Log(LogLevel::kWarn, "job.progress_failed", r.error().ToString());
    }
    [[nodiscard]] bool StopRequested() const override { return stopping_.load() || lost_.load(); }

private:
    store::Database& db_;
    const core::Clock& clock_;
    const JobContext& job_;
    int interval_ms_;
    int pause_ms_;
    int64_t last_write_ms_ = 0;
    const std::atomic<bool>& stopping_;
    const std::atomic<bool>& lost_;
};

}  // namespace

Worker::Worker(store::Database& db, store::ObjectStore& objects, store::JobQueue& queue, store::JobQueue* dead_letters,
               JobProcessor& processor, core::Metrics& metrics, const core::Clock& clock, WorkerSettings settings)
    : db_(db),
      objects_(objects),
      queue_(queue),
      dead_letters_(dead_letters),
      processor_(processor),
      metrics_(metrics),
      clock_(clock),
      settings_(settings) {
    metrics_.Describe("insightstream_jobs_total", "counter", "Jobs handled by outcome.");
    metrics_.Describe("insightstream_job_duration_seconds", "histogram",
                      "Time from receive to the end of the job (after the commit, its snapshot).");
    metrics_.Describe("insightstream_snapshots_total", "counter",
                      "Snapshots of ready versions by outcome (snapshot, snapshot_failed, retried, released, gone).");
    metrics_.Describe("insightstream_rows_processed_total", "counter", "Rows read by the worker.");
    metrics_.Describe("insightstream_bytes_processed_total", "counter", "Source bytes read by the worker.");
    metrics_.Describe("insightstream_jobs_in_progress", "gauge", "Jobs being processed now.");
    metrics_.Describe("insightstream_job_queue_wait_seconds", "histogram",
                      "Time from a job's send to its receive (the queue's backlog, as the worker sees it).");
    metrics_.Set("insightstream_jobs_in_progress", {}, 0);
    // Split jobs go through the queue this worker takes jobs from, so any worker may take them.
    processor_.SetSplitSender([this](const catalog::JobMessage& job) -> Result<void> {
        IS_TRY_VOID(queue_.Send(job.ToJson()));
        return {};
    });
}

Worker::~Worker() { Stop(); }

void Worker::Start() {
    for (int i = 0; i < std::max(1, settings_.concurrency); ++i) threads_.emplace_back([this] { Loop(); });
    threads_.emplace_back([this] { HeartbeatLoop(); });
    if (dead_letters_) threads_.emplace_back([this] { DeadLetterLoop(); });
}

void Worker::Stop() {
    stopping_ = true;
    cv_.notify_all();
    queue_.Interrupt();  // a long poll in progress ends now
    if (dead_letters_) dead_letters_->Interrupt();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
}

bool Worker::SleepUnlessStopped(int ms) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping_.load(); });
}

int Worker::BackoffSeconds(int receive_count) const {
    double base = settings_.backoff_base_s * std::pow(2.0, std::max(0, receive_count - 1));
    base = std::min(base, static_cast<double>(settings_.backoff_max_s));
    thread_local std::mt19937 rng{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return std::max(1, static_cast<int>(std::lround(base * jitter(rng))));
}

void Worker::Loop() {
    while (!stopping_) {
        RunOnce(settings_.poll_wait_ms);
    }
}

bool Worker::RunOnce(int wait_ms) {
    auto got = queue_.Receive(1, settings_.visibility_s, wait_ms);
    if (!got) {
        core::Log(LogLevel::kWarn, "job.receive_failed", got.error().ToString());
        SleepUnlessStopped(1000);
        return false;
    }
    if (got->empty()) return false;
    for (const auto& m : *got) Handle(m);
    return true;
}

void Worker::HeartbeatLoop() {
    int period_ms = std::max(200, settings_.heartbeat_s * 1000);
    while (SleepUnlessStopped(period_ms)) {
        std::vector<std::shared_ptr<Lease>> leases;
        {
            std::scoped_lock lock(mutex_);
            for (auto& [_, l] : leases_) leases.push_back(l);
        }
        for (auto& l : leases) {
            auto r = queue_.ChangeVisibility(l->receipt, settings_.visibility_s);
            if (!r && r.error().code() == core::ErrorCode::kNotFound) {
                // Someone else holds the job now (our lease expired): stop working on it.
                l->lost = true;
                core::Log(LogLevel::kWarn, "job.lease_lost", "the message was redelivered elsewhere");
            } else if (!r) {
                core::Log(LogLevel::kWarn, "job.heartbeat_failed", r.error().ToString());
            }
        }
    }
}

void Worker::DeadLetterLoop() {
    while (SleepUnlessStopped(settings_.dead_letter_poll_s * 1000)) {
        // Messages stay in the dead-letter queue for operators; a long lease keeps this loop
        // from seeing the same one again soon. Marking failed is idempotent.
        auto got = dead_letters_->Receive(10, 12 * 3600, 0);
        if (!got) continue;
        for (const auto& m : *got) {
            auto job = catalog::JobMessage::Parse(m.body);
            if (!job) continue;
            if (job->kind == catalog::kSplitJob) {
                // A split the version's job analyses itself: never the version's failure.
                core::Log(LogLevel::kWarn, "job.split_dead_lettered", "a split job exhausted its attempts",
                          {{"tenant_id", job->tenant.str()}, {"dataset_id", job->dataset.str()}, {"version", job->version}});
                continue;
            }
            auto r = db_.Transact(job->tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
                IS_TRY(auto v, catalog::datasets::FindVersion(tx, job->tenant, job->dataset, job->version));
                if (v && v->status == catalog::VersionStatus::kReady && v->snapshot == catalog::SnapshotStatus::kWriting) {
                    // The insights are ready; only their snapshot could not be written — unless a
                    // delivery stored it and stopped before saying so.
                    if (objects_.Open(catalog::SnapshotKey(job->tenant, job->dataset, job->version))) {
                        IS_TRY_VOID(catalog::datasets::MarkSnapshot(tx, job->tenant, job->dataset, job->version,
                                                                    catalog::SnapshotStatus::kReady));
                        return {};
                    }
                    IS_TRY_VOID(catalog::datasets::MarkSnapshot(
                        tx, job->tenant, job->dataset, job->version, catalog::SnapshotStatus::kFailed,
                        "writing the snapshot stopped unexpectedly on every attempt; the job was moved to the "
                        "dead-letter queue"));
                    return {};
                }
                if (!v || v->status == catalog::VersionStatus::kReady || v->status == catalog::VersionStatus::kFailed) return {};
                IS_TRY_VOID(catalog::datasets::MarkFailed(
                    tx, job->tenant, job->dataset, job->version,
                    "processing stopped unexpectedly on every attempt; the job was moved to the dead-letter queue",
                    clock_.NowMs()));
                return {};
            });
            core::Log(r ? LogLevel::kError : LogLevel::kWarn, "job.dead_lettered",
                      r ? "a job exhausted its attempts" : r.error().ToString(),
                      {{"tenant_id", job->tenant.str()}, {"dataset_id", job->dataset.str()}, {"version", job->version}});
            // Splits cut while the file uploaded that no job adopted.
            if (r && job->kind.empty() && !job->run.empty()) SweepSplitObjects(objects_, *job);
        }
    }
}

namespace {

// The progress of a snapshot or split job is not the version's (that one is ready, or counts
// the splits itself): only stops count, and for the snapshot the fault pause (tests) applies
// per chunk as for the version's own job.
class StopOnly final : public ProgressSink {
public:
    StopOnly(const std::atomic<bool>& stopping, const std::atomic<bool>& lost, int pause_ms = 0)
        : stopping_(stopping), lost_(lost), pause_ms_(pause_ms) {}
    void Report(int64_t, int64_t) override {
        if (pause_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms_));
    }
    [[nodiscard]] bool StopRequested() const override { return stopping_.load() || lost_.load(); }

private:
    const std::atomic<bool>& stopping_;
    const std::atomic<bool>& lost_;
    int pause_ms_;
};

}  // namespace

Worker::LeaseHold::LeaseHold(Worker& worker, const std::string& id, const std::shared_ptr<Lease>& lease)
    : worker_(worker), id_(id) {
    std::scoped_lock lock(worker_.mutex_);
    held_ = worker_.leases_.emplace(id, lease).second;
}

Worker::LeaseHold::~LeaseHold() {
    if (!held_) return;  // an outer hold keeps it
    std::scoped_lock lock(worker_.mutex_);
    worker_.leases_.erase(id_);
}

Result<void> Worker::RunLeased(const store::QueueMessage& m, const std::shared_ptr<Lease>& lease,
                               const std::function<Result<void>()>& run) {
    std::optional<LeaseHold> hold(std::in_place, *this, m.id, lease);
    Result<void> out = [&]() -> Result<void> {
        try {
            return run();
        } catch (const std::bad_alloc&) {
            // This job, not the process: it fails with a reason the user can act on.
            return Error::InvalidArgument("the file needs more memory to analyse than this worker has")
                .WithSlug("job-memory-exceeded");
        } catch (const std::exception& e) {
            return Error::Internal(std::string("processor threw: ") + e.what());
        }
    }();
    hold.reset();
    core::ReleaseFreeMemory();  // a big job's memory goes back to the system, not to the next job's peak
    return out;
}

Result<void> Worker::RunOnSource(const store::QueueMessage& m, const JobContext& job,
                                 const std::shared_ptr<Lease>& lease,
                                 const std::function<Result<void>(store::ObjectReader&)>& run) {
    return RunLeased(m, lease, [&]() -> Result<void> {
        auto key = store::ObjectKey::Parse(job.version.object_key);
        if (!key) return Error::Internal("bad object key in DB: " + job.version.object_key);
        auto source = objects_.Open(*key);
        if (!source) {
            if (source.error().code() == core::ErrorCode::kNotFound) {
                return Error::InvalidArgument("the uploaded file is missing from the object store");
            }
            return std::move(source).error();
        }
        return run(**source);
    });
}

void Worker::Ack(const store::QueueMessage& m) {
    if (auto d = queue_.Delete(m.receipt); !d) core::Log(LogLevel::kWarn, "job.ack_failed", d.error().ToString());
}

std::optional<std::optional<catalog::VersionRecord>> Worker::VersionOf(const store::QueueMessage& m, const catalog::JobMessage& msg) {
    auto found = store::TransactValue(db_, msg.tenant, store::TxMode::kRead, [&](store::Tx& tx) {
        return catalog::datasets::FindVersion(tx, msg.tenant, msg.dataset, msg.version);
    });
    if (!found) {
        (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
        return std::nullopt;
    }
    return *found;
}

const char* Worker::ProcessSplit(const store::QueueMessage& m, JobContext& job) {
    const auto& msg = job.message;
    auto ack = [&] { Ack(m); };
    auto found = VersionOf(m, msg);
    if (!found) return "retried";
    // Only a version being processed waits for its splits; a split cut while its file uploads
    // comes before its version exists (its objects say whether anyone still waits for it).
    const bool uploading = !msg.writing.empty();
    if ((!*found && !uploading) ||
        (*found && ((*found)->status == catalog::VersionStatus::kReady || (*found)->status == catalog::VersionStatus::kFailed))) {
        ack();
        return "gone";
    }
    if (uploading && *found) {
        // The upload is stored and its version's job adopts the splits: it sends again those
        // nobody has taken or analyses them itself (with the version's progress), so a split job
        // sent while the file uploaded and not taken before is not needed any more.
        ack();
        return "split_superseded";
    }
    if (uploading) {
        job.version.format = msg.format;
        job.version.options = msg.options;
        job.version.object_key =
            store::ObjectKey::ForDatasetVersion(msg.tenant, msg.dataset, msg.version, "source").str();
    } else {
        job.version = **found;
    }
    auto lease = std::make_shared<Lease>();
    lease->receipt = m.receipt;
    bool analysed = false;
    Result<void> done = RunLeased(m, lease, [&]() -> Result<void> {
        StopOnly progress(stopping_, lease->lost);
        IS_TRY(analysed, processor_.ProcessSplit(job, progress));
        return {};
    });
    if (done) {
        ack();
        return analysed ? "split" : "split_skipped";
    }
    const auto& e = done.error();
    if (e.retriable() && m.receive_count < settings_.max_receives) {
        (void)queue_.ChangeVisibility(m.receipt, e.slug() == "job-stopped" ? 0 : BackoffSeconds(m.receive_count));
        return "retried";
    }
    // The version's job analyses the split itself, and fails the version with the reason if it
    // meets the same error.
    core::Log(LogLevel::kWarn, "job.split_failed", e.ToString(), {{"split", msg.split}, {"pass", msg.pass}});
    ack();
    return "split_failed";
}

const char* Worker::WriteSnapshot(const store::QueueMessage& m, JobContext& job) {
    const auto& msg = job.message;
    auto found = VersionOf(m, msg);
    if (!found) return "retried";
    // Only a ready version has the schema a snapshot is written with; one that is gone needs
    // nothing, and one that has its snapshot already (a duplicate request, or a worker that
    // stopped between storing it and saying so) only its status.
    if (!*found || (*found)->status != catalog::VersionStatus::kReady) {
        Ack(m);
        return "duplicate";
    }
    job.version = **found;
    auto lease = std::make_shared<Lease>();
    lease->receipt = m.receipt;
    if (objects_.Open(catalog::SnapshotKey(msg.tenant, msg.dataset, msg.version))) {
        if (job.version.snapshot == catalog::SnapshotStatus::kReady) {
            Ack(m);
            return "duplicate";
        }
        return SnapshotDone(m, msg, Result<void>(), *lease);
    }
    core::Log(LogLevel::kInfo, "job.snapshot_started", "writing the snapshot of a ready version");
    Result<void> written = RunOnSource(m, job, lease, [&](store::ObjectReader& source) {
        StopOnly progress(stopping_, lease->lost, settings_.fault_chunk_pause_ms);
        return processor_.WriteSnapshot(job, source, progress);
    });
    return SnapshotDone(m, msg, written, *lease);
}

bool Worker::SnapshotFailed(const catalog::JobMessage& msg, const std::string& reason) {
    auto marked = db_.Transact(msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
        IS_TRY_VOID(catalog::datasets::MarkSnapshot(tx, msg.tenant, msg.dataset, msg.version,
                                                    catalog::SnapshotStatus::kFailed, reason));
        return {};
    });
    if (!marked) core::Log(LogLevel::kWarn, "job.snapshot_status_failed", marked.error().ToString());
    return static_cast<bool>(marked);
}

const char* Worker::SnapshotDone(const store::QueueMessage& m, const catalog::JobMessage& msg, const Result<void>& written,
                                 const Lease& lease) {
    const char* how = SnapshotOutcome(m, msg, written, lease);
    metrics_.Add("insightstream_snapshots_total", {{"outcome", how}});
    return how;
}

const char* Worker::SnapshotOutcome(const store::QueueMessage& m, const catalog::JobMessage& msg,
                                    const Result<void>& written, const Lease& lease) {
    if (written) {
        auto marked = store::TransactValue(db_, msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) {
            return catalog::datasets::MarkSnapshot(tx, msg.tenant, msg.dataset, msg.version, catalog::SnapshotStatus::kReady);
        });
        if (!marked) {
            // Stored but not said: the message comes back and finds the object.
            core::Log(LogLevel::kWarn, "job.snapshot_status_failed", marked.error().ToString());
            (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
            return "retried";
        }
        if (!*marked) {
            // The dataset was deleted while its snapshot was written (its objects went with it):
            // this one must not outlive it.
            if (auto d = objects_.Delete(catalog::SnapshotKey(msg.tenant, msg.dataset, msg.version)); !d) {
                core::Log(LogLevel::kWarn, "job.snapshot_orphaned", d.error().ToString());
            }
            Ack(m);
            return "gone";
        }
        core::Log(LogLevel::kInfo, "job.snapshot_written", "the version's snapshot is written");
        Ack(m);
        return "snapshot";
    }
    const auto& e = written.error();
    if (e.slug() == "job-stopped") {
        // Shutdown or a lost lease: the message comes back (now, unless another worker has it).
        if (!lease.lost) (void)queue_.ChangeVisibility(m.receipt, 0);
        return "released";
    }
    if (e.retriable() && m.receive_count < settings_.max_receives) {  // a backend that is down
        (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
        return "retried";
    }
    std::string reason = e.code() == core::ErrorCode::kInternal
                             ? "writing the snapshot failed because of an internal error; it has been logged"
                             : e.detail();
    if (e.retriable()) reason = "writing the snapshot failed " + std::to_string(m.receive_count) + " times: " + e.detail();
    core::Log(LogLevel::kError, "job.snapshot_failed", e.ToString());
    if (!SnapshotFailed(msg, reason)) {
        (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
        return "retried";
    }
    Ack(m);
    return "snapshot_failed";
}

void Worker::Handle(const store::QueueMessage& m) {
    int64_t start_ms = core::MonotonicMs();
    int64_t received_ns = core::UnixNanos();
    std::optional<core::Span> span;  // the job's processing, once the message is read
    auto outcome = [&](const char* what) {
        if (span) {
            span->Attr({"outcome", what});
            if (std::string_view(what) == "failed" || std::string_view(what) == "retried") span->Fail(what);
        }
        metrics_.Add("insightstream_jobs_total", {{"outcome", what}});
        metrics_.Observe("insightstream_job_duration_seconds", {},
                         static_cast<double>(core::MonotonicMs() - start_ms) / 1000.0);
    };
    if (m.sent_at_ms > 0) {
        metrics_.Observe("insightstream_job_queue_wait_seconds", {},
                         static_cast<double>(std::max<int64_t>(0, clock_.NowMs() - m.sent_at_ms)) / 1000.0);
    }
    auto parsed = catalog::JobMessage::Parse(m.body);
    if (!parsed) {
        // Nothing can ever process it: drop it instead of cycling it to the dead-letter queue.
        core::Log(LogLevel::kError, "job.invalid_message", parsed.error().detail(), {{"job_id", m.id}});
        (void)queue_.Delete(m.receipt);
        outcome("invalid");
        return;
    }
    JobContext job{*parsed, {}, m.receive_count};
    const auto& msg = job.message;
    // The job's trace: the upload's, so one trace shows upload -> queue wait -> processing -> ready.
    if (m.sent_at_ms > 0 && core::TracingEnabled()) {
        core::Span wait("job.queue_wait", core::SpanKind::kConsumer, msg.trace_id, msg.span_id,
                        std::min(m.sent_at_ms * 1'000'000, received_ns));
        wait.Attr({"messaging.message.id", m.id});
        wait.Attr({"attempt", m.receive_count});
    }
    span.emplace("job.process", core::SpanKind::kInternal, msg.trace_id, msg.span_id, received_ns);
    span->Attr({"tenant_id", msg.tenant.str()});
    span->Attr({"dataset_id", msg.dataset.str()});
    span->Attr({"version", msg.version});
    span->Attr({"attempt", m.receive_count});
    core::LogScope scope({{"tenant_id", msg.tenant.str()},
                          {"dataset_id", msg.dataset.str()},
                          {"version", msg.version},
                          {"job_id", m.id},
                          {"attempt", m.receive_count},
                          {"trace_id", span->trace_id()},
                          {"span_id", span->span_id()}});
    auto ack = [&] {
        if (auto d = queue_.Delete(m.receipt); !d) core::Log(LogLevel::kWarn, "job.ack_failed", d.error().ToString());
    };

    if (msg.kind == catalog::kSnapshotJob) {
        outcome(WriteSnapshot(m, job));
        return;
    }
    if (msg.kind == catalog::kSplitJob) {
        outcome(ProcessSplit(m, job));
        return;
    }

    int64_t attempt = 0;  // this attempt's number: only it may commit (fencing against a lost lease)
    auto begin = store::TransactValue(db_, msg.tenant, store::TxMode::kWrite,
                                      [&](store::Tx& tx) -> Result<std::optional<catalog::VersionRecord>> {
                                          IS_TRY(auto v, catalog::datasets::FindVersion(tx, msg.tenant, msg.dataset,
                                                                                       msg.version));
                                          if (!v || v->status == catalog::VersionStatus::kReady) return v;
                                          IS_TRY(attempt, catalog::datasets::MarkProcessing(tx, msg.tenant, msg.dataset,
                                                                                           msg.version, clock_.NowMs()));
                                          // 0: it became ready (or went away) since the read above.
                                          if (attempt == 0) {
                                              return catalog::datasets::FindVersion(tx, msg.tenant, msg.dataset,
                                                                                   msg.version);
                                          }
                                          return v;
                                      });
    if (!begin) {
        core::Log(LogLevel::kWarn, "job.start_failed", begin.error().ToString());
        (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
        outcome("retried");
        return;
    }
    if (!*begin) {
        core::Log(LogLevel::kInfo, "job.skipped", "the dataset version no longer exists");
        ack();
        outcome("gone");
        return;
    }
    if ((*begin)->status == catalog::VersionStatus::kReady && (*begin)->snapshot == catalog::SnapshotStatus::kWriting) {
        // Ready, and its job stopped before the snapshot was written: the snapshot is what is left.
        outcome(WriteSnapshot(m, job));
        return;
    }
    if ((*begin)->status == catalog::VersionStatus::kReady) {
        core::Log(LogLevel::kInfo, "job.skipped", "the version is already ready (duplicate delivery)");
        ack();
        outcome("duplicate");
        return;
    }
    job.version = **begin;
    core::Log(LogLevel::kInfo, "job.started", "processing", {{"bytes", job.version.size_bytes}});

    auto lease = std::make_shared<Lease>();
    lease->receipt = m.receipt;
    // Held from here to the end, the commit and the snapshot after it included: the heartbeat
    // keeps the message's lease all along.
    std::optional<LeaseHold> hold(std::in_place, *this, m.id, lease);
    metrics_.Add("insightstream_jobs_in_progress", {}, 1);
    Result<JobOutcome> result = Error::Internal("not run");
    auto ran = RunOnSource(m, job, lease, [&](store::ObjectReader& source) -> Result<void> {
        DbProgress progress(db_, clock_, job, settings_.progress_interval_ms, settings_.fault_chunk_pause_ms, stopping_,
                            lease->lost);
        result = processor_.Process(job, source, progress);
        return {};
    });
    if (!ran) result = std::move(ran).error();
    metrics_.Add("insightstream_jobs_in_progress", {}, -1);
    if (!result) hold.reset();  // what follows sets the message's visibility itself

    if (result) {
        bool gone = false;
        core::Span ready("job.ready", core::SpanKind::kInternal, span->trace_id(), span->span_id());
        ready.Attr({"rows", result->rows});
        if (on_committing_) on_committing_(msg.tenant, msg.dataset);
        auto committed = db_.Transact(msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
            // Deleted while it was being processed: nothing to write the results to.
            IS_TRY(auto still, catalog::datasets::FindVersion(tx, msg.tenant, msg.dataset, msg.version));
            if (!still) {
                gone = true;
                return {};
            }
            if (result->write_results) IS_TRY_VOID(result->write_results(tx));
            IS_TRY(bool mine, catalog::datasets::MarkReady(tx, msg.tenant, msg.dataset, msg.version, result->rows,
                                                          result->rows_rejected, clock_.NowMs(), result->invalid_values,
                                                          result->issues, attempt));
            if (!mine) {
                // Another attempt started after ours (our lease expired): it commits, we roll back.
                return Error::Conflict("another attempt holds this job").WithSlug("job-lease-lost");
            }
            return {};
        });
        if (on_ready_) on_ready_(msg.tenant, msg.dataset);  // committed or not: ends what OnCommitting began
        if (!committed) ready.Fail(committed.error().slug());
        ready.End();
        if (committed && gone) {
            core::Log(LogLevel::kInfo, "job.skipped", "the dataset version was deleted while it was processed");
            ack();
            outcome("gone");
            return;
        }
        if (committed) {
            metrics_.Add("insightstream_rows_processed_total", {}, static_cast<double>(result->rows));
            metrics_.Add("insightstream_bytes_processed_total", {}, static_cast<double>(job.version.size_bytes));
            core::Log(LogLevel::kInfo, "job.succeeded", "results committed",
                      {{"rows", result->rows},
                       {"rows_rejected", result->rows_rejected},
                       {"duration_ms", core::MonotonicMs() - start_ms}});
            // The snapshot, now that the insights are ready: under the same message, so a worker
            // that stops here leaves it to the next delivery (the version is ready with its
            // snapshot "writing": see the start of Handle).
            result->write_results = nullptr;  // the committed payloads: not held through the pass
            core::Span snapshot("job.snapshot", core::SpanKind::kInternal, span->trace_id(), span->span_id());
            Result<void> written = Error::InvalidArgument("this worker writes no snapshots");
            if (result->snapshot) {
                written = RunLeased(m, lease, [&]() -> Result<void> {
                    StopOnly progress(stopping_, lease->lost, settings_.fault_chunk_pause_ms);
                    return result->snapshot(progress);
                });
            }
            hold.reset();  // SnapshotDone sets the message's visibility itself
            const char* how = SnapshotDone(m, msg, written, *lease);
            if (std::string_view(how) != "snapshot") snapshot.Fail(how);
            snapshot.End();
            outcome("succeeded");
            return;
        }
        result = std::move(committed).error();
        hold.reset();
    }

    const Error& e = result.error();
    if (e.slug() == "job-lease-lost") {
        core::Log(LogLevel::kWarn, "job.lease_lost", "another attempt started after this one; its results stand");
        outcome("lease_lost");
        return;
    }
    if (e.slug() == "job-stopped") {
        // Shutdown or a lost lease: hand the job back untouched so another worker takes it now.
        if (!lease->lost) {
            (void)db_.Transact(msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
                IS_TRY_VOID(catalog::datasets::Requeue(tx, msg.tenant, msg.dataset, msg.version, std::nullopt, attempt));
                return {};
            });
            (void)queue_.ChangeVisibility(m.receipt, 0);
        }
        core::Log(LogLevel::kInfo, "job.released", "stopped at a chunk boundary");
        outcome("released");
        return;
    }
    bool final = !e.retriable() || m.receive_count >= settings_.max_receives;
    if (final) {
        std::string reason = e.code() == core::ErrorCode::kInternal
                                 ? "processing failed because of an internal error; it has been logged"
                                 : e.detail();
        if (e.retriable()) {
            reason = "processing failed " + std::to_string(m.receive_count) + " times: " + e.detail();
        }
        auto failed = store::TransactValue(db_, msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) {
            return catalog::datasets::MarkFailed(tx, msg.tenant, msg.dataset, msg.version, reason, clock_.NowMs(), attempt);
        });
        if (failed && !*failed) {
            // A later attempt holds the version (or it is gone or ready): this one has no say.
            core::Log(LogLevel::kWarn, "job.lease_lost", "another attempt started after this one; its outcome stands");
            outcome("lease_lost");
            return;
        }
        if (!failed) {
            // Could not record the failure: let the message come back rather than lose it.
            core::Log(LogLevel::kError, "job.fail_record_failed", failed.error().ToString());
            (void)queue_.ChangeVisibility(m.receipt, BackoffSeconds(m.receive_count));
            outcome("retried");
            return;
        }
        ack();
        if (!msg.run.empty()) SweepSplitObjects(objects_, msg);  // splits cut while the file uploaded
        core::Log(LogLevel::kWarn, "job.failed", e.ToString(), {{"error_type", e.slug()}});
        outcome("failed");
        return;
    }
    int delay = BackoffSeconds(m.receive_count);
    (void)db_.Transact(msg.tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
        IS_TRY_VOID(catalog::datasets::Requeue(
            tx, msg.tenant, msg.dataset, msg.version,
            "attempt " + std::to_string(m.receive_count) + " failed, retrying: " + e.detail(), attempt));
        return {};
    });
    (void)queue_.ChangeVisibility(m.receipt, delay);
    core::Log(LogLevel::kWarn, "job.retry", e.ToString(), {{"retry_in_s", delay}, {"error_type", e.slug()}});
    outcome("retried");
}

}  // namespace insightstream::worker
