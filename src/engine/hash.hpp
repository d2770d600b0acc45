// A fast 64-bit hash for grouping keys and distinct counts (not for security). Eight bytes at a
// time with a 128-bit multiply mix, in the style of wyhash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace insightstream::engine {

inline uint64_t Mix(uint64_t a, uint64_t b) {
    unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint64_t HashBytes(std::string_view s, uint64_t seed = 0x9E3779B97F4A7C15ULL) {
    constexpr uint64_t kP0 = 0xa0761d6478bd642fULL;
    constexpr uint64_t kP1 = 0xe7037ed1a0b428dbULL;
    const char* p = s.data();
    const size_t len = s.size();
    size_t n = len;
    uint64_t h = seed ^ (len * kP0);
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = Mix(h ^ w, kP1);
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        // The tail without a byte loop (which would stall on store forwarding): the last eight
        // bytes of the key, overlapping what was hashed, or for short keys two overlapping
        // 4-byte reads or three single bytes, as wyhash does.
        uint64_t w;
        if (len >= 8) {
            std::memcpy(&w, s.data() + len - 8, 8);
        } else if (n >= 4) {
            uint32_t a, b;
            std::memcpy(&a, p, 4);
            std::memcpy(&b, p + n - 4, 4);
            w = (uint64_t{a} << 32) | b;
        } else {
            w = (uint64_t{static_cast<uint8_t>(p[0])} << 16) | (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) |
                static_cast<uint8_t>(p[n - 1]);
        }
        h = Mix(h ^ w ^ (uint64_t{n} << 56), kP0);
    }
    return Mix(h, kP1 ^ 0x589965cc75374cc3ULL);
}

inline uint64_t HashInt(uint64_t v) { return Mix(v ^ 0x9E3779B97F4A7C15ULL, 0xe7037ed1a0b428dbULL); }

}  // namespace insightstream::engine
