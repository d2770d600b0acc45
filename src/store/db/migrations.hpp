// The versioned schema migrations, embedded from src/store/db/migrations/NNNN_name.sql at build
// time. One file serves both dialects; lines after "-- @postgres" or "-- @sqlite" apply to that
// dialect only, until "-- @all".
#pragma once

#include <span>
#include <string>

#include "store/db/database.hpp"

namespace insightstream::store {

struct Migration {
    int version;
    const char* name;
    const char* sql;
};

std::span<const Migration> AllMigrations();
std::string SqlForDialect(const char* sql, Dialect dialect);

}  // namespace insightstream::store
