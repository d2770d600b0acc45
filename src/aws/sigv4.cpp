#include "aws/sigv4.hpp"

#include <algorithm>
#include <cctype>

#include "core/crypto.hpp"

namespace insightstream::aws {

std::string UriEncode(std::string_view s, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

namespace {
std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// Trims and collapses runs of spaces to one, as the canonical header value asks.
std::string CanonicalValue(std::string_view v) {
    std::string out;
    bool space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// Every service but S3 signs the path normalized ("." and ".." segments resolved, repeated '/'
// kept) and encoded once more; S3 signs it as sent.
std::string CanonicalUri(const SignableRequest& req, const SigningScope& scope) {
    std::string path = req.encoded_path.empty() ? "/" : req.encoded_path;
    if (scope.service == "s3") return path;
    std::vector<std::string> parts;
    size_t pos = 1;
    while (pos <= path.size()) {
        size_t slash = path.find('/', pos);
        if (slash == std::string::npos) slash = path.size();
        std::string seg = path.substr(pos, slash - pos);
        if (seg == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (seg != "." && !seg.empty()) {
            parts.push_back(seg);
        }
        pos = slash + 1;
    }
    std::string normalized;
    for (const auto& p : parts) normalized += "/" + p;
    if (normalized.empty() || (path.size() > 1 && path.back() == '/')) normalized += "/";
    return UriEncode(normalized, true);
}

struct Signed {
    std::string canonical;
    std::string signed_headers;
};

Signed Canonicalize(const SignableRequest& req, const SigningScope& scope) {
    std::vector<std::pair<std::string, std::string>> query;
    for (const auto& [k, v] : req.query) query.emplace_back(UriEncode(k, false), UriEncode(v, false));
    std::sort(query.begin(), query.end());
    std::string qs;
    for (const auto& [k, v] : query) qs += (qs.empty() ? "" : "&") + k + "=" + v;
    // Headers: lower-cased names, sorted; repeated names joined with ','.
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [k, v] : req.headers) headers.emplace_back(Lower(k), CanonicalValue(v));
    std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string canonical_headers, signed_headers;
    for (size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonical_headers.pop_back();  // the '\n'
            canonical_headers += "," + headers[i].second + "\n";
            continue;
        }
        canonical_headers += headers[i].first + ":" + headers[i].second + "\n";
        signed_headers += (signed_headers.empty() ? "" : ";") + headers[i].first;
    }
    Signed out;
    out.canonical = req.method + "\n" + CanonicalUri(req, scope) + "\n" + qs + "\n" + canonical_headers + "\n" +
                    signed_headers + "\n" + req.payload_sha256_hex;
    out.signed_headers = std::move(signed_headers);
    return out;
}
}  // namespace

std::string CanonicalRequest(const SignableRequest& req, const SigningScope& scope) {
    return Canonicalize(req, scope).canonical;
}

std::string Authorization(const SignableRequest& req, const SigningScope& scope, const Credentials& creds) {
    Signed s = Canonicalize(req, scope);
    std::string day = scope.amz_date.substr(0, 8);
    std::string credential_scope = day + "/" + scope.region + "/" + scope.service + "/aws4_request";
    std::string to_sign =
        "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + credential_scope + "\n" + core::Sha256Hex(s.canonical);
    std::string key = core::HmacSha256("AWS4" + creds.secret_access_key, day);
    key = core::HmacSha256(key, scope.region);
    key = core::HmacSha256(key, scope.service);
    key = core::HmacSha256(key, "aws4_request");
    std::string signature = core::HexEncode(core::HmacSha256(key, to_sign));
    return "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + credential_scope +
           ", SignedHeaders=" + s.signed_headers + ", Signature=" + signature;
}

}  // namespace insightstream::aws
