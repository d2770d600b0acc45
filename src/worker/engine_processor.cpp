#include "worker/engine_processor.hpp"

#include <boost/json.hpp>

#include <cmath>

#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "engine/engine.hpp"
#include "engine/partial_io.hpp"

namespace insightstream::worker {

using core::Error;
using core::Result;
namespace json = boost::json;

namespace {

Error BadOption(const std::string& field, const std::string& message) {
    return Error::InvalidArgument(field + ": " + message, {{field, message}});
}

Result<json::object> ParseMap(std::string_view text, const std::string& what, bool types) {
    json::object out;
    if (text.empty()) return out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        return BadOption(what, std::string("must be a JSON object of column name to ") + (types ? "type" : "role"));
    }
    for (const auto& kv : v.as_object()) {
        if (!kv.value().is_string()) return BadOption(what, "column " + std::string(kv.key()) + " is not a string");
        std::string name(kv.value().as_string());
        std::string error;
        if (types) {
            engine::TypeHint hint;
            if (!engine::ParseTypeHint(name, &hint, &error)) return BadOption(what, error + " (column " + std::string(kv.key()) + ")");
        } else {
            engine::ColumnRole r;
            if (!engine::ParseRoleName(name, &r)) {
                return BadOption(what, "unknown role '" + name + "' for column " + std::string(kv.key()) +
                                           "; roles are time, measure, dimension, identifier");
            }
        }
        out[kv.key()] = name;
    }
    return out;
}

std::string Param(const std::map<std::string, std::string>& params, const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
}

}  // namespace

Result<std::string> ParseVersionOptions(const std::map<std::string, std::string>& params) {
    IS_TRY(auto types, ParseMap(Param(params, "types"), "types", true));
    IS_TRY(auto roles, ParseMap(Param(params, "roles"), "roles", false));
    json::object o;
    if (!types.empty()) o["types"] = std::move(types);
    if (!roles.empty()) o["roles"] = std::move(roles);
    if (auto order = Param(params, "date_order"); !order.empty()) {
        if (order != "dmy" && order != "mdy") return BadOption("date_order", "must be dmy or mdy");
        o["date_order"] = order;
    }
    if (auto mark = Param(params, "decimal"); !mark.empty()) {
        if (mark != "comma" && mark != "point") return BadOption("decimal", "must be comma or point");
        o["decimal"] = mark;
    }
    if (auto q = Param(params, "quoted_newlines"); !q.empty()) {
        if (q != "true" && q != "false") return BadOption("quoted_newlines", "must be true or false");
        o["quoted_newlines"] = q == "true";
    }
    return json::serialize(o);
}

void ApplyVersionOptions(std::string_view options_json, engine::EngineOptions* options) {
    boost::system::error_code ec;
    auto v = json::parse(options_json, ec);
    if (ec || !v.is_object()) return;
    const auto& o = v.as_object();
    if (auto* types = o.if_contains("types"); types && types->is_object()) {
        for (const auto& kv : types->as_object()) {
            engine::TypeHint hint = options->hints[std::string(kv.key())];
            std::string error;
            if (kv.value().is_string() && engine::ParseTypeHint(std::string(kv.value().as_string()), &hint, &error)) {
                options->hints[std::string(kv.key())] = hint;
            }
        }
    }
    if (auto* roles = o.if_contains("roles"); roles && roles->is_object()) {
        for (const auto& kv : roles->as_object()) {
            engine::ColumnRole r;
            if (kv.value().is_string() && engine::ParseRoleName(std::string(kv.value().as_string()), &r)) {
                options->hints[std::string(kv.key())].role = r;
            }
        }
    }
    if (auto* order = o.if_contains("date_order"); order && order->is_string()) {
        options->infer.date_order = order->as_string() == "dmy" ? engine::DateOrder::kDmy : engine::DateOrder::kMdy;
    }
    if (auto* mark = o.if_contains("decimal"); mark && mark->is_string()) {
        options->infer.decimal_mark = mark->as_string() == "comma" ? engine::DecimalMark::kComma : engine::DecimalMark::kPoint;
    }
    if (auto* q = o.if_contains("quoted_newlines"); q && q->is_bool()) options->quoted_newlines = q->as_bool();
}

