#include "analytics/analytics_service.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

#include "analytics/queries.hpp"
#include "analytics/snapshot_query.hpp"
#include "core/crypto.hpp"
#include "core/csv_cell.hpp"
#include "core/json_writer.hpp"
#include "engine/values.hpp"
#include "catalog/datasets.hpp"
#include "catalog/job_message.hpp"
#include "core/log.hpp"
#include "store/outbox.hpp"

namespace insightstream::analytics {

using core::Error;
using core::Result;
using http::Request;
using http::Response;
namespace json = boost::json;

namespace {
// The key of a dataset in the version memo; with "|" after it, the prefix of every cache key of
// the dataset (answers, parsed payloads, decoded columns).
std::string DatasetKey(const core::TenantId& tenant, const core::DatasetId& dataset) {
    return tenant.str() + "|" + dataset.str();
}
}  // namespace

struct AnalyticsService::Context {
    core::TenantId tenant;
    core::DatasetId dataset;
    int64_t version = 0;
    int64_t rows = 0;
    store::Database* db = nullptr;
    LruCache<std::shared_ptr<const json::value>>* parsed = nullptr;
    LruCache<std::shared_ptr<const DaySeries>>* series = nullptr;
    std::shared_ptr<const json::value> schema_doc;  // the stored schema payload
    std::string provenance;    // JSON object text
    std::string computed_at;

    [[nodiscard]] const json::object& schema() const { return schema_doc->as_object(); }
    Result<std::string> Payload(std::string_view kind, std::string_view name) const {
        IS_TRY(auto r, store::TransactValue(*db, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
                   return catalog::results::Get(tx, tenant, dataset, version, kind, name);
               }));
        if (!r) return Error::NotFound("no " + std::string(kind) + " result for " + std::string(name));
        return std::move(*r);
    }
    [[nodiscard]] std::string PayloadKey(std::string_view kind, std::string_view name) const {
        return DatasetKey(tenant, dataset) + "|" + std::to_string(version) + "|" + std::string(kind) + "|" +
               std::string(name);
    }
    /// The payload as stored, parsed (and its text's size).
    Result<std::pair<json::value, size_t>> ParsedText(std::string_view kind, std::string_view name) const {
        IS_TRY(auto text, Payload(kind, name));
        boost::system::error_code ec;
        json::value doc = json::parse(text, ec);
        if (ec || !doc.is_object()) return Error::Internal("stored " + std::string(kind) + " result is not a JSON object");
        return std::pair<json::value, size_t>(std::move(doc), text.size());
    }
    /// The payload parsed, from the cache when another answer parsed it already.
    Result<std::shared_ptr<const json::value>> Parsed(std::string_view kind, std::string_view name) const {
        std::string key = PayloadKey(kind, name);
        if (auto hit = parsed->Get(key)) return std::move(*hit);
        IS_TRY(auto read, ParsedText(kind, name));
        auto doc = std::make_shared<const json::value>(std::move(read.first));
        // Parsed JSON takes about three to four times its text (more for numbers).
        parsed->Put(key, doc, read.second * 4);
        return doc;
    }
    /// A timeseries payload read into numbers, from the cache when another answer read it already.
    Result<std::shared_ptr<const DaySeries>> Series(std::string_view name) const {
        std::string key = PayloadKey("timeseries", name);
        if (auto hit = series->Get(key)) return std::move(*hit);
        IS_TRY(auto doc, ParsedText("timeseries", name));
        IS_TRY(auto read, ReadDaySeries(doc.first.as_object()));
        auto s = std::make_shared<const DaySeries>(std::move(read));
        series->Put(key, s, s->bytes());
        return s;
    }
    [[nodiscard]] const json::object* Column(std::string_view name) const {
        for (const auto& c : schema().at("columns").as_array()) {
            if (c.as_object().at("name").as_string() == name) return &c.as_object();
        }
        return nullptr;
    }
    [[nodiscard]] std::vector<std::string> Names(std::string_view role) const {
        std::vector<std::string> out;
        for (const auto& c : schema().at("columns").as_array()) {
            if (c.as_object().at("role").as_string() == role) out.emplace_back(c.as_object().at("name").as_string());
        }
        return out;
    }
    [[nodiscard]] std::string Primary(std::string_view key) const {
        const auto& v = schema().at(key);
        return v.is_string() ? std::string(v.as_string()) : std::string();
    }
    [[nodiscard]] int Scale(const std::string& column) const {
        const auto* c = Column(column);
        return c && c->contains("scale") ? static_cast<int>(c->at("scale").to_number<int64_t>()) : 2;
    }
};

namespace {

std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "(none)" : out;
}

Error BadParam(std::string field, std::string message) {
    std::string detail = field + ": " + message;
    return Error::InvalidArgument(detail, {{std::move(field), std::move(message)}});
}

