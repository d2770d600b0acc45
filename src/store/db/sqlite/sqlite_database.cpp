#include "store/db/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <map>

#include "store/db/migrations.hpp"

namespace insightstream::store {

using core::Error;

namespace {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
    std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    int primary = rc & 0xFF;
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error::Conflict("the resource already exists").WithSlug("conflict").WithInternal(msg);
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Error::Unavailable(msg);
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) return Error::Unavailable(msg);
    return Error::Internal(msg);
}

struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

}  // namespace

struct SqliteDatabase::Conn {
    static constexpr size_t kMaxCachedStatements = 256;
    sqlite3* db = nullptr;
    std::map<std::string, StmtPtr, std::less<>> stmts;  // prepared-statement cache
    ~Conn() {
        stmts.clear();
        if (db) sqlite3_close_v2(db);
    }

    Result<void> ExecScript(const std::string& sql) {
        char* err = nullptr;
        int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            return SqliteError(nullptr, rc, msg);
        }
        return {};
    }

    Result<QueryResult> Exec(std::string_view sql, const std::vector<Param>& params) {
        auto it = stmts.find(sql);
        sqlite3_stmt* stmt = nullptr;
        if (it == stmts.end()) {
            if (stmts.size() >= kMaxCachedStatements) stmts.clear();
            int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                        &stmt, nullptr);
            if (rc != SQLITE_OK) return SqliteError(db, rc, "prepare");
            it = stmts.emplace(std::string(sql), StmtPtr(stmt)).first;
        }
        stmt = it->second.get();
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        // $1..$n are named parameters in SQLite; bind each by its name so order of use is free.
        for (size_t i = 0; i < params.size(); ++i) {
            std::string name = "$" + std::to_string(i + 1);
            int idx = sqlite3_bind_parameter_index(stmt, name.c_str());
            if (idx == 0) continue;  // parameter not used by this statement
            const Param& p = params[i];
            int rc = SQLITE_OK;
            switch (p.kind()) {
                case Param::kNull: rc = sqlite3_bind_null(stmt, idx); break;
                case Param::kText:
                    rc = sqlite3_bind_text64(stmt, idx, p.text().data(), p.text().size(), SQLITE_TRANSIENT, SQLITE_UTF8);
                    break;
                case Param::kInt: rc = sqlite3_bind_int64(stmt, idx, p.int_value()); break;
                case Param::kDouble: rc = sqlite3_bind_double(stmt, idx, p.double_value()); break;
            }
            if (rc != SQLITE_OK) return SqliteError(db, rc, "bind");
        }
        QueryResult result;
        int ncols = sqlite3_column_count(stmt);
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) {
                auto err = SqliteError(db, sqlite3_extended_errcode(db), "step");
                sqlite3_reset(stmt);
                return err;
            }
            std::vector<std::optional<std::string>> cells;
            cells.reserve(ncols);
            for (int c = 0; c < ncols; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
                    cells.emplace_back(std::nullopt);
                } else {
                    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                    cells.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
                }
            }
            result.rows.emplace_back(std::move(cells));
        }
        result.affected = sqlite3_changes64(db);
        sqlite3_reset(stmt);
        return result;
    }
};

namespace {
class SqliteTx final : public Tx {
public:
    explicit SqliteTx(SqliteDatabase::Conn& c) : conn_(c) {}
    Result<QueryResult> Exec(std::string_view sql, const std::vector<Param>& params) override {
        return conn_.Exec(sql, params);
    }
    [[nodiscard]] Dialect dialect() const override { return Dialect::kSqlite; }

private:
    SqliteDatabase::Conn& conn_;
};
}  // namespace

SqliteDatabase::SqliteDatabase(SqliteSettings settings) : settings_(std::move(settings)) {}
SqliteDatabase::~SqliteDatabase() = default;

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteSettings& settings) {
    if (settings.path.empty() || settings.path == ":memory:") {
        return Error::InvalidArgument("sqlite database needs a file path");
    }
    std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(settings));
    IS_TRY(auto conn, db->Acquire());  // fails fast if the file cannot be opened
    db->Release(std::move(conn));
    return db;
}

