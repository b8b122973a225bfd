// Helpers for the SQL executor tests (see executor_support.hpp).
#include "executor_support.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include "sample_messages.hpp"

namespace covenant::test {

using namespace protocols;

temp_dir::temp_dir() {
    static std::atomic<unsigned> counter{0};
    path_ =
        std::filesystem::temp_directory_path() /
        ("covenant_storage_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

sql_statement sql(std::string text, std::vector<sql_parameter> parameters) {
    return sql_statement{std::move(text), std::move(parameters)};
}
sql_parameter positional(sql_value value) {
    return sql_parameter{"", std::move(value)};
}
sql_parameter named(std::string name, sql_value value) {
    return sql_parameter{std::move(name), std::move(value)};
}

client_request request(std::vector<sql_statement> statements, query_kind kind) {
    static const crypto::key_pair key = test_key(7);
    static std::uint64_t next_sequence = 1;
    client_request r;
    r.database.data.fill(0xd7);
    r.client = key.public_key();
    r.sequence = client_sequence(next_sequence++);
    r.timestamp_ms = 1'700'000'000'000;
    r.kind = kind;
    r.statements = std::move(statements);
    r.sign(key);
    return r;
}
client_request write(std::string text, std::vector<sql_parameter> parameters) {
    return request({sql(std::move(text), std::move(parameters))}, query_kind::write);
}
client_request read(std::string text, std::vector<sql_parameter> parameters) {
    return request({sql(std::move(text), std::move(parameters))}, query_kind::read);
}

storage::batch_context context(std::int64_t timestamp_ms, std::uint8_t seed_byte) {
    storage::batch_context c;
    c.timestamp_ms = timestamp_ms;
    c.seed.data.fill(seed_byte);
    return c;
}

std::unique_ptr<storage::sql_executor> open_executor(const std::string& path) {
    auto opened = storage::sql_executor::open(path);
    BOOST_REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.failure().message()));
    return std::move(opened.value());
}

storage::batch_execution apply_batch(storage::sql_executor& executor,
                                     const std::vector<client_request>& requests,
                                     const storage::batch_context& ctx) {
    return executor.execute_batch(executor.applied_seq().next(), ctx, requests);
}

const std::vector<statement_result>& results(const request_outcome& o) {
    if (const auto* f = std::get_if<sql_failure>(&o.body)) {
        BOOST_FAIL("request failed at statement " << f->statement_index << " with code " << f->code
                                                  << ": " << f->message);
    }
    return std::get<std::vector<statement_result>>(o.body);
}

const sql_failure& failure(const request_outcome& o) {
    BOOST_REQUIRE_MESSAGE(std::holds_alternative<sql_failure>(o.body),
                          "request succeeded where a failure was expected");
    return std::get<sql_failure>(o.body);
}

std::vector<std::vector<sql_value>> query(storage::sql_executor& executor,
                                          const std::string& text) {
    const auto outcome = executor.execute_read(read(text), context());
    const auto& r = results(outcome);
    BOOST_REQUIRE_EQUAL(r.size(), 1u);
    return r[0].rows;
}

std::string describe(const sql_value& value) {
    switch (value.value.index()) {
        case 0:
            return "NULL";
        case 1:
            return std::to_string(std::get<1>(value.value));
        case 2: {
            char buffer[64];
            std::snprintf(buffer, sizeof buffer, "%.17g", std::get<2>(value.value));
            return buffer;
        }
        case 3:
            return "'" + std::get<3>(value.value) + "'";
        default:
            return "x'" + to_hex(std::get<4>(value.value)) + "'";
    }
}

std::string describe(const std::vector<std::vector<sql_value>>& rows) {
    std::string out = "[";
    for (const auto& row : rows) {
        out += "(";
        for (std::size_t i = 0; i < row.size(); ++i) out += (i ? ", " : "") + describe(row[i]);
        out += ")";
    }
    return out + "]";
}

}  // namespace covenant::test

namespace covenant::protocols {
std::ostream& operator<<(std::ostream& out, const sql_value& value) {
    return out << test::describe(value);
}
}  // namespace covenant::protocols
