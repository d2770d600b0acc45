#include "ingest/ingest_service.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "core/csv_cell.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "http/json_body.hpp"
#include "http/multipart.hpp"
#include "catalog/datasets.hpp"
#include "store/audit_log.hpp"

namespace insightstream::ingest {

using core::Error;
using core::Result;
using http::Request;
using http::Response;
namespace json = boost::json;


IngestService::IngestService(store::Database& db, store::ObjectStore& objects, store::OutboxRelay& relay,
                             const core::Clock& clock, core::IdSource& ids, core::Metrics& metrics,
                             IngestSettings settings, OptionsParser options_parser)
    : db_(db),
      objects_(objects),
      relay_(relay),
      clock_(clock),
      ids_(ids),
      metrics_(metrics),
      settings_(settings),
      uploads_(settings.quota_uploads_per_minute, settings.quota_uploads_per_minute),
      slots_(settings.max_concurrent_uploads, settings.max_concurrent_uploads_per_org),
      worker_options_(std::move(options_parser)) {
    metrics_.Describe("insightstream_uploads_total", "counter", "Accepted uploads.");
    metrics_.Describe("insightstream_upload_bytes_total", "counter", "Bytes of accepted uploads.");
}

void IngestService::RegisterRoutes(http::Router& router) {
    // Uploads stream: the server reads the body itself and hands it to the upload (see BodySink).
    auto upload = [this](bool new_version) {
        http::RouteOptions o{.access = http::Access::kUser,
                             .permission = core::Permission::kWriteData,
                             .writes = true,
                             .body_limit = settings_.max_upload_bytes};
        o.sink = [this, new_version](Request& r) -> Result<std::unique_ptr<http::BodySink>> {
            if (!new_version) return StartUpload(r, nullptr);
            IS_TRY(auto id, r.DatasetIdParam());
            return StartUpload(r, &id);
        };
        return o;
    };
    auto unused = [](Request&) -> Result<Response> { return Error::Internal("a streaming route has no handler"); };
    router.Add("POST", "/api/v1/datasets", unused, upload(false));
    router.Add("POST", "/api/v1/datasets/{id}/versions", unused, upload(true));
    router.Add("GET", "/api/v1/datasets", [this](Request& r) { return List(r); });
    router.Add("GET", "/api/v1/datasets/{id}", [this](Request& r) { return Get(r); });
    router.Add("DELETE", "/api/v1/datasets/{id}", [this](Request& r) { return Delete(r); },
               {.permission = core::Permission::kWriteData, .writes = true});
    router.Add("GET", "/api/v1/datasets/{id}/errors", [this](Request& r) { return Errors(r); });
    router.Add("POST", "/api/v1/datasets/{id}/reprocess", [this](Request& r) { return Reprocess(r); },
               {.permission = core::Permission::kWriteData, .writes = true});
}

namespace {

std::optional<std::string> FormatFromMediaType(std::string_view ct) {
    if (ct == "text/csv" || ct == "application/csv" || ct == "text/comma-separated-values") return "csv";
    if (ct == "application/json") return "json";
    if (ct == "application/x-ndjson" || ct == "application/ndjson" || ct == "application/jsonl" ||
        ct == "application/x-jsonlines" || ct == "application/jsonlines")
        return "ndjson";
    return std::nullopt;
}

std::optional<std::string> FormatFromFilename(std::string_view name) {
    size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::string ext(name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (ext == "csv" || ext == "tsv" || ext == "txt") return "csv";
    if (ext == "json") return "json";
    if (ext == "ndjson" || ext == "jsonl") return "ndjson";
    return std::nullopt;
}

bool RawUploadType(std::string_view ct) {
    return ct.empty() || FormatFromMediaType(ct) || ct == "application/octet-stream" || ct == "text/plain" ||
           ct == "text/tab-separated-values";
}

bool ValidFormat(std::string_view f) { return f == "csv" || f == "json" || f == "ndjson"; }

// Writes the `file` field of a multipart body to the object store; keeps the small text fields.
class FormParts final : public http::MultipartSink {
public:
    explicit FormParts(store::ObjectWriter& writer) : writer_(writer) {}
    Result<void> OnPartBegin(const http::MultipartPart& part) override {
        if (auto why = core::TextProblem(part.name)) {
            return Error::InvalidArgument("a form field name " + *why).WithSlug("invalid-text");
        }
        if (auto why = core::TextProblem(part.filename)) {
            return Error::InvalidArgument("the file name " + *why).WithSlug("invalid-text");
        }
        current_ = part.name;
        if (part.name == "file") {
            if (seen_file_) return Error::InvalidArgument("send exactly one `file` field").WithSlug("malformed-multipart");
            seen_file_ = true;
            filename_ = part.filename;
            content_type_ = part.content_type;
        } else {
            fields_.emplace_back(part.name, std::string());
        }
        return {};
    }
    Result<void> OnPartData(std::string_view data) override {
        if (current_ == "file") {
            bytes_ += data.size();
            return writer_.Write(data.data(), data.size());
        }
        if (fields_.back().second.size() + data.size() > 4096) {
            return Error::InvalidArgument("form field `" + current_ + "` is longer than 4096 bytes");
        }
        fields_.back().second.append(data);
        return {};
    }
    Result<void> OnPartEnd() override {
        if (current_ != "file" && !fields_.empty()) {
            if (auto why = core::TextProblem(fields_.back().second)) {
                return Error::InvalidArgument("the form field `" + current_ + "` " + *why).WithSlug("invalid-text");
            }
        }
        current_.clear();
        return {};
    }
    [[nodiscard]] std::optional<std::string> Field(std::string_view name) const {
        for (const auto& [k, v] : fields_) {
            if (k == name) return v;
        }
        return std::nullopt;
    }

    bool seen_file_ = false;
    std::string filename_;
    std::string content_type_;
    uint64_t bytes_ = 0;

private:
    store::ObjectWriter& writer_;
    std::string current_;
    std::vector<std::pair<std::string, std::string>> fields_;
};

std::string Trimmed(std::string s) {
    s.erase(0, s.find_first_not_of(" \t\r\n"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return s;
}

}  // namespace

Result<void> IngestService::CheckQuota(const core::TenantId& tenant, uint64_t incoming, bool new_dataset) {
    if (settings_.quota_storage_bytes == 0 && (settings_.quota_datasets == 0 || !new_dataset)) return {};
    IS_TRY(auto usage, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               // A reprocessed version reads an earlier version's file: its bytes are stored once.
               return tx.Exec("SELECT (SELECT COALESCE(SUM(size_bytes), 0) FROM dataset_versions WHERE tenant_id = $1 "
                              "AND source_version IS NULL), "
                              "(SELECT COUNT(*) FROM datasets WHERE tenant_id = $1)",
                              {tenant});
           }));
    auto used = static_cast<uint64_t>(usage.rows.at(0).Int(0));
    int64_t datasets = usage.rows.at(0).Int(1);
    if (settings_.quota_storage_bytes > 0 && used + incoming > settings_.quota_storage_bytes) {
        return Error::PayloadTooLarge("this upload would exceed your organization's storage quota of " +
                                      std::to_string(settings_.quota_storage_bytes) + " bytes (" +
                                      std::to_string(used) + " used); delete datasets or versions to make room")
            .WithSlug("storage-quota-exceeded");
    }
    if (new_dataset && settings_.quota_datasets > 0 && datasets >= settings_.quota_datasets) {
        return Error::RateLimited("your organization has reached its quota of " +
                                      std::to_string(settings_.quota_datasets) +
                                      " datasets; delete one or upload a new version of an existing one",
                                  3600)
            .WithSlug("dataset-quota-exceeded");
    }
    return {};
}

// The upload's write, each piece handed to the splitter once it is stored.
class SplittingWriter final : public store::ObjectWriter {
public:
    SplittingWriter(std::unique_ptr<store::ObjectWriter> inner, catalog::UploadSplitter& splitter)
        : inner_(std::move(inner)), splitter_(splitter) {}
    Result<void> Write(const char* data, size_t n) override {
        IS_TRY_VOID(inner_->Write(data, n));
        splitter_.Written(std::string_view(data, n));
        return {};
    }
    Result<store::PutResult> Commit() override { return inner_->Commit(); }
    [[nodiscard]] std::string ReadableAs() const override { return inner_->ReadableAs(); }

private:
    std::unique_ptr<store::ObjectWriter> inner_;
    catalog::UploadSplitter& splitter_;
};

// One upload in progress: started before the body arrives (checked, numbered, its object write
// begun), fed the body as the server reads it, finished into a queued version. Destroyed
// unfinished, it aborts the object write (the writer's destructor removes the temporary file).
class IngestService::UploadBody final : public http::BodySink {
public:
    UploadBody(IngestService& service, Request& req) : s_(service), req_(req) {}

