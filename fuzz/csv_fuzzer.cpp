// CSV through the whole engine: sniffing, reading, inference, aggregation, payloads; and the
// fast CSV reader against the byte-by-byte reference (any difference aborts).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/engine.hpp"
#include "run_engine.hpp"
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
    std::string_view input(reinterpret_cast<const char*>(data), size);
    CheckReaderAgainstReference(input);
    insightstream::fuzz::RunEngine(input, "csv");
    return 0;
}
