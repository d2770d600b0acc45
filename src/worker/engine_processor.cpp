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

std::map<std::string, engine::TypeHint> HintsFrom(const std::string& options) {
    std::map<std::string, engine::TypeHint> hints;
    boost::system::error_code ec;
    auto v = json::parse(options, ec);
    if (ec || !v.is_object()) return hints;
    if (auto* types = v.as_object().if_contains("types"); types && types->is_object()) {
        for (const auto& kv : types->as_object()) {
            engine::ColumnType t;
            if (kv.value().is_string() && engine::ParseTypeName(std::string(kv.value().as_string()), &t)) {
                hints[std::string(kv.key())].type = t;
            }
        }
    }
    if (auto* roles = v.as_object().if_contains("roles"); roles && roles->is_object()) {
        for (const auto& kv : roles->as_object()) {
            engine::ColumnRole r;
            if (kv.value().is_string() && engine::ParseRoleName(std::string(kv.value().as_string()), &r)) {
                hints[std::string(kv.key())].role = r;
            }
        }
    }
    return hints;
}

Result<json::object> ParseMap(std::string_view text, std::string_view what, bool types) {
    json::object out;
    if (text.empty()) return out;
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        return Error::InvalidArgument(std::string(what) + " must be a JSON object of column name to " +
                                      (types ? "type" : "role"),
                                      {{std::string(what), "is not a JSON object"}});
    }
    for (const auto& kv : v.as_object()) {
        if (!kv.value().is_string()) {
            return Error::InvalidArgument(std::string(what) + " values must be strings",
                                          {{std::string(what), "column " + std::string(kv.key()) + " is not a string"}});
        }
        std::string name(kv.value().as_string());
        engine::ColumnType t;
        engine::ColumnRole r;
        bool ok = types ? engine::ParseTypeName(name, &t) : engine::ParseRoleName(name, &r);
        if (!ok) {
            return Error::InvalidArgument(
                std::string("unknown ") + (types ? "type" : "role") + " '" + name + "' for column " + std::string(kv.key()),
                {{std::string(what), types ? "types are string, integer, decimal, float, boolean, date, timestamp"
                                           : "roles are time, measure, dimension, identifier"}});
        }
        out[kv.key()] = name;
    }
    return out;
}

}  // namespace

Result<std::string> ParseVersionOptions(std::string_view types_json, std::string_view roles_json) {
    IS_TRY(auto types, ParseMap(types_json, "types", true));
    IS_TRY(auto roles, ParseMap(roles_json, "roles", false));
    json::object o;
    if (!types.empty()) o["types"] = std::move(types);
    if (!roles.empty()) o["roles"] = std::move(roles);
    return json::serialize(o);
}

Result<JobOutcome> EngineProcessor::Process(const JobContext& job, store::ObjectReader& source,
                                            ProgressSink& progress) {
    engine::EngineOptions options;
    options.format = job.version.format;
    options.threads = settings_.threads;
    options.partial.max_groups = settings_.max_groups;
    options.partial.max_issues = settings_.max_issues;
    options.hints = HintsFrom(job.version.options);
    engine::Engine engine(options);
    std::string buf(settings_.chunk_bytes, '\0');
    int64_t read = 0;
    for (;;) {
        if (progress.StopRequested()) {
            engine.Cancel();
            return StoppedError();
        }
        IS_TRY(size_t n, source.Read(buf.data(), buf.size()));
        if (n == 0) break;
        read += static_cast<int64_t>(n);
        IS_TRY_VOID(engine.Feed(std::string_view(buf.data(), n)));
        auto p = engine.Progress();
        progress.Report(read, p.rows);
    }
    IS_TRY(auto insights, engine.Finish());
    int64_t total = insights.rows + insights.rejected;
    if (insights.rejected > 0 &&
        static_cast<double>(insights.rejected) > settings_.max_rejected_share * static_cast<double>(total)) {
        std::string first;
        for (const auto& i : insights.issues) {
            if (i.column.empty()) {
                first = "; the first, line " + std::to_string(i.line) + ": " + i.reason;
                break;
            }
        }
        char pct[32];
        std::snprintf(pct, sizeof pct, "%.1f", 100.0 * static_cast<double>(insights.rejected) / static_cast<double>(total));
        return Error::InvalidArgument(std::to_string(insights.rejected) + " of " + std::to_string(total) + " rows (" + pct +
                                      " %) could not be read, more than the allowed " +
                                      std::to_string(static_cast<int>(std::lround(settings_.max_rejected_share * 100))) +
                                      " %" + first)
            .WithSlug("too-many-bad-rows");
    }
    // The quarantine: rejected rows and invalid values, served by GET .../errors.
    auto errors_key = store::ObjectKey::ForDatasetVersion(job.message.tenant, job.message.dataset, job.message.version,
                                                          "errors.ndjson");
    IS_TRY_VOID(objects_.PutBytes(errors_key, engine::IssuesNdjson(insights)));

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
    out.write_results = [tenant, dataset, version, payloads = std::move(payloads)](store::Tx& tx) -> Result<void> {
        int64_t now = core::SystemClock().NowMs();
        IS_TRY_VOID(tx.Exec("DELETE FROM dataset_results WHERE tenant_id = $1 AND dataset_id = $2 AND version = $3",
                            {tenant, dataset, version}));
        for (const auto& [key, payload] : payloads) {
            IS_TRY_VOID(tx.Exec("INSERT INTO dataset_results (tenant_id, dataset_id, version, kind, name, payload, "
                                "computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                {tenant, dataset, version, key.first, key.second, payload, now}));
        }
        return {};
    };
    return out;
}

}  // namespace insightstream::worker
