// Members of an organization. The rules, in one place:
// - admins and owners manage members; only owners make, change or remove admins and owners;
// - nobody raises their own role;
// - an organization always keeps at least one owner, under any concurrency: every change takes
//   the organization's lock (LockOrganization) before it counts the owners;
// - a change takes effect at once: every request is checked against the membership as it is now
//   (MembershipCheck), so a removed member is refused and a demoted one acts with the new role;
// - API keys created by a member are revoked when the member is removed or can no longer manage
//   keys (demoted below admin); a removed member's refresh tokens are deleted with it;
// - adding an address that is a member of other organizations is like adding any other: the
//   answer never depends on, nor reveals, anything outside this organization.
#include <boost/json.hpp>

#include "auth/auth_service.hpp"
#include "core/log.hpp"
#include "http/json_body.hpp"
#include "store/audit_log.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using core::Role;
using http::Request;
using http::Response;
using store::Tx;
using store::TxMode;
namespace json = boost::json;

namespace {

json::object MemberJson(const store::Row& r) {
    return json::object{{"id", r.Text(0)},
                        {"email", r.Text(1)},
                        {"name", r.Text(2)},
                        {"role", r.Text(3)},
                        {"created_at", core::FormatRfc3339(r.Int(4))}};
}

constexpr const char* kMemberColumns = "id, email, name, role, created_at";

// Whether `caller` may give a member the role `role` (or take it away).
bool MayGrant(const core::Principal& caller, Role role) {
    if (role == Role::kAdmin || role == Role::kOwner) return caller.Can(core::Permission::kManageAdmins);
    return caller.Can(core::Permission::kManageMembers);
}

Error NeedOwner() {
    return Error::PermissionDenied("only an owner can make, change or remove admins and owners");
}

Result<core::UserId> MemberIdParam(const Request& req) {
    const std::string& id = req.PathParam("id");
    if (!core::IsValidId(id)) return Error::NotFound("member not found");
    return core::UserId(id);
}

Result<int64_t> OwnerCount(Tx& tx, const core::TenantId& tenant) {
    IS_TRY(auto r, tx.Exec("SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND role = 'owner'", {tenant}));
    return r.rows.at(0).Int(0);
}

}  // namespace

MembersService::MembersService(store::Database& db, const core::Clock& clock, core::IdSource& ids,
                               const PasswordHasher& hasher, const MembershipCheck& memberships,
                               size_t min_password_chars)
    : db_(db),
      clock_(clock),
      ids_(ids),
      hasher_(hasher),
      memberships_(memberships),
      min_password_chars_(min_password_chars) {}

void MembersService::RegisterRoutes(http::Router& router) {
    http::RouteOptions manage{.permission = core::Permission::kManageMembers, .writes = true, .body_limit = 64 * 1024};
    router.Add("GET", "/api/v1/users", [this](Request& r) { return List(r); },
               {.permission = core::Permission::kManageMembers});
    router.Add("POST", "/api/v1/users", [this](Request& r) { return Add(r); }, manage);
    router.Add("PATCH", "/api/v1/users/{id}", [this](Request& r) { return Change(r); }, manage);
    router.Add("DELETE", "/api/v1/users/{id}", [this](Request& r) { return Remove(r); }, manage);
    router.Add("POST", "/api/v1/users/{id}/password", [this](Request& r) { return ResetPassword(r); }, manage);
}

Result<Response> MembersService::List(Request& req) {
    const auto& tenant = req.Caller().tenant;
    IS_TRY(auto rows, store::TransactValue(db_, tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec(std::string("SELECT ") + kMemberColumns +
                                  " FROM users WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1000",
                              {tenant});
           }));
    json::array items;
    for (const auto& r : rows.rows) items.push_back(MemberJson(r));
    return http::JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

namespace {
// Revokes the API keys a member created (they must not outlive the member's powers).
Result<int64_t> RevokeKeysOf(Tx& tx, const core::TenantId& tenant, const core::UserId& user, int64_t now) {
    IS_TRY(auto r, tx.Exec("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND created_by = $2 "
                           "AND revoked_at IS NULL",
                           {tenant, user, now}));
    return r.affected;
}
}  // namespace

