// The stand-in gateway of the cql tests (see fake_gateway.hpp), on cpp-httplib.
#include "fake_gateway.hpp"

#include <httplib.h>

#include <boost/test/unit_test.hpp>

namespace cql_test {

nlohmann::json recorded_request::json() const {
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json() : parsed;
}

std::string recorded_request::param(const std::string& name) const {
    std::size_t at = 0;
    while (at <= query.size()) {
        const auto end = std::min(query.find('&', at), query.size());
        const std::string item = query.substr(at, end - at);
        const auto eq = item.find('=');
        if (item.substr(0, eq) == name) return eq == std::string::npos ? "" : item.substr(eq + 1);
        at = end + 1;
    }
    return {};
}

canned_answer json_answer(const nlohmann::json& body, int status) {
    return canned_answer{status, body.dump()};
}

fake_gateway::fake_gateway(handler answer)
    : server_(std::make_unique<httplib::Server>()), answer_(std::move(answer)) {
    auto serve = [this](const httplib::Request& req, httplib::Response& res) {
        recorded_request r;
        r.method = req.method;
        r.path = req.path;
        std::string query;
        for (const auto& [k, v] : req.params) query += (query.empty() ? "" : "&") + k + "=" + v;
        r.query = query;
        r.body = req.body;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            requests_.push_back(r);
        }
        const auto a = answer_(r);
        res.status = a.status;
        res.set_content(a.body, "application/json");
    };
    server_->Get(".*", serve);
    server_->Post(".*", serve);
    server_->Delete(".*", serve);
    port_ = server_->bind_to_any_port("127.0.0.1");
    BOOST_REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::yield();
}

fake_gateway::~fake_gateway() {
    server_->stop();
    thread_.join();
}

std::string fake_gateway::address() const {
    return "127.0.0.1:" + std::to_string(port_);
}

std::vector<recorded_request> fake_gateway::requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
}

}  // namespace cql_test