    Result<void> Start(const core::DatasetId* existing);
    Result<void> Write(std::string_view data) override {
        received_ += data.size();
        if (mp_) return mp_->Feed(data, *form_);
        return writer_->Write(data.data(), data.size());
    }
    Result<Response> Finish() override;

    UploadSlots::Slot slot;  // held until the upload ends, however it ends

private:
    IngestService& s_;
    Request& req_;
    core::TenantId tenant_;
    bool existing_ = false;
    core::DatasetId id_;
    int64_t version_ = 1;
    int64_t now_ = 0;
    std::optional<DatasetRecord> current_;
    std::optional<std::string> name_, format_;
    bool multipart_ = false;
    std::string options_;
    std::optional<store::ObjectKey> key_;
    std::unique_ptr<catalog::UploadSplitter> splitter_;  // outlives writer_, which feeds it
    std::unique_ptr<store::ObjectWriter> writer_;
    std::optional<http::MultipartReader> mp_;
    std::optional<FormParts> form_;
    uint64_t received_ = 0;
};

Result<UploadSlots::Slot> UploadSlots::Acquire(const std::string& tenant) {
    std::scoped_lock lock(mutex_);
    // The organization's own cap first: one tenant at its cap is told so (429) and never sees,
    // nor takes, the capacity that the others share.
    auto it = per_tenant_.find(tenant);
    int mine = it == per_tenant_.end() ? 0 : it->second;
    if (max_per_tenant_ > 0 && mine >= max_per_tenant_) {
        return Error::RateLimited("your organization has " + std::to_string(mine) + " uploads in progress, the most at once; " +
                                      "wait for one to finish",
                                  5)
            .WithSlug("too-many-uploads");
    }
    if (max_total_ > 0 && total_ >= max_total_) {
        return Error::Unavailable("the service has " + std::to_string(total_) + " uploads in progress, the most at once; " +
                                  "try again shortly")
            .WithSlug("uploads-busy")
            .WithRetryAfter(5);
    }
    ++per_tenant_[tenant];
    ++total_;
    return Slot(this, tenant);
}

void UploadSlots::Release(const std::string& tenant) {
    std::scoped_lock lock(mutex_);
    --total_;
    if (--per_tenant_[tenant] <= 0) per_tenant_.erase(tenant);
}

Result<std::unique_ptr<http::BodySink>> IngestService::StartUpload(Request& req, const core::DatasetId* existing) {
    auto upload = std::make_unique<UploadBody>(*this, req);
    IS_TRY_VOID(upload->Start(existing));
    return std::unique_ptr<http::BodySink>(std::move(upload));
}

Result<void> IngestService::UploadBody::Start(const core::DatasetId* existing) {
    tenant_ = req_.Caller().tenant;
    existing_ = existing != nullptr;
    std::string ct = req_.ContentType();
    multipart_ = ct == "multipart/form-data";
    if (!multipart_ && !RawUploadType(ct)) {
        return Error::UnsupportedMediaType(
            "send the file as the raw body (text/csv, application/json, application/x-ndjson or "
            "application/octet-stream) or as multipart/form-data with a `file` field");
    }
    name_ = req_.Query("name");
    format_ = req_.Query("format");
    if (name_) name_ = Trimmed(*name_);
    std::vector<core::FieldError> bad;
    if (name_ && (name_->empty() || name_->size() > 200)) bad.push_back({"name", "must be 1 to 200 characters"});
    if (format_ && !ValidFormat(*format_)) bad.push_back({"format", "must be one of csv, json, ndjson"});
    if (!existing && !multipart_ && !name_) bad.push_back({"name", "is required"});
    if (!bad.empty()) return Error::InvalidFields(std::move(bad));
    if (!format_ && !multipart_) format_ = FormatFromMediaType(ct);
    // Per-column type and role hints (?types={"zip":"string"}&roles={"year":"dimension"}) and the
    // upload's defaults (?date_order=dmy, ?decimal=comma, ?quoted_newlines=true).
    std::map<std::string, std::string> option_params;
    for (std::string_view k : kOptionParams) {
        if (auto v = req_.Query(std::string(k))) option_params[std::string(k)] = *v;
    }
    IS_TRY(options_, s_.worker_options_(option_params));
    // At most so many uploads at once, per organization and in all: a client that opens many and
    // sends nothing is refused at once, never queued.
    IS_TRY(slot, s_.slots_.Acquire(tenant_.str()));
    if (auto allowed = s_.uploads_.Take(tenant_.str(), s_.clock_.NowMs(), "uploads for your organization"); !allowed) {
        return std::move(allowed).error().WithSlug("upload-rate-limited");
    }
    IS_TRY_VOID(s_.CheckQuota(tenant_, req_.content_length.value_or(0), !existing));

    now_ = s_.clock_.NowMs();
    id_ = existing ? *existing : core::DatasetId(s_.ids_.NewId("ds_"));
    if (existing) {
        // The number is handed out before the bytes arrive so the object lands under its final
        // key; an upload that then fails leaves a gap in the numbering, never a half version.
        IS_TRY_VOID(s_.db_.Transact(tenant_, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
            IS_TRY(current_, datasets::Find(tx, tenant_, id_));
            if (!current_) return Error::NotFound("dataset not found");
            IS_TRY(version_, datasets::ReserveVersion(tx, tenant_, id_, now_));
            return {};
        }));
        if (!format_) format_ = current_->format;
        // The column settings remembered for this dataset, under the upload's own.
        options_ = MergeOptions(current_->column_options, options_);
    }
    key_ = store::ObjectKey::ForDatasetVersion(tenant_, id_, version_, "source");
    IS_TRY(writer_, s_.objects_.BeginPut(*key_));
    // A file whose format is known now is cut into splits as it streams, where the store lets
    // workers read a write in progress; the rest are cut by the version's job.
    if (s_.splitters_ && format_) {
        catalog::UploadStart start{tenant_, id_, version_, *format_, options_, writer_->ReadableAs(),
                                   req_.trace_id, req_.request_id, req_.span_id};
        start.size_bytes = req_.content_length ? static_cast<int64_t>(*req_.content_length) : -1;
        splitter_ = s_.splitters_(start);
        if (splitter_) writer_ = std::make_unique<SplittingWriter>(std::move(writer_), *splitter_);
    }
    if (multipart_) {
        const std::string* ct_header = req_.Header("content-type");
        IS_TRY(auto boundary, http::MultipartReader::BoundaryFrom(ct_header ? *ct_header : ""));
        mp_.emplace(boundary);
        form_.emplace(*writer_);
    }
    return {};
}

Result<Response> IngestService::UploadBody::Finish() {
    const core::TenantId& tenant = tenant_;
    const core::DatasetId& id = id_;
    const bool existing = existing_;
    const int64_t version = version_;
    const int64_t now = now_;
    auto& name = name_;
    auto& format = format_;
    auto& options = options_;
    auto& current = current_;
    auto& req = req_;
    auto& key = *key_;
    auto& writer = writer_;
    auto& mp = mp_;
    auto& sink = form_;
    const uint64_t received = received_;
    // The service's parts, by the names the steps below have always used.
    auto& db_ = s_.db_;
    auto& objects_ = s_.objects_;
    auto& relay_ = s_.relay_;
    auto& metrics_ = s_.metrics_;
    if (mp) {
        IS_TRY_VOID(mp->Finish());
        if (!sink->seen_file_) {
            return Error::InvalidArgument("the multipart body has no `file` field", {{"file", "is required"}});
        }
        if (!name) name = sink->Field("name");
        if (!name && !sink->filename_.empty()) name = sink->filename_;
        if (!format) format = sink->Field("format");
        if (!format) format = FormatFromMediaType(sink->content_type_);
        if (!format) format = FormatFromFilename(sink->filename_);
        if (name) name = Trimmed(*name);
        if (!existing && (!name || name->empty() || name->size() > 200)) {
            return Error::InvalidArgument("name is required", {{"name", "is required (query, form field or filename)"}});
        }
        if (format && !ValidFormat(*format)) {
            return Error::InvalidArgument("format must be one of csv, json, ndjson", {{"format", "must be csv, json or ndjson"}});
        }
    }
    if (!format) {
        return Error::InvalidArgument("the file format is unknown: pass ?format=csv|json|ndjson",
                                      {{"format", "is required when the content type does not tell"}});
    }
    // A chunked body has no length up front: check the quota again now that the size is known.
    IS_TRY_VOID(s_.CheckQuota(tenant, received, false));
    IS_TRY(auto put, writer->Commit());

    JobMessage job{tenant, id, version, req.trace_id, req.request_id, req.span_id};
    // Splits analysed while the file streamed: the version's job adopts them.
    if (splitter_) job.run = splitter_->Finish();
    DatasetRecord d = existing ? *current : DatasetRecord{};
    if (!existing) {
        d.id = id;
        d.name = *name;
        d.format = *format;
        if (!req.Caller().user.empty()) d.created_by = req.Caller().user.str();
        d.created_at = now;
    }
    d.latest_version = version;
    d.updated_at = now;
    VersionRecord& v = d.latest;
    v = VersionRecord{};
    v.dataset = id;
    v.version = version;
    v.format = *format;
    v.status = VersionStatus::kQueued;
    v.object_key = key.str();
    v.size_bytes = put.size_bytes;
    v.sha256 = put.sha256_hex;
    v.created_at = now;
    v.options = options;
    std::string outbox_id;
    auto saved = db_.Transact(tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
        if (!existing) {
            d.column_options = options;
            IS_TRY_VOID(datasets::InsertDataset(tx, tenant, d));
        } else {
            IS_TRY(auto still, datasets::Find(tx, tenant, id));
            if (!still) return Error::NotFound("dataset not found");
            IS_TRY_VOID(datasets::PromoteVersion(tx, tenant, id, version, now));
            // The settings this upload chose are remembered with the rest.
            IS_TRY_VOID(datasets::SetColumnOptions(tx, tenant, id, MergeOptions(still->column_options, options)));
        }
        IS_TRY_VOID(datasets::InsertVersion(tx, tenant, v));
        auto audit = store::AuditFrom(req, "dataset.uploaded", "dataset", id.str());
        audit.details = {{"version", version}, {"name", d.name}, {"format", *format}, {"size_bytes", put.size_bytes}};
        IS_TRY_VOID(store::AppendAudit(tx, tenant, audit, now));
        IS_TRY(outbox_id, store::OutboxAdd(tx, tenant, kProcessTopic, job.ToJson(), now));
        return {};
    });
    if (!saved) {
        (void)objects_.Delete(key);  // nothing refers to it
        if (splitter_) splitter_->Withdraw();
        return std::move(saved).error();
    }
    // The job is durable in the outbox already: the relay sends it now, without this request
    // waiting for the queue (and later, if the queue is down now).
    relay_.PublishSoon(outbox_id);
    metrics_.Add("insightstream_uploads_total", {{"format", *format}});
    metrics_.Add("insightstream_upload_bytes_total", {}, static_cast<double>(put.size_bytes));
    core::Log(core::LogLevel::kInfo, "upload.accepted", "dataset version stored and queued",
              {{"dataset_id", id.str()},
               {"version", version},
               {"bytes", put.size_bytes},
               {"received_bytes", received}});

