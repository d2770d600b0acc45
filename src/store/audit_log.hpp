// The audit log: who did what, when and from where, per tenant. Written inside the transaction of
// the change it records (so a recorded change always has its entry), read by admins.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "store/db/database.hpp"

namespace insightstream::store {

struct AuditEvent {
    std::string action;  // stable dotted name, e.g. "member.role_changed"
    std::string actor_user_id;
    std::string actor_key_id;
    std::string target_type;
    std::string target_id;
    std::string ip;
    std::string user_agent;
    std::string request_id;
    boost::json::object details;
};

struct AuditRecord {
    std::string id;
    int64_t at = 0;
    AuditEvent event;
};

Result<void> AppendAudit(Tx& tx, const core::TenantId& tenant, const AuditEvent& event, int64_t now_ms);
/// Newest first; `before` = (at, id) of the last row of the previous page.
Result<std::vector<AuditRecord>> ListAudit(Tx& tx, const core::TenantId& tenant, int limit,
                                           const std::optional<std::pair<int64_t, std::string>>& before,
                                           const std::optional<std::string>& action);
boost::json::object AuditJson(const AuditRecord& r);

}  // namespace insightstream::store

namespace insightstream::store {

/// An event filled from a request: the caller (user or API key), address, user agent, request id.
template <class Request>
AuditEvent AuditFrom(const Request& req, std::string action, std::string target_type = {},
                     std::string target_id = {}) {
    AuditEvent e;
    e.action = std::move(action);
    e.target_type = std::move(target_type);
    e.target_id = std::move(target_id);
    e.ip = req.remote_ip;
    e.request_id = req.request_id;
    if (const std::string* ua = req.Header("user-agent")) e.user_agent = *ua;
    if (req.principal) {
        e.actor_user_id = req.principal->user.str();
        e.actor_key_id = req.principal->key_id;
    }
    return e;
}

}  // namespace insightstream::store