Result<std::unique_ptr<SqliteDatabase::Conn>> SqliteDatabase::Acquire() {
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !idle_.empty() || open_ < settings_.pool_size; });
        if (!idle_.empty()) {
            auto c = std::move(idle_.back());
            idle_.pop_back();
            return c;
        }
        ++open_;
    }
    auto conn = std::make_unique<Conn>();
    int rc = sqlite3_open_v2(settings_.path.c_str(), &conn->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Result<void> setup;
    if (rc != SQLITE_OK) {
        setup = Error::Unavailable("sqlite open " + settings_.path + ": " + sqlite3_errstr(rc));
    } else {
        sqlite3_busy_timeout(conn->db, settings_.busy_timeout_ms);
        setup = conn->ExecScript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA temp_store=MEMORY;");
    }
    if (!setup) {
        std::scoped_lock lock(mutex_);
        --open_;
        cv_.notify_one();
        return std::move(setup).error();
    }
    return conn;
}

void SqliteDatabase::Release(std::unique_ptr<Conn> conn) {
    std::scoped_lock lock(mutex_);
    if (conn) {
        idle_.push_back(std::move(conn));
    } else {
        --open_;
    }
    cv_.notify_one();
}

Result<void> SqliteDatabase::Run(TxMode mode, const TxFn& fn) {
    std::unique_lock<std::mutex> write_lock;
    if (mode == TxMode::kWrite) write_lock = std::unique_lock(write_mutex_);
    IS_TRY(auto conn, Acquire());
    auto begin = conn->ExecScript(mode == TxMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (!begin) {
        Release(std::move(conn));
        return begin;
    }
    SqliteTx tx(*conn);
    Result<void> result;
    try {
        result = fn(tx);
    } catch (...) {
        (void)conn->ExecScript("ROLLBACK");
        Release(std::move(conn));
        throw;
    }
    if (result) {
        auto commit = conn->ExecScript("COMMIT");
        if (!commit) {
            (void)conn->ExecScript("ROLLBACK");
            result = std::move(commit).error();
        }
    } else {
        (void)conn->ExecScript("ROLLBACK");
    }
    Release(std::move(conn));
    return result;
}

Result<void> SqliteDatabase::Transact(const core::TenantId& tenant, TxMode mode, const TxFn& fn) {
    if (tenant.empty()) return Error::Internal("tenant transaction without a tenant");
    return Run(mode, fn);
}

Result<void> SqliteDatabase::TransactSystem(TxMode mode, const TxFn& fn) { return Run(mode, fn); }

Result<void> SqliteDatabase::Ping() {
    return Run(TxMode::kRead, [](Tx& tx) -> Result<void> {
        IS_TRY_VOID(tx.Exec("SELECT 1"));
        return {};
    });
}

Result<int> SqliteDatabase::SchemaVersion() {
    return TransactSystemValue(*this, TxMode::kRead, [](Tx& tx) -> Result<int> {
        IS_TRY(auto exists, tx.Exec("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"));
        if (exists.rows.empty()) return 0;
        IS_TRY(auto r, tx.Exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
        return static_cast<int>(r.rows.at(0).Int(0));
    });
}

Result<int> SqliteDatabase::Migrate() {
    std::scoped_lock write_lock(write_mutex_);
    IS_TRY(auto conn, Acquire());
    struct Releaser {
        SqliteDatabase* self;
        std::unique_ptr<Conn>* conn;
        ~Releaser() { self->Release(std::move(*conn)); }
    } releaser{this, &conn};
    IS_TRY_VOID(conn->ExecScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at BIGINT NOT NULL)"));
    int applied = 0;
    for (const auto& m : AllMigrations()) {
        // Each migration runs in its own immediate transaction, so concurrent migrators serialize.
        IS_TRY_VOID(conn->ExecScript("BEGIN IMMEDIATE"));
        auto have = conn->Exec("SELECT 1 FROM schema_migrations WHERE version = $1", {Param(m.version)});
        if (!have) {
            (void)conn->ExecScript("ROLLBACK");
            return std::move(have).error();
        }
        if (!have->rows.empty()) {
            (void)conn->ExecScript("ROLLBACK");
            continue;
        }
        auto run = conn->ExecScript(SqlForDialect(m.sql, Dialect::kSqlite));
        if (run) {
            run = conn->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                             "CAST(strftime('%s','now') AS INTEGER) * 1000)",
                             {Param(m.version), Param(m.name)})
                      .has_value()
                      ? Result<void>{}
                      : Result<void>(Error::Internal("record migration"));
        }
        if (!run) {
            (void)conn->ExecScript("ROLLBACK");
            return Error::Internal("migration " + std::to_string(m.version) + " " + m.name + " failed: " +
                                   run.error().internal());
        }
        IS_TRY_VOID(conn->ExecScript("COMMIT"));
        ++applied;
    }
    return applied;
}

}  // namespace insightstream::store
