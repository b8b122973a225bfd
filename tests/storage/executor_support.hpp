// Helpers for the SQL executor tests: a temporary directory per test, signed requests
// built from SQL and parameters, and accessors that fail the test with the outcome's
// message when a request did not end the expected way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "protocols/sql_messages.hpp"
#include "storage/sql_executor.hpp"

namespace covenant::test {

/// A fresh directory under the system's temporary directory, removed with its contents.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

protocols::sql_statement sql(std::string text,
                             std::vector<protocols::sql_parameter> parameters = {});
protocols::sql_parameter positional(protocols::sql_value value);
protocols::sql_parameter named(std::string name, protocols::sql_value value);

/// A request signed by test key 7, with a fresh client sequence number each call.
protocols::client_request request(std::vector<protocols::sql_statement> statements,
                                  protocols::query_kind kind = protocols::query_kind::write);
/// A one-statement write request.
protocols::client_request write(std::string text,
                                std::vector<protocols::sql_parameter> parameters = {});
/// A one-statement read request.
protocols::client_request read(std::string text,
                               std::vector<protocols::sql_parameter> parameters = {});

/// A batch context: `timestamp_ms` and a seed filled with `seed_byte`.
storage::batch_context context(std::int64_t timestamp_ms = 1'000'000'000'000,
                               std::uint8_t seed_byte = 0x5e);

std::unique_ptr<storage::sql_executor> open_executor(const std::string& path);

/// Applies one batch at the executor's next sequence number.
storage::batch_execution apply_batch(storage::sql_executor& executor,
                                     const std::vector<protocols::client_request>& requests,
                                     const storage::batch_context& ctx = context());

/// The results of a successful outcome (the test fails, with the failure, otherwise).
const std::vector<protocols::statement_result>& results(const protocols::request_outcome& o);
/// The failure of a failed outcome (the test fails otherwise).
const protocols::sql_failure& failure(const protocols::request_outcome& o);

/// Rows of a read of the committed state.
std::vector<std::vector<protocols::sql_value>> query(storage::sql_executor& executor,
                                                     const std::string& text);

/// Shorthands for values.
inline protocols::sql_value integer(std::int64_t v) {
    return protocols::sql_value::integer(v);
}
inline protocols::sql_value real(double v) {
    return protocols::sql_value::real(v);
}
inline protocols::sql_value text(std::string v) {
    return protocols::sql_value::text(std::move(v));
}
inline protocols::sql_value blob(bytes v) {
    return protocols::sql_value::blob(std::move(v));
}
inline protocols::sql_value null() {
    return protocols::sql_value::null();
}

/// A value, or rows of values, as text for test messages.
std::string describe(const protocols::sql_value& value);
std::string describe(const std::vector<std::vector<protocols::sql_value>>& rows);

}  // namespace covenant::test

namespace covenant::protocols {
/// Lets BOOST_TEST print values that differ.
std::ostream& operator<<(std::ostream& out, const sql_value& value);
}  // namespace covenant::protocols
