// Bytes set aside for the rest of a block: a record's unescaped CSV fields, a JSON record's
// unescaped strings. The engine analyses a block's rows in batches (Partial::FlushRows), after
// the reader has gone on to later records, so what a row's fields point to must outlive the
// record: here it stays put (chunks are never moved or reused) until the arena goes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace insightstream::engine {

class TextArena {
public:
    /// Room for up to `n` bytes, valid until the next Begin or Copy.
    char* Begin(size_t n) {
        if (chunks_.empty() || chunks_.back().size - used_ < n) {
            const size_t size = std::max<size_t>(n, kChunk);
            chunks_.push_back(Chunk{std::make_unique_for_overwrite<char[]>(size), size});
            used_ = 0;
        }
        return chunks_.back().bytes.get() + used_;
    }
    /// Keeps the first `n` bytes written at `begin` (from the last Begin).
    std::string_view End(const char* begin, size_t n) {
        used_ += n;
        return {begin, n};
    }
    std::string_view Copy(std::string_view s) {
        char* p = Begin(s.size());
        std::copy(s.begin(), s.end(), p);
        return End(p, s.size());
    }
    /// Nothing set aside is needed any more: the first chunk is written again, the others go.
    void Clear() {
        if (chunks_.size() > 1) chunks_.resize(1);
        used_ = 0;
    }

private:
    static constexpr size_t kChunk = 64 << 10;
    struct Chunk {
        std::unique_ptr<char[]> bytes;
        size_t size = 0;
    };
    std::vector<Chunk> chunks_;
    size_t used_ = 0;  // of the last chunk
};

}  // namespace insightstream::engine