// A column of the given role, named by `param` (or the default when absent).
Result<std::string> ColumnParam(const Request& req, const AnalyticsService::Context& ctx, const std::string& param,
                                std::string_view role, const std::string& fallback, bool required) {
    auto v = req.Query(param);
    std::string name = v ? *v : fallback;
    auto valid = ctx.Names(role);
    if (name.empty()) {
        if (!required) return std::string();
        return BadParam(param, std::string("is required; ") + std::string(role) + " columns are: " + Join(valid));
    }
    const auto* col = ctx.Column(name);
    if (!col) return BadParam(param, "unknown column '" + name + "'; " + std::string(role) + " columns are: " + Join(valid));
    if (col->at("role").as_string() != role) {
        return BadParam(param, "'" + name + "' is a " + std::string(col->at("role").as_string()) + ", not a " +
                                   std::string(role) + "; " + std::string(role) + " columns are: " + Join(valid));
    }
    return name;
}

Result<Agg> AggParam(const Request& req, std::initializer_list<Agg> allowed) {
    Agg agg = Agg::kSum;
    auto v = req.Query("agg");
    std::string names;
    for (Agg a : allowed) names += (names.empty() ? "" : ", ") + std::string(AggName(a));
    if (v && (!ParseAgg(*v, &agg) || std::find(allowed.begin(), allowed.end(), agg) == allowed.end())) {
        return BadParam("agg", "must be one of: " + names);
    }
    return agg;
}

Result<Interval> IntervalParam(const Request& req, std::initializer_list<Interval> allowed) {
    Interval i = Interval::kMonth;
    auto v = req.Query("interval");
    std::string names;
    for (Interval a : allowed) names += (names.empty() ? "" : ", ") + std::string(IntervalName(a));
    if (v && (!ParseInterval(*v, &i) || std::find(allowed.begin(), allowed.end(), i) == allowed.end())) {
        return BadParam("interval", "must be one of: " + names);
    }
    return i;
}

Result<size_t> LimitParam(const Request& req, size_t fallback, size_t max) {
    auto v = req.Query("limit");
    if (!v) return fallback;
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || n < 1 || static_cast<size_t>(n) > max) {
        return BadParam("limit", "must be an integer from 1 to " + std::to_string(max));
    }
    return static_cast<size_t>(n);
}

Result<std::optional<int32_t>> DayParam(const Request& req, const std::string& name) {
    auto v = req.Query(name);
    if (!v || v->empty()) return std::optional<int32_t>();
    engine::DateParse d;
    int32_t day;
    if (!engine::ParseDate(*v, &d) || !d.ordered || d.has_time || !engine::DaysFromCivil(d.year, d.p1, d.p2, &day)) {
        return BadParam(name, "must be a date like 2024-01-31");
    }
    return std::optional<int32_t>(day);
}

// The measure of a query: required for every agg but count (which counts rows without one). A
// measure that mixes currencies is never summed, averaged or compared: only counted.
Result<std::string> MeasureParam(const Request& req, const AnalyticsService::Context& ctx, Agg agg) {
    IS_TRY(std::string measure, ColumnParam(req, ctx, "measure", "measure",
                                            agg == Agg::kCount ? std::string() : ctx.Primary("main_measure"),
                                            agg != Agg::kCount));
    if (const auto* col = measure.empty() ? nullptr : ctx.Column(measure); col && agg != Agg::kCount) {
        if (const auto* why = col->if_contains("sum_withheld"); why && why->is_string() && why->as_string() == "mixed currencies") {
            std::string detail = "'" + measure +
                                 "' holds amounts in more than one currency, which are never added or compared; "
                                 "GET .../summary shows its total per currency, or use agg=count";
            return Error::InvalidArgument(detail, {{"measure", detail}}).WithSlug("mixed-currencies");
        }
    }
    return measure;
}

// Inserts fields before the closing brace of a stored JSON object.
std::string WithFields(const std::string& stored, const std::string& fields) {
    std::string out = stored;
    out.pop_back();
    out += ',' + fields + '}';
    return out;
}

bool EtagMatches(const std::string* header, const std::string& etag) {
    if (!header) return false;
    std::string_view h(*header);
    if (h.find('*') != std::string_view::npos) return true;
    std::string_view bare = std::string_view(etag);
    size_t pos = 0;
    while (pos < h.size()) {
        size_t end = h.find(',', pos);
        if (end == std::string_view::npos) end = h.size();
        std::string_view tag = h.substr(pos, end - pos);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (tag.starts_with("W/")) tag.remove_prefix(2);  // If-None-Match compares weakly (RFC 9110 §13.1.2)
        if (tag == bare) return true;
        pos = end + 1;
    }
    return false;
}

std::string SummaryCsv(const json::object& summary) {
    std::string out = "name,type,role,values,nulls,invalid,distinct,min,max,sum,mean,p50,p95\r\n";
    auto cell = [](const json::value& v) -> std::string {
        if (v.is_null()) return "";
        if (v.is_string()) return core::CsvCell(v.as_string());
        return json::serialize(v);
    };
    for (const auto& c : summary.at("columns").as_array()) {
        const auto& o = c.as_object();
        out += cell(o.at("name")) + "," + cell(o.at("type")) + "," + cell(o.at("role")) + "," + cell(o.at("values")) +
               "," + cell(o.at("nulls")) + "," + cell(o.at("invalid")) + "," + cell(o.at("distinct")) + "," +
               cell(o.at("min")) + "," + cell(o.at("max")) + "," + cell(o.at("sum")) + "," + cell(o.at("mean")) + "," +
               cell(o.at("p50")) + "," + cell(o.at("p95")) + "\r\n";
    }
    return out;
}

