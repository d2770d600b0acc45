#include "core/trace.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>

#include "core/crypto.hpp"

namespace insightstream::core {

namespace {
std::mutex sink_mutex;
std::shared_ptr<std::function<void(SpanData&&)>> sink;
std::atomic<bool> sink_set{false};

std::string RandomHex(size_t bytes) {
    char raw[16];
    do {
        FastIdBytes(raw, bytes);
    } while (std::all_of(raw, raw + bytes, [](char c) { return c == 0; }));
    return HexEncode(std::string_view(raw, bytes));
}

bool IsHexId(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
           s.find_first_not_of('0') != std::string_view::npos;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}
}  // namespace

std::string NewTraceId() { return RandomHex(16); }
std::string NewSpanId() { return RandomHex(8); }

int64_t UnixNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<TraceParent> ParseTraceparent(std::string_view h) {
    if (h.size() != 55 || h[2] != '-' || h[35] != '-' || h[52] != '-' || h.substr(0, 2) == "ff") return std::nullopt;
    std::string_view trace = h.substr(3, 32), parent = h.substr(36, 16);
    for (size_t i : {size_t{0}, size_t{1}, size_t{53}, size_t{54}}) {  // version and flags: two hex digits each
        if (!std::isxdigit(static_cast<unsigned char>(h[i]))) return std::nullopt;
    }
    if (!IsHexId(trace) || !IsHexId(parent)) return std::nullopt;
    return TraceParent{Lower(trace), Lower(parent)};
}

std::string FormatTraceparent(std::string_view trace_id, std::string_view span_id) {
    return "00-" + std::string(trace_id) + "-" + std::string(span_id) + "-01";
}

void SetSpanSink(std::function<void(SpanData&&)> f) {
    std::scoped_lock lock(sink_mutex);
    sink = f ? std::make_shared<std::function<void(SpanData&&)>>(std::move(f)) : nullptr;
    sink_set = sink != nullptr;
}

bool TracingEnabled() { return sink_set.load(std::memory_order_relaxed); }

void EmitSpan(SpanData&& span) {
    if (!TracingEnabled()) return;
    std::shared_ptr<std::function<void(SpanData&&)>> f;
    {
        std::scoped_lock lock(sink_mutex);
        f = sink;
    }
    if (f) (*f)(std::move(span));
}

Span::Span(std::string name, SpanKind kind, std::string trace_id, std::string parent_span_id, int64_t start_unix_ns) {
    data_.name = std::move(name);
    data_.kind = kind;
    data_.trace_id = trace_id.empty() ? NewTraceId() : std::move(trace_id);
    data_.parent_span_id = std::move(parent_span_id);
    data_.span_id = NewSpanId();
    data_.start_unix_ns = start_unix_ns;
}

void Span::End() {
    if (ended_) return;
    ended_ = true;
    if (!TracingEnabled()) return;
    data_.end_unix_ns = std::max(UnixNanos(), data_.start_unix_ns);
    EmitSpan(std::move(data_));
}

}  // namespace insightstream::core
