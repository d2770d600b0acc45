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

}  // namespace insightstream::core