Result<Response> MembersService::Add(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"email", "role", "password", "name", "must_change_password"});
    std::string email_raw = f.RequiredString("email", 3, 254);
    std::string role_text = f.RequiredString("role", 1, 20);
    std::string name = f.OptionalString("name", 200).value_or("");
    std::string password = ReadPassword(body, f, "password", min_password_chars_);
    bool must_change = false;
    if (auto it = body.find("must_change_password"); it != body.end()) {
        if (it->value().is_bool()) must_change = it->value().as_bool();
        else f.Invalid("must_change_password", "must be true or false");
    }
    auto email = NormalizeEmail(email_raw);
    if (!email_raw.empty() && !email) f.Invalid("email", "is not a valid e-mail address");
    Role role = Role::kViewer;
    if (!role_text.empty() && !core::ParseRole(role_text, &role)) {
        f.Invalid("role", "must be one of owner, admin, analyst, viewer");
    }
    IS_TRY_VOID(f.Finish());
    if (!MayGrant(caller, role)) return NeedOwner();

    IS_TRY(auto salt, SaltOf(db_, *email));
    IS_TRY(auto hash, hasher_.Hash(password, salt));
    core::UserId user(ids_.NewId("usr_"));
    int64_t now = clock_.NowMs();
    auto status = db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO login_memberships (email, tenant_id, user_id, salt) VALUES ($1, $2, $3, $4)",
                            {*email, caller.tenant, user, salt}));
        IS_TRY_VOID(tx.Exec(
            "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at, updated_at, "
            "must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
            {user, caller.tenant, *email, name, hash, core::RoleName(role), now, int64_t{must_change}}));
        auto audit = store::AuditFrom(req, "member.added", "user", user.str());
        audit.details = {{"email", *email}, {"role", core::RoleName(role)}, {"must_change_password", must_change}};
        return store::AppendAudit(tx, caller.tenant, audit, now);
    });
    if (!status) {
        if (status.error().code() == core::ErrorCode::kConflict) {
            return Error::Conflict("this address is already a member of your organization").WithSlug("already-a-member");
        }
        return std::move(status).error();
    }
    auto resp = http::JsonResponse(201, json::object{{"id", user.str()},
                                                     {"email", *email},
                                                     {"name", name},
                                                     {"role", core::RoleName(role)},
                                                     {"created_at", core::FormatRfc3339(now)}});
    resp.Header("Location", "/api/v1/users/" + user.str());
    return resp;
}

