// The process's heap: giving freed memory back to the system. glibc keeps freed blocks in its
// per-thread arenas; after a large job (a million groups, built on worker threads and freed on
// another) that memory would stay resident until some later allocation reuses it.
#pragma once

#include <cstddef>
#include <string_view>

namespace insightstream::core {

/// A fixed-capacity byte buffer on pages of its own (mmap), given back to the system when it is
/// destroyed: large transfer buffers (S3 parts and read windows) filled on many threads would
/// otherwise scatter over malloc arenas and leave a high-water mark behind each upload.
class PageBuffer {
public:
    PageBuffer() = default;
    explicit PageBuffer(size_t capacity);
    ~PageBuffer();
    PageBuffer(PageBuffer&& other) noexcept;
    PageBuffer& operator=(PageBuffer&& other) noexcept;
    PageBuffer(const PageBuffer&) = delete;
    PageBuffer& operator=(const PageBuffer&) = delete;

    /// Appends up to the capacity; returns how many bytes fit.
    size_t Append(const char* data, size_t n);
    void Clear() { size_ = 0; }
    [[nodiscard]] const char* data() const { return data_; }
    [[nodiscard]] size_t size() const { return size_; }
    [[nodiscard]] size_t capacity() const { return capacity_; }
    [[nodiscard]] bool full() const { return size_ == capacity_; }
    [[nodiscard]] std::string_view view() const { return {data_, size_}; }

private:
    char* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

/// Returns free heap pages of every arena to the system (glibc's malloc_trim); a no-op elsewhere.
void ReleaseFreeMemory();

/// Bytes the allocator has handed out and not had back (all threads), or 0 where unknown.
size_t HeapBytesInUse();

}  // namespace insightstream::core
