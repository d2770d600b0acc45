// The one mapping from core::Error to an RFC 9457 application/problem+json response.
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/response.hpp"

namespace insightstream::http {

inline constexpr std::string_view kProblemTypePrefix = "https://insightstream.dev/problems/";

/// `instance` is the request path; `request_id` lets a user quote the failing call.
Response ToProblem(const core::Error& error, std::string_view instance, std::string_view request_id);

}  // namespace insightstream::http
