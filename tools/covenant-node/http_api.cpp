// The gateway's HTTP/JSON API (see http_api.hpp).
#include "http_api.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>

#include "actors/client/client_node.hpp"
#include "crypto/signing.hpp"
#include "protocols/client/client_errors.hpp"
#include "protocols/client/inspection_json.hpp"
#include "protocols/client/sql_json.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/ledger_errors.hpp"

namespace covenant::node {
namespace {

using json = nlohmann::json;
using namespace covenant::actors;
using std::chrono::milliseconds;

/// cpp-httplib's pool with a bound: at most `pending_max` connections wait for a thread; the
/// accepting thread then waits too, and the kernel's listen backlog holds the rest.
class bounded_task_queue final : public httplib::TaskQueue {
  public:
    bounded_task_queue(std::size_t threads, std::size_t pending_max) : pending_max_(pending_max) {
        for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
    }
    ~bounded_task_queue() override = default;
    void enqueue(std::function<void()> fn) override {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock, [&] { return jobs_.size() < pending_max_ || shutdown_; });
        if (shutdown_) return;
        jobs_.push_back(std::move(fn));
        ready_.notify_one();
    }
    void shutdown() override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            shutdown_ = true;
        }
        ready_.notify_all();
        room_.notify_all();
        for (auto& t : workers_) t.join();
    }

  private:
    void work() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
                if (jobs_.empty()) return;  // shut down, nothing left
                job = std::move(jobs_.front());
                jobs_.pop_front();
                room_.notify_one();
            }
            job();
        }
    }
    std::size_t pending_max_;
    std::vector<std::thread> workers_;
    std::deque<std::function<void()>> jobs_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable room_;
    bool shutdown_ = false;
};

// ---- errors -----------------------------------------------------------------------------

/// The HTTP status and the "code" of an error from the client actor or the ledger.
std::pair<int, std::string> status_of(const error& e) {
    if (e.code.category() == client::client_category()) {
        switch (static_cast<client::client_errc>(e.code.value())) {
            case client::client_errc::bad_request:
                return {400, "bad_request"};
            case client::client_errc::not_permitted:
                return {403, "not_permitted"};
            case client::client_errc::out_of_funds:
                return {403, "out_of_funds"};
            case client::client_errc::unknown_database:
                return {404, "unknown_database"};
            case client::client_errc::stale_sequence:
                return {409, "stale_sequence"};
            case client::client_errc::timed_out:
                return {504, "timed_out"};
            case client::client_errc::unavailable:
                return {502, "unavailable"};
            case client::client_errc::overloaded:
                return {503, "overloaded"};
            case client::client_errc::storage_failed:
                return {500, "storage_failed"};
        }
    }
    if (e.code.category() == main_chain::ledger_category()) {
        using main_chain::ledger_errc;
        switch (static_cast<ledger_errc>(e.code.value())) {
            case ledger_errc::not_authorized:
                return {403, "not_authorized"};
            case ledger_errc::unknown_database:
                return {404, "unknown_database"};
            case ledger_errc::bad_nonce:
                return {409, "bad_nonce"};
            case ledger_errc::insufficient_funds:
                return {422, "insufficient_funds"};
            case ledger_errc::no_miners:
                return {422, "no_miners"};
            case ledger_errc::invalid_value:
                return {422, "invalid_value"};
            case ledger_errc::unknown_account:
                return {422, "unknown_account"};
            case ledger_errc::fee_too_low:
                return {422, "fee_too_low"};
            case ledger_errc::overflow:
                return {422, "overflow"};
            default:
                return {422, "refused"};
        }
    }
    return {500, "internal"};
}

void send_json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump() + "\n", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
    send_json(res, status, json{{"error", message}, {"code", code}});
}

void send_error(httplib::Response& res, const error& e) {
    auto [status, code] = status_of(e);
    send_json(res, status, json{{"error", e.message()}, {"code", code}});
}

