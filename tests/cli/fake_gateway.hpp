// A stand-in for a client gateway's HTTP API in the cql tests: an HTTP server on 127.0.0.1 (any
// free port) that answers every request with what the test's handler returns and records what
// cql sent, so the tests see exactly which calls a command makes and how it shows the answers.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace httplib {
class Server;
}

namespace cql_test {

struct recorded_request {
    std::string method;
    std::string path;   // without the query
    std::string query;  // "a=1&b=2", as sent
    std::string body;
    /// The body as JSON (null if it is not JSON).
    nlohmann::json json() const;
    /// A query parameter's value; empty if absent.
    std::string param(const std::string& name) const;
};

struct canned_answer {
    int status = 200;
    std::string body;  // usually JSON
};

class fake_gateway {
  public:
    using handler = std::function<canned_answer(const recorded_request&)>;
    explicit fake_gateway(handler answer);
    ~fake_gateway();
    fake_gateway(const fake_gateway&) = delete;
    fake_gateway& operator=(const fake_gateway&) = delete;

    /// "127.0.0.1:PORT".
    std::string address() const;
    std::vector<recorded_request> requests() const;

  private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
    handler answer_;
    mutable std::mutex mutex_;
    std::vector<recorded_request> requests_;
};

/// A JSON answer.
canned_answer json_answer(const nlohmann::json& body, int status = 200);

}  // namespace cql_test
