// Byte scanning for the CSV hot paths: the first of two characters, 16 bytes at a time
// with SSE2 (part of every x86-64), scalar elsewhere.
#pragma once

#include <cstddef>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace insightstream::engine {

/// Index of the first byte in p[from, n) equal to a or b, or n.
inline size_t FindAny2(const char* p, size_t from, size_t n, char a, char b) {
    size_t i = from;
#if defined(__SSE2__)
    const __m128i va = _mm_set1_epi8(a);
    const __m128i vb = _mm_set1_epi8(b);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
        if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
#endif
    for (; i < n; ++i) {
        if (p[i] == a || p[i] == b) return i;
    }
    return n;
}

}  // namespace insightstream::engine