/// Thrown by the field readers, turned into a 400 by the handler wrapper.
struct bad_input {
    std::string message;
};

json parse_body(const httplib::Request& req) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) throw bad_input{"the body is not valid JSON"};
    if (!body.is_object()) throw bad_input{"the body must be a JSON object"};
    return body;
}

void only_fields(const json& body, std::initializer_list<const char*> known) {
    for (const auto& [key, value] : body.items()) {
        bool ok = false;
        for (const char* k : known) ok = ok || key == k;
        if (!ok) throw bad_input{"unknown field \"" + key + "\""};
    }
}

std::uint64_t unsigned_field(const json& body, const char* name, std::uint64_t min,
                             std::uint64_t max, std::optional<std::uint64_t> fallback = {}) {
    if (!body.contains(name)) {
        if (fallback) return *fallback;
        throw bad_input{std::string(name) + ": missing"};
    }
    const auto& v = body[name];
    if (!v.is_number_integer() ||
        (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0))
        throw bad_input{std::string(name) + ": expected an integer from " + std::to_string(min)};
    const auto n = v.get<std::uint64_t>();
    if (n < min || n > max)
        throw bad_input{std::string(name) + ": must be " + std::to_string(min) + " .. " +
                        std::to_string(max)};
    return n;
}

std::string string_field(const json& body, const char* name) {
    if (!body.contains(name) || !body[name].is_string())
        throw bad_input{std::string(name) + ": expected a string"};
    return body[name].get<std::string>();
}

template <class Fixed>
Fixed hex_field(const std::string& text, const char* name) {
    auto v = Fixed::from_hex_string(text);
    if (!v) throw bad_input{std::string(name) + ": expected 64 hex digits"};
    return *v;
}

/// An unsigned integer query parameter (`?name=N`), within [min, max]; `fallback` if absent.
std::uint64_t unsigned_param(const httplib::Request& req, const char* name, std::uint64_t min,
                             std::uint64_t max, std::optional<std::uint64_t> fallback = {}) {
    if (!req.has_param(name)) {
        if (fallback) return *fallback;
        throw bad_input{std::string(name) + ": missing (a query parameter)"};
    }
    const std::string text = req.get_param_value(name);
    std::uint64_t n = 0;
    const bool digits =
        !text.empty() && text.size() <= 20 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    bool fits = digits;
    for (char c : text) {
        if (!fits) break;
        const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
            fits = false;
        else
            n = n * 10 + digit;
    }
    if (!fits || n < min || n > max)
        throw bad_input{std::string(name) + ": expected an integer from " + std::to_string(min) +
                        " to " + std::to_string(max)};
    return n;
}

// ---- JSON of answers ----------------------------------------------------------------------

std::string mode_name(protocols::consistency_mode m) {
    return m == protocols::consistency_mode::strong ? "strong" : "eventual";
}

json role_json(const std::optional<protocols::role>& r) {
    if (!r) return nullptr;
    switch (*r) {
        case protocols::role::admin:
            return "admin";
        case protocols::role::write:
            return "write";
        case protocols::role::read:
            return "read";
    }
    return nullptr;
}

json database_json(const database_info& d, bool detailed) {
    json members = json::array();
    for (const auto& m : d.members) members.push_back(m.hex());
    json out{{"database", d.id.hex()},   {"owner", d.owner.hex()}, {"mode", mode_name(d.mode)},
             {"members", members},       {"view", d.view.value},   {"leader", d.leader.hex()},
             {"role", role_json(d.role)}};
    if (detailed) {
        out["advance_payment"] = d.advance_payment;
        out["out_of_funds"] = d.out_of_funds;
    }
    return out;
}

