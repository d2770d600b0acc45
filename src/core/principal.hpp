// Who is calling: filled from a verified access token or API key, read by every handler.
#pragma once

#include <string>
#include <vector>

#include "core/ids.hpp"

namespace insightstream::core {

/// Roles in strictly increasing power: each includes everything the previous one may do.
enum class Role { kViewer = 0, kAnalyst = 1, kAdmin = 2, kOwner = 3 };

const char* RoleName(Role r);
bool ParseRole(std::string_view text, Role* out);

struct Principal {
    TenantId tenant;
    UserId user;       // empty for an API key
    std::string key_id;  // set for an API key
    Role role = Role::kViewer;
    bool read_only = false;  // an API key without the "write" scope
    [[nodiscard]] bool AtLeast(Role r) const { return static_cast<int>(role) >= static_cast<int>(r); }
};

}  // namespace insightstream::core
