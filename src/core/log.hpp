// Structured logging: one JSON object per line on stderr. A LogScope (RAII) adds fields such as
// request_id or tenant_id to every line logged on its thread while it lives, so lower layers
// never pass them by hand. Never log secrets, tokens, passwords or row contents.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace insightstream::core {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

struct LogField {
    LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
    LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
    LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
    LogField(std::string_view k, int64_t v) : key(k), value(v) {}
    LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
    LogField(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
    LogField(std::string_view k, double v) : key(k), value(v) {}
    LogField(std::string_view k, bool v) : key(k), value(v) {}
    std::string key;
    std::variant<std::string, int64_t, double, bool> value;
};

void SetLogLevel(LogLevel level);
bool ParseLogLevel(std::string_view text, LogLevel* out);
/// The `service` field of every line (the role the process runs).
void SetLogService(std::string service);
bool LogEnabled(LogLevel level);

void Log(LogLevel level, std::string_view event, std::string_view msg, std::initializer_list<LogField> fields = {});
void Log(LogLevel level, std::string_view event, std::string_view msg, const std::vector<LogField>& fields);

/// Adds fields to every line logged on this thread while alive. Scopes nest.
class LogScope {
public:
    LogScope(std::initializer_list<LogField> fields);
    ~LogScope();
    LogScope(const LogScope&) = delete;
    LogScope& operator=(const LogScope&) = delete;
    /// Adds a field to the innermost scope (e.g. tenant_id once the token is verified).
    void Add(LogField field);

private:
    size_t depth_;
};

}  // namespace insightstream::core
