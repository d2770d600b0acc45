#include "engine/text_decoder.hpp"

#include "engine/scan.hpp"

#include <algorithm>
#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace insightstream::engine {

const char* EncodingName(TextEncoding e) {
    switch (e) {
        case TextEncoding::kUtf8: return "utf-8";
        case TextEncoding::kWindows1252: return "windows-1252";
        case TextEncoding::kUtf16Le: return "utf-16le";
        case TextEncoding::kUtf16Be: return "utf-16be";
    }
    return "utf-8";
}

namespace {

// The first index >= i whose byte is not ASCII, or s.size().
size_t SkipAscii(std::string_view s, size_t i) {
    const size_t n = s.size();
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        int mask = _mm_movemask_epi8(x);
        if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
#endif
    while (i < n && static_cast<unsigned char>(s[i]) < 0x80) ++i;
    return i;
}

void AppendCodePoint(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
        out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Windows-1252 bytes 0x80-0x9F (the rest of the high half is Latin-1, the same code points).
constexpr uint16_t kHigh1252[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

}  // namespace

void AppendWindows1252(unsigned char byte, std::string* out) {
    if (byte < 0x80) out->push_back(static_cast<char>(byte));
    else if (byte < 0xA0) AppendCodePoint(kHigh1252[byte - 0x80], out);
    else AppendCodePoint(byte, out);
}

int Utf8SequenceAt(std::string_view s, size_t i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80) return 1;
    int len;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;  // no overlong forms
        if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return 0;
    }
    for (int k = 1; k < len; ++k) {
        if (i + static_cast<size_t>(k) >= s.size()) return -1;
        unsigned char x = b(i + static_cast<size_t>(k));
        if (k == 1 ? (x < lo || x > hi) : (x < 0x80 || x > 0xBF)) return 0;
    }
    return len;
}

void TextDecoder::Detect(std::string_view head) {
    newline_ = '\n';
    if (head.starts_with("\xFF\xFE")) {
        encoding_ = TextEncoding::kUtf16Le;
        return;
    }
    if (head.starts_with("\xFE\xFF")) {
        encoding_ = TextEncoding::kUtf16Be;
        return;
    }
    if (head.find('\n') == std::string_view::npos && head.find('\r') != std::string_view::npos) newline_ = '\r';
    // Not UTF-8, and (almost) nothing in it that is: a single-byte file. A real UTF-8 sequence
    // rarely happens by chance in Windows-1252 text, so a few of them mean UTF-8 with stray bytes.
    size_t invalid = 0, multibyte = 0;
    for (size_t i = SkipAscii(head, 0); i < head.size(); i = SkipAscii(head, i)) {
        int len = Utf8SequenceAt(head, i);
        if (len < 0) break;  // cut off by the end of the sample
        if (len == 0) {
            ++invalid;
            ++i;
        } else {
            ++multibyte;
            i += static_cast<size_t>(len);
        }
    }
    encoding_ = invalid > 0 && multibyte * 4 < invalid ? TextEncoding::kWindows1252 : TextEncoding::kUtf8;
}

void TextDecoder::Repair(int64_t line) {
    if (line == last_repaired_line_) return;
    last_repaired_line_ = line;
    ++repaired_count_;
    if (repaired_.size() < kMaxRepairedLines) repaired_.push_back(line);
}

