#include "engine/json_records.hpp"

#include <simdjson.h>

namespace insightstream::engine {

namespace sj = simdjson::ondemand;

size_t JsonPadding() { return simdjson::SIMDJSON_PADDING; }

bool JsonArraySplitter::Feed(std::string_view data, std::string* out, std::string* error) {
    for (size_t i = 0; i < data.size(); ++i) {
        char c = data[i];
        switch (state_) {
            case State::kBefore:
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
                if (static_cast<unsigned char>(c) == 0xEF && data.substr(i).starts_with("\xEF\xBB\xBF")) {
                    i += 2;
                    continue;
                }
                if (c != '[') {
                    *error = "a JSON file must be an array of objects (or use the ndjson format)";
                    return false;
                }
                state_ = State::kInArray;
                continue;
            case State::kAfter:
                if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
                *error = "text after the end of the JSON array";
                return false;
            case State::kInArray: break;
        }
        if (in_string_) {
            element_ += c;
            if (escape_) escape_ = false;
            else if (c == '\\') escape_ = true;
            else if (c == '"') in_string_ = false;
            continue;
        }
        if (c == '"') {
            in_string_ = true;
            element_ += c;
        } else if (c == '{' || c == '[') {
            ++depth_;
            element_ += c;
        } else if (c == '}' || c == ']') {
            if (depth_ == 0) {  // the closing bracket of the array
                if (c != ']') {
                    *error = "unbalanced '}' in the JSON array";
                    return false;
                }
                size_t b = element_.find_first_not_of(" \t");
                if (b != std::string::npos) {
                    out->append(element_, b);
                    out->push_back('\n');
                }
                element_.clear();
                state_ = State::kAfter;
                continue;
            }
            --depth_;
            element_ += c;
        } else if (c == ',' && depth_ == 0) {
            size_t b = element_.find_first_not_of(" \t");
            out->append(b == std::string::npos ? std::string() : element_.substr(b));
            out->push_back('\n');
            element_.clear();
        } else if (c == '\n' || c == '\r') {
            element_ += ' ';
        } else {
            element_ += c;
        }
    }
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
        size_t keep = path.size();
        if (!path.empty()) path += '.';
        path.append(key);
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
                    visit(path, raw, JsonFlattener::Kind::kJson);
                } else if (auto e = FlattenObject(inner, path, depth + 1, visit)) {
                    return e;
                }
                break;
            }
            case sj::json_type::array: {
                sj::array arr;
                if (auto e = v.get_array().get(arr)) return e;
                std::string_view raw;
                if (auto e = arr.raw_json().get(raw)) return e;
                visit(path, raw, JsonFlattener::Kind::kJson);
                break;
            }
            case sj::json_type::string: {
                std::string_view s;
                if (auto e = v.get_string().get(s)) return e;
                visit(path, s, JsonFlattener::Kind::kString);
                break;
            }
            case sj::json_type::number: {
                std::string_view raw = TrimJsonToken(v.raw_json_token());
                // Validate the token now: a malformed number fails the record.
                double d;
                if (auto e = v.get_double().get(d)) return e;
                visit(path, raw, JsonFlattener::Kind::kNumber);
                break;
            }
            case sj::json_type::boolean: {
                bool b;
                if (auto e = v.get_bool().get(b)) return e;
                visit(path, b ? "true" : "false", JsonFlattener::Kind::kBool);
                break;
            }
            case sj::json_type::null: {
                bool is_null = false;
                if (auto e = v.is_null().get(is_null)) return e;
                visit(path, "", JsonFlattener::Kind::kNull);
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