Result<void> EngineProcessor::PutSnapshot(const JobContext& job, const engine::EngineOptions& last,
                                          const engine::InsightSet& insights, const engine::AnalyzeHooks& hooks) {
    // The version's rows as Parquet, beside its source: what /query reads and /export serves.
    struct Sink final : parquet::ByteSink {
        store::ObjectWriter* writer = nullptr;
        Result<void> Write(std::string_view bytes) override { return writer->Write(bytes.data(), bytes.size()); }
    };
    auto key = catalog::SnapshotKey(job.message.tenant, job.message.dataset, job.message.version);
    IS_TRY(auto writer, objects_.BeginPut(key));
    Sink sink;
    sink.writer = writer.get();
    auto stats = engine::WriteSnapshot(last, insights, hooks, sink);
    if (!stats) {
        const auto& e = stats.error();
        // A stop ("job-stopped" is kUnavailable) or a store that is down is retried as the whole
        // job is; anything else fails the version with the reason.
        if (e.retriable()) return e;
        const std::string& why = e.code() == core::ErrorCode::kInternal ? e.internal() : e.detail();
        return Error::InvalidArgument("the columnar snapshot could not be written: " + why).WithSlug("snapshot-failed");
    }
    IS_TRY_VOID(writer->Commit());
    return {};
}

engine::EngineOptions EngineOptionsFor(const EngineProcessorSettings& settings, const std::string& format,
                                       std::string_view options_json) {
    engine::EngineOptions options;
    options.format = format;
    options.threads = settings.threads;
    options.thread_nice = settings.nice;
    options.partial.max_groups = settings.max_groups;
    options.partial.max_issues = settings.max_issues;
    options.memory_budget = settings.memory_budget;
    ApplyVersionOptions(options_json, &options);
    return options;
}

engine::EngineOptions EngineProcessor::Options(const JobContext& job) const {
    return EngineOptionsFor(settings_, job.version.format, job.version.options);
}

engine::AnalyzeHooks EngineProcessor::Hooks(const JobContext& job, store::ObjectReader* source, ProgressSink& progress,
                                            bool* first) {
    // The first pass reads the source the worker opened; another pass (see engine::Analyze)
    // opens the object again from its start.
    engine::AnalyzeHooks hooks;
    hooks.chunk_bytes = settings_.chunk_bytes;
    hooks.open = [this, &job, source, first]() -> Result<std::unique_ptr<engine::ByteSource>> {
        struct Source final : engine::ByteSource {
            store::ObjectReader* reader = nullptr;
            std::unique_ptr<store::ObjectReader> owned;
            Result<size_t> Read(char* buffer, size_t capacity) override { return reader->Read(buffer, capacity); }
        };
        auto out = std::make_unique<Source>();
        if (*first && source != nullptr) {
            *first = false;
            out->reader = source;
        } else {
            auto key = store::ObjectKey::Parse(job.version.object_key);
            if (!key) return Error::Internal("bad object key in DB: " + job.version.object_key);
            IS_TRY(out->owned, objects_.Open(*key));
            out->reader = out->owned.get();
        }
        return std::unique_ptr<engine::ByteSource>(std::move(out));
    };
    // Progress is the file's bytes read by the pass. The snapshot pass runs after the version is
    // ready (see Process), reported to a sink of its own.
    const int64_t size = std::max<int64_t>(job.version.size_bytes, 1);
    hooks.progress = [&progress, size](int /*pass*/, int64_t bytes, int64_t rows) {
        progress.Report(std::min(bytes, size), rows);
    };
    hooks.stop = [&progress] { return progress.StopRequested(); };
    return hooks;
}

Result<void> EngineProcessor::WriteSnapshot(const JobContext& job, store::ObjectReader& source, ProgressSink& progress) {
    bool first = true;
    engine::AnalyzeHooks hooks = Hooks(job, &source, progress, &first);
    engine::EngineOptions last;
    IS_TRY(auto insights, engine::Analyze(Options(job), hooks, &last));
    // The snapshot must hold the rows the version's results were computed from: an analysis by
    // this code that reads the file otherwise than the one that made them gives no snapshot.
    if (job.version.rows_total && insights.rows != *job.version.rows_total) {
        return Error::InvalidArgument("the file now reads as " + std::to_string(insights.rows) + " rows, the version's results " +
                                      std::to_string(*job.version.rows_total))
            .WithSlug("snapshot-failed");
    }
    return PutSnapshot(job, last, insights, hooks);
}

