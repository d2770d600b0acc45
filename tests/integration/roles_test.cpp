// The roles as separate processes on one PostgreSQL, as the distributed mode runs them: every role
// verifies access tokens and API keys alike, and a key revoked on the auth role stops working on
// the others within seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/datasets.hpp"
#include "support/server_process.hpp"
#include "support/test_env.hpp"

namespace insightstream::testing {
namespace {

class Roles : public ::testing::Test {
protected:
    void SetUp() override {
        if (!PostgresAdminUrl()) GTEST_SKIP() << "run through ctest for PostgreSQL";
        db_args_ = PostgresServiceArgs();
    }
    // One role in its own data directory, sharing the database and the signing keys.
    ServerOptions Role(const std::string& role) {
        ServerOptions o{.data_dir = dir_.path() / role, .command = role};
        o.args = db_args_;
        o.args.insert(o.args.end(), {"--jwt-keys-dir", (dir_.path() / "keys").string(), "--objects",
                                     "file:" + (dir_.path() / "objects").string()});
        return o;
    }
    TempDir dir_;
    std::vector<std::string> db_args_;
};

TEST_F(Roles, TokensAndApiKeysWorkOnEveryRoleAndARevokedKeyStopsEverywhereWithinSeconds) {
    ServerProcess auth(Role("auth"));
    auth.Start();
    ServerProcess ingest(Role("ingest"));
    ingest.Start();
    ServerProcess analytics(Role("analytics"));
    analytics.Start();

    std::string owner = SignUp(auth.client(), "roles@example.com");
    auto made = auth.client().PostJson("/api/v1/api-keys", R"({"name":"etl","scopes":["read","write"]})", Bearer(owner));
    ASSERT_EQ(made.status, 201) << made.body;
    std::string key(made.Json().at("key").as_string());
    std::string key_id(made.Json().at("id").as_string());

    for (const std::string& credential : {owner, key}) {
        EXPECT_EQ(ingest.client().Get("/api/v1/datasets", Bearer(credential)).status, 200);
        // Analytics knows the caller (404 for a dataset that does not exist, not 401).
        auto missing = analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(credential));
        EXPECT_EQ(missing.status, 404) << missing.body;
    }
    auto up = UploadRaw(ingest.client(), key, SalesCsv(10));
    EXPECT_EQ(up.status, 202) << up.body;
    EXPECT_EQ(analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer("isk.bogus")).status, 401);

    ASSERT_EQ(auth.client().Delete("/api/v1/api-keys/" + key_id, Bearer(owner)).status, 204);
    EXPECT_EQ(auth.client().Get("/api/v1/me", Bearer(key)).status, 401) << "at once on the role that revoked it";
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int ingest_status = 0, analytics_status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        ingest_status = ingest.client().Get("/api/v1/datasets", Bearer(key)).status;
        analytics_status = analytics.client().Get("/api/v1/datasets/ds_nothere/summary", Bearer(key)).status;
        if (ingest_status == 401 && analytics_status == 401) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(ingest_status, 401) << "a revoked key stops working on ingest within seconds";
    EXPECT_EQ(analytics_status, 401) << "and on analytics";
    EXPECT_EQ(ingest.client().Get("/api/v1/datasets", Bearer(owner)).status, 200);
    EXPECT_EQ(analytics.Stop(), 0);
    EXPECT_EQ(ingest.Stop(), 0);
    EXPECT_EQ(auth.Stop(), 0);
}

}  // namespace
}  // namespace insightstream::testing
