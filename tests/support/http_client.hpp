// A small blocking HTTP/1.1 client for tests, plus raw-socket helpers for the malformed and
// cut-off requests a well-behaved client would never send.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace insightstream::testing {

struct HttpResult {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    [[nodiscard]] boost::json::value Json() const;
    [[nodiscard]] std::string Header(const std::string& lower_name) const;
    /// The problem `type` slug (after the last '/'), "" if the body is not problem+json.
    [[nodiscard]] std::string ProblemSlug() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class HttpClient {
public:
    explicit HttpClient(uint16_t port, std::string host = "127.0.0.1") : host_(std::move(host)), port_(port) {}
    HttpResult Get(const std::string& target, const Headers& headers = {}) const;
    HttpResult Delete(const std::string& target, const Headers& headers = {}) const;
    HttpResult Post(const std::string& target, const std::string& body, const Headers& headers = {}) const;
    HttpResult PostJson(const std::string& target, const std::string& json, Headers headers = {}) const;
    HttpResult Request(const std::string& method, const std::string& target, const std::string& body,
                       const Headers& headers) const;
    /// Sends `raw` bytes as they are and reads one response (empty status 0 if none).
    HttpResult Raw(const std::string& raw, bool half_close = true) const;
    /// Sends `raw`, half-closes, and returns every byte the server sent until it closed.
    std::string RawBytes(const std::string& raw) const;
    /// Sends `first`, waits `pause_ms`, sends `second`, then reads like RawBytes.
    std::string RawBytes(const std::string& first, const std::string& second, int pause_ms) const;
    /// Sends `first`, runs `between` (the connection open), then sends `second` and reads like
    /// RawBytes — or, with `close_instead`, closes the connection there (a client that gives up).
    std::string RawBytes(const std::string& first, const std::function<void()>& between, const std::string& second,
                         bool close_instead = false) const;
    /// Sends `raw` and closes the connection without waiting for an answer.
    void SendAndClose(const std::string& raw) const;
    [[nodiscard]] uint16_t port() const { return port_; }

private:
    std::string host_;
    uint16_t port_;
};

Headers Bearer(const std::string& token);

}  // namespace insightstream::testing
