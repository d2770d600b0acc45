#include "engine/json_records.hpp"

#include <simdjson.h>

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace insightstream::engine {

namespace sj = simdjson::ondemand;

size_t JsonPadding() { return simdjson::SIMDJSON_PADDING; }

namespace {

// The first i >= from with p[i] one of `set`, or n: sixteen bytes at a time where SSE2 is.
template <size_t K>
size_t FindAny(const char* p, size_t from, size_t n, const std::array<char, K>& set) {
#if defined(__SSE2__)
    __m128i want[K];
    for (size_t k = 0; k < K; ++k) want[k] = _mm_set1_epi8(set[k]);
    for (; from + 16 <= n; from += 16) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + from));
        __m128i hit = _mm_cmpeq_epi8(x, want[0]);
        for (size_t k = 1; k < K; ++k) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, want[k]));
        if (const int bits = _mm_movemask_epi8(hit); bits != 0) return from + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(bits)));
    }
#endif
    for (; from < n; ++from) {
        for (char c : set) {
            if (p[from] == c) return from;
        }
    }
    return n;
}

// Per 64 bytes, bit k for byte k: backslashes, quotes, and brackets, commas and line ends.
struct ChunkMasks {
    uint64_t backslashes = 0;
    uint64_t quotes = 0;
    uint64_t structure = 0;
};

ChunkMasks Masks(const char* p) {
    ChunkMasks m;
#if defined(__SSE2__)
    const __m128i bs = _mm_set1_epi8('\\'), q = _mm_set1_epi8('"'), ob = _mm_set1_epi8('{'), cb = _mm_set1_epi8('}'),
                  os = _mm_set1_epi8('['), cs = _mm_set1_epi8(']'), comma = _mm_set1_epi8(','),
                  lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (int k = 0; k < 4; ++k) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        auto bits = [&](__m128i hit) { return uint64_t{static_cast<uint16_t>(_mm_movemask_epi8(hit))} << (16 * k); };
        m.backslashes |= bits(_mm_cmpeq_epi8(x, bs));
        m.quotes |= bits(_mm_cmpeq_epi8(x, q));
        __m128i s = _mm_or_si128(_mm_cmpeq_epi8(x, ob), _mm_cmpeq_epi8(x, cb));
        s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, os), _mm_cmpeq_epi8(x, cs)));
        s = _mm_or_si128(s, _mm_or_si128(_mm_cmpeq_epi8(x, comma), _mm_or_si128(_mm_cmpeq_epi8(x, lf), _mm_cmpeq_epi8(x, cr))));
        m.structure |= bits(s);
    }
#else
    for (int k = 0; k < 64; ++k) {
        const char c = p[k];
        const uint64_t bit = uint64_t{1} << k;
        if (c == '\\') m.backslashes |= bit;
        if (c == '"') m.quotes |= bit;
        if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == '\n' || c == '\r') m.structure |= bit;
    }
#endif
    return m;
}

constexpr std::array<char, 2> kStringStops{'"', '\\'};
constexpr std::array<char, 8> kStructure{'"', '{', '}', '[', ']', ',', '\n', '\r'};

}  // namespace

bool JsonArraySplitter::Feed(std::string_view data, std::string* out, std::string* error) {
    // Inside the array, bytes are copied to the element in runs; only the structure characters
    // outside strings (brackets, commas, line ends) are looked at one by one. A 64-byte stretch
    // without a backslash is done with masks: which bytes are quotes, and from their running
    // parity which lie inside strings. Elsewhere the next quote, backslash or structure
    // character is searched for 16 bytes at a time.
    const char* const p = data.data();
    const size_t n = data.size();
    size_t run = 0;  // the first byte of the array not yet copied to element_
    auto copy_to = [&](size_t i) {
        if (i > run) element_.append(p + run, i - run);
        run = i;
    };
    // The element read so far as a line of its own (from its first non-blank byte); a blank one
    // still ends a line where a comma ended it.
    auto end_element = [&](size_t i, bool blank_line) {
        copy_to(i);
        if (size_t b = element_.find_first_not_of(" \t"); b != std::string::npos) {
            out->append(element_, b);
            out->push_back('\n');
        } else if (blank_line) {
            out->push_back('\n');
        }
        element_.clear();
        run = i + 1;
    };
    // A bracket, comma or line end outside strings at p[i].
    enum class Next { kGoOn, kEnded, kBroken };
    auto structure = [&](size_t i) {
        switch (p[i]) {
            case '{':
            case '[':
                ++depth_;
                return Next::kGoOn;
            case '}':
            case ']':
                if (depth_ > 0) {
                    --depth_;
                    return Next::kGoOn;
                }
                if (p[i] == '}') {
                    *error = "unbalanced '}' in the JSON array";
                    return Next::kBroken;
                }
                end_element(i, false);  // the closing bracket of the array
                state_ = State::kAfter;
                return Next::kEnded;
            case ',':
                if (depth_ == 0) end_element(i, true);
                return Next::kGoOn;
            default:  // a line end: an element is one line
                copy_to(i);
                element_ += ' ';
                run = i + 1;
                return Next::kGoOn;
        }
    };
    size_t masks_from = 0;  // a stretch with a backslash is not looked at with masks again
    for (size_t i = 0; i < n;) {
        const char c = p[i];
        if (state_ != State::kInArray) {
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                ++i;
                continue;
            }
            if (state_ == State::kAfter) {
                *error = "text after the end of the JSON array";
                return false;
            }
            if (static_cast<unsigned char>(c) == 0xEF && data.substr(i).starts_with("\xEF\xBB\xBF")) {
                i += 3;
                continue;
            }
            if (c != '[') {
                *error = "a JSON file must be an array of objects (or use the ndjson format)";
                return false;
            }
            state_ = State::kInArray;
            run = ++i;
            continue;
        }
        if (!escape_ && i >= masks_from && i + 64 <= n) {
            const ChunkMasks m = Masks(p + i);
            if (m.backslashes != 0) {
                masks_from = i + 64;
            } else {
                // Inclusive running parity of the quotes: set from an opening quote to the byte
                // before its closing one, so a structure character is outside strings where clear.
                uint64_t inside = m.quotes;
                for (int shift = 1; shift < 64; shift *= 2) inside ^= inside << shift;
                if (in_string_) inside = ~inside;
                Next next = Next::kGoOn;
                for (uint64_t stops = m.structure & ~inside; stops != 0 && next == Next::kGoOn; stops &= stops - 1) {
                    const size_t at = i + static_cast<size_t>(__builtin_ctzll(stops));
                    next = structure(at);
                    if (next == Next::kEnded) i = at + 1;
                }
                if (next == Next::kBroken) return false;
                if (next == Next::kEnded) continue;
                in_string_ = (inside >> 63) != 0;
                i += 64;
                continue;
            }
        }
        if (in_string_) {
            if (escape_) {
                escape_ = false;
                ++i;
                continue;
            }
            i = FindAny(p, i, n, kStringStops);
            if (i == n) break;
            if (p[i] == '\\') escape_ = true;
            else in_string_ = false;
            ++i;
            continue;
        }
        if (i = FindAny(p, i, n, kStructure); i == n) break;
        if (p[i] == '"') {
            in_string_ = true;
        } else if (structure(i) == Next::kBroken) {
            return false;
        }
        ++i;
    }
    if (state_ == State::kInArray) copy_to(n);
    return true;
}

