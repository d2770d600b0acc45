#include "store/audit_log.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/crypto.hpp"

namespace insightstream::store {

namespace json = boost::json;

namespace {
Param OptText(const std::string& s) { return s.empty() ? Param(nullptr) : Param(s); }
json::value OrNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }
}  // namespace

Result<void> AppendAudit(Tx& tx, const core::TenantId& tenant, const AuditEvent& e, int64_t now_ms) {
    IS_TRY_VOID(tx.Exec(
        "INSERT INTO audit_events (id, tenant_id, at, actor_user_id, actor_key_id, action, target_type, target_id, "
        "ip, user_agent, request_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        {"aud_" + core::RandomToken(15), tenant, now_ms, OptText(e.actor_user_id), OptText(e.actor_key_id), e.action,
         OptText(e.target_type), OptText(e.target_id), OptText(e.ip), OptText(e.user_agent.substr(0, 300)),
         OptText(e.request_id), json::serialize(e.details)}));
    return {};
}

Result<std::vector<AuditRecord>> ListAudit(Tx& tx, const core::TenantId& tenant, int limit,
                                           const std::optional<std::pair<int64_t, std::string>>& before,
                                           const std::optional<std::string>& action) {
    std::string sql =
        "SELECT id, at, actor_user_id, actor_key_id, action, target_type, target_id, ip, user_agent, request_id, "
        "details FROM audit_events WHERE tenant_id = $1";
    std::vector<Param> params{tenant, int64_t{limit}};
    if (before) {
        sql += " AND (at < $3 OR (at = $3 AND id < $4))";
        params.emplace_back(before->first);
        params.emplace_back(before->second);
    }
    if (action) {
        sql += " AND action = $" + std::to_string(params.size() + 1);
        params.emplace_back(*action);
    }
    sql += " ORDER BY at DESC, id DESC LIMIT $2";
    IS_TRY(auto rows, tx.Exec(sql, params));
    std::vector<AuditRecord> out;
    for (const auto& r : rows.rows) {
        AuditRecord a;
        a.id = r.Text(0);
        a.at = r.Int(1);
        a.event.actor_user_id = r.Text(2);
        a.event.actor_key_id = r.Text(3);
        a.event.action = r.Text(4);
        a.event.target_type = r.Text(5);
        a.event.target_id = r.Text(6);
        a.event.ip = r.Text(7);
        a.event.user_agent = r.Text(8);
        a.event.request_id = r.Text(9);
        boost::system::error_code ec;
        auto d = json::parse(r.Text(10), ec);
        if (!ec && d.is_object()) a.event.details = d.as_object();
        out.push_back(std::move(a));
    }
    return out;
}

json::object AuditJson(const AuditRecord& r) {
    const auto& e = r.event;
    return json::object{{"id", r.id},
                        {"at", core::FormatRfc3339(r.at)},
                        {"action", e.action},
                        {"actor", {{"user_id", OrNull(e.actor_user_id)}, {"api_key_id", OrNull(e.actor_key_id)}}},
                        {"target", {{"type", OrNull(e.target_type)}, {"id", OrNull(e.target_id)}}},
                        {"ip", OrNull(e.ip)},
                        {"user_agent", OrNull(e.user_agent)},
                        {"request_id", OrNull(e.request_id)},
                        {"details", e.details}};
}

}  // namespace insightstream::store
