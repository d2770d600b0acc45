// Shared helpers for tests: temporary directories, the private PostgreSQL started by ctest
// (tests/support/pg.sh), and a fresh schema per test so tests never see each other's rows.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace insightstream::testing {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

/// The superuser URL of the test PostgreSQL, or nullopt when the tests run without one
/// (INSIGHTSTREAM_TEST_PG_DIR unset). When the variable is set but the server is missing, this
/// fails the test instead of skipping it.
std::optional<std::string> PostgresAdminUrl();
/// The non-owner, non-superuser application role's URL.
std::optional<std::string> PostgresAppUrl();

/// Creates an empty schema and returns `url` with search_path set to it.
std::string FreshPostgresSchema(const std::string& admin_url, std::string* schema_out = nullptr);
/// Adds "?options=-csearch_path=<schema>" to a URL.
std::string WithSearchPath(const std::string& url, const std::string& schema);

/// Runs one SQL script through psql (setup that the service must not be able to do itself).
void RunPsql(const std::string& url, const std::string& sql);

}  // namespace insightstream::testing