Result<JobOutcome> EngineProcessor::Process(const JobContext& job, store::ObjectReader& source,
                                            ProgressSink& progress) {
    bool first = true;
    engine::AnalyzeHooks hooks = Hooks(job, &source, progress, &first);
    engine::EngineOptions last;
    std::optional<engine::InsightSet> in_splits;
    // In splits: cut while the file uploaded (the job names their run), or big enough to cut now.
    if (!job.message.run.empty() ||
        (send_split_ && settings_.split_bytes > 0 && job.version.size_bytes > settings_.split_bytes)) {
        first = false;  // the cut reads the source the worker opened; every later read opens its own
        IS_TRY(in_splits, AnalyzeInSplits(job, source, progress, &last));
    }
    if (!in_splits) {
        IS_TRY(in_splits, engine::Analyze(Options(job), hooks, &last));
    }
    engine::InsightSet& insights = *in_splits;
    // The quarantine: rejected rows and invalid values, served by GET .../errors — written first,
    // so a version that fails for too many bad rows still shows which they were.
    auto errors_key = store::ObjectKey::ForDatasetVersion(job.message.tenant, job.message.dataset, job.message.version,
                                                          "errors.ndjson");
    IS_TRY_VOID(objects_.PutBytes(errors_key, engine::IssuesNdjson(insights)));

    // The share of unreadable input is counted in lines, not records: one broken record that
    // swallowed half the file is half the file.
    int64_t total = std::max<int64_t>(insights.lines, insights.rows + insights.rejected);
    int64_t bad = std::max(insights.rejected_lines, insights.rejected);
    if (bad > 0 && static_cast<double>(bad) > settings_.max_rejected_share * static_cast<double>(total)) {
        std::string first;
        for (const auto& i : insights.issues) {
            if (i.kind == engine::IssueKind::kRejected) {
                first = "; the first, line " + std::to_string(i.line) + ": " + i.reason;
                break;
            }
        }
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f", 100.0 * static_cast<double>(bad) / static_cast<double>(total));
        std::string what = bad == insights.rejected
                               ? std::to_string(bad) + " of " + std::to_string(total) + " rows"
                               : std::to_string(insights.rejected) + " rows spanning " + std::to_string(bad) + " of " +
                                     std::to_string(total) + " lines";
        return Error::InvalidArgument(what + " (" + pct + " %) could not be read, more than the allowed " +
                                      std::to_string(static_cast<int>(std::lround(settings_.max_rejected_share * 100))) +
                                      " %" + first)
            .WithSlug("too-many-bad-rows");
    }
    std::vector<std::pair<std::pair<std::string, std::string>, std::string>> payloads;
    payloads.push_back({{"schema", ""}, engine::SchemaJson(insights)});
    payloads.push_back({{"summary", ""}, engine::SummaryJson(insights)});
    for (const auto& t : insights.time_series) {
        payloads.push_back({{"timeseries", insights.schema.columns[static_cast<size_t>(t.time_column)].name},
                            engine::TimeSeriesJson(insights, t)});
    }
    for (const auto& g : insights.groups) {
        payloads.push_back({{"groups", insights.schema.columns[static_cast<size_t>(g.dimension)].name},
                            engine::GroupsJson(insights, g)});
    }
    for (const auto& b : insights.breakdowns) {
        payloads.push_back({{"breakdown", insights.schema.columns[static_cast<size_t>(b.dimension)].name},
                            engine::BreakdownJson(insights, b)});
    }
    JobOutcome out;
    out.rows = insights.rows;
    out.rows_rejected = insights.rejected;
    out.invalid_values = insights.invalid_values;
    out.issues = insights.issue_count;
    core::TenantId tenant = job.message.tenant;
    core::DatasetId dataset = job.message.dataset;
    int64_t version = job.message.version;
    std::vector<catalog::ResultPayload> items;
    items.reserve(payloads.size());
    for (auto& [key, payload] : payloads) items.push_back({key.first, key.second, std::move(payload)});
    out.write_results = [tenant, dataset, version, items = std::move(items)](store::Tx& tx) -> Result<void> {
        return catalog::results::Replace(tx, tenant, dataset, version, items, core::SystemClock().NowMs());
    };
    // The snapshot pass reads the file once more (about as long as the analysis): the version is
    // ready without waiting for it, and exports and queries answer snapshot-pending meanwhile.
    out.snapshot = [this, job, last = std::move(last),
                    insights = std::make_shared<const engine::InsightSet>(std::move(insights))](
                       ProgressSink& snapshot_progress) -> Result<void> {
        bool reopen = false;  // the source the worker opened is read: the pass opens the object again
        engine::AnalyzeHooks again = Hooks(job, nullptr, snapshot_progress, &reopen);
        return PutSnapshot(job, last, *insights, again);
    };
    return out;
}

