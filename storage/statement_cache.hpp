// Prepared statements of client SQL kept across requests, keyed by their exact text, so
// that the write path does not parse and plan the same statement for every batch. Least
// recently used first out, at most execution_limits::cached_statements_max. Only
// statements that passed every check are kept, and the executor drops the whole cache
// whenever the planner's statistics change (ANALYZE); SQLite itself re-prepares a cached
// statement after a schema change.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

#include "storage/sqlite_handle.hpp"

namespace covenant::storage {

class statement_cache {
  public:
    explicit statement_cache(std::size_t capacity);

    /// The statement prepared from exactly `sql`, or null; marks it most recently used.
    sqlite3_stmt* find(const std::string& sql);
    /// Keeps `statement` (which must not be in use elsewhere) for `sql`, evicting the least
    /// recently used entry if full; returns the kept statement.
    sqlite3_stmt* insert(const std::string& sql, sqlite_statement statement);
    void erase(const std::string& sql);
    void clear();
    std::size_t size() const { return entries_.size(); }

  private:
    using entry = std::pair<std::string, sqlite_statement>;
    std::size_t capacity_;
    std::list<entry> entries_;  // most recently used first
    std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace covenant::storage