std::string SchemaCsv(const json::object& schema) {
    std::string out = "name,type,role,nullable,format\r\n";
    for (const auto& c : schema.at("columns").as_array()) {
        const auto& o = c.as_object();
        out += core::CsvCell(o.at("name").as_string()) + "," + std::string(o.at("type").as_string()) + "," +
               std::string(o.at("role").as_string()) + "," + (o.at("nullable").as_bool() ? "true" : "false") + "," +
               core::CsvCell(o.at("format").as_string()) + "\r\n";
    }
    return out;
}

}  // namespace

AnalyticsService::AnalyticsService(store::Database& db, store::ObjectStore& objects, const core::Clock& clock,
                                   core::Metrics& metrics, AnalyticsSettings settings)
    : db_(db),
      objects_(objects),
      clock_(clock),
      settings_(settings),
      metrics_(metrics),
      cache_(settings.cache_bytes, metrics),
      columns_(settings.column_cache_bytes),
      parsed_(settings.parsed_cache_bytes / 2, settings.parsed_cache_bytes / 8),
      series_(settings.parsed_cache_bytes / 2, settings.parsed_cache_bytes / 8) {
    metrics_.Describe("insightstream_analytics_answers_computed_total", "counter",
                      "Analytics answers computed (cache misses that no other request was computing already).");
}

struct AnalyticsService::Flight {
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
    std::optional<CachedAnswer> answer;
    std::optional<Error> error;
};

namespace {

// A snapshot object read by ranges (the footer, then the column chunks a query needs).
class ObjectFile final : public parquet::RandomAccess {
public:
    ObjectFile(store::ObjectStore& objects, store::ObjectKey key, int64_t size)
        : objects_(objects), key_(std::move(key)), size_(size) {}
    [[nodiscard]] int64_t size() const override { return size_; }
    Result<std::string> ReadAt(int64_t offset, int64_t length) override {
        IS_TRY(auto reader, objects_.Open(key_, offset, length));
        std::string out(static_cast<size_t>(length), '\0');
        size_t got = 0;
        while (got < out.size()) {
            IS_TRY(size_t n, reader->Read(out.data() + got, out.size() - got));
            if (n == 0) break;
            got += n;
        }
        if (got != out.size()) return Error::Unavailable("the snapshot object ended early");
        return out;
    }

private:
    store::ObjectStore& objects_;
    store::ObjectKey key_;
    int64_t size_;
};

}  // namespace

Result<std::unique_ptr<store::ObjectReader>> AnalyticsService::OpenSnapshot(const core::TenantId& tenant,
                                                                          const core::DatasetId& dataset,
                                                                          const catalog::VersionRecord& version) {
    auto opened = objects_.Open(catalog::SnapshotKey(tenant, dataset, version.version));
    if (opened || opened.error().code() != core::ErrorCode::kNotFound) return opened;
    // Written right after the version became ready, by its job (a job that stops there leaves it
    // to the next delivery of its message): nothing to ask for — unless it has been "writing" for
    // far longer than the analysis took (its message lost: a purged queue, no dead-letter queue),
    // when a worker is asked for it as for a version without one (below).
    const int64_t analysis_ms = version.ready_at && version.started_at ? *version.ready_at - *version.started_at : 0;
    const bool stale = version.ready_at && clock_.NowMs() - *version.ready_at > std::max<int64_t>(kSnapshotStaleMs, 4 * analysis_ms);
    if (version.snapshot == catalog::SnapshotStatus::kWriting && !stale) {
        return Error::Conflict("version " + std::to_string(version.version) +
                               " is ready and its snapshot, which exports and queries read, is being written; try "
                               "again in a few seconds")
            .WithSlug("snapshot-pending")
            .WithRetryAfter(2);
    }
    if (version.snapshot == catalog::SnapshotStatus::kFailed) {
        return Error::Conflict("the snapshot of version " + std::to_string(version.version) +
                               ", which exports and queries read, could not be written: " +
                               version.snapshot_error.value_or("no reason was recorded") +
                               ". Its insights are unaffected; reprocessing it makes a version with a new one")
            .WithSlug("snapshot-failed");
    }
    // A version processed before snapshots existed (or one stale in "writing"): a worker writes
    // its snapshot now (asked once per version every few minutes; the worker skips a version that
    // has one by then).
    const std::string key = DatasetKey(tenant, dataset) + "|" + std::to_string(version.version);
    bool ask = false;
    {
        std::scoped_lock lock(backfill_mutex_);
        auto it = backfill_asked_.find(key);
        if (it == backfill_asked_.end() || core::MonotonicMs() - it->second > kBackfillAgainMs) {
            if (backfill_asked_.size() > 100'000) backfill_asked_.clear();
            backfill_asked_[key] = core::MonotonicMs();
            ask = true;
        }
    }
    if (ask) {
        catalog::JobMessage job;
        job.tenant = tenant;
        job.dataset = dataset;
        job.version = version.version;
        job.kind = std::string(catalog::kSnapshotJob);
        auto asked = db_.Transact(tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
            IS_TRY(auto id, store::OutboxAdd(tx, tenant, catalog::kProcessTopic, job.ToJson(), clock_.NowMs()));
            (void)id;  // the ingest role's relay sends it (messages older than a few seconds)
            return {};
        });
        if (!asked) {
            std::scoped_lock lock(backfill_mutex_);
            backfill_asked_.erase(key);  // the next request asks again
            return asked.error();
        }
        core::Log(core::LogLevel::kInfo, "snapshot.backfill_requested", "a worker will write the version's snapshot",
                  {{"dataset_id", dataset.str()}, {"version", version.version}});
    }
    return Error::Conflict("version " + std::to_string(version.version) +
                           " has no snapshot (it was processed before snapshots were written, or writing it was "
                           "interrupted); a worker is writing it now, try again in a minute")
        .WithSlug("snapshot-pending")
        .WithRetryAfter(30);
}

