#include "engine/partial_io.hpp"

#include <bit>
#include <cstring>
#include <type_traits>

namespace insightstream::engine {

using core::Error;
using core::Result;

namespace {

constexpr char kMagic[4] = {'I', 'S', 'P', 'T'};
constexpr uint32_t kFormatVersion = 1;

class Writer {
public:
    static constexpr bool kReading = false;
    [[nodiscard]] bool failed() const { return false; }
    void Fail() {}
    bool Fits(uint64_t) { return true; }
    void Raw(const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
    /// A count of elements that follow (reading: checked against what is left).
    uint64_t Count(uint64_t n) {
        Raw(&n, sizeof n);
        return n;
    }
    std::string out;
};

class Reader {
public:
    static constexpr bool kReading = true;
    explicit Reader(std::string_view in) : in_(in) {}
    void Raw(void* p, size_t n) {
        if (n > in_.size() - pos_) {
            failed_ = true;
            std::memset(p, 0, n);
            pos_ = in_.size();
            return;
        }
        std::memcpy(p, in_.data() + pos_, n);
        pos_ += n;
    }
    /// Every element takes at least one byte, so a count beyond the bytes left is a broken blob
    /// (and never a huge allocation).
    uint64_t Count(uint64_t) {
        uint64_t n = 0;
        Raw(&n, sizeof n);
        if (n > in_.size() - pos_) {
            failed_ = true;
            pos_ = in_.size();
            return 0;
        }
        return n;
    }
    void Fail() {
        failed_ = true;
        pos_ = in_.size();
    }
    /// True if `bytes` more can be read (else the blob is broken).
    bool Fits(uint64_t bytes) {
        if (bytes <= in_.size() - pos_) return true;
        Fail();
        return false;
    }
    [[nodiscard]] bool failed() const { return failed_; }
    [[nodiscard]] bool at_end() const { return pos_ == in_.size(); }

private:
    std::string_view in_;
    size_t pos_ = 0;
    bool failed_ = false;
};

template <class T>
concept Plain = std::is_arithmetic_v<T> || std::is_enum_v<T> || std::is_same_v<T, int128>;

}  // namespace

// Declared before use so that the templates below find each other (ADL finds the friends).
template <class Ar, Plain T>
void Io(Ar& ar, T& v) {
    ar.Raw(&v, sizeof v);
}
template <class Ar>
void Io(Ar& ar, bool& b) {
    uint8_t byte = b ? 1 : 0;
    ar.Raw(&byte, 1);
    b = byte != 0;  // any other byte would be no valid bool
}
template <class Ar>
void Io(Ar& ar, std::string& s);
template <class Ar, class T>
void Io(Ar& ar, std::vector<T>& v);
template <class Ar, class T, size_t N>
void Io(Ar& ar, std::array<T, N>& a);
template <class Ar, class K, class V, class... Rest>
void Io(Ar& ar, std::map<K, V, Rest...>& m);
template <class Ar, class K, class V, class... Rest>
void Io(Ar& ar, std::unordered_map<K, V, Rest...>& m);
template <class Ar, class T>
void Io(Ar& ar, std::unique_ptr<T>& p);
template <class Ar, class T, size_t B>
void Io(Ar& ar, ChunkedVector<T, B>& v);
template <class Ar>
void Io(Ar& ar, StringSlotMap& m);

template <class Ar, class... T>
void Fields(Ar& ar, T&... fields) {
    (Io(ar, fields), ...);
}

template <class Ar>
void Io(Ar& ar, std::string& s) {
    uint64_t n = ar.Count(s.size());
    if constexpr (Ar::kReading) s.resize(n);
    ar.Raw(s.data(), n);
}

template <class Ar, class T>
void Io(Ar& ar, std::vector<T>& v) {
    uint64_t n = ar.Count(v.size());
    if constexpr (Plain<T>) {
        // Read in one piece, once the bytes are known to be there.
        if constexpr (Ar::kReading) {
            if (!ar.Fits(n * sizeof(T))) return;
            v.resize(n);
        }
        if (n > 0) ar.Raw(v.data(), n * sizeof(T));
    } else if constexpr (Ar::kReading) {
        // One element at a time: a broken count never allocates more than the blob holds.
        v.clear();
        for (uint64_t i = 0; i < n && !ar.failed(); ++i) {
            T x{};
            Io(ar, x);
            v.push_back(std::move(x));
        }
    } else {
        for (auto& x : v) Io(ar, x);
    }
}

template <class Ar, class T, size_t N>
void Io(Ar& ar, std::array<T, N>& a) {
    for (auto& x : a) Io(ar, x);
}

// A map's entries; reading inserts them again (an unordered map's buckets are its own business).
template <class Ar, class M>
void IoMap(Ar& ar, M& m) {
    using K = typename M::key_type;
    using V = typename M::mapped_type;
    uint64_t n = ar.Count(m.size());
    if constexpr (Ar::kReading) {
        m.clear();
        for (uint64_t i = 0; i < n; ++i) {
            K k{};
            V v{};
            Fields(ar, k, v);
            m.emplace(std::move(k), std::move(v));
        }
    } else {
        for (auto& [k, v] : m) {
            K key = k;
            Fields(ar, key, v);
        }
    }
}

template <class Ar, class K, class V, class... Rest>
void Io(Ar& ar, std::map<K, V, Rest...>& m) {
    IoMap(ar, m);
}

template <class Ar, class K, class V, class... Rest>
void Io(Ar& ar, std::unordered_map<K, V, Rest...>& m) {
    IoMap(ar, m);
}

template <class Ar, class T>
void Io(Ar& ar, std::unique_ptr<T>& p) {
    bool present = p != nullptr;
    Io(ar, present);
    if constexpr (Ar::kReading) p = present ? std::make_unique<T>() : nullptr;
    if (p) Io(ar, *p);
}

template <class Ar, class T, size_t B>
void Io(Ar& ar, ChunkedVector<T, B>& v) {
    uint64_t n = ar.Count(v.size());
    for (uint64_t i = 0; i < n && !ar.failed(); ++i) {
        if constexpr (Ar::kReading) v.resize(i + 1);  // grows a chunk at a time, as far as the blob goes
        Io(ar, v[i]);
    }
}

// Keys in slot order; reading inserts them in that order, so every key gets its slot back.
template <class Ar>
void Io(Ar& ar, StringSlotMap& m) {
    uint64_t n = ar.Count(m.count());
    for (uint64_t s = 0; s < n; ++s) {
        std::string key;
        if constexpr (!Ar::kReading) key = m.Key(static_cast<uint32_t>(s));
        Io(ar, key);
        if constexpr (Ar::kReading) {
            if (m.FindOrInsert(key, SIZE_MAX) != s) {
                ar.Fail();  // a key twice: a broken blob
                return;
            }
        }
    }
}

template <class Ar>
void Io(Ar& ar, DistinctCounter& d) {
    Fields(ar, d.set_, d.set_count_, d.has_zero_, d.registers_);
    if constexpr (Ar::kReading) {
        // The registers are all or none; the set is open addressing: a power of two, never full.
        const bool registers = d.registers_.empty() || d.registers_.size() == (size_t{1} << DistinctCounter::kPrecision);
        const bool set = d.set_.empty() ? d.set_count_ == 0 : (std::has_single_bit(d.set_.size()) && d.set_count_ < d.set_.size());
        if (!registers || !set) ar.Fail();
    }
}

template <class Ar>
void Io(Ar& ar, HeavyHitters::Entry& e) {
    Fields(ar, e.key, e.weight, e.error);
}

template <class Ar>
void Io(Ar& ar, HeavyHitters& h) {
    Fields(ar, h.capacity_, h.heap_);
    if constexpr (Ar::kReading) {
        h.index_.clear();
        for (size_t i = 0; i < h.heap_.size(); ++i) h.index_[h.heap_[i].key] = i;
        if (h.capacity_ == 0 || h.heap_.size() > h.capacity_ || h.index_.size() != h.heap_.size()) ar.Fail();
    }
}

template <class Ar>
void Io(Ar& ar, QuantileSketch& q) {
    for (auto& side : q.sides_) Fields(ar, side.base, side.index);
    Fields(ar, q.blocks_, q.zeros_, q.count_);
    if constexpr (Ar::kReading) {
        for (const auto& side : q.sides_) {
            for (uint32_t b : side.index) {
                if (b > q.blocks_.size()) ar.Fail();  // points past the blocks
            }
        }
    }
}

template <class Ar, class B>
void Io(Ar& ar, DenseBlocks<B>& d) {
    Fields(ar, d.len_, d.base_, d.count_, d.data_);
    if constexpr (Ar::kReading) {
        size_t cells = 0;
        if ((d.len_ == 0 && d.count_ != 0) || d.count_ < 0 || __builtin_mul_overflow(static_cast<size_t>(d.count_), d.len_, &cells) ||
            d.data_.size() != cells) {
            ar.Fail();
        }
    }
}

template <class Ar>
void Io(Ar& ar, Acc& a) {
    Fields(ar, a.count, a.overflow, a.sum, a.min, a.max);
}
template <class Ar>
void Io(Ar& ar, GroupTable::Compact& c) {
    Fields(ar, c.sum, c.min, c.max);
}
template <class Ar>
void Io(Ar& ar, GroupTable::CellKey& k) {
    Fields(ar, k.slot, k.month, k.measure);
}
template <class Ar>
void Io(Ar& ar, GroupTable::Wide& w) {
    Fields(ar, w.sum, w.overflow);
}
template <class Ar>
void Io(Ar& ar, RowIssue& i) {
    Fields(ar, i.line, i.column, i.reason, i.raw, i.kind);
}
template <class Ar>
void Io(Ar& ar, CurrencyTally& t) {
    Fields(ar, t.code, t.symbol, t.acc);
}
template <class Ar>
void Io(Ar& ar, PendingIssue& i) {
    Fields(ar, i.line, i.raw);
}
template <class Ar>
void Io(Ar& ar, LateValue& v) {
    Fields(ar, v.line, v.value);
}
template <class Ar>
void Io(Ar& ar, OrderEvidence& e) {
    Fields(ar, e.first_gt12, e.second_gt12, e.dotted, e.numeric);
}

template <class Ar>
void Io(Ar& ar, ColumnState& s) {
    Fields(ar, s.values, s.nulls, s.invalid, s.distinct, s.acc, s.quantiles, s.max_frac, s.rounded, s.widened,
           s.currencies, s.min_text, s.max_text, s.has_text, s.text_truncated, s.trues, s.falses, s.min_mdy, s.max_mdy,
           s.min_dmy, s.max_dmy, s.order, s.ambiguous_seen, s.distinct_dmy, s.invalid_if[0], s.invalid_if[1],
           s.pending[0], s.pending[1], s.late_values);
}

template <class Ar>
void Io(Ar& ar, TimeTable& t) {
    Fields(ar, t.dense, t.codes, t.rows, t.accs);
    if constexpr (Ar::kReading) {
        t.slots = U64SlotMap();
        for (size_t s = 0; s < t.codes.size(); ++s) {
            bool inserted = false;
            if (t.slots.FindOrInsert(t.codes[s], &inserted) != s) ar.Fail();
        }
        if (t.rows.size() != t.codes.size()) ar.Fail();
    }
}

template <class Ar>
void Io(Ar& ar, BeyondCap& b) {
    Fields(ar, b.distinct, b.min, b.max, b.has_text, b.rows, b.measures);
}

template <class Ar>
void Io(Ar& ar, GroupTable& g) {
    Fields(ar, g.keys, g.rows, g.accs, g.is_wide, g.wide, g.missing, g.other_rows, g.other_accs, g.capped, g.beyond,
           g.seeded, g.cell_limit, g.uncelled, g.months, g.month_nulls, g.spill);
    if constexpr (Ar::kReading) {
        if (g.rows.size() != g.keys.count() || g.uncelled.size() != g.rows.size() || g.months.size() > g.rows.size()) {
            ar.Fail();
        }
    }
}

namespace {

// What the partial's tables are laid out by: the columns' names, types and roles.
uint64_t SchemaFingerprint(const Schema& schema) {
    uint64_t h = HashInt(schema.columns.size());
    for (const auto& c : schema.columns) {
        h = Mix(h, HashBytes(c.name));
        h = Mix(h, HashInt(static_cast<uint64_t>(c.type) << 8 | static_cast<uint64_t>(c.role)));
        h = Mix(h, HashBytes(c.format));
    }
    return h;
}

// What Merge and Finalize index by: every table's sizes agree with its slots and the measures.
bool Consistent(const Partial& p) {
    const size_t nm = p.measures.size();
    for (const auto& t : p.time_tables) {
        if (t.dense.block_len() != nm + 1 || t.rows.size() != t.codes.size() || t.accs.size() != t.codes.size() * nm) {
            return false;
        }
    }
    for (const auto& g : p.group_tables) {
        const size_t slots = g.rows.size();
        if (g.accs.size() != slots * nm || g.is_wide.size() != slots * nm || g.other_accs.size() != nm ||
            g.seeded > slots || g.months.size() > slots || g.month_nulls.size() > slots) {
            return false;
        }
        for (const auto& m : g.months) {
            if (m.block_len() != nm + 1) return false;
        }
        for (const auto& m : g.month_nulls) {
            if (m.block_len() != nm) return false;
        }
        for (const auto& [i, acc] : g.wide) {
            if (i >= slots * nm || !g.is_wide[i]) return false;
        }
        for (const auto& [i, n] : g.missing) {
            if (i >= slots * nm) return false;
        }
        for (const auto& [k, w] : g.spill) {
            if (k.slot >= slots || k.measure >= nm) return false;
        }
        for (size_t i = 0; i < slots * nm; ++i) {
            if (g.is_wide[i] && !g.wide.contains(i)) return false;
        }
        if (g.beyond && g.beyond->measures.size() > nm) return false;
    }
    return true;
}

template <class Ar>
void Body(Ar& ar, Partial& p) {
    Fields(ar, p.rows, p.rejected, p.lines, p.rejected_lines, p.invalid_values);
    uint64_t n = ar.Count(p.columns.size());
    if constexpr (Ar::kReading) {
        if (n != p.columns.size()) return ar.Fail();
    }
    for (auto& c : p.columns) Io(ar, c);
    n = ar.Count(p.time_tables.size());
    if constexpr (Ar::kReading) {
        if (n != p.time_tables.size()) return ar.Fail();
    }
    for (auto& t : p.time_tables) Io(ar, t);
    n = ar.Count(p.group_tables.size());
    if constexpr (Ar::kReading) {
        if (n != p.group_tables.size()) return ar.Fail();
    }
    for (auto& g : p.group_tables) Io(ar, g);
    Fields(ar, p.issues, p.issue_count, p.late_keys_dropped, p.repaired_lines, p.repaired_count);
    if constexpr (Ar::kReading) {
        if (!ar.failed() && !Consistent(p)) ar.Fail();
    }
    uint64_t keys = ar.Count(p.late_keys.size());
    if constexpr (Ar::kReading) {
        p.late_keys.clear();
        for (uint64_t i = 0; i < keys; ++i) {
            std::string key;
            Partial::LateKeyValues v;
            Fields(ar, key, v.first_line, v.values);
            p.late_keys.emplace(std::move(key), std::move(v));
        }
    } else {
        for (auto& [k, v] : p.late_keys) {
            std::string key = k;
            Fields(ar, key, v.first_line, v.values);
        }
    }
}

}  // namespace

// The header: magic, format version, schema fingerprint, then a checksum of the body (a blob
// damaged in storage or transit is refused whole, before anything in it is believed).
constexpr size_t kHeaderBytes = sizeof kMagic + 4 + 8 + 8;

std::string WritePartial(Partial& p) {
    Writer body;
    Body(body, p);
    Writer w;
    w.Raw(kMagic, sizeof kMagic);
    uint32_t version = kFormatVersion;
    uint64_t fingerprint = SchemaFingerprint(p.schema);
    uint64_t checksum = HashBytes(body.out);
    Fields(w, version, fingerprint, checksum);
    w.out += body.out;
    return std::move(w.out);
}

int64_t PartialRows(std::string_view bytes) {
    if (bytes.size() < kHeaderBytes + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return 0;
    Reader r(bytes.substr(sizeof kMagic));
    uint32_t version = 0;
    uint64_t fingerprint = 0, checksum = 0;
    int64_t rows = 0;
    Fields(r, version, fingerprint, checksum, rows);  // the body starts with the rows
    return r.failed() || version != kFormatVersion ? 0 : rows;
}

Result<void> ReadPartial(std::string_view bytes, Partial& p) {
    auto broken = [](const std::string& why) { return Error::Internal("a split's partial result " + why).WithSlug("split-unreadable"); };
    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
        return broken("is not one (no magic)");
    }
    Reader r(bytes.substr(sizeof kMagic));
    uint32_t version = 0;
    uint64_t fingerprint = 0, checksum = 0;
    Fields(r, version, fingerprint, checksum);
    if (r.failed()) return broken("is cut off");
    if (version != kFormatVersion) return broken("has format " + std::to_string(version) + ", this build reads " + std::to_string(kFormatVersion));
    if (fingerprint != SchemaFingerprint(p.schema)) return broken("was made with other columns");
    if (HashBytes(bytes.substr(kHeaderBytes)) != checksum) return broken("is damaged (its checksum does not match)");
    Body(r, p);
    if (r.failed()) return broken("is cut off or damaged");
    if (!r.at_end()) return broken("has bytes after its end");
    return {};
}

namespace {
constexpr char kPassMagic[4] = {'I', 'S', 'P', 'O'};
template <class Ar>
void PassBody(Ar& ar, PartialOptions& p, Refinement& r) {
    Fields(ar, p.max_groups, p.breakdown_groups, p.max_issues, p.max_raw_bytes, p.max_text_bytes, p.max_key_bytes,
           p.late_values, p.late_keys, p.local_groups);
    Fields(ar, r.late_values, r.new_keys, r.pass_orders, r.seeds, r.reasons);
}
}  // namespace

std::string WritePassOptions(const EngineOptions& o) {
    Writer w;
    w.Raw(kPassMagic, sizeof kPassMagic);
    uint32_t version = kFormatVersion;
    Io(w, version);
    PartialOptions p = o.partial;
    Refinement r = o.refined;
    PassBody(w, p, r);
    return std::move(w.out);
}

Result<void> ReadPassOptions(std::string_view bytes, EngineOptions* o) {
    if (bytes.size() < sizeof kPassMagic || std::memcmp(bytes.data(), kPassMagic, sizeof kPassMagic) != 0) {
        return Error::Internal("a pass's options are not readable (no magic)").WithSlug("split-unreadable");
    }
    Reader r(bytes.substr(sizeof kPassMagic));
    uint32_t version = 0;
    Io(r, version);
    PartialOptions p = o->partial;
    Refinement refined;
    if (version == kFormatVersion) PassBody(r, p, refined);
    if (r.failed() || !r.at_end() || version != kFormatVersion) {
        return Error::Internal("a pass's options are cut off or of another format").WithSlug("split-unreadable");
    }
    o->partial = std::move(p);
    o->refined = std::move(refined);
    return {};
}

}  // namespace insightstream::engine
