// The first stage of the engine: the bytes of an upload into UTF-8, before anything reads them.
// UTF-8 passes through untouched (checked 16 bytes at a time, no copy); UTF-16 with a byte-order
// mark is decoded; a file whose start is not UTF-8 is read as Windows-1252 (a superset of
// Latin-1, what spreadsheet programs on Windows write), so "Müller" stays "Müller" instead of
// three names shown as "M�ller". In a UTF-8 file, a byte that is not part of a UTF-8 sequence is
// read as Windows-1252 too, and its line is reported: never a silent replacement character.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace insightstream::engine {

enum class TextEncoding : uint8_t { kUtf8, kWindows1252, kUtf16Le, kUtf16Be };
const char* EncodingName(TextEncoding e);  // "utf-8", "windows-1252", "utf-16le", "utf-16be"

class TextDecoder {
public:
    /// Decides the encoding from the start of the file (a byte-order mark, or whether the bytes
    /// are UTF-8). Call once, before Decode.
    void Detect(std::string_view head);
    /// The UTF-8 form of the next bytes of the file: a view of `in` itself when nothing had to
    /// change (the common case), else of `scratch`. The view is valid until the next call.
    std::string_view Decode(std::string_view in, std::string* scratch);
    /// Starts over at a record's start somewhere in the file (a split, engine/splits.hpp), on
    /// line `line`, keeping the encoding Detect decided; forgets the lines repaired so far.
    void Restart(int64_t line) {
        line_ = line;
        carry_.clear();
        repaired_.clear();
        repaired_count_ = 0;
        last_repaired_line_ = 0;
        replaced_ = 0;
        bom_skipped_ = false;
        high_surrogate_ = 0;
    }
    /// The end of the file: bytes of an unfinished sequence, decoded as well as they can be.
    std::string Finish();

    [[nodiscard]] TextEncoding encoding() const { return encoding_; }
    /// Lines of a UTF-8 file that held bytes read as Windows-1252 (the first ones, and how many).
    [[nodiscard]] const std::vector<int64_t>& repaired_lines() const { return repaired_; }
    [[nodiscard]] int64_t repaired_count() const { return repaired_count_; }
    /// UTF-16 code units that were not valid (a lone surrogate), decoded as U+FFFD.
    [[nodiscard]] int64_t replaced() const { return replaced_; }

    static constexpr size_t kMaxRepairedLines = 1000;

private:
    std::string_view DecodeUtf8(std::string_view in, std::string* scratch);
    void DecodeUtf16(std::string_view in, std::string* out);
    void Repair(int64_t line);

    TextEncoding encoding_ = TextEncoding::kUtf8;
    char newline_ = '\n';
    int64_t line_ = 1;          // the line the next decoded byte is on
    std::string carry_;         // an incomplete sequence at the end of the last piece
    std::vector<int64_t> repaired_;
    int64_t repaired_count_ = 0;
    int64_t last_repaired_line_ = 0;
    int64_t replaced_ = 0;
    bool bom_skipped_ = false;
    uint32_t high_surrogate_ = 0;
};

/// Appends the UTF-8 form of a Windows-1252 byte (as browsers read it: undefined bytes map to the
/// C1 control of the same number).
void AppendWindows1252(unsigned char byte, std::string* out);
/// The length of the valid UTF-8 sequence at s[i] (1 for ASCII), 0 if the bytes there are not
/// valid UTF-8, or -1 if they are a valid start cut off by the end of `s`.
int Utf8SequenceAt(std::string_view s, size_t i);

}  // namespace insightstream::engine
