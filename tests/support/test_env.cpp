#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace insightstream::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("is_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    if (std::getenv("INSIGHTSTREAM_TEST_KEEP") == nullptr) fs::remove_all(path_, ec);
}

namespace {
std::optional<std::string> ReadUrl(const char* file) {
    const char* dir = std::getenv("INSIGHTSTREAM_TEST_PG_DIR");
    if (!dir || !*dir) return std::nullopt;
    std::ifstream in(fs::path(dir) / file);
    std::string url;
    std::getline(in, url);
    if (url.empty()) {
        ADD_FAILURE() << "INSIGHTSTREAM_TEST_PG_DIR=" << dir << " but " << file << " is missing: did pg.sh start fail?";
        return std::nullopt;
    }
    return url;
}
}  // namespace

std::optional<std::string> PostgresAdminUrl() { return ReadUrl("admin_url"); }
std::optional<std::string> PostgresAppUrl() { return ReadUrl("app_url"); }

std::string WithSearchPath(const std::string& url, const std::string& schema) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

void RunPsql(const std::string& url, const std::string& sql) {
    fs::path f = fs::temp_directory_path() / ("is_psql_" + std::to_string(std::random_device{}()) + ".sql");
    {
        std::ofstream out(f);
        out << sql;
    }
    std::string cmd = "psql -q -v ON_ERROR_STOP=1 '" + url + "' -f " + f.string() + " >/dev/null";
    int rc = std::system(cmd.c_str());
    fs::remove(f);
    ASSERT_EQ(rc, 0) << "psql failed: " << sql;
}

std::string FreshPostgresSchema(const std::string& admin_url, std::string* schema_out) {
    std::random_device rd;
    std::string schema = "t" + std::to_string(rd()) + std::to_string(rd() % 100000);
    RunPsql(admin_url, "CREATE SCHEMA " + schema + ";");
    if (schema_out) *schema_out = schema;
    return WithSearchPath(admin_url, schema);
}

}  // namespace insightstream::testing
