// The group-key map: every key of every length finds its own slot, keys that differ in a single
// byte (at the start, the middle or the end, where the overlapping word compares meet) are
// kept apart, and the cap is honoured.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/flat_map.hpp"

namespace insightstream::engine {
namespace {

TEST(StringSlotMap, KeysOfEveryLengthDifferingInOneByteAreDistinct) {
    StringSlotMap map;
    std::vector<std::string> keys;
    for (size_t len = 0; len <= 40; ++len) {
        std::string base(len, 'k');
        keys.push_back(base);
        for (size_t pos = 0; pos < len; ++pos) {
            std::string k = base;
            k[pos] = 'K';
            keys.push_back(k);
        }
    }
    for (size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(map.FindOrInsert(keys[i], 1'000'000), i) << "new key " << keys[i];
    }
    EXPECT_EQ(map.count(), keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
        EXPECT_EQ(map.FindOrInsert(keys[i], 1'000'000), i) << "known key " << keys[i];
        EXPECT_EQ(map.Key(static_cast<uint32_t>(i)), keys[i]);
    }
}

TEST(StringSlotMap, TheCapRefusesNewKeysButFindsKnownOnes) {
    StringSlotMap map;
    EXPECT_EQ(map.FindOrInsert("a", 2), 0U);
    EXPECT_EQ(map.FindOrInsert("b", 2), 1U);
    EXPECT_EQ(map.FindOrInsert("c", 2), StringSlotMap::kMissing);
    EXPECT_EQ(map.FindOrInsert("a", 2), 0U);
    EXPECT_EQ(map.count(), 2U);
}

TEST(SameBytes, AgreesWithMemcmpAroundTheWordBoundaries) {
    for (size_t n = 0; n <= 48; ++n) {
        std::string a(n, 'x');
        EXPECT_TRUE(SameBytes(a.data(), a.data(), n));
        for (size_t pos = 0; pos < n; ++pos) {
            std::string b = a;
            b[pos] = 'y';
            EXPECT_FALSE(SameBytes(a.data(), b.data(), n)) << "length " << n << ", byte " << pos;
        }
    }
}

}  // namespace
}  // namespace insightstream::engine
