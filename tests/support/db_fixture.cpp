#include "support/db_fixture.hpp"

#include "store/db/postgres/postgres_database.hpp"
#include "store/db/sqlite/sqlite_database.hpp"

namespace insightstream::testing {

std::unique_ptr<store::Database> OpenTestDatabase(const std::string& backend, const TempDir& dir,
                                                  std::string* url_out) {
    std::unique_ptr<store::Database> db;
    if (backend == "sqlite") {
        std::string path = (dir.path() / "test.db").string();
        auto opened = store::SqliteDatabase::Open({.path = path});
        EXPECT_TRUE(opened) << opened.error().ToString();
        if (!opened) return nullptr;
        if (url_out) *url_out = "sqlite:" + path;
        db = std::move(*opened);
    } else {
        auto admin = PostgresAdminUrl();
        if (!admin) return nullptr;
        std::string url = FreshPostgresSchema(*admin);
        auto opened = store::PostgresDatabase::Open({.url = url, .pool_size = 8});
        EXPECT_TRUE(opened) << opened.error().ToString();
        if (!opened) return nullptr;
        if (url_out) *url_out = url;
        db = std::move(*opened);
    }
    auto migrated = db->Migrate();
    EXPECT_TRUE(migrated) << migrated.error().ToString();
    if (!migrated) return nullptr;
    return db;
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace insightstream::testing