// Decoded columns through the cache, read from the snapshot on a miss.
class AnalyticsService::SnapshotColumns final : public ColumnSource {
public:
    SnapshotColumns(ColumnCache& cache, std::string prefix, parquet::FileReader reader)
        : cache_(cache), prefix_(std::move(prefix)), reader_(std::move(reader)) {}
    Result<std::shared_ptr<const parquet::DecodedColumn>> Column(size_t row_group, size_t column) override {
        std::string key = prefix_ + std::to_string(row_group) + "|" + std::to_string(column);
        if (auto hit = cache_.Get(key)) return hit;
        // ReadColumn only reads the footer it holds: the query's threads decode side by side.
        Result<parquet::DecodedColumn> decoded = reader_.ReadColumn(row_group, column);
        if (!decoded) return decoded.error();
        auto shared = std::make_shared<const parquet::DecodedColumn>(std::move(*decoded));
        cache_.Put(key, shared);
        return shared;
    }

private:
    ColumnCache& cache_;
    std::string prefix_;
    parquet::FileReader reader_;
};

Result<Response> AnalyticsService::Query(Request& req) {
    const auto started = std::chrono::steady_clock::now();
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto dataset, req.DatasetIdParam());
    IS_TRY(auto found, ResolveVersion(req, dataset));
    const int64_t version = found.version;
    const std::string prefix = DatasetKey(tenant, dataset) + "|" + std::to_string(version) + "|";
    // An answer already given to this question (only answered questions are kept) needs nothing
    // read: not the snapshot's footer, not the schema.
    const bool csv = req.Accepts("text/csv");
    const std::string answer_key = prefix + "query|" + core::Sha256Hex(req.body) + (csv ? "|csv" : "|json");
    if (auto hit = cache_.Get(answer_key)) return AnswerResponse(req, *hit, dataset, version, "query");
    auto key = catalog::SnapshotKey(tenant, dataset, version);
    IS_TRY(auto opened, OpenSnapshot(tenant, dataset, found));
    auto file = std::make_unique<ObjectFile>(objects_, key, opened->size());
    opened.reset();
    IS_TRY(auto reader, parquet::FileReader::Open(*file));
    // The plan and the decoded columns belong to this file: a snapshot written again (two
    // backfills of one version) never mixes with what was cached of the other.
    const std::string file_prefix = prefix + std::to_string(file->size()) + "|";
    auto meta = std::make_shared<const parquet::FileMeta>(reader.meta());
    Context ctx;
    ctx.tenant = tenant;
    ctx.dataset = dataset;
    ctx.version = version;
    ctx.db = &db_;
    ctx.parsed = &parsed_;
    IS_TRY(ctx.schema_doc, ctx.Parsed("schema", ""));
    IS_TRY(auto plan, ParseQuery(req.body, *meta, ctx.schema()));
    std::optional<CachedAnswer> cached;
    {
        SnapshotColumns source(columns_, file_prefix, std::move(reader));
        IS_TRY(auto result, RunQuery(plan, *meta, source, settings_.query));
        auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        core::JsonWriter p;
        p.BeginObject()
            .Key("dataset_id").String(dataset.str())
            .Key("version").Int(version)
            .Key("rows").Int(found.rows_total.value_or(0))
            .Key("computed_at").String(core::FormatRfc3339(found.ready_at.value_or(0)))
            .EndObject();
        CachedAnswer a;
        a.body = csv ? QueryCsv(result) : QueryJson(result, elapsed.count(), p.Take());
        a.content_type = csv ? "text/csv; charset=utf-8" : "application/json";
        // The answer of a query on a version never changes: the ETag names the question.
        a.etag = "\"" + core::Sha256Hex(answer_key).substr(0, 32) + "\"";
        cache_.Put(answer_key, a);
        cached = std::move(a);
    }
    return AnswerResponse(req, *cached, dataset, version, "query");
}

