// The one error type of InsightStream: a canonical code, a detail safe to show a client, an
// internal message for logs only, and optional field errors. Mapped to HTTP once, in http/problem.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace insightstream::core {

enum class ErrorCode {
    kInvalidArgument,       // 400
    kUnauthenticated,       // 401
    kPermissionDenied,      // 403 (a role too low, own tenant only)
    kNotFound,              // 404 (also every other tenant's id)
    kMethodNotAllowed,      // 405
    kNotAcceptable,         // 406
    kRequestTimeout,        // 408
    kConflict,              // 409
    kPreconditionFailed,    // 412
    kPayloadTooLarge,       // 413
    kUnsupportedMediaType,  // 415
    kHeadersTooLarge,       // 431
    kRateLimited,           // 429
    kInternal,              // 500
    kUnavailable,           // 503
    kDeadlineExceeded,      // 504
};

/// One invalid input field: `field` is a JSON pointer (or a query parameter name), `message` says why.
struct FieldError {
    std::string field;
    std::string message;
};

class Error {
public:
    Error(ErrorCode code, std::string detail) : code_(code), detail_(std::move(detail)) {}

    static Error InvalidArgument(std::string detail, std::vector<FieldError> fields = {});
    /// An invalid-request error whose detail is made from the field errors themselves.
    static Error InvalidFields(std::vector<FieldError> fields);
    static Error Unauthenticated(std::string detail);
    static Error PermissionDenied(std::string detail);
    static Error NotFound(std::string detail);
    static Error Conflict(std::string detail);
    static Error PreconditionFailed(std::string detail);
    static Error PayloadTooLarge(std::string detail);
    static Error UnsupportedMediaType(std::string detail);
    static Error RateLimited(std::string detail, int retry_after_s);
    static Error Unavailable(std::string internal);
    static Error DeadlineExceeded(std::string internal);
    /// A programmer or backend failure: the client sees a generic text, `internal` goes to the log.
    static Error Internal(std::string internal);

    [[nodiscard]] ErrorCode code() const { return code_; }
    [[nodiscard]] const std::string& detail() const { return detail_; }
    [[nodiscard]] const std::string& internal() const { return internal_; }
    [[nodiscard]] const std::vector<FieldError>& fields() const { return fields_; }
    /// The stable problem-type slug (docs/api/problems.md); defaults to the code's slug.
    [[nodiscard]] std::string slug() const;
    [[nodiscard]] std::optional<int> retry_after_s() const { return retry_after_s_; }
    /// True for failures worth retrying the same operation (backend down, deadline).
    [[nodiscard]] bool retriable() const {
        return code_ == ErrorCode::kUnavailable || code_ == ErrorCode::kDeadlineExceeded;
    }

    Error&& WithSlug(std::string slug) && {
        slug_ = std::move(slug);
        return std::move(*this);
    }
    Error&& WithInternal(std::string internal) && {
        internal_ = std::move(internal);
        return std::move(*this);
    }
    Error&& WithRetryAfter(int seconds) && {
        retry_after_s_ = seconds;
        return std::move(*this);
    }
    Error&& WithFields(std::vector<FieldError> fields) && {
        fields_ = std::move(fields);
        return std::move(*this);
    }
    /// Text for logs: code, slug, detail and internal message.
    [[nodiscard]] std::string ToString() const;

private:
    ErrorCode code_;
    std::string detail_;
    std::string internal_;
    std::string slug_;
    std::vector<FieldError> fields_;
    std::optional<int> retry_after_s_;
};

int HttpStatus(ErrorCode code);
const char* DefaultSlug(ErrorCode code);
const char* Title(ErrorCode code);

}  // namespace insightstream::core
