// Strong id types and the source of new ids. Ids are random (128 bits), opaque and unguessable;
// a TenantId is never a bare string, so no data-access call can be made without one by accident.
#pragma once

#include <compare>
#include <memory>
#include <string>
#include <string_view>

namespace insightstream::core {

template <class Tag>
class StrongId {
public:
    StrongId() = default;
    explicit StrongId(std::string v) : v_(std::move(v)) {}
    [[nodiscard]] const std::string& str() const { return v_; }
    [[nodiscard]] bool empty() const { return v_.empty(); }
    auto operator<=>(const StrongId&) const = default;

private:
    std::string v_;
};

using TenantId = StrongId<struct TenantTag>;
using UserId = StrongId<struct UserTag>;
using DatasetId = StrongId<struct DatasetTag>;

/// True for strings that can be ids: 1..64 of [A-Za-z0-9_-]. Used to reject junk path parameters
/// before they reach a query, and by the object store to make path traversal impossible.
bool IsValidId(std::string_view s);

/// Source of new ids; tests may substitute a deterministic one.
class IdSource {
public:
    virtual ~IdSource() = default;
    /// `prefix` + 26 lowercase base32 characters of 128 random bits, e.g. "ds_3k9...".
    virtual std::string NewId(std::string_view prefix) = 0;
};

class RandomIdSource final : public IdSource {
public:
    std::string NewId(std::string_view prefix) override;
};

}  // namespace insightstream::core
