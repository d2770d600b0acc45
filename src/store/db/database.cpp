#include "store/db/database.hpp"

#include <charconv>

namespace insightstream::store {

std::string Param::ToText() const {
    switch (kind_) {
        case kNull: return {};
        case kText: return text_;
        case kInt: return std::to_string(int_);
        case kDouble: {
            char buf[32];
            auto r = std::to_chars(buf, buf + sizeof buf, double_);
            return std::string(buf, r.ptr);
        }
    }
    return {};
}

const std::string& Row::Text(size_t i) const {
    static const std::string kEmpty;
    const auto& c = cells_.at(i);
    return c ? *c : kEmpty;
}

int64_t Row::Int(size_t i) const { return OptInt(i).value_or(0); }

std::optional<int64_t> Row::OptInt(size_t i) const {
    const auto& c = cells_.at(i);
    if (!c) return std::nullopt;
    int64_t v = 0;
    auto r = std::from_chars(c->data(), c->data() + c->size(), v);
    if (r.ec != std::errc()) {
        // SQLite may hand back a REAL rendered as text (e.g. "3.0") for computed columns.
        return static_cast<int64_t>(std::strtod(c->c_str(), nullptr));
    }
    return v;
}

double Row::Double(size_t i) const {
    const auto& c = cells_.at(i);
    if (!c) return 0;
    return std::strtod(c->c_str(), nullptr);
}

}  // namespace insightstream::store
