#include "store/db/migrations.hpp"

#include <sstream>

namespace insightstream::store {

std::string SqlForDialect(const char* sql, Dialect dialect) {
    std::istringstream in(sql);
    std::string line;
    std::string out;
    bool on = true;
    while (std::getline(in, line)) {
        if (line.rfind("-- @postgres", 0) == 0) {
            on = dialect == Dialect::kPostgres;
            continue;
        }
        if (line.rfind("-- @sqlite", 0) == 0) {
            on = dialect == Dialect::kSqlite;
            continue;
        }
        if (line.rfind("-- @all", 0) == 0) {
            on = true;
            continue;
        }
        if (on) {
            out += line;
            out += '\n';
        }
    }
    return out;
}

}  // namespace insightstream::store
