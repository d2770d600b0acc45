// A streaming multipart/form-data reader (RFC 7578): fed the body in arbitrary pieces, it hands
// each part's bytes to a sink as they arrive, keeping at most one delimiter's length back, so a
// multi-gigabyte file field never sits in memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace insightstream::http {

struct MultipartPart {
    std::string name;          // the form field name
    std::string filename;      // empty unless a file
    std::string content_type;  // lower-cased media type, may be empty
};

class MultipartSink {
public:
    virtual ~MultipartSink() = default;
    virtual core::Result<void> OnPartBegin(const MultipartPart& part) = 0;
    virtual core::Result<void> OnPartData(std::string_view data) = 0;
    virtual core::Result<void> OnPartEnd() = 0;
};

class MultipartReader {
public:
    /// The boundary parameter of a multipart/form-data Content-Type header.
    static core::Result<std::string> BoundaryFrom(std::string_view content_type);

    explicit MultipartReader(std::string boundary);
    core::Result<void> Feed(std::string_view data, MultipartSink& sink);
    /// Fails unless the closing boundary was seen.
    core::Result<void> Finish();

private:
    enum class State { kPreamble, kAfterBoundary, kHeaders, kBody, kDone };
    core::Result<void> ParseHeaders(std::string_view head, MultipartSink& sink);

    std::string dash_boundary_;  // "--" + boundary
    std::string delimiter_;      // "\r\n--" + boundary
    std::string pending_;
    State state_ = State::kPreamble;
    int parts_ = 0;
};

}  // namespace insightstream::http
