#include "engine/sketches.hpp"

#include <array>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace insightstream::engine {

void DistinctCounter::AddToSet(uint64_t hash) {
    if (hash == 0) {
        if (!has_zero_) {
            has_zero_ = true;
            ++set_count_;
        }
        return;
    }
    if (set_.empty()) set_.assign(64, 0);
    if ((set_count_ + 1) * 2 > set_.size()) {
        std::vector<uint64_t> old;
        old.swap(set_);
        set_.assign(old.size() * 2, 0);
        size_t count = set_count_;
        set_count_ = has_zero_ ? 1 : 0;
        for (uint64_t h : old) {
            if (h != 0) AddToSet(h);
        }
        (void)count;
    }
    size_t mask = set_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (set_[i] == hash) return;
        if (set_[i] == 0) {
            set_[i] = hash;
            ++set_count_;
            return;
        }
    }
}

void DistinctCounter::ToHll() {
    registers_.assign(size_t{1} << kPrecision, 0);
    for (uint64_t h : set_) {
        if (h != 0) AddToHll(Avalanche(h));
    }
    if (has_zero_) AddToHll(Avalanche(0));
    set_.clear();
    set_.shrink_to_fit();
    set_count_ = 0;
    has_zero_ = false;
}

void DistinctCounter::Merge(const DistinctCounter& other) {
    if (other.registers_.empty()) {
        for (uint64_t h : other.set_) {
            if (h != 0) Add(h);
        }
        if (other.has_zero_) Add(0);
        return;
    }
    if (registers_.empty()) ToHll();
    for (size_t i = 0; i < registers_.size(); ++i) {
        if (other.registers_[i] > registers_[i]) registers_[i] = other.registers_[i];
    }
}

namespace {

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284.
double Sigma(double x) {
    if (x == 1.0) return std::numeric_limits<double>::infinity();
    double y = 1.0, z = x, previous;
    do {
        x *= x;
        previous = z;
        z += x * y;
        y += y;
    } while (z != previous);
    return z;
}

double Tau(double x) {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, previous;
    do {
        x = std::sqrt(x);
        previous = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != previous);
    return z / 3.0;
}

}  // namespace

uint64_t DistinctCounter::Estimate() const {
    if (registers_.empty()) return set_count_;
    constexpr int q = 64 - kPrecision;  // register values are 0..q+1
    const double m = static_cast<double>(registers_.size());
    std::array<double, q + 2> counts{};
    for (uint8_t r : registers_) counts[std::min<size_t>(r, q + 1)] += 1.0;
    double z = m * Tau(1.0 - counts[q + 1] / m);
    for (int k = q; k >= 1; --k) z = 0.5 * (z + counts[static_cast<size_t>(k)]);
    z += m * Sigma(counts[0] / m);
    const double alpha_inf = 1.0 / (2.0 * std::log(2.0));
    return static_cast<uint64_t>(std::llround(alpha_inf * m * m / z));
}

void HeavyHitters::Swap(size_t a, size_t b) {
    std::swap(heap_[a], heap_[b]);
    index_[heap_[a].key] = a;
    index_[heap_[b].key] = b;
}

void HeavyHitters::SiftUp(size_t i) {
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap_[parent].weight <= heap_[i].weight) return;
        Swap(i, parent);
        i = parent;
    }
}

void HeavyHitters::SiftDown(size_t i) {
    for (;;) {
        size_t smallest = i, l = 2 * i + 1, r = 2 * i + 2;
        if (l < heap_.size() && heap_[l].weight < heap_[smallest].weight) smallest = l;
        if (r < heap_.size() && heap_[r].weight < heap_[smallest].weight) smallest = r;
        if (smallest == i) return;
        Swap(i, smallest);
        i = smallest;
    }
}

void HeavyHitters::Add(std::string_view key, double weight) {
    if (weight <= 0) return;
    auto it = index_.find(std::string(key));
    if (it != index_.end()) {
        heap_[it->second].weight += weight;
        SiftDown(it->second);
        return;
    }
    if (heap_.size() < capacity_) {
        heap_.push_back(Entry{std::string(key), weight, 0});
        index_[heap_.back().key] = heap_.size() - 1;
        SiftUp(heap_.size() - 1);
        return;
    }
    // Full: the lightest key makes room; its weight is the new key's possible error.
    Entry& min = heap_[0];
    index_.erase(min.key);
    double floor = min.weight;
    min = Entry{std::string(key), floor + weight, floor};
    index_[min.key] = 0;
    SiftDown(0);
}

