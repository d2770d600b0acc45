#include "core/ids.hpp"

#include "core/crypto.hpp"

namespace insightstream::core {

bool IsValidId(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::string RandomIdSource::NewId(std::string_view prefix) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    unsigned char bytes[17];
    RandomBytes(bytes, sizeof bytes);
    std::string id(prefix);
    // 26 characters x 5 bits = 130 bits drawn from 136 random bits.
    unsigned acc = 0;
    int bits = 0;
    size_t i = 0;
    while (id.size() < prefix.size() + 26) {
        if (bits < 5) {
            acc = (acc << 8) | bytes[i++];
            bits += 8;
        }
        id += kAlphabet[(acc >> (bits - 5)) & 31U];
        bits -= 5;
    }
    return id;
}

}  // namespace insightstream::core