    // The answer describes the version as accepted (a worker may already be on it).
    auto resp = http::JsonResponse(202, DatasetJson(d, now));
    resp.Header("Location", "/api/v1/datasets/" + id.str());
    return resp;
}

Result<Response> IngestService::List(Request& req) {
    const core::TenantId& tenant = req.Caller().tenant;
    int limit = 50;
    std::vector<core::FieldError> bad;
    if (auto l = req.Query("limit")) {
        char* end = nullptr;
        long v = std::strtol(l->c_str(), &end, 10);
        if (l->empty() || *end != '\0' || v < 1 || v > 200) bad.push_back({"limit", "must be an integer from 1 to 200"});
        else limit = static_cast<int>(v);
    }
    std::optional<ListCursor> cursor;
    if (auto c = req.Query("cursor"); c && !c->empty()) {
        cursor = ListCursor::Decode(*c);
        if (!cursor) bad.push_back({"cursor", "is not a cursor this API handed out"});
    }
    if (!bad.empty()) return Error::InvalidFields(std::move(bad));
    IS_TRY(auto rows, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               return datasets::List(tx, tenant, limit + 1, cursor);
           }));
    json::array items;
    int64_t now = clock_.NowMs();
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(limit); ++i) items.push_back(DatasetJson(rows[i], now));
    json::value next = nullptr;
    if (rows.size() > static_cast<size_t>(limit)) {
        const auto& last = rows[static_cast<size_t>(limit) - 1];
        next = ListCursor{last.created_at, last.id.str()}.Encode();
    }
    return http::JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

