// Byte scanning for the CSV hot paths: the first of two characters, 16 bytes at a time
// with SSE2 (part of every x86-64), scalar elsewhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace insightstream::engine {

/// Index of the first byte in p[from, n) equal to a or b, or n.
inline size_t FindAny2(const char* p, size_t from, size_t n, char a, char b) {
    size_t i = from;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
        if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
#endif
    for (; i < n; ++i) {
        if (p[i] == a || p[i] == b) return i;
    }
    return n;
}

/// How many bytes of s equal c: 64 at a time with SSE2 (the decoder counts every line end of the
/// file, to number the lines it has to repair; the split cutter every line end of an upload).
inline int64_t CountByte(std::string_view s, char c) {
    const char* p = s.data();
    size_t n = s.size(), i = 0;
    int64_t count = 0;
#if defined(__SSE2__)
    const __m128i vc = _mm_set1_epi8(c);
    for (; i + 64 <= n; i += 64) {
        uint64_t m = 0;
        for (int k = 0; k < 4; ++k) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16 * static_cast<size_t>(k)));
            m |= uint64_t{static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc)))} << (16 * k);
        }
        count += __builtin_popcountll(m);
    }
#endif
    for (; i < n; ++i) count += p[i] == c;
    return count;
}

/// Finds where records end in a stream of text, piece by piece, the way CsvReader::Next reads
/// them. Where quoted fields may hold line breaks (`quote` set), quotes are followed: a quote
/// opens a quoted field only at a field's start; in one, "" is a quote; after the closing quote
/// the field runs to the next delimiter; a quote inside an unquoted field is a character.
/// Without `quote` (NDJSON, or CSV whose quoted fields do not span lines) every newline ends a
/// record. Used by the engine to cut blocks and by the split cutter on the uploaded bytes (the
/// structure characters are ASCII, the same in the file's bytes and in its UTF-8 form).
class RecordScanner {
public:
    RecordScanner() = default;
    RecordScanner(char newline, char quote, char delimiter) : nl_(newline), quote_(quote), delim_(delimiter) {}

    /// Scans p[i, n): calls record_end(position of its newline) at every record end, after
    /// counting that newline in `newlines`.
    template <class F>
    void Scan(const char* p, size_t i, size_t n, F&& record_end) {
        while (i < n) {
            if (quote_ == '\0') {
                const void* q = std::memchr(p + i, nl_, n - i);
                if (!q) return;
                size_t j = static_cast<size_t>(static_cast<const char*>(q) - p);
                ++newlines;
                record_end(j);
                i = j + 1;
                continue;
            }
            switch (state_) {
                case State::kInQuotes: {
                    const void* q = std::memchr(p + i, quote_, n - i);
                    size_t end = q ? static_cast<size_t>(static_cast<const char*>(q) - p) : n;
                    newlines += std::count(p + i, p + end, nl_);
                    if (!q) return;
                    state_ = State::kMaybeClosed;
                    i = end + 1;
                    break;
                }
                case State::kMaybeClosed:
                    if (p[i] == quote_) {
                        state_ = State::kInQuotes;  // "" inside quotes
                    } else if (p[i] == delim_) {
                        state_ = State::kFieldStart;
                    } else if (p[i] == nl_) {
                        state_ = State::kFieldStart;
                        ++newlines;
                        record_end(i);
                    } else {
                        state_ = State::kUnquoted;  // text after the closing quote
                    }
                    ++i;
                    break;
                case State::kFieldStart:
                    if (p[i] == quote_) {
                        state_ = State::kInQuotes;
                        ++i;
                        break;
                    }
                    state_ = State::kUnquoted;
                    [[fallthrough]];
                case State::kUnquoted: {
                    size_t j = FindAny2(p, i, n, delim_, nl_);
                    if (j == n) return;
                    state_ = State::kFieldStart;
                    if (p[j] == nl_) {
                        ++newlines;
                        record_end(j);
                    }
                    i = j + 1;
                    break;
                }
            }
        }
    }

    int64_t newlines = 0;  // every newline scanned, in quotes or not
    [[nodiscard]] char newline() const { return nl_; }
    /// Whether quotes are followed (else every newline ends a record).
    [[nodiscard]] bool quoted() const { return quote_ != '\0'; }

private:
    enum class State : uint8_t { kFieldStart, kUnquoted, kInQuotes, kMaybeClosed };
    char nl_ = '\n';
    char quote_ = '\0';
    char delim_ = ',';
    State state_ = State::kFieldStart;
};

}  // namespace insightstream::engine
