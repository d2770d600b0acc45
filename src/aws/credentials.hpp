// Where AWS credentials come from, in the SDKs' order and with their standard variable names:
// 1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN);
// 2. the ECS container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
//    169.254.170.2), or AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN
//    (or _TOKEN_FILE). Temporary keys are fetched again before they expire.
// Secrets never reach a log line or an error message.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/sigv4.hpp"
#include "core/result.hpp"

namespace insightstream::aws {

/// Reads one environment variable ("" when unset); injectable for tests.
using EnvLookup = std::function<std::string(const std::string&)>;
EnvLookup ProcessEnvironment();
EnvLookup MapEnvironment(std::map<std::string, std::string> vars);

class CredentialsProvider {
public:
    virtual ~CredentialsProvider() = default;
    virtual core::Result<Credentials> Get() = 0;
    /// "environment" or "container", for logs and /readyz.
    [[nodiscard]] virtual const char* source() const = 0;
};

class StaticCredentials final : public CredentialsProvider {
public:
    explicit StaticCredentials(Credentials c) : creds_(std::move(c)) {}
    core::Result<Credentials> Get() override { return creds_; }
    [[nodiscard]] const char* source() const override { return "environment"; }

private:
    Credentials creds_;
};

/// The ECS task-role endpoint. Keys are kept until `refresh_margin` before their expiry (at
/// most a third of their lifetime, so short-lived keys are renewed in time too); when a refresh
/// fails the current keys are used while they remain valid.
class ContainerCredentials final : public CredentialsProvider {
public:
    /// `authorization`: the token itself, or "" and `token_file` (read again on every fetch).
    ContainerCredentials(std::string url, std::string authorization, std::string token_file, int timeout_ms = 2000);
    core::Result<Credentials> Get() override;
    [[nodiscard]] const char* source() const override { return "container"; }
    /// How many times the endpoint was asked (tests).
    [[nodiscard]] int fetches() const;

private:
    core::Result<void> Fetch(int64_t now_ms);

    std::string url_;
    std::string authorization_;
    std::string token_file_;
    int timeout_ms_;
    mutable std::mutex mutex_;
    Credentials creds_;
    int64_t expires_ms_ = 0;
    int64_t refresh_at_ms_ = 0;
    int64_t retry_at_ms_ = 0;
    int fetches_ = 0;
};

/// The first source that is configured; an error that says what to set when none is.
core::Result<std::shared_ptr<CredentialsProvider>> DefaultCredentials(const EnvLookup& env);

/// "2026-11-28T12:00:00Z" (also with fractional seconds or "+00:00") → Unix milliseconds.
core::Result<int64_t> ParseIso8601Utc(std::string_view text);

}  // namespace insightstream::aws
