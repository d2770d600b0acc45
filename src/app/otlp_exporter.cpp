#include "app/otlp_exporter.hpp"

#include <curl/curl.h>

#include <variant>

#include "core/clock.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace insightstream::app {

namespace {
constexpr size_t kMaxQueued = 8192;
constexpr size_t kBatch = 512;

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }
}  // namespace

OtlpExporter::OtlpExporter(std::string endpoint, std::string service_name, core::Metrics& metrics)
    : url_(std::move(endpoint)), service_name_(std::move(service_name)), metrics_(metrics) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    if (!url_.ends_with("/v1/traces")) url_ += "/v1/traces";
    metrics_.Describe("insightstream_spans_exported_total", "counter", "Spans sent to the OTLP collector, by outcome");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    thread_ = std::thread([this] { Run(); });
}

OtlpExporter::~OtlpExporter() {
    {
        std::scoped_lock lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void OtlpExporter::Submit(core::SpanData&& span) {
    {
        std::scoped_lock lock(mutex_);
        if (queue_.size() >= kMaxQueued) {
            metrics_.Add("insightstream_spans_exported_total", {{"outcome", "dropped"}});
            return;
        }
        queue_.push_back(std::move(span));
        if (queue_.size() < kBatch) return;
    }
    wake_.notify_one();
}

void OtlpExporter::Run() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || queue_.size() >= kBatch; });
        while (!queue_.empty()) {
            std::deque<core::SpanData> batch;
            while (!queue_.empty() && batch.size() < kBatch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            lock.unlock();
            bool sent = Send(Encode(batch, service_name_));
            metrics_.Add("insightstream_spans_exported_total", {{"outcome", sent ? "sent" : "failed"}},
                         static_cast<double>(batch.size()));
            lock.lock();
            if (!sent && stopping_) {
                // Shutting down and the collector does not take them: do not hold the exit up.
                metrics_.Add("insightstream_spans_exported_total", {{"outcome", "dropped"}},
                             static_cast<double>(queue_.size()));
                queue_.clear();
            }
        }
        if (stopping_) return;
    }
}

bool OtlpExporter::Send(const std::string& body) {
    CURL* curl = curl_easy_init();
    if (!curl) return false;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    int64_t now = core::MonotonicMs();
    if (!ok && now - last_complaint_ms_ >= 60'000) {
        last_complaint_ms_ = now;
        core::Log(core::LogLevel::kWarn, "otlp.export_failed", "the trace collector did not take the spans",
                  {{"url", url_}, {"status", static_cast<int64_t>(status)}, {"error", curl_easy_strerror(rc)}});
    }
    return ok;
}

std::string OtlpExporter::Encode(const std::deque<core::SpanData>& spans, const std::string& service_name) {
    core::JsonWriter w;
    auto attribute = [&w](const core::LogField& a) {
        w.BeginObject().Key("key").String(a.key).Key("value").BeginObject();
        if (const auto* s = std::get_if<std::string>(&a.value)) {
            w.Key("stringValue").String(*s);
        } else if (const auto* i = std::get_if<int64_t>(&a.value)) {
            w.Key("intValue").String(std::to_string(*i));  // int64 as a string (OTLP/JSON)
        } else if (const auto* d = std::get_if<double>(&a.value)) {
            w.Key("doubleValue").Double(*d);
        } else {
            w.Key("boolValue").Bool(std::get<bool>(a.value));
        }
        w.EndObject().EndObject();
    };
    w.BeginObject().Key("resourceSpans").BeginArray().BeginObject();
    w.Key("resource").BeginObject().Key("attributes").BeginArray();
    attribute({"service.name", service_name});
    w.EndArray().EndObject();
    w.Key("scopeSpans").BeginArray().BeginObject();
    w.Key("scope").BeginObject().Key("name").String("insightstream").EndObject();
    w.Key("spans").BeginArray();
    for (const auto& s : spans) {
        w.BeginObject()
            .Key("traceId").String(s.trace_id)
            .Key("spanId").String(s.span_id);
        if (!s.parent_span_id.empty()) w.Key("parentSpanId").String(s.parent_span_id);
        w.Key("name").String(s.name)
            .Key("kind").Int(static_cast<int64_t>(s.kind))
            .Key("startTimeUnixNano").String(std::to_string(s.start_unix_ns))
            .Key("endTimeUnixNano").String(std::to_string(s.end_unix_ns));
        w.Key("attributes").BeginArray();
        for (const auto& a : s.attributes) attribute(a);
        w.EndArray();
        w.Key("status").BeginObject().Key("code").Int(s.error ? 2 : 0);  // ERROR, or UNSET
        if (s.error && !s.status_message.empty()) w.Key("message").String(s.status_message);
        w.EndObject();
        w.EndObject();
    }
    w.EndArray().EndObject().EndArray().EndObject().EndArray().EndObject();
    return w.Take();
}

}  // namespace insightstream::app
