// The Parquet reader on arbitrary bytes (a snapshot object is read back by analytics): the footer,
// then every column of every row group it accepts. It must refuse or decode, never crash, hang
// or read out of bounds. The seed corpus holds snapshots the writer made.
#include <cstdint>
#include <string>

#include "parquet/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace insightstream::parquet;
    MemoryFile file(std::string(reinterpret_cast<const char*>(data), size));
    auto reader = FileReader::Open(file);
    if (!reader) return 0;
    const FileMeta& meta = reader->meta();
    // Bounded work per input: a footer may claim millions of rows it does not hold.
    for (size_t g = 0; g < meta.row_groups.size() && g < 64; ++g) {
        if (meta.row_groups[g].num_rows > (1 << 20)) continue;
        for (size_t c = 0; c < meta.columns.size() && c < 64; ++c) {
            (void)reader->ReadColumn(g, c);
        }
    }
    return 0;
}
