// Serves the dashboard: the built web app (web/dist) loaded into memory at start, with the SPA
// fallback (unknown non-API paths get index.html), long caching for fingerprinted assets and a
// Content-Security-Policy for the HTML.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace insightstream::gateway {

class StaticFiles {
public:
    /// Loads every file under `dir`; an absent directory serves nothing (the API still works).
    static core::Result<StaticFiles> Load(const std::filesystem::path& dir);
    [[nodiscard]] std::optional<http::Response> Serve(const http::Request& req) const;
    [[nodiscard]] size_t size() const { return files_.size(); }

private:
    struct File {
        std::string body;
        std::string content_type;
        std::string etag;
    };
    std::map<std::string, File> files_;  // by URL path ("/index.html", "/assets/app-1a2b.js")
};

}  // namespace insightstream::gateway
