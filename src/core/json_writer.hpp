// A small streaming JSON writer: commas and nesting handled, numbers written from exact text when
// the caller has it (decimal sums) or in shortest round-trip form (doubles), never in exponent
// form for ordinary magnitudes. Used where answers must keep exact decimals.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_text.hpp"

namespace insightstream::core {

class JsonWriter {
public:
    JsonWriter& BeginObject() { return Open('{'); }
    JsonWriter& EndObject() { return Close('}'); }
    JsonWriter& BeginArray() { return Open('['); }
    JsonWriter& EndArray() { return Close(']'); }
    JsonWriter& Key(std::string_view k) {
        Comma();
        AppendJsonString(out_, k);
        out_ += ':';
        after_key_ = true;
        return *this;
    }
    JsonWriter& String(std::string_view v) {
        Comma();
        AppendJsonString(out_, v);
        return *this;
    }
    /// `text` must be a valid JSON number (e.g. exact decimal text "1234.50").
    JsonWriter& NumberText(std::string_view text) {
        Comma();
        out_ += text;
        return *this;
    }
    JsonWriter& Int(int64_t v) { return NumberText(std::to_string(v)); }
    JsonWriter& Double(double v) {
        Comma();
        AppendJsonDouble(out_, v);
        return *this;
    }
    JsonWriter& OptDouble(const std::optional<double>& v) { return v ? Double(*v) : Null(); }
    JsonWriter& OptString(const std::optional<std::string>& v) { return v ? String(*v) : Null(); }
    JsonWriter& Bool(bool v) { return NumberText(v ? "true" : "false"); }
    JsonWriter& Null() { return NumberText("null"); }
    /// Inserts already-serialized JSON.
    JsonWriter& Raw(std::string_view json) { return NumberText(json); }
    [[nodiscard]] std::string Take() { return std::move(out_); }
    [[nodiscard]] const std::string& str() const { return out_; }

private:
    void Comma() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_.empty()) {
            if (!first_.back()) out_ += ',';
            first_.back() = false;
        }
    }
    JsonWriter& Open(char c) {
        Comma();
        out_ += c;
        first_.push_back(true);
        return *this;
    }
    JsonWriter& Close(char c) {
        out_ += c;
        first_.pop_back();
        return *this;
    }
    std::string out_;
    std::vector<bool> first_;
    bool after_key_ = false;
};

}  // namespace insightstream::core