Result<Response> IngestService::Get(Request& req) {
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto id, req.DatasetIdParam());
    IS_TRY(auto record, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               return datasets::Find(tx, tenant, id);
           }));
    if (!record) return Error::NotFound("dataset not found");
    return http::JsonResponse(200, DatasetJson(*record, clock_.NowMs()));
}

Result<Response> IngestService::Errors(Request& req) {
    using core::CsvCell;
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto id, req.DatasetIdParam());
    std::vector<core::FieldError> bad;
    size_t limit = 1000, offset = 0;
    if (auto l = req.Query("limit")) {
        char* end = nullptr;
        long v = std::strtol(l->c_str(), &end, 10);
        if (l->empty() || *end != '\0' || v < 1 || v > 10000) bad.push_back({"limit", "must be an integer from 1 to 10000"});
        else limit = static_cast<size_t>(v);
    }
    if (auto c = req.Query("cursor"); c && !c->empty()) {
        char* end = nullptr;
        long v = std::strtol(c->c_str(), &end, 10);
        if (*end != '\0' || v < 0) bad.push_back({"cursor", "is not a cursor this API handed out"});
        else offset = static_cast<size_t>(v);
    }
    std::optional<int64_t> wanted;
    if (auto w = req.Query("version")) {
        char* end = nullptr;
        long v = std::strtol(w->c_str(), &end, 10);
        if (w->empty() || *end != '\0' || v < 1) bad.push_back({"version", "must be a positive integer"});
        else wanted = v;
    }
    if (!bad.empty()) return Error::InvalidFields(std::move(bad));
    IS_TRY(auto record, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
               return datasets::Find(tx, tenant, id);
           }));
    if (!record) return Error::NotFound("dataset not found");
    if (wanted && *wanted != record->latest.version) {
        IS_TRY(auto found, store::TransactValue(db_, tenant, store::TxMode::kRead, [&](store::Tx& tx) {
                   return datasets::FindVersion(tx, tenant, id, *wanted);
               }));
        if (!found) return Error::NotFound("this dataset has no version " + std::to_string(*wanted));
        record->latest = *found;
    }
    const VersionRecord& v = record->latest;
    std::string text;
    auto key = store::ObjectKey::ForDatasetVersion(tenant, id, v.version, "errors.ndjson");
    if (auto got = objects_.GetBytes(key); got) {
        text = std::move(*got);
    } else if (got.error().code() != core::ErrorCode::kNotFound) {
        return std::move(got).error();
    }
    json::array items;
    size_t index = 0, pos = 0, total_lines = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        if (line.empty()) continue;
        ++total_lines;
        if (index++ < offset || items.size() >= limit) continue;
        boost::system::error_code ec;
        auto item = json::parse(line, ec);
        if (!ec) items.push_back(std::move(item));
    }
    bool csv = req.Accepts("text/csv");
    if (csv) {
        std::string out = "line,column,reason,raw\r\n";
        for (const auto& it : items) {
            const auto& o = it.as_object();
            out += std::to_string(o.at("line").as_int64()) + ",";
            out += o.at("column").is_null() ? "" : CsvCell(o.at("column").as_string());
            out += "," + CsvCell(o.at("reason").as_string()) + "," + CsvCell(o.at("raw").as_string()) + "\r\n";
        }
        auto resp = Response::Text(200, std::move(out), "text/csv; charset=utf-8");
        resp.Header("Content-Disposition", "attachment; filename=\"" + id.str() + "-v" + std::to_string(v.version) +
                                               "-errors.csv\"");
        return resp;
    }
    json::value next = nullptr;
    if (offset + items.size() < total_lines) next = std::to_string(offset + items.size());
    return http::JsonResponse(
        200, json::object{{"dataset_id", id.str()},
                          {"version", v.version},
                          {"status", StatusName(v.status)},
                          {"rows_rejected", v.rows_rejected ? json::value(*v.rows_rejected) : json::value(nullptr)},
                          {"invalid_values", v.invalid_values ? json::value(*v.invalid_values) : json::value(nullptr)},
                          {"issues", v.issues ? json::value(*v.issues) : json::value(nullptr)},
                          {"stored", total_lines},
                          {"items", std::move(items)},
                          {"next_cursor", next}});
}

