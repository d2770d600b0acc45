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
    const double w = static_cast<double>(window_ms_);
    std::string base = name_ + ":" + core::Sha256Hex(key).substr(0, 32) + ":";
    std::string current = base + std::to_string(window);
    std::string previous = base + std::to_string(window - 1);
    // The estimate of the last window_ms: the previous window weighted by how much of it still
    // overlaps, plus the current one (this request included).
    auto estimate = [&](double prev, double cur) { return prev * (1.0 - static_cast<double>(into) / w) + cur; };
    struct Counts {
        double prev = 0, cur = 0;
        bool refused = false;
    };
    IS_TRY(auto c, store::TransactSystemValue(db_, TxMode::kWrite, [&](Tx& tx) -> Result<Counts> {
               IS_TRY(auto cur, tx.Exec("INSERT INTO rate_windows (window_key, hits, expires_at) VALUES ($1, 1, $2) "
                                        "ON CONFLICT (window_key) DO UPDATE SET hits = rate_windows.hits + 1 "
                                        "RETURNING hits",
                                        {current, (window + 2) * window_ms_}));
               IS_TRY(auto prev, tx.Exec("SELECT hits FROM rate_windows WHERE window_key = $1", {previous}));
               Counts out;
               out.cur = cur.rows.empty() ? 1 : static_cast<double>(cur.rows[0].Int(0));
               out.prev = prev.rows.empty() ? 0 : static_cast<double>(prev.rows[0].Int(0));
               if (estimate(out.prev, out.cur) > limit_) {
                   // A refused request is not counted: a client that waits as told gets in.
                   IS_TRY_VOID(tx.Exec("UPDATE rate_windows SET hits = hits - 1 WHERE window_key = $1", {current}));
                   out.cur -= 1;
                   out.refused = true;
               }
               // Now and then, forget the windows of everyone that have passed.
               if ((now & 63) == 0) IS_TRY_VOID(tx.Exec("DELETE FROM rate_windows WHERE expires_at < $1", {now}));
               return out;
           }));
    if (!c.refused) return {};
    // When the next request (+1) fits: later in this window, as the previous one slides out ...
    double room = limit_ - 1.0 - c.cur;
    double wait_ms = -1;
    if (room >= 0 && c.prev > 0) {
        double t = w * (1.0 - room / c.prev) - static_cast<double>(into);
        if (t < w - static_cast<double>(into)) wait_ms = std::max(t, 0.0);
    }
    // ... or in the next one, as this one slides out.
    if (wait_ms < 0) {
        double x = c.cur > limit_ - 1.0 ? w * (1.0 - (limit_ - 1.0) / c.cur) : 0.0;
        wait_ms = w - static_cast<double>(into) + x;
    }
    int wait_s = std::max(1, static_cast<int>(std::ceil(wait_ms / 1000.0)));
    return Error::RateLimited("too many " + std::string(what) + "; retry in " + std::to_string(wait_s) + " s", wait_s);
}

}  // namespace insightstream::auth
