#include "core/principal.hpp"

namespace insightstream::core {

const char* RoleName(Role r) {
    switch (r) {
        case Role::kViewer: return "viewer";
        case Role::kAnalyst: return "analyst";
        case Role::kAdmin: return "admin";
        case Role::kOwner: return "owner";
    }
    return "viewer";
}

bool ParseRole(std::string_view text, Role* out) {
    if (text == "viewer") *out = Role::kViewer;
    else if (text == "analyst") *out = Role::kAnalyst;
    else if (text == "admin") *out = Role::kAdmin;
    else if (text == "owner") *out = Role::kOwner;
    else return false;
    return true;
}

Role MinRole(Permission p) {
    switch (p) {
        case Permission::kReadData: return Role::kViewer;
        case Permission::kWriteData: return Role::kAnalyst;
        case Permission::kManageMembers: return Role::kAdmin;
        case Permission::kManageApiKeys: return Role::kAdmin;
        case Permission::kReadAudit: return Role::kAdmin;
        case Permission::kManageAdmins: return Role::kOwner;
    }
    return Role::kOwner;
}

const char* PermissionName(Permission p) {
    switch (p) {
        case Permission::kReadData: return "read data";
        case Permission::kWriteData: return "change data";
        case Permission::kManageMembers: return "manage members";
        case Permission::kManageApiKeys: return "manage API keys";
        case Permission::kReadAudit: return "read the audit log";
        case Permission::kManageAdmins: return "manage admins";
    }
    return "?";
}

}  // namespace insightstream::core
