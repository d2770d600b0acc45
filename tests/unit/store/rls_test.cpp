// PostgreSQL row-level security, tested with the application's own tenant filter bypassed: the
// queries below ask for every row (or for another tenant's rows) and must still see only the
// tenant of the transaction. Runs as the service's login role (not an owner, not a superuser).
#include <gtest/gtest.h>

#include "store/db/postgres/postgres_database.hpp"
#include "support/test_env.hpp"

namespace insightstream::store {
namespace {

class RowLevelSecurity : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::getenv("INSIGHTSTREAM_TEST_PG_DIR")) GTEST_SKIP() << "run through ctest for PostgreSQL";
        auto admin_url = testing::PostgresAdminUrl();
        auto app_url = testing::PostgresAppUrl();
        ASSERT_TRUE(admin_url && app_url);
        std::string schema;
        std::string owner_url = testing::FreshPostgresSchema(*admin_url, &schema);
        auto owner = PostgresDatabase::Open({.url = owner_url});
        ASSERT_TRUE(owner);
        ASSERT_TRUE((*owner)->Migrate());
        // Two tenants with a row in every tenant table, written by the owner as each tenant.
        for (const char* t : {"org_a", "org_b"}) {
            core::TenantId tenant(t);
            auto ok = (*owner)->Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
                std::string s(t);
                IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $1, 1)", {s}));
                IS_TRY_VOID(tx.Exec("INSERT INTO users (id, tenant_id, email, password_hash, role, created_at, updated_at) "
                                    "VALUES ($1, $2, $3, 'h', 'owner', 1, 1)",
                                    {"usr_" + s, s, s + "@example.com"}));
                IS_TRY_VOID(tx.Exec("INSERT INTO datasets (id, tenant_id, name, format, latest_version, version_seq, "
                                    "created_at, updated_at) VALUES ($1, $2, 'n', 'csv', 1, 1, 1, 1)",
                                    {"ds_" + s, s}));
                IS_TRY_VOID(tx.Exec("INSERT INTO dataset_versions (tenant_id, dataset_id, version, format, status, "
                                    "object_key, size_bytes, sha256, created_at) VALUES ($1, $2, 1, 'csv', 'ready', 'k', 1, "
                                    "'x', 1)",
                                    {s, "ds_" + s}));
                IS_TRY_VOID(tx.Exec("INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, scopes, role, "
                                    "created_at) VALUES ($1, $2, 'k', 'p', 'h', 'read', 'viewer', 1)",
                                    {"key_" + s, s}));
                IS_TRY_VOID(tx.Exec("INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, family_id, created_at, "
                                    "expires_at) VALUES ($1, $2, $3, 'f', 1, 2)",
                                    {"h_" + s, s, "usr_" + s}));
                IS_TRY_VOID(tx.Exec("INSERT INTO audit_events (id, tenant_id, at, action) VALUES ($1, $2, 1, 'x')",
                                    {"aud_" + s, s}));
                return {};
            });
            ASSERT_TRUE(ok) << ok.error().ToString();
        }
        auto app = PostgresDatabase::Open({.url = testing::WithSearchPath(*app_url, schema)});
        ASSERT_TRUE(app) << app.error().ToString();
        app_ = std::move(*app);
    }
    // Every row of `table` visible to a transaction of `tenant`, with no WHERE clause at all.
    std::vector<std::string> Visible(const std::string& table, const std::string& column, const core::TenantId* tenant) {
        std::string sql = "SELECT " + column + " FROM " + table + " ORDER BY 1";
        auto fn = [&](Tx& tx) { return tx.Exec(sql); };
        auto r = tenant ? TransactValue(*app_, *tenant, TxMode::kRead, fn) : TransactSystemValue(*app_, TxMode::kRead, fn);
        EXPECT_TRUE(r) << r.error().ToString();
        std::vector<std::string> out;
        if (r) {
            for (const auto& row : r->rows) out.push_back(row.Text(0));
        }
        return out;
    }
    std::unique_ptr<PostgresDatabase> app_;
};

TEST_F(RowLevelSecurity, TheServiceRoleIsNeitherSuperuserNorOwner) {
    auto r = TransactSystemValue(*app_, TxMode::kRead, [](Tx& tx) {
        return tx.Exec("SELECT rolsuper, rolbypassrls, (SELECT tableowner FROM pg_tables WHERE tablename = 'datasets' "
                       "AND schemaname = current_schema()) = current_user FROM pg_roles WHERE rolname = current_user");
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rows.at(0).Text(0), "f");
    EXPECT_EQ(r->rows.at(0).Text(1), "f");
    EXPECT_EQ(r->rows.at(0).Text(2), "f");
}

TEST_F(RowLevelSecurity, AnUnfilteredQuerySeesOnlyTheTransactionsTenant) {
    core::TenantId b("org_b");
    EXPECT_EQ(Visible("tenants", "id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("users", "tenant_id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("datasets", "tenant_id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("dataset_versions", "tenant_id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("api_keys", "tenant_id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("refresh_tokens", "tenant_id", &b), std::vector<std::string>{"org_b"});
    EXPECT_EQ(Visible("audit_events", "tenant_id", &b), std::vector<std::string>{"org_b"});
}

TEST_F(RowLevelSecurity, AskingForAnotherTenantByIdFindsNothing) {
    auto r = TransactValue(*app_, core::TenantId("org_b"), TxMode::kRead, [](Tx& tx) {
        return tx.Exec("SELECT id FROM datasets WHERE tenant_id = 'org_a' OR id = 'ds_org_a'");
    });
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->rows.empty());
}

TEST_F(RowLevelSecurity, ASystemTransactionSeesNoTenantRows) {
    EXPECT_TRUE(Visible("users", "id", nullptr).empty());
    EXPECT_TRUE(Visible("datasets", "id", nullptr).empty());
    EXPECT_TRUE(Visible("refresh_tokens", "token_hash", nullptr).empty());
}

TEST_F(RowLevelSecurity, WritesIntoAnotherTenantAreRefused) {
    auto insert = app_->Transact(core::TenantId("org_b"), TxMode::kWrite, [](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO datasets (id, tenant_id, name, format, latest_version, version_seq, created_at, "
                            "updated_at) VALUES ('ds_evil', 'org_a', 'n', 'csv', 1, 1, 1, 1)"));
        return {};
    });
    EXPECT_FALSE(insert);
    auto update = TransactValue(*app_, core::TenantId("org_b"), TxMode::kWrite, [](Tx& tx) {
        return tx.Exec("UPDATE datasets SET name = 'pwned' WHERE tenant_id = 'org_a'");
    });
    ASSERT_TRUE(update);
    EXPECT_EQ(update->affected, 0);
    auto del = TransactValue(*app_, core::TenantId("org_b"), TxMode::kWrite,
                             [](Tx& tx) { return tx.Exec("DELETE FROM users"); });
    ASSERT_TRUE(del);
    EXPECT_EQ(del->affected, 1);  // its own user only
    core::TenantId a("org_a");
    EXPECT_EQ(Visible("users", "id", &a), std::vector<std::string>{"usr_org_a"});
}

}  // namespace
}  // namespace insightstream::store
