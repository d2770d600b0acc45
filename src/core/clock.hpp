// Time, injected so tests control it. Times are milliseconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace insightstream::core {

class Clock {
public:
    virtual ~Clock() = default;
    [[nodiscard]] virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
public:
    [[nodiscard]] int64_t NowMs() const override;
};

/// RFC 3339 UTC with milliseconds: "2026-11-25T00:42:20.123Z".
std::string FormatRfc3339(int64_t epoch_ms);
/// Monotonic milliseconds, for durations and deadlines.
int64_t MonotonicMs();

}  // namespace insightstream::core
