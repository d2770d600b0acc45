// CSV as written in the wild: RFC 4180 quoting (delimiters, quotes and newlines inside quoted
// fields, "" for a quote), a sniffed delimiter among , ; \t |, a BOM, LF, CRLF or CR line ends,
// blank lines, and a trailing delimiter on every line. Records are split into fields without
// copying, except fields that need "" unescaped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace insightstream::engine {

struct CsvDialect {
    char delimiter = ',';
    char quote = '"';
    char newline = '\n';            // '\r' for files with CR-only line ends
    bool trailing_delimiter = false;  // every line ends with a delimiter: drop the empty last field
};

/// Picks the delimiter and line end from the first bytes of a file.
CsvDialect SniffCsv(std::string_view sample);

/// One record: its fields (views valid until the next call to Next), its first physical line,
/// and its raw text.
struct CsvRecord {
    std::vector<std::string_view> fields;
    int64_t line = 0;
    std::string_view raw;
    bool unterminated_quote = false;  // the data ended inside a quoted field
};

/// Splits a buffer that starts at a record boundary into records.
class CsvReader {
public:
    CsvReader(const CsvDialect& dialect, std::string_view data, int64_t first_line);
    /// Next non-blank record; false at the end of the buffer.
    bool Next(CsvRecord* rec);
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
    std::string scratch_;
};

/// Tracks quote parity across a stream to find record boundaries: the offset just past the last
/// line end that is outside quotes. Feed() the bytes in order; positions are absolute.
class CsvBoundaryScanner {
public:
    explicit CsvBoundaryScanner(const CsvDialect& d) : d_(d) {}
    /// Scans `data` (the bytes at absolute offsets [start, start+size)). Returns the absolute
    /// offset just after the last record end found in it, or -1 if none; counts line ends.
    int64_t Scan(std::string_view data, int64_t start);
    [[nodiscard]] int64_t lines_before(int64_t absolute_offset) const;

private:
    CsvDialect d_;
    bool in_quotes_ = false;
    // Line ends seen, as (absolute offset of a boundary, lines before it); only the last kept.
    int64_t last_boundary_ = -1;
    int64_t lines_at_last_boundary_ = 0;
    int64_t lines_ = 0;
};

}  // namespace insightstream::engine
