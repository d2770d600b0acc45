// What a handler answers: a status, headers and either a whole body or a stream of chunks
// (large downloads, Server-Sent Events), which the server writes with chunked encoding.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace insightstream::http {

struct Response {
    /// Produces the next chunk of a streamed body; nullopt ends it, "" means nothing yet (call
    /// again). Runs on the blocking pool; an error ends the connection.
    using ChunkSource = std::function<core::Result<std::optional<std::string>>()>;

    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    ChunkSource stream;  // when set, `body` is ignored
    /// For streams that poll (Server-Sent Events): after a source call that produced "", the
    /// server waits this long on its own timer, holding no handler thread, before asking again.
    int stream_poll_ms = 0;

    Response& Header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    [[nodiscard]] const std::string* FindHeader(std::string_view name) const;

    static Response Json(int status, std::string body);
    static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
    static Response Empty(int status);
};

}  // namespace insightstream::http
