// A parsed HTTP request as handlers see it. Handlers run on the blocking pool, never on the I/O
// threads, so they may call the DB or the object store directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/principal.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"

namespace insightstream::http {

struct Response;

/// The receiving end of a streaming route's body (uploads). The server reads the body itself,
/// asynchronously — a slow or stalled client holds no thread — and hands it over piece by piece;
/// each call runs briefly on the blocking pool. A sink destroyed without Finish() (the client
/// went away, was too slow, or Write failed) must undo what it started.
class BodySink {
public:
    virtual ~BodySink() = default;
    /// An answer before any of the body is read (asked once, after the sink is made): the body
    /// is then never read (a client that sent Expect: 100-continue never sends it). For a proxy
    /// whose upstream refused the request at once.
    virtual std::optional<core::Result<Response>> EarlyAnswer();
    virtual core::Result<void> Write(std::string_view data) = 0;
    /// The end of the body: the answer.
    virtual core::Result<Response> Finish() = 0;
};

struct Request {
    std::string method;        // upper case, e.g. "GET"
    std::string target;        // as received
    std::string path;          // percent-decoded path without the query
    std::string route;         // the matched pattern, e.g. "/api/v1/datasets/{id}" (for logs and metrics)
    std::vector<std::pair<std::string, std::string>> query;   // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::vector<std::pair<std::string, std::string>> path_params;
    std::string body;                   // buffered routes: the whole body
    std::optional<uint64_t> content_length;  // as declared (absent for chunked bodies)
    std::string request_id;
    std::string trace_id;        // W3C trace context: this request's trace,
    std::string span_id;         // its own span (the parent of what it calls),
    std::string parent_span_id;  // and the caller's span ("" for a new trace)
    int64_t start_unix_ns = 0;
    std::string remote_ip;
    std::optional<core::Principal> principal;  // set on authenticated routes

    [[nodiscard]] const std::string* Header(std::string_view lower_name) const;
    [[nodiscard]] std::optional<std::string> Query(std::string_view name) const;
    [[nodiscard]] const std::string& PathParam(std::string_view name) const;
    /// The dataset id of a `{id}` path: a well-formed id, or NotFound (as for any unknown id).
    [[nodiscard]] core::Result<core::DatasetId> DatasetIdParam() const;
    /// The media type of Content-Type, lower-cased, without parameters ("" if absent).
    [[nodiscard]] std::string ContentType() const;
    /// Whether the client prefers `media_type` (e.g. "text/csv") according to Accept.
    [[nodiscard]] bool Accepts(std::string_view media_type) const;
    /// The principal of an authenticated route; handlers of such routes may rely on it.
    [[nodiscard]] const core::Principal& Caller() const { return *principal; }
};

}  // namespace insightstream::http
