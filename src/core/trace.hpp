// Distributed tracing: W3C trace context (traceparent) and spans. A span is recorded when it
// ends and handed to the process's span sink (the OTLP exporter, app/otlp_exporter.hpp, when
// --otlp-endpoint is set; nothing otherwise, at the cost of one atomic load). The trace id of a
// request travels from the gateway through each service, into the job message and the SQS
// message attributes, into the worker; every log line carries trace_id and span_id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.hpp"

namespace insightstream::core {

enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };

struct SpanData {
    std::string trace_id;        // 32 lower-case hex digits
    std::string span_id;         // 16
    std::string parent_span_id;  // 16, or empty for a root span
    std::string name;
    SpanKind kind = SpanKind::kInternal;
    int64_t start_unix_ns = 0;
    int64_t end_unix_ns = 0;
    std::vector<LogField> attributes;
    bool error = false;
    std::string status_message;  // for an error
};

std::string NewTraceId();
std::string NewSpanId();
int64_t UnixNanos();

struct TraceParent {
    std::string trace_id;
    std::string parent_span_id;
};
/// "00-<trace id>-<parent id>-<flags>"; nullopt unless well-formed with non-zero ids.
std::optional<TraceParent> ParseTraceparent(std::string_view header);
std::string FormatTraceparent(std::string_view trace_id, std::string_view span_id);

/// Where ended spans go. Set once at start-up, before any span ends; cleared at shutdown.
void SetSpanSink(std::function<void(SpanData&&)> sink);
[[nodiscard]] bool TracingEnabled();
void EmitSpan(SpanData&& span);

/// A span timed from construction to End() (or destruction), emitted when it ends.
class Span {
public:
    Span(std::string name, SpanKind kind, std::string trace_id, std::string parent_span_id,
         int64_t start_unix_ns = UnixNanos());
    ~Span() { End(); }
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;

    void Attr(LogField attribute) { data_.attributes.push_back(std::move(attribute)); }
    void Fail(std::string message) {
        data_.error = true;
        data_.status_message = std::move(message);
    }
    void End();
    [[nodiscard]] const std::string& trace_id() const { return data_.trace_id; }
    [[nodiscard]] const std::string& span_id() const { return data_.span_id; }

private:
    SpanData data_;
    bool ended_ = false;
};

}  // namespace insightstream::core
