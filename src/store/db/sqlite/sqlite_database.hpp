// SQLite backend: the embedded default. A small pool of connections in WAL mode (readers never
// block the writer), a busy timeout, foreign keys on; write transactions use BEGIN IMMEDIATE and
// are serialized in-process so threads never spin on SQLITE_BUSY against each other.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/db/database.hpp"

struct sqlite3;

namespace insightstream::store {

struct SqliteSettings {
    std::string path;      // file path; ":memory:" is not supported (connections would not share it)
    int pool_size = 8;
    int busy_timeout_ms = 10000;
};

class SqliteDatabase final : public Database {
public:
    static Result<std::unique_ptr<SqliteDatabase>> Open(const SqliteSettings& settings);
    ~SqliteDatabase() override;

    [[nodiscard]] Dialect dialect() const override { return Dialect::kSqlite; }
    Result<void> Transact(const core::TenantId& tenant, TxMode mode, const TxFn& fn) override;
    Result<void> TransactSystem(TxMode mode, const TxFn& fn) override;
    Result<void> Ping() override;
    Result<int> Migrate() override;
    Result<int> SchemaVersion() override;

    struct Conn;

private:
    explicit SqliteDatabase(SqliteSettings settings);
    Result<std::unique_ptr<Conn>> Acquire();
    void Release(std::unique_ptr<Conn> conn);
    Result<void> Run(TxMode mode, const TxFn& fn);

    SqliteSettings settings_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Conn>> idle_;
    int open_ = 0;
    std::mutex write_mutex_;  // one writer at a time inside this process
};

}  // namespace insightstream::store
