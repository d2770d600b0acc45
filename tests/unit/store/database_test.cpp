#include <gtest/gtest.h>

#include <thread>

#include "catalog/datasets.hpp"
#include "store/db/migrations.hpp"
#include "store/db/postgres/postgres_database.hpp"
#include "support/db_fixture.hpp"

#include <unistd.h>

namespace insightstream::store {
namespace {

using testing::BackendTest;

class Database : public BackendTest {
protected:
    Result<void> AddTenant(const std::string& id) {
        return db_->Transact(core::TenantId(id), TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", {id, "Org " + id, 1}));
            return {};
        });
    }
    // A dataset "sales" with version 1 queued.
    Result<void> AddDatasetWithOneVersion(const core::TenantId& tenant, const core::DatasetId& id) {
        return db_->Transact(tenant, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
            IS_TRY_VOID(catalog::datasets::InsertDataset(
                tx, tenant, catalog::DatasetRecord{id, "sales", "csv", 1, std::nullopt, 10, 10, {}}));
            catalog::VersionRecord v;
            v.dataset = id;
            v.version = 1;
            v.format = "csv";
            v.status = catalog::VersionStatus::kQueued;
            v.object_key = "k";
            v.created_at = 10;
            return catalog::datasets::InsertVersion(tx, tenant, v);
        });
    }
};

TEST_P(Database, MigrationsAreIdempotentAndVersioned) {
    auto again = db_->Migrate();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0);
    auto v = db_->SchemaVersion();
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, AllMigrations().back().version);
    EXPECT_TRUE(db_->Ping());
}

TEST_P(Database, CommitsOnSuccessAndRollsBackOnError) {
    ASSERT_TRUE(AddTenant("org_a"));
    auto failed = db_->Transact(core::TenantId("org_b"), TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("INSERT INTO tenants (id, name, created_at) VALUES ('org_b', 'B', 1)"));
        return core::Error::InvalidArgument("changed my mind");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().detail(), "changed my mind");
    auto n = TransactSystemValue(*db_, TxMode::kRead, [](Tx& tx) { return tx.Exec("SELECT id FROM tenants ORDER BY id"); });
    ASSERT_TRUE(n);
    ASSERT_EQ(n->rows.size(), 1U);
    EXPECT_EQ(n->rows[0].Text(0), "org_a");
}

TEST_P(Database, UniqueViolationIsAConflict) {
    ASSERT_TRUE(AddTenant("org_a"));
    auto dup = AddTenant("org_a");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code(), core::ErrorCode::kConflict);
}

TEST_P(Database, ParametersRoundTripEveryType) {
    auto r = TransactSystemValue(*db_, TxMode::kRead, [](Tx& tx) {
        return tx.Exec("SELECT $1, $2, $3, $4, $5",
                       {Param(int64_t{-9007199254740993}), Param(0.25), Param("Zürich – 東京 \"q\""), Param(nullptr),
                        Param(std::optional<int64_t>())});
    });
    ASSERT_TRUE(r) << r.error().ToString();
    const auto& row = r->rows.at(0);
    EXPECT_EQ(row.Int(0), -9007199254740993);
    EXPECT_DOUBLE_EQ(row.Double(1), 0.25);
    EXPECT_EQ(row.Text(2), "Zürich – 東京 \"q\"");
    EXPECT_TRUE(row.IsNull(3));
    EXPECT_TRUE(row.IsNull(4));
}

TEST_P(Database, ParametersMayBeUsedOutOfOrderAndTwice) {
    auto r = TransactSystemValue(*db_, TxMode::kRead, [](Tx& tx) {
        return tx.Exec("SELECT $2 || '-' || $1 || '-' || $2", {Param("a"), Param("b")});
    });
    ASSERT_TRUE(r) << r.error().ToString();
    EXPECT_EQ(r->rows.at(0).Text(0), "b-a-b");
}

TEST_P(Database, ConcurrentWritersAllCommit) {
    ASSERT_TRUE(AddTenant("org_a"));
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                auto r = db_->Transact(core::TenantId("org_a"), TxMode::kWrite, [&](Tx& tx) -> Result<void> {
                    IS_TRY_VOID(tx.Exec(
                        "INSERT INTO outbox (id, tenant_id, topic, body, created_at) VALUES ($1, 'org_a', 't', 'b', 1)",
                        {"o" + std::to_string(t) + "_" + std::to_string(i)}));
                    return {};
                });
                if (!r) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures, 0);
    auto n = TransactSystemValue(*db_, TxMode::kRead, [](Tx& tx) { return tx.Exec("SELECT COUNT(*) FROM outbox"); });
    EXPECT_EQ(n->rows.at(0).Int(0), 120);
}

TEST_P(Database, DatasetsOfAnotherTenantAreInvisible) {
    using namespace catalog;
    ASSERT_TRUE(AddTenant("org_a"));
    ASSERT_TRUE(AddTenant("org_b"));
    core::TenantId a("org_a"), b("org_b");
    core::DatasetId id("ds_1");
    ASSERT_TRUE(AddDatasetWithOneVersion(a, id));
    auto mine = TransactValue(*db_, a, TxMode::kRead, [&](Tx& tx) { return datasets::Find(tx, a, id); });
    ASSERT_TRUE(mine);
    ASSERT_TRUE(mine->has_value());
    EXPECT_EQ((*mine)->name, "sales");
    auto theirs = TransactValue(*db_, b, TxMode::kRead, [&](Tx& tx) { return datasets::Find(tx, b, id); });
    ASSERT_TRUE(theirs);
    EXPECT_FALSE(theirs->has_value());
    auto list = TransactValue(*db_, b, TxMode::kRead, [&](Tx& tx) { return datasets::List(tx, b, 10, std::nullopt); });
    EXPECT_TRUE(list->empty());
    auto del = TransactValue(*db_, b, TxMode::kWrite, [&](Tx& tx) { return datasets::Delete(tx, b, id); });
    ASSERT_TRUE(del);
    EXPECT_FALSE(*del);
    auto ver = TransactValue(*db_, b, TxMode::kWrite, [&](Tx& tx) { return datasets::MarkReady(tx, b, id, 1, 5, 0, 20); });
    EXPECT_FALSE(*ver);
}