Result<Response> AnalyticsService::Export(Request& req) {
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto dataset, req.DatasetIdParam());
    auto format = req.Query("format");
    if (!format || *format != "parquet") return BadParam("format", "must be parquet");
    IS_TRY(auto found, ResolveVersion(req, dataset));
    IS_TRY(auto opened, OpenSnapshot(tenant, dataset, found));
    // A version's snapshot never changes: its identity is the version and its size.
    std::shared_ptr<store::ObjectReader> reader = std::move(opened);
    std::string etag = "\"" + core::Sha256Hex(DatasetKey(tenant, dataset) + "|" + std::to_string(found.version) +
                                             "|parquet|" + std::to_string(reader->size()))
                                   .substr(0, 32) +
                       "\"";
    Response resp;
    resp.Header("ETag", etag);
    resp.Header("Cache-Control", "private, no-cache");
    resp.Header("X-Dataset-Version", std::to_string(found.version));
    if (EtagMatches(req.Header("if-none-match"), etag)) {
        resp.status = 304;
        return resp;
    }
    resp.status = 200;
    resp.Header("Content-Type", "application/vnd.apache.parquet");
    resp.Header("Content-Disposition", "attachment; filename=\"" + dataset.str() + "-v" + std::to_string(found.version) +
                                           ".parquet\"");
    if (req.method == "HEAD") return resp;
    resp.stream = [reader]() -> Result<std::optional<std::string>> {
        std::string chunk(1 << 20, '\0');
        IS_TRY(size_t n, reader->Read(chunk.data(), chunk.size()));
        if (n == 0) return std::optional<std::string>();
        chunk.resize(n);
        return std::optional<std::string>(std::move(chunk));
    };
    return resp;
}

Result<catalog::VersionRecord> AnalyticsService::ResolveVersion(Request& req, const core::DatasetId& dataset) {
    const core::TenantId& tenant = req.Caller().tenant;
    std::optional<int64_t> wanted;
    if (auto v = req.Query("version")) {
        char* end = nullptr;
        long n = std::strtol(v->c_str(), &end, 10);
        if (v->empty() || *end != '\0' || n < 1) return BadParam("version", "must be a positive integer");
        wanted = n;
    }
    const std::string memo_key = DatasetKey(tenant, dataset);
    uint64_t generation = 0;
    {
        std::scoped_lock lock(versions_mutex_);
        generation = memo_generation_;
    }
    // The version: the one asked for, or the newest ready one. Always read, so a deleted dataset
    // is never answered from the cache.
    // A version found means its dataset exists (deleting a dataset deletes its versions in the
    // same transaction), so the dataset itself is looked up only when there is none: one query
    // for the common request.
    IS_TRY(auto found, store::TransactValue(db_, tenant, store::TxMode::kRead,
                                            [&](store::Tx& tx) -> Result<std::optional<catalog::VersionRecord>> {
                                                IS_TRY(auto version, wanted ? catalog::datasets::FindVersion(tx, tenant, dataset, *wanted)
                                                                            : catalog::datasets::LatestReadyVersion(tx, tenant, dataset));
                                                if (version) return version;
                                                IS_TRY(bool exists, catalog::datasets::Exists(tx, tenant, dataset));
                                                if (!exists) return Error::NotFound("dataset not found");
                                                return version;
                                            }));
    if (!found) {
        if (wanted) return Error::NotFound("this dataset has no version " + std::to_string(*wanted));
        return Error::Conflict("the dataset has no processed version yet; follow GET .../events or poll its status")
            .WithSlug("not-ready");
    }
    if (found->status != catalog::VersionStatus::kReady) {
        return Error::Conflict("version " + std::to_string(found->version) + " is " + catalog::StatusName(found->status) +
                               ", not ready")
            .WithSlug("not-ready");
    }
    if (!wanted && settings_.version_memo_ms > 0) {
        std::scoped_lock lock(versions_mutex_);
        if (memo_generation_ == generation && !changing_.contains(memo_key)) {
            if (versions_.size() > 100'000) versions_.clear();
            versions_[memo_key] = VersionInfo{found->version, found->rows_total.value_or(0), found->ready_at.value_or(0),
                                              core::MonotonicMs() + settings_.version_memo_ms};
        }
    }
    return std::move(*found);
}

Result<Response> AnalyticsService::Serve(Request& req, std::string_view kind, const Compute& compute) {
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto dataset, req.DatasetIdParam());
    IS_TRY(auto found, ResolveVersion(req, dataset));
    int64_t version = found.version;
    std::string key = AnswerKey(tenant, dataset, version, kind, req);
    auto cached = cache_.Get(key);
    if (cached) return AnswerResponse(req, *cached, dataset, version, kind);
    auto compute_answer = [&]() -> Result<CachedAnswer> {
        Context ctx;
        ctx.tenant = tenant;
        ctx.dataset = dataset;
        ctx.version = version;
        ctx.rows = found.rows_total.value_or(0);
        ctx.db = &db_;
        ctx.parsed = &parsed_;
        ctx.series = &series_;
        ctx.computed_at = core::FormatRfc3339(found.ready_at.value_or(0));
        IS_TRY(ctx.schema_doc, ctx.Parsed("schema", ""));
        core::JsonWriter p;
        p.BeginObject()
            .Key("dataset_id").String(dataset.str())
            .Key("version").Int(version)
            .Key("rows").Int(ctx.rows)
            .Key("computed_at").String(ctx.computed_at)
            .EndObject();
        ctx.provenance = p.Take();
        IS_TRY(auto answer, compute(ctx));
        CachedAnswer a;
        a.body = std::move(answer.first);
        a.content_type = std::move(answer.second);
        a.etag = "\"" + core::Sha256Hex(a.body).substr(0, 32) + "\"";
        return a;
    };
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::scoped_lock lock(flights_mutex_);
        auto& f = flights_[key];
        if (!f) {
            f = std::make_shared<Flight>();
            leader = true;
        }
        flight = f;
    }
    if (!leader) {
        std::optional<CachedAnswer> answer;
        std::optional<Error> error;
        {
            std::unique_lock lock(flight->mutex);
            flight->cv.wait(lock, [&] { return flight->done; });
            answer = flight->answer;
            error = flight->error;
        }
        if (!answer) return *error;
        return AnswerResponse(req, *answer, dataset, version, kind);
    }
    // Whatever happens while it is computed (an exception included), the flight ends and its
    // waiters hear how: never a waiter left waiting. (Land publishes at the end of this block,
    // before `computed` is moved from.)
    Result<CachedAnswer> computed = Error::Internal("the answer was not computed");
    {
        struct Land {
            AnalyticsService& self;
            const std::string& key;
            Flight& flight;
            const Result<CachedAnswer>& computed;
            ~Land() {
                {
                    std::scoped_lock lock(self.flights_mutex_);
                    self.flights_.erase(key);
                }
                {
                    std::scoped_lock lock(flight.mutex);
                    flight.done = true;
                    if (computed) flight.answer = *computed;
                    else flight.error = computed.error();
                }
                flight.cv.notify_all();
            }
        } land{*this, key, *flight, computed};
        try {
            // The answer may have been cached between the lookup above and taking the flight.
            if (auto late = cache_.Get(key)) {
                computed = std::move(*late);
            } else {
                metrics_.Add("insightstream_analytics_answers_computed_total", {});
                computed = compute_answer();
                if (computed) cache_.Put(key, *computed);
            }
        } catch (const std::exception& e) {  // the waiters must hear of it too
            computed = Error::Internal(std::string("unhandled exception: ") + e.what());
        }
    }
    IS_TRY(auto answer, std::move(computed));
    return AnswerResponse(req, answer, dataset, version, kind);
}