store::ObjectKey SplitObjectKey(const catalog::JobMessage& job, const std::string& run, int pass, const std::string& what) {
    return store::ObjectKey::ForDatasetVersion(job.tenant, job.dataset, job.version,
                                               "split-" + run + "-p" + std::to_string(pass) + "-" + what);
}

catalog::JobMessage SplitJobMessage(const catalog::JobMessage& version_job, const std::string& run, int pass, size_t k,
                                    const engine::SplitRange& range) {
    catalog::JobMessage m = version_job;
    m.kind = catalog::kSplitJob;
    m.run = run;
    m.pass = pass;
    m.split = static_cast<int>(k);
    m.begin = range.begin;
    m.end = range.end;
    m.first_line = range.first_line;
    return m;
}

void SweepSplitObjects(store::ObjectStore& objects, const catalog::JobMessage& job, const std::string& keep_run) {
    const std::string source_key = store::ObjectKey::ForDatasetVersion(job.tenant, job.dataset, job.version, "source").str();
    const std::string prefix = source_key.substr(0, source_key.rfind('/') + 1);
    // What stays: the first pass of the run adopted (later passes of a crashed attempt go: their
    // options may differ this time).
    const std::string keep = keep_run.empty() ? std::string() : "/split-" + keep_run + "-p1-";
    auto sweep = [&](bool options_only) {
        auto left = objects.List(prefix);
        if (!left) return;
        for (const auto& o : *left) {
            if (o.key.find("/split-") == std::string::npos) continue;
            if (!keep.empty() && o.key.find(keep) != std::string::npos) continue;
            if (options_only && !o.key.ends_with("-options")) continue;
            if (auto key = store::ObjectKey::Parse(o.key)) (void)objects.Delete(*key);
        }
    };
    // The options first, then (listed again) the rest: a split job still running re-checks its
    // pass's options after storing its partial result and deletes it when they are gone; one
    // that checked before stored it before, and the second listing finds it.
    sweep(true);
    sweep(false);
}

namespace {

// The objects of one analysis in splits (SplitObjectKey), of the job's run.
store::ObjectKey SplitKey(const JobContext& job, int pass, const std::string& what) {
    return SplitObjectKey(job.message, job.message.run, pass, what);
}
store::ObjectKey PartialKey(const JobContext& job, int pass, size_t k) {
    return SplitKey(job, pass, std::to_string(k) + ".partial");
}
store::ObjectKey TakenKey(const JobContext& job, int pass, size_t k) {
    return SplitKey(job, pass, std::to_string(k) + ".taken");
}

}  // namespace

