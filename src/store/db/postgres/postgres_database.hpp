// PostgreSQL backend over libpq with a connection pool. Every tenant transaction sets
// app.tenant_id with set_config(..., true) (transaction-local), which the row-level security
// policies read; the service should connect as a role that neither owns the tables nor is a
// superuser, or RLS does not apply.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/db/database.hpp"

namespace insightstream::store {

struct PostgresSettings {
    std::string url;            // postgres://user@host:port/db?... (password from PGPASSWORD or the URL)
    int pool_size = 8;
    int acquire_timeout_ms = 5000;
    int statement_timeout_ms = 30000;
};

class PostgresDatabase final : public Database {
public:
    static Result<std::unique_ptr<PostgresDatabase>> Open(const PostgresSettings& settings);
    ~PostgresDatabase() override;

    [[nodiscard]] Dialect dialect() const override { return Dialect::kPostgres; }
    Result<void> Transact(const core::TenantId& tenant, TxMode mode, const TxFn& fn) override;
    Result<void> TransactSystem(TxMode mode, const TxFn& fn) override;
    Result<void> Ping() override;
    Result<int> Migrate() override;
    Result<int> SchemaVersion() override;

    struct Conn;

private:
    explicit PostgresDatabase(PostgresSettings settings);
    Result<std::unique_ptr<Conn>> Acquire();
    void Release(std::unique_ptr<Conn> conn);
    Result<void> Run(const core::TenantId* tenant, TxMode mode, const TxFn& fn);

    PostgresSettings settings_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<Conn>> idle_;
    int open_ = 0;
};

}  // namespace insightstream::store
