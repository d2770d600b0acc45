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
    size_t n = s.size();
    uint64_t h = seed ^ (n * kP0);
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = Mix(h ^ w, kP1);
        p += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = Mix(h ^ w ^ (uint64_t{n} << 56), kP0);
    }
    return Mix(h, kP1 ^ 0x589965cc75374cc3ULL);
}

inline uint64_t HashInt(uint64_t v) { return Mix(v ^ 0x9E3779B97F4A7C15ULL, 0xe7037ed1a0b428dbULL); }

}  // namespace insightstream::engine
