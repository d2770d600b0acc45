// Mergeable summaries with bounded memory: distinct counts (exact up to 4096 values, then
// HyperLogLog with 2^14 registers, ±0.8 % standard error, estimated with Ertl's method) and quantiles (a log-linear
// histogram: 64 buckets per power of two, so a reported quantile is within 0.8 % of a value of
// the right rank). Merging is exact and order-independent, so results do not depend on how the
// input was split between threads.
#pragma once

#include <array>
#include <bit>
#include <cstring>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace insightstream::engine {

class DistinctCounter {
public:
    static constexpr size_t kExactLimit = 4096;
    static constexpr int kPrecision = 14;

    [[gnu::always_inline]] void Add(uint64_t hash) {
        if (!registers_.empty()) [[likely]] {
            AddToHll(Avalanche(hash));
            return;
        }
        AddToSet(hash);
        if (set_count_ > kExactLimit) ToHll();
    }
    void Merge(const DistinctCounter& other);
    /// Ertl's improved estimator (2017): unbiased from small to large counts without the
    /// empirical bias tables of HyperLogLog++.
    [[nodiscard]] uint64_t Estimate() const;
    [[nodiscard]] bool exact() const { return registers_.empty(); }
    template <class Ar>
    friend void Io(Ar& ar, DistinctCounter& d);  // engine/partial_io.cpp

private:
    // The callers' hashes are fast, not always well mixed (sequential integers): the registers
    // get a full avalanche step first, so their index and rank are uniform (Murmur3's
    // finalizer). The exact set keeps the raw hashes: close values stay close in it, which the
    // cache likes, and a set needs no more than distinct keys.
    static uint64_t Avalanche(uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        return h;
    }
    void ToHll();
    void AddToSet(uint64_t hash);
    void AddToHll(uint64_t hash) {
        size_t idx = hash >> (64 - kPrecision);
        uint64_t rest = (hash << kPrecision) | (uint64_t{1} << (kPrecision - 1));
        auto rank = static_cast<uint8_t>(std::countl_zero(rest) + 1);
        if (rank > registers_[idx]) registers_[idx] = rank;
    }
    std::vector<uint64_t> set_;      // open addressing; 0 marks an empty slot
    size_t set_count_ = 0;
    bool has_zero_ = false;          // the hash 0 itself
    std::vector<uint8_t> registers_;  // non-empty once switched to HyperLogLog
};

/// The heaviest keys of a stream by weight, in bounded memory (Space-Saving, Metwally et al.
/// 2005): a key whose weight is more than (total weight / capacity) is always kept, with an
/// estimate at most `error` too high. Used for the groups beyond a dimension's exact cap, to
/// find the ones a second pass must count exactly. Mergeable (the merge keeps the guarantee with
/// the two errors added).
class HeavyHitters {
public:
    explicit HeavyHitters(size_t capacity = 256) : capacity_(capacity) {}
    void Add(std::string_view key, double weight);
    void Merge(const HeavyHitters& other);
    struct Entry {
        std::string key;
        double weight = 0;  // an upper bound of the key's weight
        double error = 0;   // weight - error is a lower bound
    };
    /// The n heaviest, heaviest first.
    [[nodiscard]] std::vector<Entry> Top(size_t n) const;
    template <class Ar>
    friend void Io(Ar& ar, HeavyHitters& h);  // engine/partial_io.cpp

private:
    void SiftUp(size_t i);
    void SiftDown(size_t i);
    void Swap(size_t a, size_t b);
    size_t capacity_;
    std::vector<Entry> heap_;  // a min-heap by weight
    std::unordered_map<std::string, size_t> index_;  // key → position in heap_
};

class QuantileSketch {
public:
    void Add(double v) {
        ++count_;
        uint64_t bits;
        std::memcpy(&bits, &v, 8);
        const auto exp = static_cast<size_t>((bits >> 52) & 0x7FF);
        if (v == 0 || exp == 0x7FF) {  // zero, or not finite
            ++zeros_;
            return;
        }
        const auto sign = static_cast<size_t>(bits >> 63);
        const auto sub = static_cast<size_t>((bits >> (52 - kSubBits)) & ((1 << kSubBits) - 1));
        Side& side = sides_[sign];
        size_t rel = exp - side.base;  // wraps for an exponent below the window
        if (rel >= side.index.size() || side.index[rel] == 0) [[unlikely]] rel = Allocate(sign, exp);
        ++blocks_[side.index[rel] - 1][sub];
    }
    void Merge(const QuantileSketch& other);
    /// The value at quantile q in [0, 1] (bucket midpoint); NaN when empty.
    [[nodiscard]] double Quantile(double q) const;
    [[nodiscard]] uint64_t count() const { return count_; }
    template <class Ar>
    friend void Io(Ar& ar, QuantileSketch& q);  // engine/partial_io.cpp

private:
    static constexpr int kSubBits = 6;
    using Block = std::array<uint64_t, 1 << kSubBits>;
    // Per sign, the exponents seen so far as a window [base, base + index.size()): index holds a
    // block number + 1, or 0 for an exponent without one. A column's values span a few dozen
    // binary exponents, so a sketch is a few kilobytes, not the 2048 pointers of a full table
    // (which, per column and thread, took a file of 16 384 columns to gigabytes).
    struct Side {
        size_t base = 0;
        std::vector<uint32_t> index;
    };
    /// Makes a block for (sign, exp); returns exp's position in the side's window.
    size_t Allocate(size_t sign, size_t exp);
    [[nodiscard]] const Block* Find(size_t sign, size_t exp) const;
    Side sides_[2];
    std::vector<Block> blocks_;
    uint64_t zeros_ = 0;
    uint64_t count_ = 0;
};

}  // namespace insightstream::engine