json member_answer_json(const member_answer& a) {
    json out{{"member", a.member.hex()},
             {"node_id", a.node.hex()},
             {"leader", a.leader},
             {"answered", a.status.has_value()}};
    if (a.status) {
        out.update(client::member_status_json(*a.status));
        out["signed"] = to_hex(a.signed_status);  // the member's own bytes: check them yourself
    } else {
        out["problem"] = a.problem;
    }
    return out;
}

/// A checkpoint's fields for a reader, and its whole transaction (`encoded`) for a checker.
json checkpoint_json(const checkpoint_record& r) {
    const auto& c = std::get<protocols::tx::shard_checkpoint>(r.transaction.body);
    return json{{"main_height", r.main_height.value},
                {"transaction", r.transaction.hash().hex()},
                {"shard_height", c.height.value},
                {"head_hash", c.head_hash.hex()},
                {"state_digest", c.state_digest.hex()},
                {"signers", c.signatures.size()},
                {"encoded", to_hex(protocols::encode(r.transaction))}};
}

json result_json(const protocols::statement_result& r) {
    json rows = json::array();
    for (const auto& row : r.rows) {
        json cells = json::array();
        for (const auto& v : row) cells.push_back(client::sql_value_to_json(v));
        rows.push_back(std::move(cells));
    }
    return json{{"rows_affected", r.affected_rows},
                {"last_insert_rowid", r.last_insert_id},
                {"columns", r.columns},
                {"rows", std::move(rows)}};
}

}  // namespace

// ---- the server ---------------------------------------------------------------------------

http_api::http_api(caf::actor_system& system, caf::actor client, const client_settings& settings,
                   const node_id& id, const storage::genesis_document& genesis, spdlog::logger& log)
    : system_(system),
      client_(std::move(client)),
      settings_(settings),
      id_(id),
      genesis_json_(storage::genesis_to_json(genesis)),
      genesis_hash_(genesis.hash().hex()),
      network_(genesis.network),
      log_(log),
      server_(std::make_unique<httplib::Server>()) {}

http_api::~http_api() {
    stop();
}

void http_api::stop() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
}

result<std::unique_ptr<http_api>> http_api::start(caf::actor_system& system, caf::actor client,
                                                  const client_settings& settings,
                                                  const node_id& id,
                                                  const storage::genesis_document& genesis,
                                                  spdlog::logger& log) {
    std::unique_ptr<http_api> api(
        new http_api(system, std::move(client), settings, id, genesis, log));
    auto& server = *api->server_;
    // cpp-httplib sets SO_REUSEPORT by default, which would let a second process share the
    // port: only SO_REUSEADDR here (a restarted gateway can bind while old connections linger).
    server.set_socket_options([](int fd) {
        const int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    });
    const std::size_t threads = settings.http_threads;
    server.new_task_queue = [threads] { return new bounded_task_queue(threads, threads * 4); };
    server.set_payload_max_length(settings.http_body_bytes_max);
    server.set_read_timeout(std::chrono::seconds(10));
    server.set_write_timeout(std::chrono::seconds(10));
    server.set_keep_alive_max_count(100);
    api->routes();
    int port = settings.http_listen.port;
    if (port == 0) {
        port = server.bind_to_any_port(settings.http_listen.host);
        if (port < 0) return error{std::make_error_code(std::errc::address_in_use), "cannot bind"};
    } else if (!server.bind_to_port(settings.http_listen.host, port)) {
        return error{std::make_error_code(std::errc::address_in_use), "cannot bind"};
    }
    api->port_ = static_cast<std::uint16_t>(port);
    auto* raw = api.get();
    api->thread_ = std::thread([raw] { raw->server_->listen_after_bind(); });
    return api;
}

