// LRU cache of prepared client statements (see statement_cache.hpp).
#include "storage/statement_cache.hpp"

#include "common/assert.hpp"

namespace covenant::storage {

statement_cache::statement_cache(std::size_t capacity) : capacity_(capacity) {
    COVENANT_ASSERT(capacity > 0, "a statement cache needs room for one statement");
}

sqlite3_stmt* statement_cache::find(const std::string& sql) {
    auto found = index_.find(sql);
    if (found == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, found->second);
    return found->second->second.get();
}

sqlite3_stmt* statement_cache::insert(const std::string& sql, sqlite_statement statement) {
    COVENANT_ASSERT(statement != nullptr, "caching a null statement");
    erase(sql);
    while (entries_.size() >= capacity_) {
        index_.erase(entries_.back().first);
        entries_.pop_back();
    }
    entries_.emplace_front(sql, std::move(statement));
    index_.emplace(sql, entries_.begin());
    return entries_.front().second.get();
}

void statement_cache::erase(const std::string& sql) {
    auto found = index_.find(sql);
    if (found == index_.end()) return;
    entries_.erase(found->second);
    index_.erase(found);
}

void statement_cache::clear() {
    index_.clear();
    entries_.clear();
}

}  // namespace covenant::storage
