// AWS Signature Version 4 (the "AWS4-HMAC-SHA256" Authorization header), written from AWS's
// specification on OpenSSL's SHA-256 and HMAC (core/crypto). Checked against botocore's signer
// over hundreds of varied requests (tests/unit/aws/sigv4_test.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace insightstream::aws {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty for long-term keys
};

struct SignableRequest {
    std::string method;                                        // "GET", "PUT", ...
    std::string encoded_path;                                  // as sent on the wire, e.g. "/b/a%20b.csv"
    std::vector<std::pair<std::string, std::string>> query;   // raw (not encoded) keys and values, any order
    std::vector<std::pair<std::string, std::string>> headers;  // must include "host"; names any case
    std::string payload_sha256_hex;                            // or "UNSIGNED-PAYLOAD"
};

struct SigningScope {
    std::string region;
    std::string service;   // "s3", "sqs"
    std::string amz_date;  // "20261128T120000Z"
};

/// RFC 3986 percent-encoding of everything but A-Z a-z 0-9 - _ . ~ (and '/' when `keep_slash`).
std::string UriEncode(std::string_view s, bool keep_slash);
/// The canonical request (for tests and debugging; it holds no secret).
std::string CanonicalRequest(const SignableRequest& req, const SigningScope& scope);
/// The value of the Authorization header. The caller adds x-amz-date (= scope.amz_date),
/// x-amz-security-token (when the credentials have one) and, for S3, x-amz-content-sha256 to
/// `req.headers` before signing, and sends exactly the signed headers.
std::string Authorization(const SignableRequest& req, const SigningScope& scope, const Credentials& creds);

}  // namespace insightstream::aws
