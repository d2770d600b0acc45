#include "store/db/postgres/postgres_database.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstring>

#include "core/log.hpp"
#include "store/db/migrations.hpp"

namespace insightstream::store {

using core::Error;

namespace {

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Maps a failed libpq result to an Error. SQLSTATE classes: 23505 unique violation, 40001/40P01
// serialization failure and deadlock (retry), 08 connection exceptions, 57P0x shutdown (unavailable).
Error PgError(PGconn* conn, const PGresult* res, std::string_view what) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = std::string(what) + ": " + (res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    std::string_view s = state ? state : "";
    if (s == "23505") return Error::Conflict("the resource already exists").WithInternal(msg);
    if (s == "40001" || s == "40P01") return Error::Unavailable(msg).WithSlug("serialization-failure");
    if (s.starts_with("08") || s.starts_with("57P") || PQstatus(conn) != CONNECTION_OK) return Error::Unavailable(msg);
    if (s == "57014") return Error::DeadlineExceeded(msg);
    return Error::Internal(msg);
}

}  // namespace

struct PostgresDatabase::Conn {
    PGconn* pg = nullptr;
    ~Conn() {
        if (pg) PQfinish(pg);
    }

    Result<void> Simple(const std::string& sql) {
        PgResultPtr r(PQexec(pg, sql.c_str()));
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(pg, r.get(), "exec");
        return {};
    }

    Result<QueryResult> Exec(std::string_view sql, const std::vector<Param>& params) {
        std::vector<std::string> texts;
        std::vector<const char*> values;
        texts.reserve(params.size());
        values.reserve(params.size());
        for (const auto& p : params) {
            texts.push_back(p.ToText());
            values.push_back(p.kind() == Param::kNull ? nullptr : texts.back().c_str());
        }
        std::string q(sql);
        PgResultPtr r(PQexecParams(pg, q.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr,
                                   nullptr, 0));
        auto st = PQresultStatus(r.get());
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return PgError(pg, r.get(), "query");
        QueryResult out;
        int nrows = PQntuples(r.get());
        int ncols = PQnfields(r.get());
        out.rows.reserve(nrows);
        for (int i = 0; i < nrows; ++i) {
            std::vector<std::optional<std::string>> cells;
            cells.reserve(ncols);
            for (int c = 0; c < ncols; ++c) {
                if (PQgetisnull(r.get(), i, c)) {
                    cells.emplace_back(std::nullopt);
                } else {
                    cells.emplace_back(std::string(PQgetvalue(r.get(), i, c), PQgetlength(r.get(), i, c)));
                }
            }
            out.rows.emplace_back(std::move(cells));
        }
        const char* affected = PQcmdTuples(r.get());
        out.affected = (affected && *affected) ? std::atoll(affected) : 0;
        return out;
    }
};

namespace {
class PostgresTx final : public Tx {
public:
    explicit PostgresTx(PostgresDatabase::Conn& c) : conn_(c) {}
    Result<QueryResult> Exec(std::string_view sql, const std::vector<Param>& params) override {
        return conn_.Exec(sql, params);
    }
    [[nodiscard]] Dialect dialect() const override { return Dialect::kPostgres; }

private:
    PostgresDatabase::Conn& conn_;
};
}  // namespace

PostgresDatabase::PostgresDatabase(PostgresSettings settings) : settings_(std::move(settings)) {}
PostgresDatabase::~PostgresDatabase() = default;

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(const PostgresSettings& settings) {
    std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(settings));
    IS_TRY(auto conn, db->Acquire());
    db->Release(std::move(conn));
    return db;
}

Result<std::unique_ptr<PostgresDatabase::Conn>> PostgresDatabase::Acquire() {
    for (;;) {
        std::unique_ptr<Conn> conn;
        {
            std::unique_lock lock(mutex_);
            bool ok = cv_.wait_for(lock, std::chrono::milliseconds(settings_.acquire_timeout_ms),
                                   [&] { return !idle_.empty() || open_ < settings_.pool_size; });
            if (!ok) return Error::Unavailable("postgres pool exhausted");
            if (!idle_.empty()) {
                conn = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_;
            }
        }
        if (conn) {
            if (PQstatus(conn->pg) == CONNECTION_OK) return conn;
            conn.reset();  // a broken connection is dropped and replaced below
            std::scoped_lock lock(mutex_);
            --open_;
            continue;
        }
        conn = std::make_unique<Conn>();
        conn->pg = PQconnectdb(settings_.url.c_str());
        if (PQstatus(conn->pg) != CONNECTION_OK) {
            // The message can contain the host but never the password.
            std::string msg = PQerrorMessage(conn->pg);
            conn.reset();
            std::scoped_lock lock(mutex_);
            --open_;
            cv_.notify_one();
            return Error::Unavailable("postgres connect: " + msg);
        }
        auto set = conn->Simple("SET statement_timeout = " + std::to_string(settings_.statement_timeout_ms) +
                                "; SET client_min_messages = warning");
        if (!set) {
            std::scoped_lock lock(mutex_);
            --open_;
            cv_.notify_one();
            return std::move(set).error();
        }
        return conn;
    }
}