engine::OpenRange EngineProcessor::Opener(const JobContext& job) {
    return [this, &job](int64_t begin, int64_t end) -> Result<std::unique_ptr<engine::ByteSource>> {
        struct Source final : engine::ByteSource {
            std::unique_ptr<store::ObjectReader> reader;
            Result<size_t> Read(char* buffer, size_t capacity) override { return reader ? reader->Read(buffer, capacity) : 0; }
        };
        auto out = std::make_unique<Source>();
        if (end < 0 || end > begin) {
            auto key = store::ObjectKey::Parse(job.version.object_key);
            if (!key) return Error::Internal("bad object key in DB: " + job.version.object_key);
            const int64_t length = end < 0 ? -1 : end - begin;
            // A split cut while the file uploads reads the write in progress (or the object,
            // once it is committed).
            if (!job.message.writing.empty()) {
                IS_TRY(out->reader, objects_.OpenWriting(*key, job.message.writing, begin, length));
            } else {
                IS_TRY(out->reader, objects_.Open(*key, begin, length));
            }
        }
        return std::unique_ptr<engine::ByteSource>(std::move(out));
    };
}

bool EngineProcessor::TakenElsewhere(const JobContext& job, int pass, size_t k) const {
    auto taken = objects_.GetBytes(TakenKey(job, pass, k));
    if (!taken) return false;
    int64_t at = 0;
    try {
        at = std::stoll(*taken);
    } catch (const std::exception&) {
        return false;
    }
    return core::SystemClock().NowMs() - at < settings_.split_stall_ms;
}

Result<std::string> EngineProcessor::RunSplit(const JobContext& job, const engine::EngineOptions& options, int pass, size_t k,
                                              engine::SplitRange range, const std::function<bool()>& stop) {
    // Taken: the version's job leaves it to us for a while. Advisory: a failed write only means
    // the split may be analysed twice (with the same result).
    (void)objects_.PutBytes(TakenKey(job, pass, k), std::to_string(core::SystemClock().NowMs()));
    auto partial = engine::AnalyzeSplit(options, Opener(job), range, settings_.chunk_bytes, stop);
    if (!partial) {
        (void)objects_.Delete(TakenKey(job, pass, k));  // the version's job takes it now (and meets the error itself)
        return partial.error();
    }
    IS_TRY_VOID(objects_.PutBytes(PartialKey(job, pass, k), *partial));
    return partial;
}

Result<bool> EngineProcessor::ProcessSplit(const JobContext& job, ProgressSink& progress) {
    const auto& m = job.message;
    const auto k = static_cast<size_t>(m.split);
    if (objects_.Open(PartialKey(job, m.pass, k))) return false;  // done already (a duplicate, or the version's job did it)
    auto pass_options = objects_.GetBytes(SplitKey(job, m.pass, "options"));
    if (!pass_options) {
        // The version's job is over (its objects are deleted): nothing is waiting for this split.
        if (pass_options.error().code() == core::ErrorCode::kNotFound) return false;
        return pass_options.error();
    }
    if (TakenElsewhere(job, m.pass, k)) return false;  // the version's job (or a duplicate) has it
    if (progress.StopRequested()) return StoppedError();
    // The version's options, and the pass's as the version's job wrote them (not this worker's
    // own limits: every split of a file is read alike).
    engine::EngineOptions options = Options(job);
    IS_TRY_VOID(engine::ReadPassOptions(*pass_options, &options));
    IS_TRY_VOID(RunSplit(job, options, m.pass, k, engine::SplitRange{m.begin, m.end, m.first_line},
                         [&progress] { return progress.StopRequested(); }));
    // Finished after the version's job was over (it deletes the options first, then the rest):
    // nothing would ever delete what this split wrote.
    if (auto still = objects_.GetBytes(SplitKey(job, m.pass, "options")); !still && still.error().code() == core::ErrorCode::kNotFound) {
        (void)objects_.Delete(PartialKey(job, m.pass, k));
        (void)objects_.Delete(TakenKey(job, m.pass, k));
    }
    return true;
}