std::string_view TextDecoder::DecodeUtf8(std::string_view in, std::string* scratch) {
    std::string joined;
    if (!carry_.empty()) {  // a sequence split between two pieces (rare): join them
        joined = carry_;
        joined.append(in);
        carry_.clear();
        in = joined;
    }
    const size_t n = in.size();
    size_t i = 0, bad = n, tail = n;
    while (i < n) {
        i = SkipAscii(in, i);
        if (i >= n) break;
        int len = Utf8SequenceAt(in, i);
        if (len > 0) {
            i += static_cast<size_t>(len);
        } else if (len < 0) {
            tail = i;
            break;
        } else {
            bad = i;
            break;
        }
    }
    if (bad == n) {
        std::string_view good = in.substr(0, tail);
        line_ += CountByte(good, newline_);
        carry_.assign(in.substr(tail));
        if (joined.empty()) return good;
        joined.resize(tail);
        *scratch = std::move(joined);
        return *scratch;
    }
    // Bytes that are not UTF-8: read as Windows-1252, with their line reported.
    scratch->clear();
    scratch->reserve(n + n / 8);
    scratch->append(in.substr(0, bad));
    line_ += CountByte(in.substr(0, bad), newline_);
    for (i = bad; i < n;) {
        int len = Utf8SequenceAt(in, i);
        if (len < 0) {
            carry_.assign(in.substr(i));
            break;
        }
        if (len == 0) {
            Repair(line_);
            AppendWindows1252(static_cast<unsigned char>(in[i]), scratch);
            ++i;
            continue;
        }
        if (in[i] == newline_) ++line_;
        scratch->append(in.substr(i, static_cast<size_t>(len)));
        i += static_cast<size_t>(len);
    }
    return *scratch;
}

void TextDecoder::DecodeUtf16(std::string_view in, std::string* out) {
    std::string joined;
    if (!carry_.empty()) {
        joined = carry_;
        joined.append(in);
        carry_.clear();
        in = joined;
    }
    size_t i = 0;
    if (!bom_skipped_ && in.size() >= 2) {
        bom_skipped_ = true;
        i = 2;  // the byte-order mark
    }
    const bool le = encoding_ == TextEncoding::kUtf16Le;
    for (; i + 1 < in.size(); i += 2) {
        auto a = static_cast<unsigned char>(in[i]), b = static_cast<unsigned char>(in[i + 1]);
        uint32_t u = le ? (uint32_t{b} << 8 | a) : (uint32_t{a} << 8 | b);
        if (high_surrogate_ != 0) {
            if (u >= 0xDC00 && u <= 0xDFFF) {
                AppendCodePoint(0x10000 + ((high_surrogate_ - 0xD800) << 10) + (u - 0xDC00), out);
                high_surrogate_ = 0;
                continue;
            }
            AppendCodePoint(0xFFFD, out);
            ++replaced_;
            high_surrogate_ = 0;
        }
        if (u >= 0xD800 && u <= 0xDBFF) {
            high_surrogate_ = u;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            AppendCodePoint(0xFFFD, out);
            ++replaced_;
        } else {
            AppendCodePoint(u, out);
        }
    }
    carry_.assign(in.substr(i));
}

std::string_view TextDecoder::Decode(std::string_view in, std::string* scratch) {
    switch (encoding_) {
        case TextEncoding::kUtf8: return DecodeUtf8(in, scratch);
        case TextEncoding::kWindows1252: {
            scratch->clear();
            scratch->reserve(in.size() + in.size() / 4);
            for (size_t i = 0; i < in.size();) {
                size_t j = SkipAscii(in, i);
                scratch->append(in.substr(i, j - i));
                if (j < in.size()) AppendWindows1252(static_cast<unsigned char>(in[j]), scratch);
                i = j + 1;
            }
            return *scratch;
        }
        case TextEncoding::kUtf16Le:
        case TextEncoding::kUtf16Be:
            scratch->clear();
            DecodeUtf16(in, scratch);
            return *scratch;
    }
    return in;
}

std::string TextDecoder::Finish() {
    std::string out;
    if (encoding_ == TextEncoding::kUtf8) {
        for (char c : carry_) {
            Repair(line_);
            AppendWindows1252(static_cast<unsigned char>(c), &out);
        }
    } else if (!carry_.empty() || high_surrogate_ != 0) {
        AppendCodePoint(0xFFFD, &out);  // half a UTF-16 code unit or pair at the end
        ++replaced_;
    }
    carry_.clear();
    high_surrogate_ = 0;
    return out;
}

}  // namespace insightstream::engine
