// The metadata and results database behind one interface, with two real backends: SQLite (the
// embedded default) and PostgreSQL. SQL is written once in a portable subset ($1..$n parameters,
// TEXT/BIGINT/DOUBLE PRECISION, ON CONFLICT, RETURNING); the few dialect differences are asked
// for explicitly through dialect(). Every tenant transaction carries the caller's TenantId, which
// PostgreSQL also enforces with row-level security (app.tenant_id, set per transaction).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace insightstream::store {

using core::Result;

/// A bound SQL parameter. Booleans are stored as 0/1 integers in both dialects.
class Param {
public:
    Param(std::nullptr_t) {}                                       // NOLINT(google-explicit-constructor)
    Param(std::string_view v) : kind_(kText), text_(v) {}          // NOLINT(google-explicit-constructor)
    Param(const std::string& v) : kind_(kText), text_(v) {}        // NOLINT(google-explicit-constructor)
    Param(const char* v) : kind_(kText), text_(v) {}               // NOLINT(google-explicit-constructor)
    Param(int64_t v) : kind_(kInt), int_(v) {}                     // NOLINT(google-explicit-constructor)
    Param(int v) : kind_(kInt), int_(v) {}                         // NOLINT(google-explicit-constructor)
    Param(uint64_t v) : kind_(kInt), int_(static_cast<int64_t>(v)) {}  // NOLINT(google-explicit-constructor)
    Param(double v) : kind_(kDouble), double_(v) {}                // NOLINT(google-explicit-constructor)
    template <class Tag>
    Param(const core::StrongId<Tag>& id) : kind_(kText), text_(id.str()) {}  // NOLINT(google-explicit-constructor)
    template <class T>
    Param(const std::optional<T>& v) {  // NOLINT(google-explicit-constructor)
        if (v) *this = Param(*v);
    }

    enum Kind { kNull, kText, kInt, kDouble };
    [[nodiscard]] Kind kind() const { return kind_; }
    [[nodiscard]] const std::string& text() const { return text_; }
    [[nodiscard]] int64_t int_value() const { return int_; }
    [[nodiscard]] double double_value() const { return double_; }
    /// The text form PostgreSQL receives.
    [[nodiscard]] std::string ToText() const;

private:
    Kind kind_ = kNull;
    std::string text_;
    int64_t int_ = 0;
    double double_ = 0;
};

/// One result row; every cell is text or NULL (both backends hand back text).
class Row {
public:
    explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
    [[nodiscard]] size_t size() const { return cells_.size(); }
    [[nodiscard]] bool IsNull(size_t i) const { return !cells_.at(i).has_value(); }
    [[nodiscard]] const std::string& Text(size_t i) const;  // "" for NULL
    [[nodiscard]] int64_t Int(size_t i) const;              // 0 for NULL
    [[nodiscard]] double Double(size_t i) const;            // 0 for NULL
    [[nodiscard]] std::optional<std::string> OptText(size_t i) const { return cells_.at(i); }
    [[nodiscard]] std::optional<int64_t> OptInt(size_t i) const;

private:
    std::vector<std::optional<std::string>> cells_;
};

struct QueryResult {
    std::vector<Row> rows;
    int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

enum class Dialect { kSqlite, kPostgres };

/// An open transaction. Valid only inside the callback it was handed to.
class Tx {
public:
    virtual ~Tx() = default;
    virtual Result<QueryResult> Exec(std::string_view sql, const std::vector<Param>& params) = 0;
    Result<QueryResult> Exec(std::string_view sql, std::initializer_list<Param> params = {}) {
        return Exec(sql, std::vector<Param>(params));
    }
    [[nodiscard]] virtual Dialect dialect() const = 0;
};

enum class TxMode { kRead, kWrite };
using TxFn = std::function<Result<void>(Tx&)>;

class Database {
public:
    virtual ~Database() = default;
    [[nodiscard]] virtual Dialect dialect() const = 0;
    /// Runs `fn` in one transaction on behalf of `tenant`; commits when it returns success, rolls
    /// back otherwise. Transient conflicts (busy, serialization failures) are retried.
    virtual Result<void> Transact(const core::TenantId& tenant, TxMode mode, const TxFn& fn) = 0;
    /// A transaction outside any tenant, for cross-tenant machinery only: the job queue, the
    /// outbox, migrations and the login lookup by e-mail. Under row-level security it sees no
    /// tenant rows.
    virtual Result<void> TransactSystem(TxMode mode, const TxFn& fn) = 0;
    /// Answers whether the database is reachable (for /readyz).
    virtual Result<void> Ping() = 0;
    /// Applies pending migrations; returns how many were applied.
    virtual Result<int> Migrate() = 0;
    /// The highest applied migration version, 0 if none.
    virtual Result<int> SchemaVersion() = 0;
};

/// Runs `fn(Tx&) -> Result<T>` in a tenant transaction and hands back its value.
template <class F>
auto TransactValue(Database& db, const core::TenantId& tenant, TxMode mode, F&& fn)
    -> decltype(fn(std::declval<Tx&>())) {
    using R = decltype(fn(std::declval<Tx&>()));
    std::optional<R> out;
    auto status = db.Transact(tenant, mode, [&](Tx& tx) -> Result<void> {
        out.emplace(fn(tx));
        if (!out->has_value()) return out->error();
        return {};
    });
    if (!status) return std::move(status).error();
    return std::move(*out);
}

template <class F>
auto TransactSystemValue(Database& db, TxMode mode, F&& fn) -> decltype(fn(std::declval<Tx&>())) {
    using R = decltype(fn(std::declval<Tx&>()));
    std::optional<R> out;
    auto status = db.TransactSystem(mode, [&](Tx& tx) -> Result<void> {
        out.emplace(fn(tx));
        if (!out->has_value()) return out->error();
        return {};
    });
    if (!status) return std::move(status).error();
    return std::move(*out);
}

}  // namespace insightstream::store