std::optional<Response> AnalyticsService::FastServe(Request& req, std::string_view kind) {
    const std::string& id = req.PathParam("id");
    if (!core::IsValidId(id) || req.Query("version")) return std::nullopt;
    const core::TenantId& tenant = req.Caller().tenant;
    core::DatasetId dataset(id);
    auto v = CachedVersion(DatasetKey(tenant, dataset));
    if (!v) return std::nullopt;
    auto cached = cache_.Get(AnswerKey(tenant, dataset, v->version, kind, req));
    if (!cached) return std::nullopt;
    return AnswerResponse(req, *cached, dataset, v->version, kind);
}

std::optional<AnalyticsService::VersionInfo> AnalyticsService::CachedVersion(const std::string& key) {
    std::scoped_lock lock(versions_mutex_);
    if (changing_.contains(key)) return std::nullopt;
    auto it = versions_.find(key);
    if (it == versions_.end() || it->second.expires_ms < core::MonotonicMs()) return std::nullopt;
    return it->second;
}

void AnalyticsService::Invalidate(const core::TenantId& tenant, const core::DatasetId& dataset) {
    std::string prefix = DatasetKey(tenant, dataset) + "|";
    {
        std::scoped_lock lock(versions_mutex_);
        ++memo_generation_;
        versions_.erase(DatasetKey(tenant, dataset));
    }
    cache_.Invalidate(prefix);
    parsed_.Invalidate(prefix);
    series_.Invalidate(prefix);
    columns_.Invalidate(prefix);
}

void AnalyticsService::BeginChange(const core::TenantId& tenant, const core::DatasetId& dataset) {
    const std::string key = DatasetKey(tenant, dataset);
    std::scoped_lock lock(versions_mutex_);
    ++changing_[key];
    ++memo_generation_;
    versions_.erase(key);
}

void AnalyticsService::EndChange(const core::TenantId& tenant, const core::DatasetId& dataset) {
    {
        std::scoped_lock lock(versions_mutex_);
        auto it = changing_.find(DatasetKey(tenant, dataset));
        if (it != changing_.end() && --it->second <= 0) changing_.erase(it);
    }
    Invalidate(tenant, dataset);
}

namespace {
Response AnswerResponseImpl(const Request& req, const CachedAnswer& cached, const core::DatasetId& dataset, int64_t version,
                            std::string_view kind);
}  // namespace

Response AnalyticsService::AnswerResponse(const Request& req, const CachedAnswer& cached, const core::DatasetId& dataset,
                                          int64_t version, std::string_view kind) {
    return AnswerResponseImpl(req, cached, dataset, version, kind);
}

std::string AnalyticsService::AnswerKey(const core::TenantId& tenant, const core::DatasetId& dataset, int64_t version,
                                        std::string_view kind, const Request& req) {
    // Tenant first, then the dataset version, the kind, the query and the format.
    std::vector<std::pair<std::string, std::string>> query = req.query;
    std::sort(query.begin(), query.end());
    std::string key = DatasetKey(tenant, dataset) + "|" + std::to_string(version) + "|" + std::string(kind) + "|";
    for (const auto& [k, v] : query) key += k + "=" + v + "&";
    key += req.Accepts("text/csv") ? "|csv" : "|json";
    return key;
}

