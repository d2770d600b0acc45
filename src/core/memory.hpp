// The process's heap: giving freed memory back to the system. glibc keeps freed blocks in its
// per-thread arenas; after a large job (a million groups, built on worker threads and freed on
// another) that memory would stay resident until some later allocation reuses it.
#pragma once

#include <cstddef>

namespace insightstream::core {

/// Returns free heap pages of every arena to the system (glibc's malloc_trim); a no-op elsewhere.
void ReleaseFreeMemory();

/// Bytes the allocator has handed out and not had back (all threads), or 0 where unknown.
size_t HeapBytesInUse();

}  // namespace insightstream::core
