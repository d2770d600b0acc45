#include "http/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace insightstream::http {

using core::Error;

namespace {
constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr size_t kMaxPreambleBytes = 64 * 1024;
constexpr int kMaxParts = 100;

Error Malformed(std::string detail) { return Error::InvalidArgument(std::move(detail)).WithSlug("malformed-multipart"); }

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view TrimView(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Reads a parameter (name="value" or name=token) from a header value such as Content-Disposition.
std::string Param(std::string_view header, std::string_view key) {
    size_t pos = 0;
    while (pos < header.size()) {
        size_t semi = header.find(';', pos);
        if (semi == std::string_view::npos) return {};
        pos = semi + 1;
        std::string_view rest = TrimView(header.substr(pos));
        size_t eq = rest.find('=');
        if (eq == std::string_view::npos) continue;
        if (Lower(TrimView(rest.substr(0, eq))) != key) continue;
        std::string_view v = TrimView(rest.substr(eq + 1));
        if (!v.empty() && v.front() == '"') {
            std::string out;
            for (size_t i = 1; i < v.size(); ++i) {
                if (v[i] == '\\' && i + 1 < v.size()) {
                    out += v[++i];
                } else if (v[i] == '"') {
                    return out;
                } else {
                    out += v[i];
                }
            }
            return out;
        }
        return std::string(v.substr(0, v.find(';')));
    }
    return {};
}
}  // namespace

core::Result<std::string> MultipartReader::BoundaryFrom(std::string_view content_type) {
    std::string b = Param(content_type, "boundary");
    // RFC 2046: 1 to 70 characters.
    if (b.empty() || b.size() > 70) return Malformed("multipart/form-data needs a boundary parameter of 1 to 70 characters");
    return b;
}

MultipartReader::MultipartReader(std::string boundary)
    : dash_boundary_("--" + boundary), delimiter_("\r\n--" + boundary) {}

core::Result<void> MultipartReader::ParseHeaders(std::string_view head, MultipartSink& sink) {
    MultipartPart part;
    bool disposition = false;
    size_t pos = 0;
    while (pos < head.size()) {
        size_t eol = head.find("\r\n", pos);
        if (eol == std::string_view::npos) eol = head.size();
        std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (line.empty()) continue;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) return Malformed("a multipart part header has no colon");
        std::string name = Lower(TrimView(line.substr(0, colon)));
        std::string_view value = TrimView(line.substr(colon + 1));
        if (name == "content-disposition") {
            if (Lower(value.substr(0, value.find(';'))) != "form-data") return Malformed("a part is not form-data");
            part.name = Param(value, "name");
            part.filename = Param(value, "filename");
            disposition = true;
        } else if (name == "content-type") {
            part.content_type = Lower(TrimView(value.substr(0, value.find(';'))));
        }
    }
    if (!disposition || part.name.empty()) return Malformed("a multipart part has no Content-Disposition name");
    if (++parts_ > kMaxParts) return Malformed("too many multipart parts");
    return sink.OnPartBegin(part);
}

core::Result<void> MultipartReader::Feed(std::string_view data, MultipartSink& sink) {
    if (state_ == State::kDone) return {};  // the epilogue is ignored
    pending_.append(data);
    size_t consumed = 0;
    auto view = [&] { return std::string_view(pending_).substr(consumed); };
    for (;;) {
        std::string_view v = view();
        if (state_ == State::kPreamble) {
            size_t p = v.find(dash_boundary_);
            if (p == std::string_view::npos) {
                if (pending_.size() > kMaxPreambleBytes) return Malformed("the multipart body has no opening boundary");
                break;
            }
            consumed += p + dash_boundary_.size();
            state_ = State::kAfterBoundary;
        } else if (state_ == State::kAfterBoundary) {
            if (v.size() < 2) break;
            if (v.substr(0, 2) == "--") {
                state_ = State::kDone;
                consumed = pending_.size();
                break;
            }
            // Transport padding (spaces/tabs) may follow a boundary before its CRLF.
            size_t i = 0;
            while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
            if (v.size() - i < 2) break;
            if (v.substr(i, 2) != "\r\n") return Malformed("a multipart boundary is not followed by CRLF");
            consumed += i + 2;
            state_ = State::kHeaders;
        } else if (state_ == State::kHeaders) {
            size_t p = v.find("\r\n\r\n");
            if (v.starts_with("\r\n")) p = 0;
            if (p == std::string_view::npos) {
                if (v.size() > kMaxHeadBytes) return Malformed("multipart part headers are too large");
                break;
            }
            IS_TRY_VOID(ParseHeaders(v.substr(0, p), sink));
            consumed += p + (p == 0 ? 2 : 4);
            state_ = State::kBody;
        } else if (state_ == State::kBody) {
            size_t p = v.find(delimiter_);
            if (p == std::string_view::npos) {
                // Keep back what could be the start of a delimiter split across two pieces.
                size_t keep = std::min(v.size(), delimiter_.size() - 1);
                size_t emit = v.size() - keep;
                if (emit > 0) IS_TRY_VOID(sink.OnPartData(v.substr(0, emit)));
                consumed += emit;
                break;
            }
            if (p > 0) IS_TRY_VOID(sink.OnPartData(v.substr(0, p)));
            IS_TRY_VOID(sink.OnPartEnd());
            consumed += p + delimiter_.size();
            state_ = State::kAfterBoundary;
        } else {
            consumed = pending_.size();
            break;
        }
    }
    pending_.erase(0, consumed);
    return {};
}

core::Result<void> MultipartReader::Finish() {
    if (state_ != State::kDone) return Malformed("the multipart body ended before its closing boundary");
    return {};
}

}  // namespace insightstream::http
