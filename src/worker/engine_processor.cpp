#include "worker/engine_processor.hpp"

#include <boost/json.hpp>

#include <cmath>

#include "core/clock.hpp"
#include "engine/engine.hpp"

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

engine::EngineOptions EngineProcessor::Options(const JobContext& job) const {
    engine::EngineOptions options;
    options.format = job.version.format;
    options.threads = settings_.threads;
    options.partial.max_groups = settings_.max_groups;
    options.partial.max_issues = settings_.max_issues;
    options.memory_budget = settings_.memory_budget;
    ApplyVersionOptions(job.version.options, &options);
    return options;
}

engine::AnalyzeHooks EngineProcessor::Hooks(const JobContext& job, store::ObjectReader& source, ProgressSink& progress,
                                            bool* first) {
    // The first pass reads the source the worker opened; another pass (see engine::Analyze)
    // opens the object again from its start.
    engine::AnalyzeHooks hooks;
    hooks.chunk_bytes = settings_.chunk_bytes;
    hooks.open = [this, &job, &source, first]() -> Result<std::unique_ptr<engine::ByteSource>> {
        struct Source final : engine::ByteSource {
            store::ObjectReader* reader = nullptr;
            std::unique_ptr<store::ObjectReader> owned;
            Result<size_t> Read(char* buffer, size_t capacity) override { return reader->Read(buffer, capacity); }
        };
        auto out = std::make_unique<Source>();
        if (*first) {
            *first = false;
            out->reader = &source;
        } else {
            auto key = store::ObjectKey::Parse(job.version.object_key);
            if (!key) return Error::Internal("bad object key in DB: " + job.version.object_key);
            IS_TRY(out->owned, objects_.Open(*key));
            out->reader = out->owned.get();
        }
        return std::unique_ptr<engine::ByteSource>(std::move(out));
    };
    // Progress is the file's bytes: the analysis reads the first half of the way and the snapshot
    // pass the second (a bar that went back to 0 for the second pass would say it started over).
    const int64_t size = std::max<int64_t>(job.version.size_bytes, 1);
    hooks.progress = [&progress, size, rows_seen = int64_t{0}](int pass, int64_t bytes, int64_t rows) mutable {
        bytes = std::min(bytes, size);
        if (pass == engine::kSnapshotPass) {
            progress.Report((size + bytes) / 2, rows_seen);
            return;
        }
        rows_seen = rows;
        progress.Report(bytes / 2, rows);
    };
    hooks.stop = [&progress] { return progress.StopRequested(); };
    return hooks;
}

Result<void> EngineProcessor::WriteSnapshot(const JobContext& job, store::ObjectReader& source, ProgressSink& progress) {
    bool first = true;
    engine::AnalyzeHooks hooks = Hooks(job, source, progress, &first);
    engine::EngineOptions last;
    IS_TRY(auto insights, engine::Analyze(Options(job), hooks, &last));
    // The snapshot must hold the rows the version's results were computed from: an analysis by
    // this code that reads the file otherwise than the one that made them gives no snapshot.
    if (job.version.rows_total && insights.rows != *job.version.rows_total) {
        return Error::InvalidArgument("the file now reads as " + std::to_string(insights.rows) + " rows, the version's results " +
                                      std::to_string(*job.version.rows_total) + "; reprocess the version to get a snapshot")
            .WithSlug("snapshot-failed");
    }
    return PutSnapshot(job, last, insights, hooks);
}

Result<JobOutcome> EngineProcessor::Process(const JobContext& job, store::ObjectReader& source,
                                            ProgressSink& progress) {
    bool first = true;
    engine::AnalyzeHooks hooks = Hooks(job, source, progress, &first);
    engine::EngineOptions options = Options(job);
    engine::EngineOptions last;
    IS_TRY(auto insights, engine::Analyze(options, hooks, &last));
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
    IS_TRY_VOID(PutSnapshot(job, last, insights, hooks));
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
    return out;
}

}  // namespace insightstream::worker