void PostgresDatabase::Release(std::unique_ptr<Conn> conn) {
    std::scoped_lock lock(mutex_);
    if (conn && PQstatus(conn->pg) == CONNECTION_OK && PQtransactionStatus(conn->pg) == PQTRANS_IDLE) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
    }
    cv_.notify_one();
}

Result<void> PostgresDatabase::Run(const core::TenantId* tenant, TxMode mode, const TxFn& fn) {
    constexpr int kAttempts = 4;
    int stale = 0;
    for (int attempt = 1;; ++attempt) {
        IS_TRY(auto conn, Acquire());
        // BEGIN and the tenant in one round trip (a request's transaction is often one query).
        // Always set the tenant, also to '' for system transactions: on a pooled connection a
        // previous value never survives the transaction, and '' matches no tenant's rows.
        const std::string tenant_text = tenant ? tenant->str() : std::string();
        char* literal = PQescapeLiteral(conn->pg, tenant_text.data(), tenant_text.size());
        if (literal == nullptr) {
            Release(std::move(conn));
            return Error::Internal("the tenant id cannot be quoted for PostgreSQL");
        }
        std::string begin = mode == TxMode::kWrite ? "BEGIN" : "BEGIN READ ONLY";
        begin += "; SELECT set_config('app.tenant_id', ";
        begin += literal;
        begin += ", true)";
        PQfreemem(literal);
        Result<void> result = conn->Simple(begin);
        // An idle connection the server closed meanwhile (a restart, a fail-over) shows only when
        // used: BEGIN fails and the connection is bad. Nothing ran, so take the next one (at
        // worst a new connection, which fails at once if the server is really down).
        if (!result && PQstatus(conn->pg) != CONNECTION_OK && stale++ <= settings_.pool_size) {
            Release(std::move(conn));
            --attempt;
            continue;
        }
        if (result) {
            PostgresTx tx(*conn);
            try {
                result = fn(tx);
            } catch (...) {
                (void)conn->Simple("ROLLBACK");
                Release(std::move(conn));
                throw;
            }
            if (result) {
                result = conn->Simple("COMMIT");
            }
        }
        if (!result && PQtransactionStatus(conn->pg) != PQTRANS_IDLE) (void)conn->Simple("ROLLBACK");
        Release(std::move(conn));
        if (!result && result.error().slug() == "serialization-failure" && attempt < kAttempts) continue;
        return result;
    }
}

Result<void> PostgresDatabase::Transact(const core::TenantId& tenant, TxMode mode, const TxFn& fn) {
    if (tenant.empty()) return Error::Internal("tenant transaction without a tenant");
    return Run(&tenant, mode, fn);
}

Result<void> PostgresDatabase::TransactSystem(TxMode mode, const TxFn& fn) { return Run(nullptr, mode, fn); }

Result<void> PostgresDatabase::Ping() {
    return Run(nullptr, TxMode::kRead, [](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("SELECT 1"));
        return {};
    });
}

Result<int> PostgresDatabase::SchemaVersion() {
    return TransactSystemValue(*this, TxMode::kRead, [](Tx& tx) -> Result<int> {
        IS_TRY(auto exists, tx.Exec("SELECT to_regclass('schema_migrations') IS NOT NULL"));
        if (exists.rows.at(0).Text(0) != "t") return 0;
        IS_TRY(auto r, tx.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        return static_cast<int>(r.rows.at(0).Int(0));
    });
}

Result<int> PostgresDatabase::Migrate() {
    IS_TRY(auto conn, Acquire());
    struct Releaser {
        PostgresDatabase* self;
        std::unique_ptr<Conn>* conn;
        ~Releaser() { self->Release(std::move(*conn)); }
    } releaser{this, &conn};
    int applied = 0;
    // An advisory lock serializes concurrent migrators (several containers starting at once).
    IS_TRY_VOID(conn->Simple("SELECT pg_advisory_lock(7405523)"));
    auto unlock = [&] { (void)conn->Simple("SELECT pg_advisory_unlock(7405523)"); };
    auto create = conn->Simple(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at BIGINT NOT NULL)");
    if (!create) {
        unlock();
        return std::move(create).error();
    }
    for (const auto& m : AllMigrations()) {
        auto have = conn->Exec("SELECT 1 FROM schema_migrations WHERE version = $1", {Param(m.version)});
        if (!have) {
            unlock();
            return std::move(have).error();
        }
        if (!have->rows.empty()) continue;
        auto run = conn->Simple("BEGIN");
        if (run) run = conn->Simple(SqlForDialect(m.sql, Dialect::kPostgres));
        if (run) {
            auto rec = conn->Exec(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                "(extract(epoch from now()) * 1000)::bigint)",
                {Param(m.version), Param(m.name)});
            if (!rec) run = std::move(rec).error();
        }
        if (run) run = conn->Simple("COMMIT");
        if (!run) {
            (void)conn->Simple("ROLLBACK");
            unlock();
            return Error::Internal("migration " + std::to_string(m.version) + " " + m.name +
                                   " failed: " + run.error().internal());
        }
        ++applied;
    }
    unlock();
    return applied;
}

}  // namespace insightstream::store
