#include "core/memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (its allocator_interface.h is not installed with every compiler).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

namespace insightstream::core {

void ReleaseFreeMemory() {
#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
    malloc_trim(0);
#endif
}

size_t HeapBytesInUse() {
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer's allocator replaces glibc's (whose statistics would then read zero).
    return __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__)
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

}  // namespace insightstream::core
