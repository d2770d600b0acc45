// A growable array in fixed chunks: appending never moves or copies what is there, and the
// memory is what the elements need plus at most one chunk. For the group tables, which may hold
// a million groups: a std::vector would double (and for a moment hold both copies).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace insightstream::engine {

template <class T, size_t kChunkBits = 12>
class ChunkedVector {
public:
    static constexpr size_t kChunk = size_t{1} << kChunkBits;

    [[nodiscard]] size_t size() const { return size_; }
    [[nodiscard]] bool empty() const { return size_ == 0; }
    // The first chunk is reached without the chunk table: most tables (a few hundred groups)
    // never need a second one.
    T& operator[](size_t i) { return i < kChunk ? first_[i] : chunks_[i >> kChunkBits][i & (kChunk - 1)]; }
    const T& operator[](size_t i) const { return i < kChunk ? first_[i] : chunks_[i >> kChunkBits][i & (kChunk - 1)]; }

    /// Elements [i, i + n) as one array, or null when they straddle two chunks.
    T* Span(size_t i, size_t n) {
        if ((i & (kChunk - 1)) + n > kChunk) return nullptr;
        return i < kChunk ? first_ + i : chunks_[i >> kChunkBits].get() + (i & (kChunk - 1));
    }

    void push_back(const T& v) {
        if (size_ == chunks_.size() * kChunk) AddChunk();
        (*this)[size_++] = v;
    }
    /// Grows to n elements (new ones value-initialized); never shrinks.
    void resize(size_t n) {
        while (chunks_.size() * kChunk < n) AddChunk();
        size_ = n > size_ ? n : size_;
    }

private:
    void AddChunk() {
        chunks_.push_back(std::make_unique<T[]>(kChunk));
        first_ = chunks_.front().get();
    }
    std::vector<std::unique_ptr<T[]>> chunks_;
    T* first_ = nullptr;
    size_t size_ = 0;
};

}  // namespace insightstream::engine
