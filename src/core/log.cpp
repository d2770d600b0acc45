#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "core/clock.hpp"
#include "core/json_text.hpp"

namespace insightstream::core {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
std::string g_service = "insightstream";  // guarded by g_mutex
thread_local std::vector<std::vector<LogField>> t_scopes;

const char* LevelName(LogLevel l) {
    switch (l) {
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
    }
    return "info";
}

void AppendField(std::string& line, const LogField& f) {
    line += ',';
    AppendJsonString(line, f.key);
    line += ':';
    std::visit(
        [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::string>) {
                AppendJsonString(line, v);
            } else if constexpr (std::is_same_v<V, bool>) {
                line += v ? "true" : "false";
            } else if constexpr (std::is_same_v<V, double>) {
                AppendJsonDouble(line, v);
            } else {
                line += std::to_string(v);
            }
        },
        f.value);
}

template <class Fields>
void Write(LogLevel level, std::string_view event, std::string_view msg, const Fields& fields) {
    if (!LogEnabled(level)) return;
    std::string line;
    line.reserve(256);
    line += "{\"ts\":";
    AppendJsonString(line, FormatRfc3339(SystemClock().NowMs()));
    line += ",\"level\":\"";
    line += LevelName(level);
    line += "\",\"service\":";
    {
        std::scoped_lock lock(g_mutex);
        AppendJsonString(line, g_service);
    }
    line += ",\"event\":";
    AppendJsonString(line, event);
    line += ",\"msg\":";
    AppendJsonString(line, msg);
    for (const auto& scope : t_scopes) {
        for (const auto& f : scope) AppendField(line, f);
    }
    for (const auto& f : fields) AppendField(line, f);
    line += "}\n";
    std::scoped_lock lock(g_mutex);
    // One write(2) per line so lines from several threads or processes never interleave.
    size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(std::string_view text, LogLevel* out) {
    if (text == "debug") *out = LogLevel::kDebug;
    else if (text == "info") *out = LogLevel::kInfo;
    else if (text == "warn") *out = LogLevel::kWarn;
    else if (text == "error") *out = LogLevel::kError;
    else return false;
    return true;
}

void SetLogService(std::string service) {
    std::scoped_lock lock(g_mutex);
    g_service = std::move(service);
}

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

void Log(LogLevel level, std::string_view event, std::string_view msg, std::initializer_list<LogField> fields) {
    Write(level, event, msg, fields);
}
void Log(LogLevel level, std::string_view event, std::string_view msg, const std::vector<LogField>& fields) {
    Write(level, event, msg, fields);
}

LogScope::LogScope(std::initializer_list<LogField> fields) : depth_(t_scopes.size()) { t_scopes.emplace_back(fields); }
LogScope::~LogScope() { t_scopes.resize(depth_); }
void LogScope::Add(LogField field) {
    if (depth_ < t_scopes.size()) t_scopes[depth_].push_back(std::move(field));
}

}  // namespace insightstream::core
