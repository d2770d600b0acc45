#include "engine/csv.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/scan.hpp"

namespace insightstream::engine {

CsvDialect SniffCsv(std::string_view sample) {
    CsvDialect d;
    if (sample.starts_with("\xEF\xBB\xBF")) sample.remove_prefix(3);
    bool has_lf = sample.find('\n') != std::string_view::npos;
    bool has_cr = sample.find('\r') != std::string_view::npos;
    d.newline = (!has_lf && has_cr) ? '\r' : '\n';
    // For each candidate, the field counts of the first lines (quote-aware); the delimiter whose
    // counts agree most, then give more fields, wins.
    static constexpr std::array<char, 4> kCandidates{',', ';', '\t', '|'};
    double best_score = -1;
    for (char delim : kCandidates) {
        std::vector<int> counts;
        int fields = 1;
        bool in_q = false;
        bool ends_with_delim = true;
        char prev = 0;
        size_t line_len = 0;
        for (size_t i = 0; i < sample.size() && counts.size() < 50; ++i) {
            char c = sample[i];
            if (c == '"') in_q = !in_q;
            else if (!in_q && c == delim) ++fields;
            else if (!in_q && c == d.newline) {
                if (line_len > 0) {  // blank lines say nothing
                    if (prev != delim) ends_with_delim = false;
                    counts.push_back(fields);
                }
                fields = 1;
                line_len = 0;
                prev = 0;
                continue;
            }
            if (c != '\r' || d.newline == '\r') {
                prev = c;
                ++line_len;
            }
        }
        if (counts.empty()) counts.push_back(fields);
        int mode = 0;
        size_t mode_n = 0;
        for (int c : counts) {
            auto n = static_cast<size_t>(std::count(counts.begin(), counts.end(), c));
            if (n > mode_n || (n == mode_n && c > mode)) {
                mode = c;
                mode_n = n;
            }
        }
        if (mode <= 1) continue;
        double consistency = static_cast<double>(mode_n) / static_cast<double>(counts.size());
        double score = consistency * 1000 + mode;
        if (score > best_score) {
            best_score = score;
            d.delimiter = delim;
            d.trailing_delimiter = ends_with_delim && counts.size() > 1;
        }
    }
    return d;
}

CsvReader::CsvReader(const CsvDialect& dialect, std::string_view data, int64_t first_line)
    : d_(dialect), data_(data), line_(first_line) {}

uint64_t CsvReader::StopMask(size_t base) const {
    // Bit k set: data_[base + k] is the delimiter or the line end. Bits beyond the data are 0.
    const char* p = data_.data() + base;
    const size_t left = data_.size() - base;
#if defined(__SSE2__)
    if (left >= 64) {
        const __m128i vd = _mm_set1_epi8(d_.delimiter);
        const __m128i vn = _mm_set1_epi8(d_.newline);
        uint64_t m = 0;
        for (int k = 0; k < 4; ++k) {
            __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
            auto bits = static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn))));
            m |= uint64_t{bits} << (16 * k);
        }
        return m;
    }
#endif
    uint64_t m = 0;
    for (size_t k = 0; k < std::min<size_t>(left, 64); ++k) {
        if (p[k] == d_.delimiter || p[k] == d_.newline) m |= uint64_t{1} << k;
    }
    return m;
}

size_t CsvReader::NextStop(size_t from) {
    const size_t n = data_.size();
    if (from >= n) return n;
    size_t base = from & ~size_t{63};
    if (base != chunk_) {
        chunk_ = base;
        chunk_bits_ = StopMask(base);
    }
    uint64_t b = chunk_bits_ & (~uint64_t{0} << (from - base));
    while (b == 0) {
        base += 64;
        if (base >= n) return n;
        chunk_ = base;
        chunk_bits_ = StopMask(base);
        b = chunk_bits_;
    }
    return base + static_cast<size_t>(__builtin_ctzll(b));
}

