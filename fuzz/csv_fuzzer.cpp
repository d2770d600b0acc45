// CSV through the whole engine: sniffing, reading, inference, aggregation, payloads; and the
// fast CSV reader against the byte-by-byte reference (any difference aborts).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/engine.hpp"
#include "unit/engine/csv_reference.hpp"

namespace {

void CheckReaderAgainstReference(std::string_view input) {
    using namespace insightstream::engine;
    for (int variant = 0; variant < 4; ++variant) {
        CsvDialect d = SniffCsv(input);
        d.trailing_delimiter = (variant & 1) != 0;
        d.multiline_quotes = (variant & 2) == 0;
        auto expected = testing::ReferenceCsv(d, input, 1);
        CsvReader reader(d, input, 1);
        CsvRecord rec;
        size_t k = 0;
        while (reader.Next(&rec)) {
            if (k >= expected.size()) std::abort();
            const auto& e = expected[k++];
            if (rec.fields.size() != e.fields.size() || rec.line != e.line || rec.raw != e.raw ||
                rec.unterminated_quote != e.unterminated || rec.loose_quote != e.loose || rec.lines != e.lines) {
                std::abort();
            }
            for (size_t f = 0; f < e.fields.size(); ++f) {
                if (rec.fields[f] != e.fields[f]) std::abort();
            }
        }
        if (k != expected.size()) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace insightstream::engine;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    CheckReaderAgainstReference(input);
    EngineOptions options;
    options.format = "csv";
    options.threads = 2;
    options.block_bytes = 64;  // many blocks: boundaries everywhere
    options.sample_bytes = size / 2 + 1;
    Engine engine(options);
    // Fed in pieces of a size taken from the input, so splits land anywhere.
    size_t piece = size > 0 ? data[0] % 17 + 1 : 1;
    for (size_t i = 0; i < size; i += piece) {
        if (!engine.Feed(input.substr(i, piece))) return 0;
    }
    auto result = engine.Finish();
    if (result) {
        (void)SummaryJson(*result);
        for (const auto& t : result->time_series) (void)TimeSeriesJson(*result, t);
        for (const auto& g : result->groups) (void)GroupsJson(*result, g);
        for (const auto& b : result->breakdowns) (void)BreakdownJson(*result, b);
        (void)IssuesNdjson(*result);
    }
    return 0;
}
