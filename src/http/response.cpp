#include "http/response.hpp"

#include <strings.h>

namespace insightstream::http {

const std::string* Response::FindHeader(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return &v;
    }
    return nullptr;
}

Response Response::Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.Header("Content-Type", "application/json");
    return r;
}

Response Response::Text(int status, std::string body, std::string content_type) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.Header("Content-Type", std::move(content_type));
    return r;
}

Response Response::Empty(int status) {
    Response r;
    r.status = status;
    return r;
}

}  // namespace insightstream::http
