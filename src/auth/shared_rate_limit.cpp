#include "auth/shared_rate_limit.hpp"

#include <algorithm>
#include <cmath>

#include "core/crypto.hpp"

namespace insightstream::auth {

using core::Error;
using core::Result;
using store::Tx;
using store::TxMode;

Result<void> SharedRateLimit::Take(const std::string& key, std::string_view what) const {
    if (limit_ <= 0) return {};
    int64_t now = clock_.NowMs();
    int64_t window = now / window_ms_;
    int64_t into = now - window * window_ms_;
    std::string base = name_ + ":" + core::Sha256Hex(key).substr(0, 32) + ":";
    std::string current = base + std::to_string(window);
    std::string previous = base + std::to_string(window - 1);
    IS_TRY(auto counts, store::TransactSystemValue(db_, TxMode::kWrite, [&](Tx& tx) -> Result<std::pair<int64_t, int64_t>> {
               IS_TRY(auto cur, tx.Exec("INSERT INTO rate_windows (window_key, hits, expires_at) VALUES ($1, 1, $2) "
                                        "ON CONFLICT (window_key) DO UPDATE SET hits = rate_windows.hits + 1 "
                                        "RETURNING hits",
                                        {current, (window + 2) * window_ms_}));
               IS_TRY(auto prev, tx.Exec("SELECT hits FROM rate_windows WHERE window_key = $1", {previous}));
               // Now and then, forget the windows of everyone that have passed.
               if ((now & 63) == 0) IS_TRY_VOID(tx.Exec("DELETE FROM rate_windows WHERE expires_at < $1", {now}));
               return std::pair<int64_t, int64_t>{cur.rows.empty() ? 1 : cur.rows[0].Int(0),
                                                  prev.rows.empty() ? 0 : prev.rows[0].Int(0)};
           }));
    double overlap = 1.0 - static_cast<double>(into) / static_cast<double>(window_ms_);
    double estimate = static_cast<double>(counts.second) * overlap + static_cast<double>(counts.first);
    if (estimate <= limit_) return {};
    // Until enough of the previous window has slid out, or the current one has ended.
    int64_t wait_ms = window_ms_ - into;
    if (counts.second > 0 && static_cast<double>(counts.first) <= limit_) {
        double excess = estimate - limit_;
        wait_ms = std::min<int64_t>(wait_ms, static_cast<int64_t>(std::ceil(excess / counts.second * window_ms_)));
    }
    int wait_s = static_cast<int>(std::max<int64_t>(1, (wait_ms + 999) / 1000));
    return Error::RateLimited("too many " + std::string(what) + "; retry in " + std::to_string(wait_s) + " s", wait_s);
}

}  // namespace insightstream::auth
