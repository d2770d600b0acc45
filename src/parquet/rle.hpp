// Parquet's RLE / bit-packing hybrid encoding (definition levels, dictionary indices) and
// little-endian bit packing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace insightstream::parquet {

/// Bits needed for values up to max_value (at least 1).
int BitWidth(uint64_t max_value);
/// Appends values[0, n) in the hybrid encoding at `width` bits: runs of 8 or more equal values as
/// RLE runs, the rest bit-packed in groups of 8.
void EncodeHybrid(const uint32_t* values, size_t n, int width, std::string* out);
/// Appends `flags` as the hybrid encoding of 1-bit levels.
void EncodeLevels(const std::vector<uint8_t>& flags, std::string* out);
/// Decodes `n` values at `width` bits (width <= 32); false if the input ends early or is malformed.
bool DecodeHybrid(std::string_view in, int width, size_t n, uint32_t* out);
/// Booleans bit-packed, least significant bit first.
void PackBits(const uint8_t* values, size_t n, std::string* out);

}  // namespace insightstream::parquet
