// Who is calling: filled from a verified access token or API key, read by every handler.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ids.hpp"

namespace insightstream::core {

/// Roles in strictly increasing power: each includes everything the previous one may do.
enum class Role { kViewer = 0, kAnalyst = 1, kAdmin = 2, kOwner = 3 };

const char* RoleName(Role r);
bool ParseRole(std::string_view text, Role* out);

/// What a route needs. The one permission table of the service: every route names one of these,
/// and MinRole() says who may. (Other tenants' resources are 404 before any of this applies.)
enum class Permission {
    kReadData,         // viewer: list and read datasets and insights, /me
    kWriteData,        // analyst: upload, reprocess and delete datasets
    kManageMembers,    // admin: list and add members, change or remove analysts and viewers
    kManageApiKeys,    // admin: create, list and revoke API keys
    kReadAudit,        // admin: read the audit log
    kManageAdmins,     // owner: make or remove admins and owners
};

Role MinRole(Permission p);
const char* PermissionName(Permission p);

struct Principal {
    TenantId tenant;
    UserId user;       // empty for an API key
    std::string key_id;  // set for an API key
    Role role = Role::kViewer;
    bool read_only = false;  // an API key without the "write" scope
    int64_t token_epoch = 0;  // an access token's "gen" claim (see auth::MembershipCheck)
    bool must_change_password = false;  // the member's password was reset by an admin
    [[nodiscard]] bool AtLeast(Role r) const { return static_cast<int>(role) >= static_cast<int>(r); }
    [[nodiscard]] bool Can(Permission p) const { return AtLeast(MinRole(p)); }
    [[nodiscard]] bool IsApiKey() const { return !key_id.empty(); }
};

}  // namespace insightstream::core
