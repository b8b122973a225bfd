// Messages for executor_errc.
#include "storage/executor_errors.hpp"

#include <string>

namespace covenant::storage {
namespace {
class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "sql executor"; }
    std::string message(int value) const override {
        switch (static_cast<executor_errc>(value)) {
            case executor_errc::cannot_open:
                return "cannot open the database file";
            case executor_errc::not_a_database:
                return "file is not a SQLite database";
            case executor_errc::not_wal:
                return "cannot put the database in WAL mode";
            case executor_errc::bad_metadata:
                return "database metadata is missing or invalid";
            case executor_errc::unsupported_format:
                return "database was written by a newer executor";
            case executor_errc::sqlite_failed:
                return "SQLite failed while opening the database";
        }
        return "unknown sql executor error";
    }
};
}  // namespace

const std::error_category& executor_category() {
    static const category instance;
    return instance;
}

}  // namespace covenant::storage