namespace {
Response AnswerResponseImpl(const Request& req, const CachedAnswer& cached_answer, const core::DatasetId& dataset,
                            int64_t version, std::string_view kind) {
    const CachedAnswer* cached = &cached_answer;
    bool csv = req.Accepts("text/csv");
    Response resp;
    if (EtagMatches(req.Header("if-none-match"), cached->etag)) {
        resp.status = 304;
    } else {
        resp.status = 200;
        resp.body = cached->body;
        resp.Header("Content-Type", cached->content_type);
    }
    resp.Header("ETag", cached->etag);
    // Revalidate every time (a new version may become the default), but privately: never in a shared cache.
    resp.Header("Cache-Control", "private, no-cache");
    resp.Header("Vary", "Accept, Authorization");
    resp.Header("X-Dataset-Version", std::to_string(version));
    if (csv && resp.status == 200) {
        resp.Header("Content-Disposition", "attachment; filename=\"" + dataset.str() + "-v" + std::to_string(version) + "-" +
                                               std::string(kind) + ".csv\"");
    }
    return resp;
}
}  // namespace

void AnalyticsService::RegisterRoutes(http::Router& router) {
    auto fast = [this](const char* kind) {
        return [this, kind](Request& req) { return FastServe(req, kind); };
    };
    // Only the format asked for is rendered.
    auto csv_or_json = [](bool csv, const auto& json_text, const auto& csv_text) -> std::pair<std::string, std::string> {
        if (csv) return {csv_text(), "text/csv; charset=utf-8"};
        return {json_text(), "application/json"};
    };
    router.Add("GET", "/api/v1/datasets/{id}/export", [this](Request& req) { return Export(req); });
    router.Add("POST", "/api/v1/datasets/{id}/query", [this](Request& req) { return Query(req); }, {.body_limit = 256 * 1024});
    router.Add("GET", "/api/v1/datasets/{id}/schema", [this, csv_or_json](Request& req) {
        bool csv = req.Accepts("text/csv");
        return Serve(req, "schema", [&](const Context& ctx) -> Result<std::pair<std::string, std::string>> {
            IS_TRY(auto text, ctx.Payload("schema", ""));
            std::string fields = "\"version\":" + std::to_string(ctx.version) + ",\"computed_at\":\"" + ctx.computed_at +
                                 "\",\"provenance\":" + ctx.provenance;
            return csv_or_json(csv, [&] { return WithFields(text, fields); }, [&] { return SchemaCsv(ctx.schema()); });
        });
    }, {.fast = fast("schema")});
    router.Add("GET", "/api/v1/datasets/{id}/summary", [this, csv_or_json](Request& req) {
        bool csv = req.Accepts("text/csv");
        return Serve(req, "summary", [&](const Context& ctx) -> Result<std::pair<std::string, std::string>> {
            IS_TRY(auto text, ctx.Payload("summary", ""));
            std::string fields = "\"version\":" + std::to_string(ctx.version) + ",\"computed_at\":\"" + ctx.computed_at +
                                 "\",\"provenance\":" + ctx.provenance;
            return csv_or_json(csv, [&] { return WithFields(text, fields); },
                               [&] { return SummaryCsv(json::parse(text).as_object()); });
        });
    }, {.fast = fast("summary")});
    router.Add("GET", "/api/v1/datasets/{id}/timeseries", [this, csv_or_json](Request& req) {
        bool csv = req.Accepts("text/csv");
        return Serve(req, "timeseries", [&](const Context& ctx) -> Result<std::pair<std::string, std::string>> {
            IS_TRY(Agg agg, AggParam(req, {Agg::kSum, Agg::kCount, Agg::kAvg, Agg::kMin, Agg::kMax}));
            SeriesQuery q;
            q.agg = agg;
            IS_TRY(std::string time, ColumnParam(req, ctx, "time", "time", ctx.Primary("primary_time"), true));
            IS_TRY(q.measure, MeasureParam(req, ctx, agg));
            IS_TRY(q.interval, IntervalParam(req, {Interval::kDay, Interval::kWeek, Interval::kMonth, Interval::kQuarter,
                                                   Interval::kYear}));
            IS_TRY(q.from_day, DayParam(req, "from"));
            IS_TRY(q.to_day, DayParam(req, "to"));
            if (q.from_day && q.to_day && *q.from_day > *q.to_day) return BadParam("from", "must not be after to");
            if (auto c = req.Query("compare")) {
                if (*c != "yoy") return BadParam("compare", "must be yoy");
                q.compare_yoy = true;
            }
            q.scale = q.measure.empty() ? 0 : ctx.Scale(q.measure);
            IS_TRY(auto series, ctx.Series(time));
            IS_TRY(auto r, TimeSeries(*series, q));
            r.time = time;
            return csv_or_json(csv, [&] { return SeriesJson(r, ctx.provenance); }, [&] { return SeriesCsv(r, q.compare_yoy); });
        });
    }, {.fast = fast("timeseries")});
    router.Add("GET", "/api/v1/datasets/{id}/groups", [this, csv_or_json](Request& req) {
        bool csv = req.Accepts("text/csv");
        return Serve(req, "groups", [&](const Context& ctx) -> Result<std::pair<std::string, std::string>> {
            IS_TRY(Agg agg, AggParam(req, {Agg::kSum, Agg::kCount, Agg::kAvg, Agg::kMin, Agg::kMax}));
            GroupsQuery q;
            q.agg = agg;
            IS_TRY(std::string dimension, ColumnParam(req, ctx, "dimension", "dimension", "", true));
            IS_TRY(q.measure, MeasureParam(req, ctx, agg));
            IS_TRY(q.limit, LimitParam(req, 10, 100));
            q.scale = q.measure.empty() ? 0 : ctx.Scale(q.measure);
            IS_TRY(auto payload, ctx.Parsed("groups", dimension));
            IS_TRY(auto r, Groups(payload->as_object(), q));
            r.dimension = dimension;
            return csv_or_json(csv, [&] { return GroupsJson(r, ctx.provenance); }, [&] { return GroupsCsv(r); });
        });
    }, {.fast = fast("groups")});
    router.Add("GET", "/api/v1/datasets/{id}/breakdown", [this, csv_or_json](Request& req) {
        bool csv = req.Accepts("text/csv");
        return Serve(req, "breakdown", [&](const Context& ctx) -> Result<std::pair<std::string, std::string>> {
            IS_TRY(Agg agg, AggParam(req, {Agg::kSum, Agg::kCount, Agg::kAvg}));
            BreakdownQuery q;
            q.agg = agg;
            IS_TRY(std::string dimension, ColumnParam(req, ctx, "dimension", "dimension", "", true));
            std::string primary = ctx.Primary("primary_time");
            IS_TRY(std::string time, ColumnParam(req, ctx, "time", "time", primary, true));
            if (time != primary) {
                return BadParam("time", "breakdowns are computed over the primary time column '" + primary + "'");
            }
            IS_TRY(q.measure, MeasureParam(req, ctx, agg));
            IS_TRY(q.interval, IntervalParam(req, {Interval::kMonth, Interval::kQuarter, Interval::kYear}));
            IS_TRY(q.limit, LimitParam(req, 5, 20));
            q.scale = q.measure.empty() ? 0 : ctx.Scale(q.measure);
            IS_TRY(auto payload, ctx.Parsed("breakdown", dimension));
            IS_TRY(auto r, Breakdown(payload->as_object(), q));
            r.dimension = dimension;
            r.time = time;
            return csv_or_json(csv, [&] { return BreakdownJson(r, ctx.provenance); }, [&] { return BreakdownCsv(r); });
        });
    }, {.fast = fast("breakdown")});
    router.Add("GET", "/api/v1/datasets/{id}/events", [this](Request& req) { return Events(req); });
}

