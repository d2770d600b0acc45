#include "parquet/rle.hpp"

#include <algorithm>

namespace insightstream::parquet {

namespace {

void Uleb(uint64_t v, std::string* out) {
    while (v >= 0x80) {
        out->push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out->push_back(static_cast<char>(v));
}

bool ReadUleb(std::string_view in, size_t* pos, uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= in.size()) return false;
        auto b = static_cast<uint8_t>(in[(*pos)++]);
        *v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return true;
    }
    return false;
}

// Bit-packs values[0, count) (count a multiple of 8; the caller pads) at `width` bits.
void PackGroups(const uint32_t* values, size_t count, int width, std::string* out) {
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < count; ++i) {
        acc |= static_cast<uint64_t>(values[i]) << bits;
        bits += width;
        while (bits >= 8) {
            out->push_back(static_cast<char>(acc & 0xFF));
            acc >>= 8;
            bits -= 8;
        }
    }
    if (bits > 0) out->push_back(static_cast<char>(acc & 0xFF));
}

}  // namespace

int BitWidth(uint64_t max_value) {
    int w = 1;
    while (w < 64 && (max_value >> w) != 0) ++w;
    return w;
}

void EncodeHybrid(const uint32_t* values, size_t n, int width, std::string* out) {
    const size_t value_bytes = static_cast<size_t>(width + 7) / 8;
    constexpr size_t kMaxGroups = 63;  // what common writers use; readers take any number
    size_t i = 0;
    uint32_t padded[8];
    while (i < n) {
        size_t run = 1;
        while (i + run < n && values[i + run] == values[i]) ++run;
        if (run >= 8) {
            Uleb(static_cast<uint64_t>(run) << 1, out);
            for (size_t b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>((values[i] >> (8 * b)) & 0xFF));
            i += run;
            continue;
        }
        // Bit-pack groups of 8 until a run of 8 equal values starts at a group's start.
        size_t start = i, groups = 0;
        while (i < n && groups < kMaxGroups) {
            if (groups > 0) {
                size_t r = 1;
                while (i + r < n && r < 8 && values[i + r] == values[i]) ++r;
                if (r >= 8) break;
            }
            i = std::min(n, i + 8);
            ++groups;
        }
        Uleb((static_cast<uint64_t>(groups) << 1) | 1, out);
        size_t full = (i - start) / 8 * 8;
        PackGroups(values + start, full, width, out);
        if (full < i - start) {
            std::fill(std::begin(padded), std::end(padded), 0);
            std::copy(values + start + full, values + i, padded);
            PackGroups(padded, 8, width, out);
        }
    }
}

void EncodeLevels(const std::vector<uint8_t>& flags, std::string* out) {
    // Levels are mostly long runs of 1 (no nulls): encode runs directly, bit-pack the rest.
    std::vector<uint32_t> v(flags.begin(), flags.end());
    EncodeHybrid(v.data(), v.size(), 1, out);
}

bool DecodeHybrid(std::string_view in, int width, size_t n, uint32_t* out) {
    if (width < 0 || width > 32) return false;
    const size_t value_bytes = static_cast<size_t>(width + 7) / 8;
    const uint64_t mask = width == 32 ? 0xFFFFFFFFULL : ((1ULL << width) - 1);
    size_t pos = 0, done = 0;
    while (done < n) {
        uint64_t header;
        if (!ReadUleb(in, &pos, &header)) return false;
        if ((header & 1) == 0) {
            uint64_t run = header >> 1;
            if (run == 0 || in.size() - pos < value_bytes) return false;
            uint32_t v = 0;
            for (size_t b = 0; b < value_bytes; ++b) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[pos + b])) << (8 * b);
            pos += value_bytes;
            if (v > mask) return false;  // wider than the bit width allows
            size_t take = static_cast<size_t>(std::min<uint64_t>(run, n - done));
            std::fill(out + done, out + done + take, v);
            done += take;
        } else {
            uint64_t groups = header >> 1;
            if (groups == 0 || groups > (in.size() - pos)) return false;  // each group takes `width` >= 1 bytes
            size_t count = static_cast<size_t>(groups) * 8;
            size_t bytes = count * static_cast<size_t>(width) / 8;
            if (in.size() - pos < bytes) return false;
            uint64_t acc = 0;
            int bits = 0;
            size_t p = pos;
            for (size_t k = 0; k < count; ++k) {
                while (bits < width) {
                    acc |= static_cast<uint64_t>(static_cast<uint8_t>(in[p++])) << bits;
                    bits += 8;
                }
                if (done < n) out[done++] = static_cast<uint32_t>(acc & mask);
                acc >>= width;
                bits -= width;
            }
            pos += bytes;
        }
    }
    return true;
}

void PackBits(const uint8_t* values, size_t n, std::string* out) {
    for (size_t i = 0; i < n; i += 8) {
        uint8_t byte = 0;
        for (size_t b = 0; b < 8 && i + b < n; ++b) byte |= static_cast<uint8_t>((values[i + b] != 0) << b);
        out->push_back(static_cast<char>(byte));
    }
}

}  // namespace insightstream::parquet
