// Open-addressing hash maps for the hot aggregation loops: integer keys → slot, and byte-string
// keys → slot with the keys kept in one arena. Slots are dense indexes into parallel arrays, so
// growing a map never moves accumulators.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/hash.hpp"

namespace insightstream::engine {

class U64SlotMap {
public:
    static constexpr uint32_t kMissing = UINT32_MAX;
    /// The slot of `key`, inserting the next free slot number if absent.
    uint32_t FindOrInsert(uint64_t key, bool* inserted) {
        if ((size_ + 1) * 2 > keys_.size()) Grow();
        size_t mask = keys_.size() - 1;
        for (size_t i = HashInt(key) & mask;; i = (i + 1) & mask) {
            if (slots_[i] == kMissing) {
                keys_[i] = key;
                slots_[i] = static_cast<uint32_t>(size_);
                ++size_;
                *inserted = true;
                return slots_[i];
            }
            if (keys_[i] == key) {
                *inserted = false;
                return slots_[i];
            }
        }
    }
    [[nodiscard]] size_t size() const { return size_; }

private:
    void Grow() {
        std::vector<uint64_t> old_keys;
        std::vector<uint32_t> old_slots;
        old_keys.swap(keys_);
        old_slots.swap(slots_);
        size_t cap = old_keys.empty() ? 64 : old_keys.size() * 2;
        keys_.assign(cap, 0);
        slots_.assign(cap, kMissing);
        size_t mask = cap - 1;
        for (size_t j = 0; j < old_keys.size(); ++j) {
            if (old_slots[j] == kMissing) continue;
            size_t i = HashInt(old_keys[j]) & mask;
            while (slots_[i] != kMissing) i = (i + 1) & mask;
            keys_[i] = old_keys[j];
            slots_[i] = old_slots[j];
        }
    }
    std::vector<uint64_t> keys_;
    std::vector<uint32_t> slots_;
    size_t size_ = 0;
};

/// Equality of a[0, n) and b[0, n) for sizeof(Word) <= n <= 2 * sizeof(Word): the first and
/// the last Word of each, overlapping.
template <class Word>
inline bool SameEnds(const char* a, const char* b, size_t n) {
    Word x0, y0, x1, y1;
    std::memcpy(&x0, a, sizeof(Word));
    std::memcpy(&y0, b, sizeof(Word));
    std::memcpy(&x1, a + n - sizeof(Word), sizeof(Word));
    std::memcpy(&y1, b + n - sizeof(Word), sizeof(Word));
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

/// Equality of two byte strings of the same length n, without a call for the short keys
/// grouping sees most (names, codes).
inline bool SameBytes(const char* a, const char* b, size_t n) {
    if (n > 32) return std::memcmp(a, b, n) == 0;
    if (n > 16) return SameEnds<uint64_t>(a, b, 16) && SameEnds<uint64_t>(a + n - 16, b + n - 16, 16);
    if (n >= 8) return SameEnds<uint64_t>(a, b, n);
    if (n >= 4) return SameEnds<uint32_t>(a, b, n);
    for (size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return false;
    }
    return true;
}

class StringSlotMap {
public:
    static constexpr uint32_t kMissing = UINT32_MAX;
    /// The slot of `key`; inserts it unless the map already holds `limit` keys (then kMissing).
    uint32_t FindOrInsert(std::string_view key, size_t limit) {
        uint64_t h = HashBytes(key);
        if ((count() + 1) * 2 > table_.size()) Grow();
        const size_t mask = table_.size() - 1;
        const auto h32 = static_cast<uint32_t>(h >> 32);
        const auto len = static_cast<uint32_t>(key.size());
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            Entry& e = table_[i];
            if (e.slot == kMissing) {
                if (count() >= limit) return kMissing;
                e.hash = h32;
                e.slot = static_cast<uint32_t>(offsets_.size());
                e.offset = static_cast<uint32_t>(arena_.size());
                e.length = len;
                offsets_.push_back(e.offset);
                lengths_.push_back(len);
                arena_.append(key);
                return e.slot;
            }
            // Everything the comparison needs is in the entry: no lookups in the slot arrays.
            if (e.hash == h32 && e.length == len && SameBytes(arena_.data() + e.offset, key.data(), len)) return e.slot;
        }
    }
    [[nodiscard]] std::string_view Key(uint32_t slot) const {
        return std::string_view(arena_).substr(offsets_[slot], lengths_[slot]);
    }
    [[nodiscard]] size_t count() const { return offsets_.size(); }

private:
    struct Entry {
        uint32_t hash = 0;   // the high half of the key's hash (the low half picks the bucket)
        uint32_t slot = kMissing;
        uint32_t offset = 0;
        uint32_t length = 0;
    };
    void Grow() {
        std::vector<Entry> old;
        old.swap(table_);
        size_t cap = old.empty() ? 64 : old.size() * 2;
        table_.assign(cap, Entry{});
        size_t mask = cap - 1;
        for (const Entry& e : old) {
            if (e.slot == kMissing) continue;
            size_t i = HashBytes(Key(e.slot)) & mask;
            while (table_[i].slot != kMissing) i = (i + 1) & mask;
            table_[i] = e;
        }
    }
    std::vector<Entry> table_;
    std::vector<uint32_t> offsets_;
    std::vector<uint32_t> lengths_;
    std::string arena_;
};

}  // namespace insightstream::engine
