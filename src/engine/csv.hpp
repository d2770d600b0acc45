// CSV as written in the wild: RFC 4180 quoting (delimiters, quotes and newlines inside quoted
// fields, "" for a quote), a sniffed delimiter among , ; \t |, a BOM, LF, CRLF or CR line ends,
// blank lines, and a trailing delimiter on every line. Records are split into fields without
// copying, except fields that need "" unescaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/text_arena.hpp"

namespace insightstream::engine {

struct CsvDialect {
    char delimiter = ',';
    char quote = '"';
    char newline = '\n';            // '\r' for files with CR-only line ends
    bool trailing_delimiter = false;  // every line ends with a delimiter: drop the empty last field
    // Quoted fields may hold line breaks. When the start of a file shows they never do, a line
    // end always ends a record, so one stray quote cannot swallow the lines after it: a quote
    // still open at its line's end makes that line a broken record.
    bool multiline_quotes = true;
};

/// Picks the delimiter and line end from the first bytes of a file.
CsvDialect SniffCsv(std::string_view sample);

/// One record: its fields (views into the data, or for a field with "" into the reader's copy,
/// valid while the reader lives and until ForgetUnescaped), its first physical line, and its raw
/// text.
struct CsvRecord {
    std::vector<std::string_view> fields;
    int64_t line = 0;
    std::string_view raw;
    int64_t lines = 1;                // physical lines the record takes up
    bool unterminated_quote = false;  // a quoted field is not closed: at the data's end, or (without
                                      // multiline quotes) at its line's end
    bool loose_quote = false;         // a closing quote was followed by more text ("a"b)
};

/// Splits a buffer that starts at a record boundary into records.
class CsvReader {
public:
    CsvReader(const CsvDialect& dialect, std::string_view data, int64_t first_line);
    /// Next non-blank record; false at the end of the buffer.
    bool Next(CsvRecord* rec);
    /// The unescaped copies of fields with "" (kept while the reader lives, for rows analysed in
    /// batches) are not needed any more.
    void ForgetUnescaped() { unescaped_.Clear(); }
    /// Bytes consumed so far.
    [[nodiscard]] size_t offset() const { return pos_; }

private:
    /// The first offset >= from holding the delimiter or the line end, or the size: found with
    /// a 64-bit mask per 64 bytes (SSE2), so a field costs a bit scan, not a byte loop.
    size_t NextStop(size_t from);
    uint64_t StopMask(size_t base) const;
    void Unescape(std::vector<std::string_view>& fields);

    CsvDialect d_;
    std::string_view data_;
    size_t pos_ = 0;
    int64_t line_;
    size_t chunk_ = SIZE_MAX;   // offset of the 64 bytes chunk_bits_ describes
    uint64_t chunk_bits_ = 0;
    std::vector<size_t> escaped_;  // this record's fields that contain ""
    TextArena unescaped_;          // their unescaped copies, kept while the reader lives
};

}  // namespace insightstream::engine