Result<Response> AnalyticsService::Events(Request& req) {
    core::TenantId tenant = req.Caller().tenant;
    IS_TRY(auto dataset, req.DatasetIdParam());
    IS_TRY(auto first, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               return catalog::datasets::Find(tx, tenant, dataset);
           }));
    if (!first) return Error::NotFound("dataset not found");
    struct State {
        std::string last;
        bool done = false;
        bool started = false;
        int64_t started_ms = 0;
        int64_t heartbeat_ms = 0;
    };
    auto state = std::make_shared<State>();
    state->started_ms = core::MonotonicMs();
    state->heartbeat_ms = state->started_ms;
    Response resp;
    resp.status = 200;
    resp.Header("Content-Type", "text/event-stream");
    resp.Header("Cache-Control", "no-cache");
    resp.Header("X-Accel-Buffering", "no");
    resp.stream_poll_ms = settings_.events_poll_ms;
    store::Database* db = &db_;
    const core::Clock* clock = &clock_;
    int max_ms = settings_.events_max_seconds * 1000;
    resp.stream = [state, db, clock, tenant, dataset, max_ms]() -> Result<std::optional<std::string>> {
        if (state->done) return std::optional<std::string>();
        std::string out;
        if (!state->started) {
            state->started = true;
            out += "retry: 2000\n\n";
        }
        IS_TRY(auto record, store::TransactValue(*db, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
                   return catalog::datasets::Find(tx, tenant, dataset);
               }));
        int64_t now = core::MonotonicMs();
        if (!record) {
            state->done = true;
            return std::optional<std::string>(out + "event: failed\ndata: {\"error\":\"the dataset was deleted\"}\n\n");
        }
        std::string data = json::serialize(catalog::DatasetJson(*record, clock->NowMs()));
        catalog::VersionStatus status = record->latest.status;
        if (status == catalog::VersionStatus::kReady || status == catalog::VersionStatus::kFailed) {
            state->done = true;
            return std::optional<std::string>(out + "event: " + catalog::StatusName(status) + "\ndata: " + data +
                                              "\n\n");
        }
        if (data != state->last) {
            state->last = data;
            state->heartbeat_ms = now;
            return std::optional<std::string>(out + "event: progress\ndata: " + data + "\n\n");
        }
        if (now - state->started_ms > max_ms) {
            state->done = true;
            return std::optional<std::string>(out);
        }
        if (now - state->heartbeat_ms > 15'000) {
            state->heartbeat_ms = now;
            return std::optional<std::string>(out + ": keep-alive\n\n");
        }
        return std::optional<std::string>(out);  // "" until something changes: polled again later
    };
    return resp;
}

}  // namespace insightstream::analytics
