#include "parquet/thrift_compact.hpp"

namespace insightstream::parquet {

uint64_t CompactReader::Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (!ok_ || pos_ >= data_.size()) {
            ok_ = false;
            return 0;
        }
        auto b = static_cast<uint8_t>(data_[pos_++]);
        v |= static_cast<uint64_t>(b & 0x7F) << shift;
        if ((b & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
}

bool CompactReader::NextField(int16_t* id, TType* type) {
    if (!ok_ || pos_ >= data_.size() || last_.empty()) {
        ok_ = false;
        return false;
    }
    auto b = static_cast<uint8_t>(data_[pos_++]);
    if (b == 0) return false;
    *type = static_cast<TType>(b & 0x0F);
    if (static_cast<uint8_t>(*type) > static_cast<uint8_t>(TType::kStruct)) {
        ok_ = false;
        return false;
    }
    int delta = b >> 4;
    if (delta != 0) {
        *id = static_cast<int16_t>(last_.back() + delta);
    } else {
        *id = static_cast<int16_t>(Unzigzag(Varint()));
    }
    last_.back() = *id;
    return ok_;
}

std::string_view CompactReader::Binary() {
    uint64_t n = Varint();
    if (!ok_ || n > data_.size() - pos_) {
        ok_ = false;
        return {};
    }
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
}

size_t CompactReader::ListHeader(TType* elem) {
    if (!ok_ || pos_ >= data_.size()) {
        ok_ = false;
        return 0;
    }
    auto b = static_cast<uint8_t>(data_[pos_++]);
    *elem = static_cast<TType>(b & 0x0F);
    size_t n = b >> 4;
    if (n == 15) n = Varint();
    // Every element takes at least one byte: a count beyond what is left is malformed.
    if (n > data_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
}

void CompactReader::Skip(TType t, int depth) {
    if (depth > 32) {
        ok_ = false;
        return;
    }
    switch (t) {
        case TType::kTrue:
        case TType::kFalse: return;  // in a field header; list elements are bytes (see below)
        case TType::kByte:
            if (pos_ >= data_.size()) ok_ = false;
            else ++pos_;
            return;
        case TType::kI16:
        case TType::kI32:
        case TType::kI64: Varint(); return;
        case TType::kDouble:
            if (data_.size() - pos_ < 8) ok_ = false;
            else pos_ += 8;
            return;
        case TType::kBinary: Binary(); return;
        case TType::kList:
        case TType::kSet: {
            TType elem;
            size_t n = ListHeader(&elem);
            for (size_t i = 0; i < n && ok_; ++i) {
                if (elem == TType::kTrue || elem == TType::kFalse) Skip(TType::kByte, depth + 1);
                else Skip(elem, depth + 1);
            }
            return;
        }
        case TType::kStruct: ReadStruct([&](int16_t, TType ft) { Skip(ft, depth + 1); }); return;
        default: ok_ = false; return;  // maps are not used by Parquet's metadata
    }
}

}  // namespace insightstream::parquet
