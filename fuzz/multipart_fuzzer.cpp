// The streaming multipart reader, fed in pieces.
#include <cstdint>
#include <string_view>

#include "http/multipart.hpp"

namespace {
struct Sink final : insightstream::http::MultipartSink {
    insightstream::core::Result<void> OnPartBegin(const insightstream::http::MultipartPart&) override { return {}; }
    insightstream::core::Result<void> OnPartData(std::string_view) override { return {}; }
    insightstream::core::Result<void> OnPartEnd() override { return {}; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view s(reinterpret_cast<const char*>(data), size);
    insightstream::http::MultipartReader reader("XyZ");
    Sink sink;
    size_t piece = size > 0 ? data[0] % 13 + 1 : 1;
    for (size_t i = 0; i < size; i += piece) {
        if (!reader.Feed(s.substr(i, piece), sink)) return 0;
    }
    (void)reader.Finish();
    (void)insightstream::http::MultipartReader::BoundaryFrom(s);
    return 0;
}
