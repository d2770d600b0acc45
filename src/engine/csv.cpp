#include "engine/csv.hpp"

#include <algorithm>
#include <array>
#include <cstring>

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
    : d_(dialect), data_(data), line_(first_line) {
    spans_.reserve(64);
}

bool CsvReader::Next(CsvRecord* rec) {
    const char delim = d_.delimiter;
    const char quote = d_.quote;
    const char nl = d_.newline;
    const char* p = data_.data();
    const size_t n = data_.size();
    for (;;) {
        if (pos_ >= n) return false;
        size_t start = pos_;
        int64_t start_line = line_;
        spans_.clear();
        bool unterminated = false;
        size_t i = pos_;
        bool ended = false;
        while (!ended) {
            size_t fb = i;
            if (i < n && p[i] == quote) {
                // Quoted field: up to the closing quote; "" is an escaped quote.
                bool escaped = false;
                size_t j = i + 1;
                for (;;) {
                    const void* q = std::memchr(p + j, quote, n - j);
                    if (q == nullptr) {
                        // Unterminated: the rest of the data is this field.
                        line_ += std::count(p + j, p + n, nl);
                        spans_.push_back({i + 1, n, escaped});
                        i = n;
                        unterminated = true;
                        ended = true;
                        break;
                    }
                    size_t qpos = static_cast<size_t>(static_cast<const char*>(q) - p);
                    line_ += std::count(p + j, p + qpos, nl);
                    if (qpos + 1 < n && p[qpos + 1] == quote) {
                        escaped = true;
                        j = qpos + 2;
                        continue;
                    }
                    // Text after the closing quote up to the delimiter is kept (lenient), e.g. "a"b.
                    size_t k = qpos + 1;
                    while (k < n && p[k] != delim && p[k] != nl) ++k;
                    if (k > qpos + 1 && !(k == qpos + 2 && p[qpos + 1] == '\r')) {
                        spans_.push_back({fb, k, false});
                    } else {
                        spans_.push_back({i + 1, qpos, escaped});
                    }
                    i = k;
                    break;
                }
                if (ended) break;
            } else {
                i = FindAny2(p, i, n, delim, nl);
                size_t fe = i;
                if (fe > fb && p[fe - 1] == '\r' && nl == '\n' && (fe == n || p[fe] == nl)) --fe;  // CRLF
                spans_.push_back({fb, fe, false});
            }
            if (i >= n) {
                ended = true;
            } else if (p[i] == delim) {
                ++i;
                if (i >= n) {
                    spans_.push_back({i, i, false});
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
        if (spans_.size() == 1 && spans_[0].begin == spans_[0].end && !unterminated && p[start] != quote) continue;
        if (d_.trailing_delimiter && spans_.size() > 1 && spans_.back().begin == spans_.back().end) spans_.pop_back();
        size_t raw_end = pos_;
        while (raw_end > start && (p[raw_end - 1] == '\n' || p[raw_end - 1] == '\r')) --raw_end;
        rec->raw = data_.substr(start, raw_end - start);
        rec->line = start_line;
        rec->unterminated_quote = unterminated;
        rec->fields.clear();
        size_t need = 0;
        for (const auto& s : spans_) {
            if (s.escaped) need += s.end - s.begin;
        }
        if (scratch_.capacity() < need) scratch_.reserve(need * 2);
        scratch_.clear();
        for (const auto& s : spans_) {
            if (!s.escaped) {
                rec->fields.emplace_back(p + s.begin, s.end - s.begin);
                continue;
            }
            size_t at = scratch_.size();
            for (size_t k = s.begin; k < s.end; ++k) {
                scratch_ += p[k];
                if (p[k] == quote && k + 1 < s.end && p[k + 1] == quote) ++k;
            }
            rec->fields.emplace_back(scratch_.data() + at, scratch_.size() - at);
        }
        return true;
    }
}

int64_t CsvBoundaryScanner::Scan(std::string_view data, int64_t start) {
    const char quote = d_.quote;
    const char nl = d_.newline;
    int64_t found = -1;
    const char* p = data.data();
    const size_t n = data.size();
    size_t i = 0;
    // Quotes toggle the state ("" toggles twice); a line end outside quotes ends a record.
    while (i < n) {
        if (in_quotes_) {
            const void* q = std::memchr(p + i, quote, n - i);
            size_t end = q ? static_cast<size_t>(static_cast<const char*>(q) - p) : n;
            lines_ += std::count(p + i, p + end, nl);
            if (!q) break;
            in_quotes_ = false;
            i = end + 1;
            continue;
        }
        size_t j = i;
        while (j < n && p[j] != quote && p[j] != nl) ++j;
        if (j == n) break;
        if (p[j] == quote) {
            in_quotes_ = true;
        } else {
            ++lines_;
            found = start + static_cast<int64_t>(j) + 1;
            last_boundary_ = found;
            lines_at_last_boundary_ = lines_;
        }
        i = j + 1;
    }
    return found;
}

int64_t CsvBoundaryScanner::lines_before(int64_t absolute_offset) const {
    return absolute_offset == last_boundary_ ? lines_at_last_boundary_ : lines_;
}

}  // namespace insightstream::engine
