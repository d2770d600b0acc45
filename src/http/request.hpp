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
#include "core/result.hpp"

namespace insightstream::http {

/// The body of a streaming route, read in pieces while the handler runs. Read() blocks the
/// calling (pool) thread, returns 0 at the end of the body, and fails if the client goes away or
/// stalls past the body timeout.
class BodyReader {
public:
    virtual ~BodyReader() = default;
    virtual core::Result<size_t> Read(char* buf, size_t n) = 0;
    /// The declared Content-Length, if any (absent for chunked bodies).
    [[nodiscard]] virtual std::optional<uint64_t> content_length() const = 0;
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
    BodyReader* body_reader = nullptr;  // streaming routes: read the body from here
    std::string request_id;
    std::string trace_id;
    std::string remote_ip;
    std::optional<core::Principal> principal;  // set on authenticated routes

    [[nodiscard]] const std::string* Header(std::string_view lower_name) const;
    [[nodiscard]] std::optional<std::string> Query(std::string_view name) const;
    [[nodiscard]] const std::string& PathParam(std::string_view name) const;
    /// The media type of Content-Type, lower-cased, without parameters ("" if absent).
    [[nodiscard]] std::string ContentType() const;
    /// Whether the client prefers `media_type` (e.g. "text/csv") according to Accept.
    [[nodiscard]] bool Accepts(std::string_view media_type) const;
    /// The principal of an authenticated route; handlers of such routes may rely on it.
    [[nodiscard]] const core::Principal& Caller() const { return *principal; }
};

}  // namespace insightstream::http