bool CsvReader::Next(CsvRecord* rec) {
    const char delim = d_.delimiter;
    const char quote = d_.quote;
    const char nl = d_.newline;
    const char* p = data_.data();
    const size_t n = data_.size();
    auto& fields = rec->fields;
    for (;;) {
        if (pos_ >= n) return false;
        size_t start = pos_;
        int64_t start_line = line_;
        fields.clear();
        escaped_.clear();
        bool unterminated = false;
        bool loose = false;
        size_t i = pos_;
        bool ended = false;
        while (!ended) {
            size_t fb = i;
            if (i < n && p[i] == quote) {
                // Quoted field: up to the closing quote; "" is an escaped quote.
                bool escaped = false;
                size_t j = i + 1;
                for (;;) {
                    size_t qpos;
                    if (!d_.multiline_quotes) {
                        // A line end inside quotes ends the record: this line is broken.
                        qpos = FindAny2(p, j, n, quote, nl);
                        if (qpos < n && p[qpos] == nl) {
                            fields.emplace_back(p + i + 1, qpos - i - 1);
                            i = qpos + 1;
                            ++line_;
                            unterminated = true;
                            ended = true;
                            break;
                        }
                    } else {
                        const void* q = std::memchr(p + j, quote, n - j);
                        qpos = q ? static_cast<size_t>(static_cast<const char*>(q) - p) : n;
                        line_ += std::count(p + j, p + qpos, nl);
                    }
                    if (qpos == n) {
                        // Unterminated: the rest of the data is this field.
                        if (escaped) escaped_.push_back(fields.size());
                        fields.emplace_back(p + i + 1, n - i - 1);
                        i = n;
                        unterminated = true;
                        ended = true;
                        break;
                    }
                    if (qpos + 1 < n && p[qpos + 1] == quote) {
                        escaped = true;
                        j = qpos + 2;
                        continue;
                    }
                    // Text after the closing quote up to the delimiter is kept (lenient), e.g. "a"b.
                    size_t k = NextStop(qpos + 1);
                    if (k > qpos + 1 && !(k == qpos + 2 && p[qpos + 1] == '\r')) {
                        fields.emplace_back(p + fb, k - fb);
                        loose = true;
                    } else {
                        if (escaped) escaped_.push_back(fields.size());
                        fields.emplace_back(p + i + 1, qpos - i - 1);
                    }
                    i = k;
                    break;
                }
                if (ended) break;
            } else {
                i = NextStop(i);
                size_t fe = i;
                if (fe > fb && p[fe - 1] == '\r' && nl == '\n' && (fe == n || p[fe] == nl)) --fe;  // CRLF
                fields.emplace_back(p + fb, fe - fb);
            }
            if (i >= n) {
                ended = true;
            } else if (p[i] == delim) {
                ++i;
                if (i >= n) {
                    fields.emplace_back(p + i, 0);
                    ended = true;
                }
            } else {  // newline
                ++i;
                ++line_;
                ended = true;
            }
        }
        pos_ = i;
        // Blank line: one empty unquoted field.
        if (fields.size() == 1 && fields[0].empty() && !unterminated && p[start] != quote) continue;
        if (d_.trailing_delimiter && fields.size() > 1 && fields.back().empty()) fields.pop_back();
        size_t raw_end = pos_;
        while (raw_end > start && (p[raw_end - 1] == '\n' || p[raw_end - 1] == '\r')) --raw_end;
        rec->raw = data_.substr(start, raw_end - start);
        rec->line = start_line;
        rec->lines = std::max<int64_t>(1, line_ - start_line);
        rec->unterminated_quote = unterminated;
        rec->loose_quote = loose;
        if (!escaped_.empty()) Unescape(fields);
        return true;
    }
}

void CsvReader::Unescape(std::vector<std::string_view>& fields) {
    // Fields with "" get a copy with single quotes, which stays valid while the reader lives (the
    // rows of a block are analysed in batches, after later records were read).
    const char quote = d_.quote;
    for (size_t f : escaped_) {
        std::string_view s = fields[f];
        char* out = unescaped_.Begin(s.size());
        size_t n = 0;
        for (size_t k = 0; k < s.size(); ++k) {
            out[n++] = s[k];
            if (s[k] == quote && k + 1 < s.size() && s[k + 1] == quote) ++k;
        }
        fields[f] = unescaped_.End(out, n);
    }
}

}  // namespace insightstream::engine
