#include "core/error.hpp"

namespace insightstream::core {

Error Error::InvalidArgument(std::string detail, std::vector<FieldError> fields) {
    Error e(ErrorCode::kInvalidArgument, std::move(detail));
    e.fields_ = std::move(fields);
    return e;
}
Error Error::InvalidFields(std::vector<FieldError> fields) {
    std::string detail = fields.size() == 1 ? fields[0].field + " " + fields[0].message
                                            : std::to_string(fields.size()) + " fields are invalid";
    return InvalidArgument(std::move(detail), std::move(fields));
}

Error Error::Unauthenticated(std::string detail) { return {ErrorCode::kUnauthenticated, std::move(detail)}; }
Error Error::PermissionDenied(std::string detail) { return {ErrorCode::kPermissionDenied, std::move(detail)}; }
Error Error::NotFound(std::string detail) { return {ErrorCode::kNotFound, std::move(detail)}; }
Error Error::Conflict(std::string detail) { return {ErrorCode::kConflict, std::move(detail)}; }
Error Error::PreconditionFailed(std::string detail) { return {ErrorCode::kPreconditionFailed, std::move(detail)}; }
Error Error::PayloadTooLarge(std::string detail) { return {ErrorCode::kPayloadTooLarge, std::move(detail)}; }
Error Error::UnsupportedMediaType(std::string detail) {
    return {ErrorCode::kUnsupportedMediaType, std::move(detail)};
}
Error Error::RateLimited(std::string detail, int retry_after_s) {
    Error e(ErrorCode::kRateLimited, std::move(detail));
    e.retry_after_s_ = retry_after_s;
    return e;
}
Error Error::Unavailable(std::string internal) {
    Error e(ErrorCode::kUnavailable, "a backend service is unavailable; retry later");
    e.internal_ = std::move(internal);
    e.retry_after_s_ = 1;
    return e;
}
Error Error::DeadlineExceeded(std::string internal) {
    Error e(ErrorCode::kDeadlineExceeded, "the operation did not finish in time");
    e.internal_ = std::move(internal);
    return e;
}
Error Error::Internal(std::string internal) {
    Error e(ErrorCode::kInternal, "an internal error occurred; it has been logged");
    e.internal_ = std::move(internal);
    return e;
}

std::string Error::slug() const { return slug_.empty() ? DefaultSlug(code_) : slug_; }

std::string Error::ToString() const {
    std::string s = slug();
    s += ": ";
    s += detail_;
    if (!internal_.empty()) {
        s += " (";
        s += internal_;
        s += ")";
    }
    return s;
}

int HttpStatus(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument: return 400;
        case ErrorCode::kUnauthenticated: return 401;
        case ErrorCode::kPermissionDenied: return 403;
        case ErrorCode::kNotFound: return 404;
        case ErrorCode::kMethodNotAllowed: return 405;
        case ErrorCode::kNotAcceptable: return 406;
        case ErrorCode::kRequestTimeout: return 408;
        case ErrorCode::kConflict: return 409;
        case ErrorCode::kPreconditionFailed: return 412;
        case ErrorCode::kPayloadTooLarge: return 413;
        case ErrorCode::kUnsupportedMediaType: return 415;
        case ErrorCode::kHeadersTooLarge: return 431;
        case ErrorCode::kRateLimited: return 429;
        case ErrorCode::kInternal: return 500;
        case ErrorCode::kUnavailable: return 503;
        case ErrorCode::kDeadlineExceeded: return 504;
    }
    return 500;
}

const char* DefaultSlug(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument: return "invalid-request";
        case ErrorCode::kUnauthenticated: return "unauthenticated";
        case ErrorCode::kPermissionDenied: return "forbidden";
        case ErrorCode::kNotFound: return "not-found";
        case ErrorCode::kMethodNotAllowed: return "method-not-allowed";
        case ErrorCode::kNotAcceptable: return "not-acceptable";
        case ErrorCode::kRequestTimeout: return "request-timeout";
        case ErrorCode::kConflict: return "conflict";
        case ErrorCode::kPreconditionFailed: return "precondition-failed";
        case ErrorCode::kPayloadTooLarge: return "payload-too-large";
        case ErrorCode::kUnsupportedMediaType: return "unsupported-media-type";
        case ErrorCode::kHeadersTooLarge: return "headers-too-large";
        case ErrorCode::kRateLimited: return "rate-limited";
        case ErrorCode::kInternal: return "internal";
        case ErrorCode::kUnavailable: return "unavailable";
        case ErrorCode::kDeadlineExceeded: return "deadline-exceeded";
    }
    return "internal";
}

const char* Title(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalidArgument: return "The request is invalid";
        case ErrorCode::kUnauthenticated: return "Authentication required";
        case ErrorCode::kPermissionDenied: return "Not allowed for your role";
        case ErrorCode::kNotFound: return "Not found";
        case ErrorCode::kMethodNotAllowed: return "Method not allowed";
        case ErrorCode::kNotAcceptable: return "Not acceptable";
        case ErrorCode::kRequestTimeout: return "Request timed out";
        case ErrorCode::kConflict: return "Conflict";
        case ErrorCode::kPreconditionFailed: return "Precondition failed";
        case ErrorCode::kPayloadTooLarge: return "Payload too large";
        case ErrorCode::kUnsupportedMediaType: return "Unsupported media type";
        case ErrorCode::kHeadersTooLarge: return "Request headers too large";
        case ErrorCode::kRateLimited: return "Too many requests";
        case ErrorCode::kInternal: return "Internal error";
        case ErrorCode::kUnavailable: return "Service unavailable";
        case ErrorCode::kDeadlineExceeded: return "Deadline exceeded";
    }
    return "Internal error";
}

}  // namespace insightstream::core
