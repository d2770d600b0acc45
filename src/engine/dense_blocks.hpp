// A dense array of fixed-size blocks indexed by an integer key (a day, a month), growing on
// either side as keys arrive. One cache line or two per update instead of a hash probe plus
// scattered arrays: the aggregation's hottest path. Bounded: a key that would stretch the range
// beyond `max_span` is refused (the caller falls back to a hash map).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace insightstream::engine {

template <class Block>
class DenseBlocks {
public:
    explicit DenseBlocks(size_t block_len = 1) : len_(block_len) {}

    Block* At(int64_t key, int64_t max_span) {
        if (key >= base_ && key < base_ + count_) [[likely]] {
            return &data_[static_cast<size_t>(key - base_) * len_];
        }
        return Grow(key, max_span);
    }

    /// The block of `key`, or nullptr if it lies outside the range.
    [[nodiscard]] const Block* Find(int64_t key) const {
        if (data_.empty() || key < base_ || key >= base_ + count_) return nullptr;
        return &data_[static_cast<size_t>(key - base_) * len_];
    }

    /// Calls f(key, block) for every key in the range, in key order.
    template <class F>
    void ForEach(F&& f) {
        for (int64_t i = 0; i < count_; ++i) f(base_ + i, &data_[static_cast<size_t>(i) * len_]);
    }
    [[nodiscard]] size_t block_len() const { return len_; }
    template <class Ar, class B>
    friend void Io(Ar& ar, DenseBlocks<B>& d);  // engine/partial_io.cpp

private:
    // Makes room for `key` (nullptr if that would span more than max_span keys).
    [[gnu::noinline]] Block* Grow(int64_t key, int64_t max_span) {
        if (data_.empty()) {
            base_ = key - kSlack;
            count_ = 2 * kSlack + 1;
            data_.assign(static_cast<size_t>(count_) * len_, Block{});
        } else {
            // Grows towards the key by at least half the current span, so a range that keeps
            // extending (dates in order) is copied a logarithmic number of times.
            int64_t step = std::max<int64_t>(kSlack, count_ / 2);
            int64_t lo = std::min(base_, key - step);
            int64_t hi = std::max(base_ + count_, key + step + 1);
            if (hi - lo > max_span) {
                lo = std::min(base_, key);
                hi = std::max(base_ + count_, key + 1);
                if (hi - lo > max_span) return nullptr;
            }
            std::vector<Block> grown(static_cast<size_t>(hi - lo) * len_, Block{});
            std::copy(data_.begin(), data_.end(), grown.begin() + static_cast<std::ptrdiff_t>((base_ - lo) * static_cast<int64_t>(len_)));
            data_.swap(grown);
            base_ = lo;
            count_ = hi - lo;
        }
        return &data_[static_cast<size_t>(key - base_) * len_];
    }

    // Room left on either side of the first key: small, as the group × month tables are many.
    static constexpr int64_t kSlack = 4;
    size_t len_;
    int64_t base_ = 0;
    int64_t count_ = 0;
    std::vector<Block> data_;
};

}  // namespace insightstream::engine