bool JsonArraySplitter::Finish(std::string* /*out*/, std::string* error) {
    if (state_ == State::kBefore) return true;  // empty input
    if (state_ != State::kAfter) {
        *error = "the JSON array is not closed (the file is cut off)";
        return false;
    }
    return true;
}

struct JsonFlattener::Impl {
    sj::parser parser;
    std::string path;
    std::string number_buf;
};

JsonFlattener::JsonFlattener() : impl_(std::make_unique<Impl>()) {}
JsonFlattener::~JsonFlattener() = default;

namespace {

std::string_view TrimJsonToken(std::string_view t) {
    while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t' ||
                          t.back() == ',' || t.back() == '}' || t.back() == ']')) {
        t.remove_suffix(1);
    }
    return t;
}

simdjson::error_code FlattenObject(sj::object obj, std::string& path, int depth, const JsonFlattener::Visitor& visit) {
    for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        // A top-level key is its own path (no copy); a nested one is appended to its parent's.
        const size_t keep = path.size();
        if (keep > 0) {
            path += '.';
            path.append(key);
        }
        const std::string_view full = keep > 0 ? std::string_view(path) : key;
        sj::value v;
        if (auto e = field.value().get(v)) return e;
        sj::json_type type;
        if (auto e = v.type().get(type)) return e;
        switch (type) {
            case sj::json_type::object: {
                sj::object inner;
                if (auto e = v.get_object().get(inner)) return e;
                if (depth + 1 >= JsonFlattener::kMaxDepth) {
                    std::string_view raw;
                    if (auto e = inner.raw_json().get(raw)) return e;
                    visit(full, raw, JsonFlattener::Kind::kJson);
                } else {
                    if (keep == 0) path.assign(key);
                    if (auto e = FlattenObject(inner, path, depth + 1, visit)) return e;
                }
                break;
            }
            case sj::json_type::array: {
                sj::array arr;
                if (auto e = v.get_array().get(arr)) return e;
                std::string_view raw;
                if (auto e = arr.raw_json().get(raw)) return e;
                visit(full, raw, JsonFlattener::Kind::kJson);
                break;
            }
            case sj::json_type::string: {
                std::string_view s;
                if (auto e = v.get_string().get(s)) return e;
                visit(full, s, JsonFlattener::Kind::kString);
                break;
            }
            case sj::json_type::number: {
                std::string_view raw = TrimJsonToken(v.raw_json_token());
                // Validate the token now: a malformed number fails the record.
                double d;
                if (auto e = v.get_double().get(d)) return e;
                visit(full, raw, JsonFlattener::Kind::kNumber);
                break;
            }
            case sj::json_type::boolean: {
                bool b;
                if (auto e = v.get_bool().get(b)) return e;
                visit(full, b ? "true" : "false", JsonFlattener::Kind::kBool);
                break;
            }
            case sj::json_type::null: {
                bool is_null = false;
                if (auto e = v.is_null().get(is_null)) return e;
                visit(full, "", JsonFlattener::Kind::kNull);
                break;
            }
        }
        path.resize(keep);
    }
    return simdjson::SUCCESS;
}

}  // namespace

bool JsonFlattener::Parse(std::string_view line, size_t capacity, const Visitor& visit, std::string* error) {
    // Trailing whitespace and CR are fine; an empty line is skipped by the caller.
    auto doc_result = impl_->parser.iterate(line.data(), line.size(), capacity);
    sj::document doc;
    if (auto e = std::move(doc_result).get(doc)) {
        *error = std::string("invalid JSON: ") + simdjson::error_message(e);
        return false;
    }
    sj::object obj;
    if (auto e = doc.get_object().get(obj)) {
        *error = e == simdjson::INCORRECT_TYPE ? "the record is not a JSON object"
                                                : std::string("invalid JSON: ") + simdjson::error_message(e);
        return false;
    }
    impl_->path.clear();
    if (auto e = FlattenObject(obj, impl_->path, 0, visit)) {
        *error = std::string("invalid JSON: ") + simdjson::error_message(e);
        return false;
    }
    return true;
}

}  // namespace insightstream::engine
