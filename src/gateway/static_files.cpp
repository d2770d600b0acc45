#include "gateway/static_files.hpp"

#include <fstream>
#include <sstream>

#include "core/crypto.hpp"

namespace insightstream::gateway {

namespace fs = std::filesystem;

namespace {
std::string ContentType(const fs::path& p) {
    std::string ext = p.extension().string();
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json" || ext == ".map") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'";
}  // namespace

core::Result<StaticFiles> StaticFiles::Load(const fs::path& dir) {
    StaticFiles s;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return s;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
        if (!it->is_regular_file()) continue;
        std::ifstream in(it->path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        File f;
        f.body = ss.str();
        f.content_type = ContentType(it->path());
        f.etag = "\"" + core::Sha256Hex(f.body).substr(0, 32) + "\"";
        s.files_["/" + fs::relative(it->path(), dir).generic_string()] = std::move(f);
    }
    return s;
}

std::optional<http::Response> StaticFiles::Serve(const http::Request& req) const {
    if (files_.empty() || (req.method != "GET" && req.method != "HEAD")) return std::nullopt;
    const std::string& path = req.path;
    if (path.starts_with("/api/") || path.starts_with("/.well-known/") || path == "/healthz" || path == "/readyz" ||
        path == "/metrics") {
        return std::nullopt;
    }
    auto it = files_.find(path == "/" ? "/index.html" : path);
    bool asset = path.starts_with("/assets/");
    if (it == files_.end()) {
        // Client-side routes (/datasets/ds_1) get the app; a missing asset is a real 404.
        size_t dot = path.rfind('.');
        if (asset || (dot != std::string::npos && dot > path.rfind('/'))) return std::nullopt;
        it = files_.find("/index.html");
        if (it == files_.end()) return std::nullopt;
    }
    const File& f = it->second;
    http::Response resp;
    const std::string* inm = req.Header("if-none-match");
    resp.status = inm && *inm == f.etag ? 304 : 200;
    if (resp.status == 200) resp.body = f.body;
    resp.Header("Content-Type", f.content_type);
    resp.Header("ETag", f.etag);
    // Vite fingerprints assets: they never change under a name. The HTML must always be fresh.
    resp.Header("Cache-Control", asset ? "public, max-age=31536000, immutable" : "no-cache");
    if (f.content_type.starts_with("text/html")) resp.Header("Content-Security-Policy", kCsp);
    return resp;
}

}  // namespace insightstream::gateway
