#include "core/memory.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace insightstream::core {

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

size_t HeapBytesInUse() {
#if defined(__GLIBC__)
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return 0;
#endif
}

}  // namespace insightstream::core
