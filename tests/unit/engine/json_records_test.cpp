#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "engine/json_records.hpp"

namespace insightstream::engine {
namespace {

// The splitter as first written, one byte at a time: the reference the run-copying one must
// agree with, output and errors, however the input is cut into pieces.
struct ReferenceSplitter {
    enum class State { kBefore, kInArray, kAfter };
    State state = State::kBefore;
    int depth = 0;
    bool in_string = false;
    bool escape = false;
    std::string element;

    bool Feed(std::string_view data, std::string* out, std::string* error) {
        for (size_t i = 0; i < data.size(); ++i) {
            char c = data[i];
            if (state == State::kBefore) {
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
                if (static_cast<unsigned char>(c) == 0xEF && data.substr(i).starts_with("\xEF\xBB\xBF")) {
                    i += 2;
                    continue;
                }
                if (c != '[') {
                    *error = "a JSON file must be an array of objects (or use the ndjson format)";
                    return false;
                }
                state = State::kInArray;
                continue;
            }
            if (state == State::kAfter) {
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
                *error = "text after the end of the JSON array";
                return false;
            }
            if (in_string) {
                element += c;
                if (escape) escape = false;
                else if (c == '\\') escape = true;
                else if (c == '"') in_string = false;
                continue;
            }
            if (c == '"') {
                in_string = true;
                element += c;
            } else if (c == '{' || c == '[') {
                ++depth;
                element += c;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    if (c != ']') {
                        *error = "unbalanced '}' in the JSON array";
                        return false;
                    }
                    size_t b = element.find_first_not_of(" \t");
                    if (b != std::string::npos) {
                        out->append(element, b);
                        out->push_back('\n');
                    }
                    element.clear();
                    state = State::kAfter;
                    continue;
                }
                --depth;
                element += c;
            } else if (c == ',' && depth == 0) {
                size_t b = element.find_first_not_of(" \t");
                out->append(b == std::string::npos ? std::string() : element.substr(b));
                out->push_back('\n');
                element.clear();
            } else if (c == '\n' || c == '\r') {
                element += ' ';
            } else {
                element += c;
            }
        }
        return true;
    }
};

struct Split {
    std::string out;
    std::string error;
    bool ok = true;
    bool operator==(const Split&) const = default;
};

template <class Splitter>
Split SplitInPieces(const std::string& data, const std::vector<size_t>& cuts) {
    Splitter s;
    Split r;
    size_t from = 0;
    for (size_t i = 0; i <= cuts.size() && r.ok; ++i) {
        size_t to = i < cuts.size() ? cuts[i] : data.size();
        r.ok = s.Feed(std::string_view(data).substr(from, to - from), &r.out, &r.error);
        from = to;
    }
    return r;
}

// An array of objects whose strings hold brackets, commas, line ends and now and then an escaped
// quote, nested a little, with whitespace and line ends between the elements: long stretches
// where only the quotes' parity tells structure from text.
std::string StructuredArray(std::mt19937& rng) {
    const std::string text = "ab ,]}[{\n\r:xyz";
    auto str = [&] {
        std::string v = "\"";
        for (size_t i = rng() % 40; i > 0; --i) v += rng() % 50 == 0 ? std::string("\\\"") : std::string(1, text[rng() % text.size()]);
        return v + "\"";
    };
    std::string out = "[";
    for (size_t e = rng() % 12; e > 0; --e) {
        out += rng() % 3 == 0 ? "\n  " : " ";
        out += "{" + str() + ":" + str() + ", \"n\": [1, {" + str() + ": " + str() + "}]";
        if (rng() % 2) out += ",\r\n" + str() + ":[" + str() + "]";
        out += "}";
        if (e > 1) out += ",";
    }
    return out + (rng() % 5 == 0 ? "" : "\n]\n");
}

TEST(JsonArraySplitter, AgreesWithTheByteByByteReferenceOnRandomInputInRandomPieces) {
    // Small alphabets of every character the splitter looks at, so strings, escapes, nesting,
    // commas at and below the top, line ends, BOMs and text after the array all come up often;
    // half the rounds without backslashes and longer, so 64-byte stretches take the mask path.
    std::mt19937 rng(20261129);
    const std::string alphabets[] = {"{}[],\"\\\n\r \tab:1", "{}[],\"\n\r \tabcd:1234567"};
    const std::string starts[] = {"[", " \n[", "\xEF\xBB\xBF[", "[{\"a\":1},", "x", ""};
    size_t compared_ok = 0;
    for (int round = 0; round < 8000; ++round) {
        std::string data = starts[round % 6];
        if (round % 4 == 3) {
            data = StructuredArray(rng);
        } else {
            const std::string& alphabet = alphabets[round % 2];
            size_t len = rng() % (round % 2 == 1 ? 700 : round % 10 == 0 ? 600 : 80);
            for (size_t i = 0; i < len; ++i) data += alphabet[rng() % alphabet.size()];
        }
        if (round % 3 == 0) data += "]\n";
        std::vector<size_t> cuts;
        size_t pieces = rng() % 6;
        for (size_t k = 0; k < pieces && !data.empty(); ++k) cuts.push_back(rng() % (data.size() + 1));
        std::sort(cuts.begin(), cuts.end());
        Split want = SplitInPieces<ReferenceSplitter>(data, cuts);
        Split got = SplitInPieces<JsonArraySplitter>(data, cuts);
        ASSERT_EQ(got, want) << "input: " << data;
        if (want.ok && !want.out.empty()) ++compared_ok;
    }
    EXPECT_GT(compared_ok, 500U);  // the comparison covered real output, not only errors
}

TEST(JsonArraySplitter, ElementsBecomeLinesWithStringsAndNestingKept) {
    JsonArraySplitter s;
    std::string out, error;
    const std::string text = "[ {\"a\": \"x, ]}\\\" y\", \"b\": [1, {\"c\": 2}]},\n  {\"a\":\n 2}\r\n]  \n";
    for (char c : text) ASSERT_TRUE(s.Feed(std::string_view(&c, 1), &out, &error)) << error;
    ASSERT_TRUE(s.Finish(&out, &error)) << error;
    EXPECT_EQ(out, "{\"a\": \"x, ]}\\\" y\", \"b\": [1, {\"c\": 2}]}\n{\"a\":  2}  \n");
    JsonArraySplitter whole;
    std::string out2;
    ASSERT_TRUE(whole.Feed(text, &out2, &error));
    EXPECT_EQ(out2, out);
}

}  // namespace
}  // namespace insightstream::engine
