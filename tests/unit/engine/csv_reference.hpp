// The obvious CSV splitter the fast CsvReader must agree with: byte by byte, the same rules
// (RFC 4180 quoting, quotes only special at a field's start, lenient text after a closing
// quote, CRLF trimmed, blank lines skipped, an optional trailing delimiter dropped; without
// multiline quotes, a line end inside quotes ends a broken record).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/csv.hpp"

namespace insightstream::engine::testing {

struct ReferenceRecord {
    std::vector<std::string> fields;
    int64_t line = 0;
    std::string raw;
    int64_t lines = 1;
    bool unterminated = false;
    bool loose = false;
    bool operator==(const ReferenceRecord&) const = default;
};

inline std::vector<ReferenceRecord> ReferenceCsv(const CsvDialect& d, std::string_view data, int64_t first_line) {
    const char delim = d.delimiter, quote = d.quote, nl = d.newline;
    const size_t n = data.size();
    std::vector<ReferenceRecord> out;
    size_t i = 0;
    int64_t line = first_line;
    while (i < n) {
        size_t start = i;
        ReferenceRecord r;
        r.line = line;
        bool first_quoted = data[start] == quote;
        bool broken = false;
        for (;;) {
            std::string field;
            size_t fb = i;
            if (i < n && data[i] == quote) {
                size_t j = i + 1;
                bool closed = false;
                for (; j < n; ++j) {
                    if (data[j] == nl && !d.multiline_quotes) {
                        r.fields.emplace_back(data.substr(fb + 1, j - fb - 1));
                        r.unterminated = true;
                        i = j + 1;
                        ++line;
                        broken = true;
                        break;
                    }
                    if (data[j] == nl) ++line;
                    if (data[j] != quote) {
                        field += data[j];
                        continue;
                    }
                    if (j + 1 < n && data[j + 1] == quote) {
                        field += quote;
                        ++j;
                        continue;
                    }
                    closed = true;
                    break;
                }
                if (broken) break;
                if (!closed) {
                    r.fields.push_back(field);
                    r.unterminated = true;
                    i = n;
                    break;
                }
                size_t k = j + 1;
                while (k < n && data[k] != delim && data[k] != nl) ++k;
                if (k > j + 1 && !(k == j + 2 && data[j + 1] == '\r')) {
                    field = std::string(data.substr(fb, k - fb));
                    r.loose = true;
                }
                r.fields.push_back(field);
                i = k;
            } else {
                size_t k = i;
                while (k < n && data[k] != delim && data[k] != nl) ++k;
                size_t fe = k;
                if (fe > fb && data[fe - 1] == '\r' && nl == '\n' && (fe == n || data[fe] == nl)) --fe;
                r.fields.emplace_back(data.substr(fb, fe - fb));
                i = k;
            }
            if (i >= n) break;
            if (data[i] == delim) {
                ++i;
                if (i >= n) {
                    r.fields.emplace_back();
                    break;
                }
                continue;
            }
            ++i;  // the line end
            ++line;
            break;
        }
        if (r.fields.size() == 1 && r.fields[0].empty() && !r.unterminated && !first_quoted) continue;
        if (d.trailing_delimiter && r.fields.size() > 1 && r.fields.back().empty()) r.fields.pop_back();
        size_t raw_end = i;
        while (raw_end > start && (data[raw_end - 1] == '\n' || data[raw_end - 1] == '\r')) --raw_end;
        r.raw = std::string(data.substr(start, raw_end - start));
        r.lines = std::max<int64_t>(1, line - r.line);
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace insightstream::engine::testing
