#include "core/text.hpp"

namespace insightstream::core {

namespace {
// The length of the well-formed UTF-8 sequence at `p` (RFC 3629: no overlong forms, no
// surrogates, at most U+10FFFF), or 0 if there is none.
size_t SequenceLength(const unsigned char* p, const unsigned char* end) {
    unsigned char c = *p;
    if (c < 0x80) return 1;
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (static_cast<size_t>(end - p) <= n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i <= n; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    }
    return n + 1;
}
}  // namespace

std::optional<std::string> TextProblem(std::string_view s, TextRules rules) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned char c = *p;
        if (c == 0) return "contains a NUL character";
        if ((c < 0x20 && c != '\t' && !(rules.allow_line_breaks && (c == '\n' || c == '\r'))) || c == 0x7F) {
            return "contains a control character";
        }
        size_t n = SequenceLength(p, end);
        if (n == 0) return "is not valid UTF-8";
        if (c == 0xC2 && p[1] < 0xA0) return "contains a control character";  // C1: U+0080..U+009F
        p += n;
    }
    return std::nullopt;
}

std::string ValidUtf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        size_t n = SequenceLength(p, end);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++p;
        } else {
            out.append(reinterpret_cast<const char*>(p), n);
            p += n;
        }
    }
    return out;
}

}  // namespace insightstream::core
