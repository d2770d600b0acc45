// API keys for machines, and the audit log route. A key is "isk.<tenant>.<prefix>.<secret>":
// shown once at creation, stored as the SHA-256 of the whole key (it is 256 random bits, so a
// slow hash buys nothing), identified later by its prefix. Scope "read" acts as a viewer, scope
// "write" as an analyst; keys never manage members or keys.
#include <boost/json.hpp>

#include "auth/auth_service.hpp"
#include "core/crypto.hpp"
#include "http/json_body.hpp"
#include "store/audit_log.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using http::Request;
using http::Response;
using store::Tx;
using store::TxMode;
namespace json = boost::json;

namespace {
json::value OptTime(const std::optional<int64_t>& ms) {
    return ms ? json::value(core::FormatRfc3339(*ms)) : json::value(nullptr);
}

json::array ScopesJson(const std::string& scopes) {
    json::array out;
    if (scopes.find("read") != std::string::npos) out.emplace_back("read");
    if (scopes.find("write") != std::string::npos) out.emplace_back("write");
    return out;
}

template <class T>
std::optional<T> ParseLimit(const Request& req, int max, std::vector<core::FieldError>& bad, T fallback) {
    auto l = req.Query("limit");
    if (!l) return fallback;
    char* end = nullptr;
    long v = std::strtol(l->c_str(), &end, 10);
    if (l->empty() || *end != '\0' || v < 1 || v > max) {
        bad.push_back({"limit", "must be an integer from 1 to " + std::to_string(max)});
        return std::nullopt;
    }
    return static_cast<T>(v);
}
}  // namespace

ApiKeysService::ApiKeysService(store::Database& db, const core::Clock& clock, core::IdSource& ids)
    : db_(db), clock_(clock), ids_(ids) {}

void ApiKeysService::RegisterRoutes(http::Router& router) {
    http::RouteOptions manage{.permission = core::Permission::kManageApiKeys, .writes = true, .body_limit = 64 * 1024};
    router.Add("GET", "/api/v1/api-keys", [this](Request& r) { return List(r); },
               {.permission = core::Permission::kManageApiKeys});
    router.Add("POST", "/api/v1/api-keys", [this](Request& r) { return Create(r); }, manage);
    router.Add("DELETE", "/api/v1/api-keys/{id}", [this](Request& r) { return Revoke(r); }, manage);
    router.Add("GET", "/api/v1/audit", [this](Request& r) { return Audit(r); },
               {.permission = core::Permission::kReadAudit});
}

Result<Response> ApiKeysService::List(Request& req) {
    const auto& tenant = req.Caller().tenant;
    IS_TRY(auto rows, store::TransactValue(db_, tenant, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at, created_by "
                              "FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000",
                              {tenant});
           }));
    json::array items;
    for (const auto& r : rows.rows) {
        items.push_back(json::object{{"id", r.Text(0)},
                                     {"name", r.Text(1)},
                                     {"prefix", "isk." + tenant.str() + "." + r.Text(2)},
                                     {"scopes", ScopesJson(r.Text(3))},
                                     {"created_at", core::FormatRfc3339(r.Int(4))},
                                     {"last_used_at", OptTime(r.OptInt(5))},
                                     {"revoked_at", OptTime(r.OptInt(6))},
                                     {"created_by", r.IsNull(7) ? json::value(nullptr) : json::value(r.Text(7))}});
    }
    return http::JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Result<Response> ApiKeysService::Create(Request& req) {
    const auto& caller = req.Caller();
    IS_TRY(auto body, http::ParseJsonObject(req));
    http::JsonFields f(body);
    f.OnlyAllow({"name", "scopes"});
    std::string name = f.RequiredString("name", 1, 100);
    auto scopes = f.OptionalStringArray("scopes", 2);
    bool read = false;
    bool write = false;
    if (!scopes || scopes->empty()) {
        f.Invalid("scopes", "is required: [\"read\"] or [\"read\", \"write\"]");
    } else {
        for (const auto& s : *scopes) {
            if (s == "read") read = true;
            else if (s == "write") write = true;
            else f.Invalid("scopes", "may contain only \"read\" and \"write\"");
        }
    }
    IS_TRY_VOID(f.Finish());
    read = true;  // writing implies reading
    std::string id = ids_.NewId("key_");
    std::string prefix = core::RandomToken(6);
    std::string key = "isk." + caller.tenant.str() + "." + prefix + "." + core::RandomToken(32);
    std::string scope_text = write ? "read,write" : "read";
    core::Role role = write ? core::Role::kAnalyst : core::Role::kViewer;
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, role, created_by, "
                            "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                            {id, caller.tenant, name, prefix, core::Sha256Hex(key), scope_text, core::RoleName(role),
                             caller.user.empty() ? store::Param(nullptr) : store::Param(caller.user), now}));
        auto audit = store::AuditFrom(req, "api_key.created", "api_key", id);
        audit.details = {{"name", name}, {"scopes", scope_text}};
        return store::AppendAudit(tx, caller.tenant, audit, now);
    }));
    (void)read;
    auto resp = http::JsonResponse(201, json::object{{"id", id},
                                                     {"name", name},
                                                     {"prefix", "isk." + caller.tenant.str() + "." + prefix},
                                                     {"scopes", ScopesJson(scope_text)},
                                                     {"created_at", core::FormatRfc3339(now)},
                                                     {"key", key}});
    resp.Header("Location", "/api/v1/api-keys/" + id);
    return resp;
}

Result<Response> ApiKeysService::Revoke(Request& req) {
    const auto& caller = req.Caller();
    const std::string& id = req.PathParam("id");
    if (!core::IsValidId(id)) return Error::NotFound("API key not found");
    int64_t now = clock_.NowMs();
    IS_TRY_VOID(db_.Transact(caller.tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY(auto r, tx.Exec("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL",
                               {caller.tenant, id, now}));
        if (r.affected == 0) return Error::NotFound("API key not found");
        return store::AppendAudit(tx, caller.tenant, store::AuditFrom(req, "api_key.revoked", "api_key", id), now);
    }));
    return Response::Empty(204);
}

Result<Response> ApiKeysService::Audit(Request& req) {
    const auto& tenant = req.Caller().tenant;
    std::vector<core::FieldError> bad;
    auto limit = ParseLimit<int>(req, 500, bad, 100);
    std::optional<std::pair<int64_t, std::string>> before;
    if (auto c = req.Query("cursor"); c && !c->empty()) {
        auto raw = core::Base64UrlDecode(*c);
        size_t colon = raw ? raw->find(':') : std::string::npos;
        if (colon == std::string::npos) {
            bad.push_back({"cursor", "is not a cursor this API handed out"});
        } else {
            before = std::make_pair(std::strtoll(raw->substr(0, colon).c_str(), nullptr, 10), raw->substr(colon + 1));
        }
    }
    if (!bad.empty()) return Error::InvalidFields(std::move(bad));
    auto action = req.Query("action");
    IS_TRY(auto rows, store::TransactValue(db_, tenant, TxMode::kRead, [&](Tx& tx) {
               return store::ListAudit(tx, tenant, *limit + 1, before, action);
           }));
    json::array items;
    for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(*limit); ++i) items.push_back(store::AuditJson(rows[i]));
    json::value next = nullptr;
    if (rows.size() > static_cast<size_t>(*limit)) {
        const auto& last = rows[static_cast<size_t>(*limit) - 1];
        next = core::Base64UrlEncode(std::to_string(last.at) + ":" + last.id);
    }
    return http::JsonResponse(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace insightstream::auth
