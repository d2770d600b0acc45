#include "core/memory.hpp"

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime (its allocator_interface.h is not installed with every compiler).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#elif defined(__GLIBC__)
#include <malloc.h>
#endif

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace insightstream::core {

PageBuffer::PageBuffer(size_t capacity) : capacity_(capacity) {
    if (capacity == 0) return;
    void* p = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
}

PageBuffer::~PageBuffer() {
    if (data_) munmap(data_, capacity_);
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
    if (this != &other) {
        if (data_) munmap(data_, capacity_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
}

size_t PageBuffer::Append(const char* data, size_t n) {
    size_t take = std::min(n, capacity_ - size_);
    if (take > 0) std::memcpy(data_ + size_, data, take);
    size_ += take;
    return take;
}

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
