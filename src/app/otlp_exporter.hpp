// Exports spans as OTLP/HTTP JSON (OpenTelemetry protocol, POST <endpoint>/v1/traces) to a
// collector given with --otlp-endpoint. Spans are queued (at most 8 192; beyond that they are
// dropped and counted, never blocking a request) and sent in batches from one background
// thread, at least once a second; what is queued at shutdown is sent before the process exits.
// A collector that is down costs log lines (at most one a minute) and dropped spans, nothing else.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "core/metrics.hpp"
#include "core/trace.hpp"

namespace insightstream::app {

class OtlpExporter {
public:
    /// `endpoint`: the collector's base URL (…/v1/traces is appended unless already there).
    OtlpExporter(std::string endpoint, std::string service_name, core::Metrics& metrics);
    ~OtlpExporter();  // sends what is queued, then stops
    OtlpExporter(const OtlpExporter&) = delete;
    OtlpExporter& operator=(const OtlpExporter&) = delete;

    void Submit(core::SpanData&& span);
    /// The OTLP JSON document of `spans` (ExportTraceServiceRequest).
    static std::string Encode(const std::deque<core::SpanData>& spans, const std::string& service_name);

private:
    void Run();
    bool Send(const std::string& body);

    std::string url_;
    std::string service_name_;
    core::Metrics& metrics_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<core::SpanData> queue_;
    bool stopping_ = false;
    int64_t last_complaint_ms_ = -60'000;
    std::thread thread_;
};

}  // namespace insightstream::app
