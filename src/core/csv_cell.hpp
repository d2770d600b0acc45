// One CSV cell for downloads people open in spreadsheets: quoted when needed (RFC 4180), and a
// cell starting with = + - @ tab or CR gets a leading apostrophe so it is never evaluated as a
// formula (OWASP "CSV injection"). Plain negative numbers are left as they are.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace insightstream::core {

inline std::string CsvCell(std::string_view v) {
    std::string s(v);
    if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r')) {
        bool number = s.size() > 1 && s[0] == '-' &&
                      std::all_of(s.begin() + 1, s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
        if (!number) s.insert(s.begin(), '\'');
    }
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace insightstream::core
