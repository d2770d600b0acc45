#include "http/request.hpp"

#include "http/response.hpp"

#include <algorithm>
#include <cctype>

namespace insightstream::http {

std::optional<core::Result<Response>> BodySink::EarlyAnswer() { return std::nullopt; }

const std::string* Request::Header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) return &v;
    }
    return nullptr;
}

std::optional<std::string> Request::Query(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) return v;
    }
    return std::nullopt;
}

const std::string& Request::PathParam(std::string_view name) const {
    static const std::string kEmpty;
    for (const auto& [k, v] : path_params) {
        if (k == name) return v;
    }
    return kEmpty;
}

std::string Request::ContentType() const {
    const std::string* ct = Header("content-type");
    if (!ct) return {};
    std::string t = ct->substr(0, ct->find(';'));
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    size_t start = 0;
    while (start < t.size() && std::isspace(static_cast<unsigned char>(t[start]))) ++start;
    t = t.substr(start);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    return t;
}

bool Request::Accepts(std::string_view media_type) const {
    const std::string* accept = Header("accept");
    if (!accept) return false;
    std::string a = *accept;
    std::transform(a.begin(), a.end(), a.begin(), [](unsigned char c) { return std::tolower(c); });
    // The simple rule clients use in practice: the type is named and not refused with q=0.
    size_t pos = a.find(media_type);
    if (pos == std::string::npos) return false;
    size_t end = a.find(',', pos);
    std::string item = a.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    return item.find("q=0") == std::string::npos || item.find("q=0.") != std::string::npos;
}

core::Result<core::DatasetId> Request::DatasetIdParam() const {
    const std::string& id = PathParam("id");
    if (!core::IsValidId(id)) return core::Error::NotFound("dataset not found");
    return core::DatasetId(id);
}

}  // namespace insightstream::http
