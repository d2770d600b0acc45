// The Thrift compact protocol, as much of it as Parquet's metadata uses: structs, i16/i32/i64
// (zigzag varints), binary, bool, lists. Written by hand because Debian 12 has no Parquet library
// and the metadata is small; the encoder builds into a string, the decoder reads a byte span and
// refuses anything malformed (never reads past the end), so it is safe on untrusted files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace insightstream::parquet {

enum class TType : uint8_t {
    kStop = 0, kTrue = 1, kFalse = 2, kByte = 3, kI16 = 4, kI32 = 5, kI64 = 6, kDouble = 7,
    kBinary = 8, kList = 9, kSet = 10, kMap = 11, kStruct = 12,
};

class CompactWriter {
public:
    explicit CompactWriter(std::string* out) : out_(out) {}
    void BeginStruct() { last_.push_back(0); }
    void EndStruct() {
        out_->push_back(0);
        last_.pop_back();
    }
    void FieldI32(int16_t id, int32_t v) {
        Header(id, TType::kI32);
        Varint(Zigzag(v));
    }
    void FieldI64(int16_t id, int64_t v) {
        Header(id, TType::kI64);
        Varint(Zigzag(v));
    }
    void FieldBool(int16_t id, bool v) { Header(id, v ? TType::kTrue : TType::kFalse); }
    void FieldBinary(int16_t id, std::string_view v) {
        Header(id, TType::kBinary);
        Binary(v);
    }
    /// A struct field: call BeginStruct-less; EndStruct closes it.
    void FieldStruct(int16_t id) {
        Header(id, TType::kStruct);
        BeginStruct();
    }
    /// A list field of `n` elements of `elem` type; elements follow (structs: BeginStruct/EndStruct each).
    void FieldList(int16_t id, TType elem, size_t n) {
        Header(id, TType::kList);
        if (n < 15) {
            out_->push_back(static_cast<char>((n << 4) | static_cast<uint8_t>(elem)));
        } else {
            out_->push_back(static_cast<char>(0xF0 | static_cast<uint8_t>(elem)));
            Varint(n);
        }
    }
    void I32(int32_t v) { Varint(Zigzag(v)); }
    void Binary(std::string_view v) {
        Varint(v.size());
        out_->append(v);
    }

private:
    static uint64_t Zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
    void Varint(uint64_t v) {
        while (v >= 0x80) {
            out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
            v >>= 7;
        }
        out_->push_back(static_cast<char>(v));
    }
    void Header(int16_t id, TType t) {
        int16_t delta = static_cast<int16_t>(id - last_.back());
        if (delta > 0 && delta <= 15) {
            out_->push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(t)));
        } else {
            out_->push_back(static_cast<char>(t));
            Varint(Zigzag(id));
        }
        last_.back() = id;
    }
    std::string* out_;
    std::vector<int16_t> last_;
};

/// Reads compact-protocol structs. Every accessor checks bounds; after any failure ok() is false
/// and further reads return zeros.
class CompactReader {
public:
    explicit CompactReader(std::string_view data) : data_(data) {}
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] size_t offset() const { return pos_; }
    void BeginStruct() { last_.push_back(0); }
    void EndStruct() {
        if (!last_.empty()) last_.pop_back();
    }
    /// The next field of the current struct: false at its stop byte (or on an error).
    bool NextField(int16_t* id, TType* type);
    /// The value of a bool field whose header NextField just read.
    [[nodiscard]] bool FieldBoolValue(TType t) const { return t == TType::kTrue; }
    int32_t I32() { return static_cast<int32_t>(Unzigzag(Varint())); }
    int64_t I64() { return Unzigzag(Varint()); }
    std::string_view Binary();
    /// A list header: the element type and count.
    size_t ListHeader(TType* elem);
    /// Skips a value of type t (structs and lists included, nesting bounded).
    void Skip(TType t, int depth = 0);
    /// Reads a struct: `on_field(id, type)` for each of its fields, which reads the value or
    /// Skip()s it.
    template <class F>
    void ReadStruct(F&& on_field) {
        BeginStruct();
        int16_t id;
        TType t;
        while (NextField(&id, &t)) on_field(id, t);
        EndStruct();
    }
    /// Reads a list: `on_element()` once per element, while the input holds up.
    template <class F>
    void ReadList(F&& on_element) {
        TType elem;
        size_t n = ListHeader(&elem);
        for (size_t i = 0; i < n && ok(); ++i) on_element(i);
    }

private:
    uint64_t Varint();
    static int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }
    std::string_view data_;
    size_t pos_ = 0;
    bool ok_ = true;
    std::vector<int16_t> last_;
};

}  // namespace insightstream::parquet