Result<Response> IngestService::Reprocess(Request& req) {
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto id, req.DatasetIdParam());
    IS_TRY(auto body, http::ParseJsonObject(req));
    // The body holds the same settings an upload takes: {"version", "types", "roles",
    // "date_order", "decimal", "quoted_newlines"}.
    std::vector<core::FieldError> bad;
    std::optional<int64_t> from;
    std::map<std::string, std::string> params;
    for (const auto& [key, value] : body) {
        if (key == "version") {
            if (!value.is_int64() || value.as_int64() < 1) bad.push_back({"/version", "must be a positive integer"});
            else from = value.as_int64();
        } else if (key == "types" || key == "roles") {
            if (!value.is_object()) bad.push_back({"/" + std::string(key), "must be an object of column name to " +
                                                                                 std::string(key == "types" ? "type" : "role")});
            else params[std::string(key)] = json::serialize(value);
        } else if (key == "date_order" || key == "decimal") {
            if (!value.is_string()) bad.push_back({"/" + std::string(key), "must be a string"});
            else params[std::string(key)] = std::string(value.as_string());
        } else if (key == "quoted_newlines") {
            if (!value.is_bool()) bad.push_back({"/quoted_newlines", "must be true or false"});
            else params["quoted_newlines"] = value.as_bool() ? "true" : "false";
        } else {
            bad.push_back({"/" + std::string(key), "is not a setting; they are version, types, roles, date_order, "
                                                    "decimal, quoted_newlines"});
        }
    }
    if (!bad.empty()) return Error::InvalidFields(std::move(bad));
    IS_TRY(std::string changes, worker_options_(params));
    if (auto allowed = uploads_.Take(tenant.str(), clock_.NowMs(), "uploads for your organization"); !allowed) {
        return std::move(allowed).error().WithSlug("upload-rate-limited");
    }
    int64_t now = clock_.NowMs();
    DatasetRecord d;
    std::string outbox_id;
    JobMessage job{tenant, id, 0, req.trace_id, req.request_id, req.span_id};
    IS_TRY_VOID(db_.Transact(tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<void> {
        IS_TRY(auto current, datasets::Find(tx, tenant, id));
        if (!current) return Error::NotFound("dataset not found");
        d = *current;
        VersionRecord source = current->latest;
        if (from && *from != source.version) {
            IS_TRY(auto found, datasets::FindVersion(tx, tenant, id, *from));
            if (!found) return Error::NotFound("this dataset has no version " + std::to_string(*from));
            source = *found;
        }
        if (source.status == VersionStatus::kQueued || source.status == VersionStatus::kProcessing) {
            return Error::Conflict("version " + std::to_string(source.version) +
                                   " is still being processed; reprocess it once it is ready or failed");
        }
        IS_TRY(int64_t version, datasets::ReserveVersion(tx, tenant, id, now));
        VersionRecord v;
        v.dataset = id;
        v.version = version;
        v.format = source.format;
        v.status = VersionStatus::kQueued;
        v.object_key = source.object_key;  // the same file, read again with the new settings
        v.size_bytes = source.size_bytes;
        v.sha256 = source.sha256;
        v.options = MergeOptions(source.options, changes);
        v.source_version = source.source_version.value_or(source.version);
        v.created_at = now;
        IS_TRY_VOID(datasets::InsertVersion(tx, tenant, v));
        IS_TRY_VOID(datasets::PromoteVersion(tx, tenant, id, version, now));
        d.column_options = MergeOptions(current->column_options, changes);
        IS_TRY_VOID(datasets::SetColumnOptions(tx, tenant, id, d.column_options));
        auto audit = store::AuditFrom(req, "dataset.reprocessed", "dataset", id.str());
        audit.details = {{"version", version}, {"from_version", source.version}, {"options", changes}};
        IS_TRY_VOID(store::AppendAudit(tx, tenant, audit, now));
        job.version = version;
        IS_TRY(outbox_id, store::OutboxAdd(tx, tenant, kProcessTopic, job.ToJson(), now));
        d.latest = v;
        d.latest_version = version;
        d.updated_at = now;
        return {};
    }));
    relay_.PublishSoon(outbox_id);
    if (on_change_) on_change_(tenant, id);
    core::Log(core::LogLevel::kInfo, "dataset.reprocessed", "a new version reads the source file again",
              {{"dataset_id", id.str()}, {"version", job.version}});
    auto resp = http::JsonResponse(202, DatasetJson(d, now));
    resp.Header("Location", "/api/v1/datasets/" + id.str());
    return resp;
}

