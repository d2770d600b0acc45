// The AWS client core: HTTP over libcurl with connection reuse (a pool of easy handles, each
// keeping its connections alive), connect and response deadlines, SigV4 on every attempt, and
// the SDKs' "standard" retry mode: up to `max_attempts` tries with jittered exponential back-off
// on connection failures, 5xx, throttling and timeouts, drawing on a retry quota so that an
// outage does not multiply the load. Settings follow the SDKs' environment variables
// (FromEnvironment). S3 and SQS build on it (store/objects/s3, store/queue/sqs).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "core/memory.hpp"
#include "core/result.hpp"

namespace insightstream::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

/// scheme://host[:port], from AWS_ENDPOINT_URL(_S3|_SQS) or the service's public name.
struct Endpoint {
    std::string scheme = "https";
    std::string host;  // with ":port" when not the scheme's default
    bool custom = false;  // set by a variable: path-style addressing for S3

    [[nodiscard]] std::string Url() const { return scheme + "://" + host; }
};
core::Result<Endpoint> ParseEndpoint(std::string_view url);

struct ClientSettings {
    std::string service;  // "s3", "sqs"
    std::string region;
    Endpoint endpoint;
    int connect_timeout_ms = 3000;
    int request_timeout_ms = 30000;  // a whole exchange; long polls add their wait
    int max_attempts = 3;            // the standard retry mode's default
};

/// Region (AWS_REGION, then AWS_DEFAULT_REGION) and the service's endpoint
/// (AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then https://<service>.<region>.amazonaws.com).
core::Result<ClientSettings> SettingsFromEnvironment(std::string_view service, const EnvLookup& env);

struct AwsRequest {
    std::string method = "GET";
    std::string path = "/";  // already percent-encoded, as sent
    std::vector<std::pair<std::string, std::string>> query;  // raw keys and values
    Headers headers;                                          // besides host, date, token and hash
    std::string_view body;
    std::string host;               // empty: the endpoint's host (S3 virtual-hosted style sets it)
    bool sign_payload = true;       // false: "UNSIGNED-PAYLOAD" (S3 only)
    int extra_timeout_ms = 0;       // added to the deadline (long polls)
    /// Where the answer's body goes instead of AwsResponse::body: a buffer the caller reuses
    /// (cleared first), so large reads allocate nothing per request. A body larger than its
    /// capacity fails the request. (An error answer's body still reaches AwsResponse::body.)
    core::PageBuffer* body_into = nullptr;
    /// When set and it turns true, the request is abandoned at once and not retried (shutdown
    /// during a long poll).
    const std::atomic<bool>* cancel = nullptr;
};

struct AwsResponse {
    long status = 0;
    Headers headers;  // names lower-case
    std::string body;
    std::string error_code;     // AWS's code for a non-2xx answer ("NoSuchKey", "AccessDenied", ...)
    std::string error_message;  // AWS's message; may name resources, never secrets

    [[nodiscard]] bool ok() const { return status >= 200 && status < 300; }
    [[nodiscard]] const std::string* Header(std::string_view lower_name) const;
};

class AwsClient {
public:
    AwsClient(ClientSettings settings, std::shared_ptr<CredentialsProvider> credentials);

    /// Sends `req`, retrying what the standard mode retries. An AWS error answer (after its
    /// retries) is returned as a response with `error_code` set, for the caller to map; only a
    /// failure to get any answer (refused, reset, timed out, no credentials) is an Error, always
    /// kUnavailable with Retry-After (a timeout says so in its internal message).
    core::Result<AwsResponse> Send(const AwsRequest& req);

    [[nodiscard]] const ClientSettings& settings() const { return settings_; }
    [[nodiscard]] CredentialsProvider& credentials() const { return *credentials_; }
    [[nodiscard]] const std::shared_ptr<CredentialsProvider>& shared_credentials() const { return credentials_; }
    /// Attempts beyond the first, since start (for tests and metrics).
    [[nodiscard]] int64_t retries() const { return retries_.load(); }

private:
    core::Result<AwsResponse> SendOnce(const AwsRequest& req);
    bool TakeRetryToken(int cost);
    void ReturnRetryTokens(int n);

    ClientSettings settings_;
    std::shared_ptr<CredentialsProvider> credentials_;
    std::atomic<int> retry_quota_{500};
    std::atomic<int64_t> retries_{0};
};

/// An AWS error answer as the service's own error: Unavailable with `retry_after_s`; the client
/// sees `dependency` ("the object store") and AWS's code, the log also the service's name, the
/// action, the HTTP status and AWS's message — never AWS's body.
core::Error DependencyError(std::string_view dependency, std::string_view service, std::string_view action,
                            const AwsResponse& r, int retry_after_s);

/// The AWS account of the caller (STS GetCallerIdentity, allowed to every identity), asked with
/// `client`'s credentials and region at the STS endpoint (AWS_ENDPOINT_URL_STS, the client's own
/// custom endpoint, or sts.<region>.amazonaws.com).
core::Result<std::string> CallerAccount(const AwsClient& client);

/// One HTTP exchange without signing or retries (also used for the container credentials endpoint).
struct HttpExchange {
    std::string method = "GET";
    std::string url;
    Headers headers;
    std::string_view body;
    int connect_timeout_ms = 3000;
    int timeout_ms = 30000;
    core::PageBuffer* body_into = nullptr;  // see AwsRequest::body_into
    const std::atomic<bool>* cancel = nullptr;  // see AwsRequest::cancel
};
/// kUnavailable (refused, reset, DNS) or kDeadlineExceeded (timed out) when no answer came back.
core::Result<AwsResponse> Transfer(const HttpExchange& ex);

/// True for the error codes the standard retry mode treats as throttling or transient.
bool IsRetryableErrorCode(std::string_view code);

}  // namespace insightstream::aws