void http_api::routes() {
    auto& server = *server_;
    const auto wait_sql = milliseconds(settings_.request_timeout_ms + 5'000);
    const auto wait_tx = milliseconds(settings_.transaction_timeout_ms + 5'000);
    const auto wait_local = milliseconds(5'000);

    // Asks the client actor; nullopt if it did not answer in `wait` (it answers every call
    // itself before its own deadline, so this only guards against a stopped actor).
    auto ask = [this](milliseconds wait, auto type_tag, auto&&... xs) {
        using T = typename decltype(type_tag)::type;
        caf::scoped_actor self{system_};
        std::optional<T> out;
        self->request(client_, wait, std::forward<decltype(xs)>(xs)...)
            .receive([&](T& answer) { out = std::move(answer); }, [&](caf::error&) {});
        return out;
    };
    struct account_tag {
        using type = account_info;
    };
    struct list_tag {
        using type = database_list;
    };
    struct tx_tag {
        using type = transaction_answer;
    };
    struct sql_tag {
        using type = sql_answer;
    };
    struct members_tag {
        using type = member_report;
    };
    struct shard_tag {
        using type = shard_blocks_answer;
    };
    struct main_tag {
        using type = main_blocks_answer;
    };
    struct checkpoints_tag {
        using type = checkpoint_list;
    };

    // Every handler: bad input is a 400, anything thrown a 500; never a crash.
    auto guarded = [this](auto handler) {
        return [this, handler](const httplib::Request& req, httplib::Response& res) {
            try {
                handler(req, res);
            } catch (const bad_input& e) {
                send_error(res, 400, "bad_request", e.message);
            } catch (const std::exception& e) {
                log_.error("HTTP {} {}: {}", req.method, req.path, e.what());
                send_error(res, 500, "internal", e.what());
            }
        };
    };
    auto no_answer = [](httplib::Response& res) {
        send_error(res, 504, "timed_out", "the gateway's client actor did not answer in time");
    };
    // A transaction's answer: 200 with `fields`, else the error.
    auto submit = [=](httplib::Response& res, client::transaction_body body,
                      const std::function<json(const transaction_answer&)>& fields) {
        auto a = ask(wait_tx, tx_tag{}, submit_atom::value, transaction_request{std::move(body)});
        if (!a) return no_answer(res);
        if (a->failure) return send_error(res, *a->failure);
        json out = fields(*a);
        out["transaction"] = a->tx.hash().hex();
        out["nonce"] = a->tx.nonce.value;
        out["height"] = a->height;
        send_json(res, 200, out);
    };
    auto database_in_path = [](const httplib::Request& req) {
        return hex_field<database_id>(req.matches[1].str(), "database");
    };

    server.Get("/v1/status", guarded([=](const httplib::Request&, httplib::Response& res) {
                   auto a = ask(wait_local, account_tag{}, account_atom::value);
                   if (!a) return no_answer(res);
                   send_json(res, 200,
                             json{{"node_id", a->node.hex()},
                                  {"address", a->address.hex()},
                                  {"public_key", a->key.hex()},
                                  {"chain_height", a->chain_height},
                                  {"balance", a->balance},
                                  {"nonce", a->next_nonce.value}});
               }));
    server.Get("/v1/account", guarded([=](const httplib::Request&, httplib::Response& res) {
                   auto a = ask(wait_local, account_tag{}, account_atom::value);
                   if (!a) return no_answer(res);
                   send_json(res, 200,
                             json{{"address", a->address.hex()},
                                  {"public_key", a->key.hex()},
                                  {"balance", a->balance},
                                  {"nonce", a->next_nonce.value},
                                  {"staked", a->staked},
                                  {"chain_height", a->chain_height}});
               }));
    server.Get(
        "/v1/databases", guarded([=](const httplib::Request&, httplib::Response& res) {
            auto list = ask(wait_local, list_tag{}, databases_atom::value);
            if (!list) return no_answer(res);
            json dbs = json::array();
            for (const auto& d : list->databases) dbs.push_back(database_json(d, false));
            send_json(res, 200, json{{"databases", dbs}, {"chain_height", list->chain_height}});
        }));
    server.Get(R"(/v1/databases/([^/]+))",
               guarded([=](const httplib::Request& req, httplib::Response& res) {
                   const auto id = database_in_path(req);
                   auto list =
                       ask(wait_local, list_tag{}, databases_atom::value, id.view().to_bytes());
                   if (!list) return no_answer(res);
                   if (list->databases.empty())
                       return send_error(res, 404, "unknown_database",
                                         "the followed chain (height " +
                                             std::to_string(list->chain_height) +
                                             ") has no database " + id.hex());
                   send_json(res, 200, database_json(list->databases.front(), true));
               }));
    // Inspection (`cql info`, `cql verify`): what the members say, signed, and what the chain
    // holds, for the caller to check by itself.
    constexpr std::uint64_t inspect_timeout_max_ms = 60'000;
    server.Get(
        R"(/v1/databases/([^/]+)/members)",
        guarded([=](const httplib::Request& req, httplib::Response& res) {
            const auto id = database_in_path(req);
            const auto timeout = unsigned_param(req, "timeout_ms", 1, inspect_timeout_max_ms, 3000);
            bytes challenge;  // empty: the gateway picks one
            if (req.has_param("challenge"))
                challenge = hex_field<digest>(req.get_param_value("challenge"), "challenge")
                                .view()
                                .to_bytes();
            auto r = ask(milliseconds(timeout) + wait_local, members_tag{}, members_atom::value,
                         id.view().to_bytes(), static_cast<std::int64_t>(timeout), challenge);
            if (!r) return no_answer(res);
            if (r->failure) return send_error(res, *r->failure);
            json out = database_json(r->database, true);
            json members = json::array();
            for (const auto& a : r->members) members.push_back(member_answer_json(a));
            out["members"] = std::move(members);
            out["chain_height"] = r->chain_height;
            send_json(res, 200, out);
        }));
    server.Get(R"(/v1/databases/([^/]+)/shard_chain)",
               guarded([=](const httplib::Request& req, httplib::Response& res) {
                   shard_blocks_request q;
                   q.database = database_in_path(req);
                   if (!req.has_param("member"))
                       throw bad_input{"member: missing (a query parameter)"};
                   q.member = hex_field<public_key>(req.get_param_value("member"), "member");
                   q.from_height = block_height(unsigned_param(
                       req, "from", 1, std::numeric_limits<std::uint64_t>::max() - 1, 1));
                   q.count = static_cast<std::uint32_t>(unsigned_param(
                       req, "count", 1, protocols::limits::shard_blocks_per_fetch_max,
                       protocols::limits::shard_blocks_per_fetch_max));
                   const auto timeout =
                       unsigned_param(req, "timeout_ms", 1, inspect_timeout_max_ms, 3000);
                   q.timeout_ms = static_cast<std::int64_t>(timeout);
                   const auto member = q.member;
                   const auto from = q.from_height;
                   auto a = ask(milliseconds(timeout) + wait_local, shard_tag{},
                                shard_blocks_atom::value, std::move(q));
                   if (!a) return no_answer(res);
                   if (a->failure) return send_error(res, *a->failure);
                   json blocks = json::array();
                   for (const auto& b : a->blocks) blocks.push_back(to_hex(b));
                   send_json(res, 200,
                             json{{"database", req.matches[1].str()},
                                  {"member", member.hex()},
                                  {"from", from.value},
                                  {"head_height", a->head_height.value},
                                  {"blocks", std::move(blocks)}});
               }));
    server.Get(R"(/v1/databases/([^/]+)/checkpoints)",
               guarded([=](const httplib::Request& req, httplib::Response& res) {
                   const auto id = database_in_path(req);
                   auto list = ask(wait_local, checkpoints_tag{}, checkpoints_atom::value,
                                   id.view().to_bytes());
                   if (!list) return no_answer(res);
                   if (list->failure) return send_error(res, *list->failure);
                   json checkpoints = json::array();
                   for (const auto& c : list->checkpoints)
                       checkpoints.push_back(checkpoint_json(c));
                   send_json(res, 200,
                             json{{"database", id.hex()},
                                  {"mode", mode_name(list->database.mode)},
                                  {"view", list->database.view.value},
                                  {"membership", client::membership_json(list->membership)},
                                  {"checkpoints", std::move(checkpoints)},
                                  {"complete", list->complete},
                                  {"chain_height", list->chain_height}});
               }));
    server.Get("/v1/chain/genesis", guarded([=](const httplib::Request&, httplib::Response& res) {
                   send_json(res, 200,
                             json{{"network", network_},
                                  {"hash", genesis_hash_},
                                  {"genesis", json::parse(genesis_json_)}});
               }));
    server.Get("/v1/chain/blocks",
               guarded([=](const httplib::Request& req, httplib::Response& res) {
                   const auto from =
                       unsigned_param(req, "from", 1, std::numeric_limits<std::uint64_t>::max(), 1);
                   const auto count = static_cast<std::uint32_t>(
                       unsigned_param(req, "count", 1, protocols::limits::main_blocks_per_fetch_max,
                                      protocols::limits::main_blocks_per_fetch_max));
                   auto a = ask(wait_local, main_tag{}, main_blocks_atom::value, from, count);
                   if (!a) return no_answer(res);
                   if (a->failure) return send_error(res, *a->failure);
                   json blocks = json::array();
                   for (const auto& b : a->blocks) blocks.push_back(to_hex(b));
                   send_json(res, 200,
                             json{{"from", from},
                                  {"head_height", a->head_height},
                                  {"blocks", std::move(blocks)}});
               }));
    server.Post("/v1/databases", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    const json body = parse_body(req);
                    only_fields(body, {"miners", "mode", "advance_payment"});
                    protocols::tx::create_database create;
                    create.miner_count = static_cast<std::uint32_t>(
                        unsigned_field(body, "miners", 1, protocols::limits::database_miners_max));
                    const std::string mode =
                        body.contains("mode") ? string_field(body, "mode") : "strong";
                    if (mode == "strong")
                        create.mode = protocols::consistency_mode::strong;
                    else if (mode == "eventual")
                        create.mode = protocols::consistency_mode::eventual;
                    else
                        throw bad_input{"mode: expected \"strong\" or \"eventual\""};
                    create.advance_payment = unsigned_field(
                        body, "advance_payment", 0, std::numeric_limits<std::int64_t>::max(), 0);
                    submit(res, create, [](const transaction_answer& a) {
                        if (!a.database)
                            return json{{"error", "created, but not on the followed chain"}};
                        json out = database_json(*a.database, false);
                        out.erase("owner");
                        out.erase("role");
                        return out;
                    });
                }));
    server.Delete(R"(/v1/databases/([^/]+))",
                  guarded([=](const httplib::Request& req, httplib::Response& res) {
                      const auto id = database_in_path(req);
                      submit(res, protocols::tx::drop_database{id},
                             [id](const transaction_answer&) {
                                 return json{{"database", id.hex()}, {"dropped", true}};
                             });
                  }));
    server.Post("/v1/transfer", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    const json body = parse_body(req);
                    only_fields(body, {"to", "amount"});
                    protocols::tx::transfer t;
                    t.to = hex_field<account_address>(string_field(body, "to"), "to");
                    t.amount =
                        unsigned_field(body, "amount", 1, std::numeric_limits<std::int64_t>::max());
                    submit(res, t, [t](const transaction_answer&) {
                        return json{{"to", t.to.hex()}, {"amount", t.amount}};
                    });
                }));
    // grant and revoke: "user" is an account address; "public_key" a user's key instead.
    auto user_of = [](const json& body) {
        if (body.contains("public_key")) {
            if (body.contains("user"))
                throw bad_input{"give user (an address) or public_key, not both"};
            return crypto::address_of(
                hex_field<public_key>(string_field(body, "public_key"), "public_key"));
        }
        return hex_field<account_address>(string_field(body, "user"), "user");
    };
    auto grant_or_revoke = [=](const httplib::Request& req, httplib::Response& res, bool revoke) {
        const json body = parse_body(req);
        if (revoke)
            only_fields(body, {"database", "user", "public_key"});
        else
            only_fields(body, {"database", "user", "public_key", "role"});
        const auto db = hex_field<database_id>(string_field(body, "database"), "database");
        const auto user = user_of(body);
        const std::string role = revoke ? "none" : string_field(body, "role");
        auto answer = [db, user, role](const transaction_answer&) {
            return json{{"database", db.hex()}, {"user", user.hex()}, {"role", role}};
        };
        if (role == "none") return submit(res, protocols::tx::revoke_role{db, user}, answer);
        protocols::tx::grant_role g{db, user, protocols::role::read};
        if (role == "admin")
            g.granted = protocols::role::admin;
        else if (role == "write")
            g.granted = protocols::role::write;
        else if (role != "read")
            throw bad_input{"role: expected admin, write, read or none"};
        submit(res, g, answer);
    };
    server.Post("/v1/grant", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    grant_or_revoke(req, res, false);
                }));
    server.Post("/v1/revoke", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    grant_or_revoke(req, res, true);
                }));

    // exec and query: the actor answers only with what it verified.
    auto run_sql = [=](const httplib::Request& req, httplib::Response& res,
                       protocols::query_kind kind) {
        const json body = parse_body(req);
        only_fields(body, {"database", "statements", "sql", "params", "param_sets"});
        const auto db = hex_field<database_id>(string_field(body, "database"), "database");
        auto statements = client::sql_statements_from_json(body);
        if (!statements) throw bad_input{statements.failure().detail};
        if (kind == protocols::query_kind::read && statements->size() != 1)
            throw bad_input{"a query is one statement (sql, params)"};
        auto a = ask(wait_sql, sql_tag{}, sql_atom::value,
                     sql_request{db, kind, std::move(statements).value()});
        if (!a) return no_answer(res);
        if (a->failure) return send_error(res, *a->failure);
        const auto& response = a->response;
        const auto& outcome = std::get<protocols::request_outcome>(response.body);
        const std::uint64_t seq =
            a->receipt ? response.receipt->seq.value : response.state_seq.value;
        json proof{{"verified", true},
                   {"served_by", response.responder.hex()},
                   {"seq", seq},
                   {"certificate_signers", a->certificate_signers},
                   {"result_signers", a->result_signers},
                   {"receipt", a->receipt}};
        if (const auto* failed = std::get_if<protocols::sql_failure>(&outcome.body)) {
            json out = proof;
            out["error"] = failed->message;
            out["code"] = "sql_error";
            out["statement_index"] = failed->statement_index;
            out["sqlite_code"] = failed->code;
            return send_json(res, 400, out);
        }
        const auto& results = std::get<std::vector<protocols::statement_result>>(outcome.body);
        json out = proof;
        if (kind == protocols::query_kind::read) {
            const json first = result_json(results.at(0));
            out["columns"] = first["columns"];
            out["rows"] = first["rows"];
        } else {
            json list = json::array();
            for (const auto& r : results) list.push_back(result_json(r));
            out["results"] = std::move(list);
        }
        send_json(res, 200, out);
    };
    server.Post("/v1/exec", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    run_sql(req, res, protocols::query_kind::write);
                }));
    server.Post("/v1/query", guarded([=](const httplib::Request& req, httplib::Response& res) {
                    run_sql(req, res, protocols::query_kind::read);
                }));
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return;
        const std::string code = res.status == 404   ? "not_found"
                                 : res.status == 413 ? "too_large"
                                                     : "bad_request";
        send_error(res, res.status, code, "HTTP " + std::to_string(res.status));
    });
}

}  // namespace covenant::node