Result<Response> IngestService::Delete(Request& req) {
    const core::TenantId& tenant = req.Caller().tenant;
    IS_TRY(auto id, req.DatasetIdParam());
    IS_TRY(bool existed, store::TransactValue(db_, tenant, store::TxMode::kWrite, [&](store::Tx& tx) -> Result<bool> {
               IS_TRY(bool gone, datasets::Delete(tx, tenant, id));
               if (gone) {
                   IS_TRY_VOID(store::AppendAudit(tx, tenant, store::AuditFrom(req, "dataset.deleted", "dataset", id.str()),
                                                  clock_.NowMs()));
               }
               return gone;
           }));
    if (!existed) return Error::NotFound("dataset not found");
    if (on_change_) on_change_(tenant, id);
    // The records are gone first, so nothing can reach the objects while they are removed.
    if (auto gone = objects_.DeletePrefix(store::ObjectKey::DatasetPrefix(tenant, id).str() + "/"); !gone) {
        core::Log(core::LogLevel::kWarn, "dataset.objects_orphaned", gone.error().ToString(), {{"dataset_id", id.str()}});
    }
    core::Log(core::LogLevel::kInfo, "dataset.deleted", "dataset removed", {{"dataset_id", id.str()}});
    return Response::Empty(204);
}

}  // namespace insightstream::ingest
