// Text that the service accepts from a client (query parameters, path segments, JSON strings,
// multipart fields, stored header values): valid UTF-8, with no NUL and no control characters.
// Checked at the edge and answered 400 invalid-text, so that no byte sequence reaches a database
// that would reject it (PostgreSQL) or store it and later write invalid JSON (SQLite), and no NUL
// silently truncates a string on the way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace insightstream::core {

struct TextRules {
    bool allow_line_breaks = false;  // \n and \r (free text in JSON bodies); tab is always allowed
};

/// Why `s` is not acceptable text (a short phrase), or nullopt when it is.
std::optional<std::string> TextProblem(std::string_view s, TextRules rules = {});
/// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD: for
/// text that is echoed back (a problem's `instance`), so that no answer is invalid JSON.
std::string ValidUtf8(std::string_view s);

}  // namespace insightstream::core
