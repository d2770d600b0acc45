#include "http/router.hpp"

namespace insightstream::http {

using core::Error;

namespace {
std::vector<std::string_view> Split(std::string_view path) {
    std::vector<std::string_view> out;
    size_t start = 1;  // paths start with '/'
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        out.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

bool MatchSegments(const Route& r, const std::vector<std::string_view>& parts,
                   std::vector<std::pair<std::string, std::string>>* params) {
    if (r.segments.size() != parts.size()) return false;
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string& seg = r.segments[i];
        if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
            if (parts[i].empty()) return false;
            if (params) params->emplace_back(seg.substr(1, seg.size() - 2), std::string(parts[i]));
        } else if (seg != parts[i]) {
            return false;
        }
    }
    return true;
}
}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
    Route r{std::move(method), std::move(pattern), std::move(handler), options, {}, service_};
    for (auto s : Split(r.pattern)) r.segments.emplace_back(s);
    routes_.push_back(std::move(r));
}

core::Result<RouteMatch> Router::Match(std::string_view method, std::string_view path) const {
    if (path.empty() || path.front() != '/') return Error::NotFound("no such resource");
    auto parts = Split(path);
    std::string allowed;
    // HEAD is served by the GET route (the server sends no body).
    std::string_view want = method == "HEAD" ? "GET" : method;
    for (const auto& r : routes_) {
        if (!MatchSegments(r, parts, nullptr)) continue;
        if (r.method == want) {
            RouteMatch m{&r, {}};
            MatchSegments(r, parts, &m.params);
            return m;
        }
        if (!allowed.empty()) allowed += ", ";
        allowed += r.method;
    }
    if (!allowed.empty()) {
        return Error(core::ErrorCode::kMethodNotAllowed, "this resource allows: " + allowed).WithInternal(allowed);
    }
    return Error::NotFound("no such resource");
}

std::vector<std::string> Router::AllowedMethods(std::string_view path) const {
    std::vector<std::string> out;
    auto parts = Split(path);
    for (const auto& r : routes_) {
        if (MatchSegments(r, parts, nullptr)) out.push_back(r.method);
    }
    return out;
}

}  // namespace insightstream::http
