// JSON request and response bodies with Boost.JSON: strict parsing of request objects (wrong
// content type is 415, malformed JSON and missing, invalid or unknown fields are 400 with one
// field error each) and serialization of answers.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace insightstream::http {

/// The body as a JSON object; requires Content-Type application/json (or +json).
core::Result<boost::json::object> ParseJsonObject(const Request& req);

/// Collects field errors while reading a request object; Finish() turns them into one 400.
class JsonFields {
public:
    explicit JsonFields(const boost::json::object& o) : o_(o) {}
    /// A string of [min, max] characters (after trimming surrounding spaces).
    std::string RequiredString(std::string_view name, size_t min, size_t max);
    std::optional<std::string> OptionalString(std::string_view name, size_t max);
    std::optional<std::vector<std::string>> OptionalStringArray(std::string_view name, size_t max_items);
    /// Records an error for a field found invalid by the caller.
    void Invalid(std::string_view name, std::string message);
    /// Every field not in `allowed` is an error (typos must not be silently ignored).
    void OnlyAllow(std::initializer_list<std::string_view> allowed);
    core::Result<void> Finish();

private:
    const boost::json::object& o_;
    std::vector<core::FieldError> errors_;
};

Response JsonResponse(int status, const boost::json::value& v);

}  // namespace insightstream::http