void HeavyHitters::Merge(const HeavyHitters& other) {
    // A key missing on one side may have had up to that side's smallest kept weight there.
    double my_floor = heap_.size() >= capacity_ && !heap_.empty() ? heap_[0].weight : 0;
    double their_floor = other.heap_.size() >= other.capacity_ && !other.heap_.empty() ? other.heap_[0].weight : 0;
    std::unordered_map<std::string, Entry> all;
    for (const auto& e : heap_) all[e.key] = Entry{e.key, e.weight + their_floor, e.error + their_floor};
    for (const auto& e : other.heap_) {
        auto [it, fresh] = all.try_emplace(e.key, Entry{e.key, e.weight + my_floor, e.error + my_floor});
        if (!fresh) {
            it->second.weight += e.weight - their_floor;
            it->second.error += e.error - their_floor;
        }
    }
    std::vector<Entry> entries;
    for (auto& [k, e] : all) entries.push_back(std::move(e));
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
    });
    if (entries.size() > capacity_) entries.resize(capacity_);
    heap_.clear();
    index_.clear();
    for (auto& e : entries) {
        heap_.push_back(std::move(e));
        index_[heap_.back().key] = heap_.size() - 1;
        SiftUp(heap_.size() - 1);
    }
}

std::vector<HeavyHitters::Entry> HeavyHitters::Top(size_t n) const {
    std::vector<Entry> out = heap_;
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
        return a.weight != b.weight ? a.weight > b.weight : a.key < b.key;
    });
    if (out.size() > n) out.resize(n);
    return out;
}

size_t QuantileSketch::Allocate(size_t sign, size_t exp) {
    Side& side = sides_[sign];
    if (side.index.empty()) {
        side.base = exp;
        side.index.assign(1, 0);
    } else if (exp < side.base) {
        side.index.insert(side.index.begin(), side.base - exp, 0);
        side.base = exp;
    } else if (exp - side.base >= side.index.size()) {
        side.index.resize(exp - side.base + 1, 0);
    }
    size_t rel = exp - side.base;
    if (side.index[rel] == 0) {
        blocks_.emplace_back(Block{});
        side.index[rel] = static_cast<uint32_t>(blocks_.size());
    }
    return rel;
}

const QuantileSketch::Block* QuantileSketch::Find(size_t sign, size_t exp) const {
    const Side& side = sides_[sign];
    size_t rel = exp - side.base;
    if (side.index.empty() || exp < side.base || rel >= side.index.size() || side.index[rel] == 0) return nullptr;
    return &blocks_[side.index[rel] - 1];
}

void QuantileSketch::Merge(const QuantileSketch& other) {
    count_ += other.count_;
    zeros_ += other.zeros_;
    for (size_t sign = 0; sign < 2; ++sign) {
        const Side& theirs = other.sides_[sign];
        for (size_t rel = 0; rel < theirs.index.size(); ++rel) {
            if (theirs.index[rel] == 0) continue;
            const size_t exp = theirs.base + rel;
            const Block& from = other.blocks_[theirs.index[rel] - 1];
            size_t mine = Allocate(sign, exp);
            Block& to = blocks_[sides_[sign].index[mine] - 1];
            for (size_t i = 0; i < from.size(); ++i) to[i] += from[i];
        }
    }
}

double QuantileSketch::Quantile(double q) const {
    if (count_ == 0) return std::numeric_limits<double>::quiet_NaN();
    auto rank = static_cast<uint64_t>(std::floor(q * static_cast<double>(count_ - 1)));
    uint64_t seen = 0;
    auto midpoint = [](size_t sign, size_t exp, size_t sub) {
        uint64_t lo = (static_cast<uint64_t>(sign) << 63) | (uint64_t{exp} << 52) | (uint64_t{sub} << (52 - kSubBits));
        uint64_t mid = lo | (uint64_t{1} << (51 - kSubBits));
        double v;
        std::memcpy(&v, &mid, 8);
        return v;
    };
    // Negative values from the most negative up, then zeros, then positives.
    const Side& neg = sides_[1];
    for (size_t rel = neg.index.size(); rel-- > 0;) {
        const Block* b = Find(1, neg.base + rel);
        if (!b) continue;
        for (size_t i = b->size(); i-- > 0;) {
            seen += (*b)[i];
            if (seen > rank) return midpoint(1, neg.base + rel, i);
        }
    }
    seen += zeros_;
    if (seen > rank) return 0.0;
    const Side& pos = sides_[0];
    for (size_t rel = 0; rel < pos.index.size(); ++rel) {
        const Block* b = Find(0, pos.base + rel);
        if (!b) continue;
        for (size_t i = 0; i < b->size(); ++i) {
            seen += (*b)[i];
            if (seen > rank) return midpoint(0, pos.base + rel, i);
        }
    }
    return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace insightstream::engine