Result<void> EngineProcessor::GatherSplits(const JobContext& job, const engine::EngineOptions& options, int pass,
                                           const std::vector<engine::SplitRange>& splits, engine::SplitMerger& merger,
                                           ProgressSink& progress) {
    const int64_t size = std::max<int64_t>(job.version.size_bytes, 1);
    // Merged as they come: one partial result held at a time.
    std::vector<uint8_t> got(splits.size(), 0);
    int64_t done = 0;
    int64_t rows = 0;
    auto take = [&](size_t k, const std::string& partial) -> Result<void> {
        IS_TRY_VOID(merger.Add(partial));
        got[k] = 1;
        done += splits[k].end - splits[k].begin;
        rows += engine::PartialRows(partial);
        progress.Report(std::min(done, size), rows);
        return {};
    };
    // A split another worker took, as last seen: its marker, and since when (this process's
    // clock: another machine's wall clock may run ahead or behind). The same marker for longer
    // than the stall means its worker is gone.
    struct Seen {
        std::string marker;
        int64_t since_ms = 0;
    };
    std::vector<Seen> seen(splits.size());
    int wait_ms = 20;
    for (;;) {
        bool waiting = false;
        bool moved = false;
        // From the last split down: split jobs are taken from the first one up.
        for (size_t k = splits.size(); k-- > 0;) {
            if (got[k]) continue;
            // Not there yet, or the store did not answer (then: as if not there; analysing it
            // here meets the store's error itself if it lasts).
            if (auto have = objects_.GetBytes(PartialKey(job, pass, k))) {
                IS_TRY_VOID(take(k, *have));
                moved = true;
                continue;
            }
            auto marker = objects_.GetBytes(TakenKey(job, pass, k));
            const int64_t now = core::MonotonicMs();
            if (marker && *marker != seen[k].marker) seen[k] = {*marker, now};
            if (marker && now - seen[k].since_ms < settings_.split_stall_ms) {
                waiting = true;
                continue;
            }
            if (progress.StopRequested()) return StoppedError();
            IS_TRY(auto mine, RunSplit(job, options, pass, k, splits[k], [&progress] { return progress.StopRequested(); }));
            IS_TRY_VOID(take(k, mine));
            moved = true;
        }
        if (!waiting) return {};
        if (progress.StopRequested()) return StoppedError();
        // Asked again soon while splits arrive, seldom while they do not (each ask is a request
        // per split waited for).
        wait_ms = moved ? 20 : std::min(wait_ms * 2, 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    }
}

bool EngineProcessor::AdoptUploadSplits(const JobContext& job, const engine::EngineOptions& options,
                                        std::vector<engine::SplitRange>* splits) {
    const std::string& run = job.message.run;
    if (run.empty()) return false;
    auto plan = objects_.GetBytes(SplitObjectKey(job.message, run, 1, "plan"));
    auto pass_options = objects_.GetBytes(SplitObjectKey(job.message, run, 1, "options"));
    // Split by other limits than this worker's (the ingest's configuration differs): cut again.
    if (!plan || !pass_options || *pass_options != engine::WritePassOptions(options)) return false;
    // The plan: "begin end first_line" per split, covering the stored file from its first byte
    // to its last.
    std::vector<engine::SplitRange> out;
    int64_t at = 0;
    for (size_t from = 0; from < plan->size();) {
        size_t eol = plan->find('\n', from);
        if (eol == std::string::npos) return false;
        engine::SplitRange r{};
        long long b = 0, e = 0, l = 0;
        if (std::sscanf(plan->substr(from, eol - from).c_str(), "%lld %lld %lld", &b, &e, &l) != 3) return false;
        r.begin = b;
        r.end = e;
        r.first_line = l;
        if (r.begin != at || r.end < r.begin || r.first_line < 1) return false;
        at = r.end;
        out.push_back(r);
        from = eol + 1;
    }
    if (out.empty() || at != job.version.size_bytes) return false;
    *splits = std::move(out);
    return true;
}

Result<std::optional<engine::InsightSet>> EngineProcessor::AnalyzeInSplits(const JobContext& version_job,
                                                                           store::ObjectReader& source, ProgressSink& progress,
                                                                           engine::EngineOptions* last) {
    engine::EngineOptions options = Options(version_job);
    JobContext job = version_job;
    std::vector<engine::SplitRange> splits;
    // Splits cut while the file uploaded, some perhaps analysed already: adopted as they are.
    const bool adopted = AdoptUploadSplits(version_job, options, &splits);
    // What an earlier attempt left behind (its worker killed mid-way), or splits of the upload
    // this job does not adopt, go now.
    auto sweep = [&] {
        SweepSplitObjects(objects_, version_job.message, adopted ? version_job.message.run : std::string());
    };
    if (!adopted) {
        job.message.run.clear();
        if (!send_split_ || settings_.split_bytes <= 0 || version_job.version.size_bytes <= settings_.split_bytes) {
            if (!version_job.message.run.empty()) sweep();
            return std::optional<engine::InsightSet>();
        }
        // The file's record ends, found in one read of it (the structure alone: quotes,
        // delimiters, line ends).
        engine::SplitCutter cutter(options, settings_.split_bytes);
        std::string buffer(settings_.chunk_bytes, '\0');
        for (;;) {
            if (progress.StopRequested()) return StoppedError();
            IS_TRY(size_t n, source.Read(buffer.data(), buffer.size()));
            if (n == 0) break;
            cutter.Feed(std::string_view(buffer.data(), n));
            if (cutter.unsplittable()) break;  // UTF-16, a JSON array
        }
        if (!cutter.unsplittable()) {
            splits = cutter.Take();
            for (auto& s : cutter.Finish()) splits.push_back(s);
        }
        if (splits.size() < 2) {
            if (!version_job.message.run.empty()) sweep();
            return std::optional<engine::InsightSet>();
        }
        // This analysis's objects carry an id of their own: nothing another attempt left behind
        // (with other limits, say) is ever mistaken for a split of this one; all are deleted at
        // the end, whatever the outcome.
        std::random_device rd;
        char id[17];
        std::snprintf(id, sizeof id, "%08x%08x", rd(), rd());
        job.message.run = id;
    }
    sweep();
    int passes = 0;
    struct CleanUp {
        std::function<void()> run;
        ~CleanUp() { run(); }
    } cleanup{[&] {
        for (int p = 1; p <= passes; ++p) {
            (void)objects_.Delete(SplitKey(job, p, "options"));
            for (size_t k = 0; k < splits.size(); ++k) {
                (void)objects_.Delete(PartialKey(job, p, k));
                (void)objects_.Delete(TakenKey(job, p, k));
            }
        }
        (void)objects_.Delete(SplitKey(job, 1, "plan"));
    }};
    core::Log(core::LogLevel::kInfo, "job.splits", "analysing the file in splits",
              {{"splits", static_cast<int64_t>(splits.size())},
               {"split_bytes", settings_.split_bytes},
               {"run", job.message.run},
               {"cut_while_uploading", adopted}});
    const engine::OpenRange open = Opener(job);
    const int max_passes = engine::AnalyzeHooks{}.max_passes;
    for (int pass = 1;; ++pass) {
        passes = pass;
        // Adopted: the first pass's options are there, and split jobs were sent while the file
        // uploaded for every split but the last; those not done nor taken are sent again.
        const bool resume = adopted && pass == 1;
        if (!resume) IS_TRY_VOID(objects_.PutBytes(SplitKey(job, pass, "options"), engine::WritePassOptions(options)));
        for (size_t k = 0; k < splits.size() && send_split_; ++k) {
            if (resume) {
                // Nobody but this job could take them (one worker thread in the embedded mode),
                // the last split is analysed here first, and one done or taken needs no job.
                if (settings_.split_bytes <= 0 || k + 1 == splits.size()) continue;
                if (objects_.Open(PartialKey(job, pass, k)) || objects_.Open(TakenKey(job, pass, k))) continue;
            }
            const catalog::JobMessage m = SplitJobMessage(job.message, job.message.run, pass, k, splits[k]);
            // A split job that cannot be sent is analysed here.
            if (auto sent = send_split_(m); !sent) core::Log(core::LogLevel::kWarn, "job.split_send_failed", sent.error().ToString());
        }
        IS_TRY(auto merger, engine::SplitMerger::Open(options, open, settings_.chunk_bytes));
        IS_TRY_VOID(GatherSplits(job, options, pass, splits, *merger, progress));
        IS_TRY(auto s, merger->Finish());
        s.passes = pass;
        if (!engine::IsLastPass(s, options, pass, max_passes)) {
            options.refined.Merge(s.refine);
            continue;
        }
        *last = options;
        return std::optional<engine::InsightSet>(std::move(s));
    }
}

}  // namespace insightstream::worker
