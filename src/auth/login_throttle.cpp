#include "auth/login_throttle.hpp"

#include <algorithm>

#include "core/crypto.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using store::Tx;
using store::TxMode;

namespace {
std::string AccountKey(const std::string& email) { return "a:" + core::Sha256Hex(email); }
std::string SourceKey(const std::string& email, const std::string& source) {
    return "s:" + core::Sha256Hex(email + "\n" + source);
}
// Milliseconds to wait after the last failure, for `failures` of which `free` cost nothing.
int64_t Wait(int64_t failures, int free, int max_s) {
    if (failures < free) return 0;
    int64_t exp = std::min<int64_t>(failures - free, 30);
    return std::min<int64_t>(int64_t{1000} << exp, int64_t{max_s} * 1000);
}
}  // namespace

Result<void> LoginThrottle::Check(const std::string& email, const std::string& source) const {
    int64_t now = clock_.NowMs();
    std::string account = AccountKey(email);
    std::string pair = SourceKey(email, source);
    IS_TRY(auto rows, store::TransactSystemValue(db_, TxMode::kRead, [&](Tx& tx) {
               return tx.Exec("SELECT attempt_key, failures, last_failure_at FROM login_attempts "
                              "WHERE attempt_key = $1 OR attempt_key = $2",
                              {account, pair});
           }));
    int64_t until = 0;
    for (const auto& r : rows.rows) {
        int64_t last = r.Int(2);
        if (last < now - int64_t{settings_.forget_after_s} * 1000) continue;
        bool is_account = r.Text(0) == account;
        int64_t wait = is_account ? Wait(r.Int(1), settings_.per_account_free, settings_.per_account_max_s)
                                  : Wait(r.Int(1), settings_.per_source_free, settings_.per_source_max_s);
        until = std::max(until, last + wait);
    }
    if (until <= now) return {};
    int wait_s = static_cast<int>((until - now + 999) / 1000);
    return Error::RateLimited("too many failed logins; retry in " + std::to_string(wait_s) + " s", wait_s)
        .WithSlug("login-throttled");
}

Result<void> LoginThrottle::Failed(const std::string& email, const std::string& source) const {
    int64_t now = clock_.NowMs();
    int64_t stale = now - int64_t{settings_.forget_after_s} * 1000;
    return db_.TransactSystem(TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        for (const std::string& key : {AccountKey(email), SourceKey(email, source)}) {
            IS_TRY_VOID(tx.Exec("INSERT INTO login_attempts (attempt_key, failures, last_failure_at) VALUES ($1, 1, $2) "
                                "ON CONFLICT (attempt_key) DO UPDATE SET failures = CASE WHEN "
                                "login_attempts.last_failure_at < $3 THEN 1 ELSE login_attempts.failures + 1 END, "
                                "last_failure_at = $2",
                                {key, now, stale}));
        }
        // Now and then, forget the old counters of everyone.
        if ((now & 63) == 0) IS_TRY_VOID(tx.Exec("DELETE FROM login_attempts WHERE last_failure_at < $1", {stale}));
        return {};
    });
}

Result<void> LoginThrottle::Succeeded(const std::string& email, const std::string& source) const {
    return db_.TransactSystem(TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("DELETE FROM login_attempts WHERE attempt_key = $1 OR attempt_key = $2",
                            {AccountKey(email), SourceKey(email, source)}));
        return {};
    });
}

}  // namespace insightstream::auth