Result<Response> MembersService::Change(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto target, MemberIdParam(req));
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"role", "name"});
    auto role_text = f.OptionalString("role", 20);
    auto name = f.OptionalString("name", 200);
    std::optional<Role> role;
    if (role_text) {
        Role r;
        if (core::ParseRole(*role_text, &r)) role = r;
        else f.Invalid("role", "must be one of owner, admin, analyst, viewer");
    }
    if (!role_text && !name) f.Invalid("role", "send a role or a name to change");
    IS_TRY_VOID(f.Finish());
    int64_t now = clock_.NowMs();
    std::optional<store::Row> updated;
    IS_TRY_VOID(db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(LockOrganization(tx, caller.tenant));
        IS_TRY(auto rows, tx.Exec(std::string("SELECT ") + kMemberColumns + " FROM users WHERE tenant_id = $1 AND id = $2",
                                  {caller.tenant, target}));
        if (rows.rows.empty()) return Error::NotFound("member not found");
        Role current;
        core::ParseRole(rows.rows[0].Text(3), &current);
        bool self = target == caller.user;
        if (role && *role != current) {
            if (self && static_cast<int>(*role) > static_cast<int>(current)) {
                return Error::PermissionDenied("you cannot raise your own role");
            }
            if (!MayGrant(caller, current) || !MayGrant(caller, *role)) return NeedOwner();
            if (current == Role::kOwner) {
                IS_TRY(int64_t owners, OwnerCount(tx, caller.tenant));
                if (owners <= 1) {
                    return Error::Conflict("the organization must keep at least one owner").WithSlug("last-owner");
                }
            }
            IS_TRY_VOID(tx.Exec("UPDATE users SET role = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                                {caller.tenant, target, core::RoleName(*role), now}));
            auto audit = store::AuditFrom(req, "member.role_changed", "user", target.str());
            audit.details = {{"from", core::RoleName(current)}, {"to", core::RoleName(*role)}};
            Role keys_need = core::MinRole(core::Permission::kManageApiKeys);
            if (static_cast<int>(*role) < static_cast<int>(keys_need) &&
                static_cast<int>(current) >= static_cast<int>(keys_need)) {
                IS_TRY(int64_t revoked, RevokeKeysOf(tx, caller.tenant, target, now));
                audit.details["api_keys_revoked"] = revoked;
            }
            IS_TRY_VOID(store::AppendAudit(tx, caller.tenant, audit, now));
        }
        if (name) {
            if (!self && !MayGrant(caller, current)) return NeedOwner();
            IS_TRY_VOID(tx.Exec("UPDATE users SET name = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                                {caller.tenant, target, *name, now}));
        }
        IS_TRY(auto after, tx.Exec(std::string("SELECT ") + kMemberColumns + " FROM users WHERE tenant_id = $1 AND id = $2",
                                   {caller.tenant, target}));
        updated = after.rows.at(0);
        return {};
    }));
    memberships_.Invalidate(caller.tenant, target);
    return http::JsonResponse(200, MemberJson(*updated));
}

Result<Response> MembersService::Remove(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto target, MemberIdParam(req));
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(LockOrganization(tx, caller.tenant));
        IS_TRY(auto rows, tx.Exec("SELECT role, email FROM users WHERE tenant_id = $1 AND id = $2", {caller.tenant, target}));
        if (rows.rows.empty()) return Error::NotFound("member not found");
        Role current;
        core::ParseRole(rows.rows[0].Text(0), &current);
        if (target != caller.user && !MayGrant(caller, current)) return NeedOwner();
        if (current == Role::kOwner) {
            IS_TRY(int64_t owners, OwnerCount(tx, caller.tenant));
            if (owners <= 1) return Error::Conflict("the organization must keep at least one owner").WithSlug("last-owner");
        }
        // No new access token can be minted (refresh tokens go), none still held works (the
        // membership check finds no member), and no key the member made outlives them.
        IS_TRY_VOID(tx.Exec("DELETE FROM login_memberships WHERE tenant_id = $1 AND user_id = $2", {caller.tenant, target}));
        IS_TRY_VOID(tx.Exec("DELETE FROM refresh_tokens WHERE tenant_id = $1 AND user_id = $2", {caller.tenant, target}));
        IS_TRY(int64_t revoked, RevokeKeysOf(tx, caller.tenant, target, now));
        IS_TRY_VOID(tx.Exec("DELETE FROM users WHERE tenant_id = $1 AND id = $2", {caller.tenant, target}));
        auto audit = store::AuditFrom(req, "member.removed", "user", target.str());
        audit.details = {{"email", rows.rows[0].Text(1)}, {"role", core::RoleName(current)}, {"api_keys_revoked", revoked}};
        return store::AppendAudit(tx, caller.tenant, audit, now);
    }));
    memberships_.Invalidate(caller.tenant, target);
    return Response::Empty(204);
}

Result<Response> MembersService::ResetPassword(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto target, MemberIdParam(req));
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"password"});
    std::string password = ReadPassword(body, f, "password", min_password_chars_);
    IS_TRY_VOID(f.Finish());
    if (target == caller.user) {
        return Error::InvalidArgument("change your own password with POST /api/v1/me/password").WithSlug("own-password");
    }
    IS_TRY(auto found, store::TransactValue(db_, caller.tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT email FROM users WHERE tenant_id = $1 AND id = $2", {caller.tenant, target});
           }));
    if (found.rows.empty()) return Error::NotFound("member not found");
    std::string email = found.rows[0].Text(0);
    IS_TRY(auto salt, SaltOf(db_, email));
    IS_TRY(auto hash, hasher_.Hash(password, salt));
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(LockOrganization(tx, caller.tenant));
        IS_TRY(auto rows, tx.Exec("SELECT role FROM users WHERE tenant_id = $1 AND id = $2", {caller.tenant, target}));
        if (rows.rows.empty()) return Error::NotFound("member not found");
        Role current;
        core::ParseRole(rows.rows[0].Text(0), &current);
        if (!MayGrant(caller, current)) return NeedOwner();
        // Only this organization's membership changes; the member must choose a new password at
        // the next login, and every session of theirs here ends now.
        IS_TRY_VOID(tx.Exec("UPDATE users SET password_hash = $3, must_change_password = 1, "
                            "token_epoch = token_epoch + 1, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                            {caller.tenant, target, hash, now}));
        IS_TRY_VOID(tx.Exec("UPDATE login_memberships SET salt = $3 WHERE email = $1 AND tenant_id = $2",
                            {email, caller.tenant, salt}));
        IS_TRY_VOID(RevokeRefreshTokens(tx, caller.tenant, target, now));
        return store::AppendAudit(tx, caller.tenant, store::AuditFrom(req, "member.password_reset", "user", target.str()),
                                  now);
    }));
    memberships_.Invalidate(caller.tenant, target);
    return Response::Empty(204);
}

}  // namespace insightstream::auth
