// The rate limit every auth instance counts together: exact at the limit, a Retry-After that is
// enough (the request made then gets in), and refused requests not counted against the client.
#include <gtest/gtest.h>

#include "auth/shared_rate_limit.hpp"
#include "support/db_fixture.hpp"

namespace insightstream::auth {
namespace {

class SharedLimit : public testing::BackendTest {};

TEST_P(SharedLimit, AllowsTheLimitThenTellsAWaitAfterWhichTheNextRequestGetsIn) {
    testing::FakeClock clock(1'800'000'000'000);  // the start of a minute window
    SharedRateLimit limit(*db_, clock, "login", 3, 60'000);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(limit.Take("198.51.100.7", "logins")) << i;
    auto refused = limit.Take("198.51.100.7", "logins");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), core::ErrorCode::kRateLimited);
    int wait = refused.error().retry_after_s().value_or(0);
    EXPECT_GE(wait, 1);
    EXPECT_TRUE(limit.Take("198.51.100.8", "logins")) << "another address has its own count";
    // Hammering while refused costs nothing extra.
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(limit.Take("198.51.100.7", "logins"));
    clock.Advance(int64_t{wait} * 1000 - 1000);
    EXPECT_FALSE(limit.Take("198.51.100.7", "logins")) << "a second before the wait is over";
    clock.Advance(1000);
    EXPECT_TRUE(limit.Take("198.51.100.7", "logins")) << "at the end of the wait";
}

TEST_P(SharedLimit, TheWaitIsEnoughAnywhereInTheWindow) {
    testing::FakeClock clock(1'800'000'000'000 + 45'000);  // three quarters into a window
    SharedRateLimit limit(*db_, clock, "signup", 4, 60'000);
    for (int round = 0; round < 5; ++round) {
        core::Result<void> last;
        while ((last = limit.Take("203.0.113.5", "sign-ups"))) {
        }
        int wait = last.error().retry_after_s().value_or(0);
        ASSERT_GE(wait, 1);
        clock.Advance(int64_t{wait} * 1000);
        EXPECT_TRUE(limit.Take("203.0.113.5", "sign-ups")) << "round " << round << ", after " << wait << " s";
        clock.Advance(7'000);
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedLimit, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::auth
