// JSON input: NDJSON (one object per line) and a JSON array of objects, which is rewritten on
// the fly into NDJSON (one element per line) so both share one record path and nothing needs
// the whole file in memory. Objects are flattened to dotted column names ("address.city");
// arrays, and objects nested deeper than kMaxDepth, are kept as JSON text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace insightstream::engine {

/// Streams a JSON array's elements out as lines. Newlines outside strings become spaces.
class JsonArraySplitter {
public:
    /// Appends the complete elements found in `data` to `out`, one per line. Errors (not an
    /// array, text after it) return false with `error` set.
    bool Feed(std::string_view data, std::string* out, std::string* error);
    /// False if the array was not closed.
    bool Finish(std::string* out, std::string* error);

private:
    enum class State { kBefore, kInArray, kAfter };
    State state_ = State::kBefore;
    int depth_ = 0;
    bool in_string_ = false;
    bool escape_ = false;
    std::string element_;
};

/// Flattens one JSON record into column values.
class JsonFlattener {
public:
    static constexpr int kMaxDepth = 16;
    JsonFlattener();
    ~JsonFlattener();
    JsonFlattener(const JsonFlattener&) = delete;
    JsonFlattener& operator=(const JsonFlattener&) = delete;

    enum class Kind { kNull, kString, kNumber, kBool, kJson };
    using Visitor = std::function<void(std::string_view path, std::string_view value, Kind kind)>;

    /// Parses `line` (readable for `capacity` bytes from its start, which must be at least its
    /// size plus simdjson's padding). false with `error` set if it is not a JSON object.
    bool Parse(std::string_view line, size_t capacity, const Visitor& visit, std::string* error);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The padding simdjson needs after any parsed text.
size_t JsonPadding();

}  // namespace insightstream::engine