TEST_P(Database, ListPagesNewestFirstWithACursor) {
    using namespace catalog;
    ASSERT_TRUE(AddTenant("org_a"));
    core::TenantId a("org_a");
    ASSERT_TRUE(db_->Transact(a, TxMode::kWrite, [&](Tx& tx) -> Result<void> {
        for (int i = 0; i < 5; ++i) {
            core::DatasetId id("ds_" + std::to_string(i));
            // Two share a timestamp: the id breaks the tie so no row is skipped or repeated.
            int64_t t = i == 3 ? 2 : i;
            IS_TRY_VOID(datasets::InsertDataset(tx, a, DatasetRecord{id, "n", "csv", 1, std::nullopt, t, t, {}}));
            VersionRecord v;
            v.dataset = id;
            v.version = 1;
            v.format = "csv";
            v.status = catalog::VersionStatus::kQueued;
            v.object_key = "k";
            IS_TRY_VOID(datasets::InsertVersion(tx, a, v));
        }
        return {};
    }));
    std::vector<std::string> seen;
    std::optional<ListCursor> cursor;
    for (int page = 0; page < 5; ++page) {
        auto rows = TransactValue(*db_, a, TxMode::kRead, [&](Tx& tx) { return datasets::List(tx, a, 2, cursor); });
        ASSERT_TRUE(rows);
        for (const auto& r : *rows) seen.push_back(r.id.str());
        if (rows->size() < 2) break;
        cursor = ListCursor{rows->back().created_at, rows->back().id.str()};
        auto round = ListCursor::Decode(cursor->Encode());
        ASSERT_TRUE(round);
        cursor = round;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"ds_4", "ds_3", "ds_2", "ds_1", "ds_0"}));
}

TEST_P(Database, OnlyTheLatestAttemptOfAJobMayCommitIt) {
    using namespace catalog;
    ASSERT_TRUE(AddTenant("org_a"));
    core::TenantId a("org_a");
    core::DatasetId id("ds_1");
    ASSERT_TRUE(AddDatasetWithOneVersion(a, id));
    auto start = [&] {
        return *TransactValue(*db_, a, TxMode::kWrite, [&](Tx& tx) { return datasets::MarkProcessing(tx, a, id, 1, 20); });
    };
    auto commit = [&](int64_t attempt) {
        return *TransactValue(*db_, a, TxMode::kWrite,
                              [&](Tx& tx) { return datasets::MarkReady(tx, a, id, 1, 5, 0, 30, 0, 0, attempt); });
    };
    int64_t first = start();
    int64_t second = start();  // the queue redelivered the job while the first worker still ran
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 2);
    EXPECT_FALSE(commit(first));  // the first worker lost its lease: its commit is refused
    EXPECT_TRUE(commit(second));
    EXPECT_FALSE(commit(second));  // and a duplicate delivery cannot commit again
    auto gone = TransactValue(*db_, a, TxMode::kWrite, [&](Tx& tx) { return datasets::MarkProcessing(tx, a, core::DatasetId("ds_x"), 1, 20); });
    EXPECT_EQ(*gone, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, Database, ::testing::Values("sqlite", "postgres"), testing::BackendName);

}  // namespace
}  // namespace insightstream::store

namespace insightstream::store {
namespace {

// The server closes idle pooled connections (a restart, a fail-over, an idle timeout): the next
// transaction takes a fresh connection instead of failing.
TEST(PostgresPool, ConnectionsTheServerClosedWhileIdleAreReplacedWithoutAnError) {
    auto admin = testing::PostgresAdminUrl();
    if (!admin) GTEST_SKIP() << "run through ctest for PostgreSQL";
    std::string name = "stale_" + std::to_string(::getpid());
    std::string url = *admin + (admin->find('?') == std::string::npos ? "?" : "&") + "application_name=" + name;
    auto db = PostgresDatabase::Open({.url = url, .pool_size = 3});
    ASSERT_TRUE(db) << db.error().ToString();
    auto one = [&] {
        return TransactSystemValue(**db, TxMode::kRead, [](Tx& tx) -> Result<int64_t> {
            IS_TRY(auto r, tx.Exec("SELECT 1"));
            return r.rows.at(0).Int(0);
        });
    };
    // Three connections in the pool, all idle.
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) threads.emplace_back([&] { EXPECT_TRUE(one()); });
    for (auto& t : threads) t.join();
    testing::RunPsql(*admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + name + "';");
    for (int i = 0; i < 5; ++i) {
        auto r = one();
        ASSERT_TRUE(r) << "transaction " << i << " after the server closed the pool's connections: " << r.error().ToString();
        EXPECT_EQ(*r, 1);
    }
}

}  // namespace
}  // namespace insightstream::store
