// Reading covenant-node's TOML configuration (see node_config.hpp).
#include "node_config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "crypto/node_id.hpp"
#include "protocols/limits.hpp"
#include "toml_reader.hpp"

namespace covenant::node {
namespace {

constexpr std::size_t config_bytes_max = 1u << 20;

error config_error(const std::string& what) {
    return error{std::make_error_code(std::errc::invalid_argument), what};
}

using bad_config = toml_error;
using table_reader = toml_table_reader;

[[noreturn]] void fail(const std::string& key, const toml::node* at, const std::string& what) {
    toml_fail(key, at, what);
}

std::string type_name(const toml::node& n) {
    return toml_type_name(n);
}

const toml::table* sub_table(table_reader& parent, const std::string& k) {
    return parent.sub_table(k);
}

std::string resolve_path(const std::string& path, const std::string& base_dir) {
    return resolve_config_path(path, base_dir);
}

node_role parse_role(const std::string& text, const std::string& key, const toml::node* at) {
    if (text == "producer") return node_role::producer;
    if (text == "miner") return node_role::miner;
    if (text == "client") return node_role::client;
    fail(key, at, "expected producer, miner or client, found \"" + text + "\"");
}

const std::set<std::string>& log_levels() {
    static const std::set<std::string> levels{"trace", "debug",    "info", "warn",
                                              "error", "critical", "off"};
    return levels;
}

void check_log_level(const std::string& level, const std::string& key, const toml::node* at) {
    if (log_levels().count(level) == 0)
        fail(key, at,
             "expected trace, debug, info, warn, error, critical or off, found \"" + level + "\"");
}

host_port address_value(const std::string& text, bool allow_zero, const std::string& key,
                        const toml::node* at) {
    auto parsed = parse_host_port(text, allow_zero);
    if (!parsed) fail(key, at, parsed.failure().detail);
    return std::move(parsed).value();
}

template <class Fixed>
Fixed hex_value(const std::string& text, const std::string& key, const toml::node* at) {
    auto v = Fixed::from_hex_string(text);
    if (!v)
        fail(key, at,
             "expected " + std::to_string(Fixed::size() * 2) + " hex digits, found \"" + text +
                 "\"");
    return *v;
}

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

// The parts that need a value after the overrides: checked once, at the end.
struct pending_client {
    std::optional<std::string> http_listen;
    const toml::node* http_listen_at = nullptr;
};
struct pending {
    std::optional<std::string> role;
    std::optional<std::string> listen;
    pending_client client;
};
// An hour: longer timeouts and intervals are surely a mistake in the unit.
constexpr std::int64_t ms_max = 3'600'000;

void read_log(table_reader& top, node_config& c) {
    const toml::table* t = sub_table(top, "log");
    if (t == nullptr) return;
    table_reader r(*t, "log");
    if (auto level = r.string("level")) {
        check_log_level(*level, "log.level", t->get("level"));
        c.log.level = *level;
    }
    if (auto file = r.string("file")) c.log.file = file->empty() ? "" : *file;
    r.finish();
}

void read_network(table_reader& top, node_config& c) {
    const toml::table* t = sub_table(top, "network");
    if (t == nullptr) return;
    table_reader r(*t, "network");
    auto& n = c.network;
    r.integer_into("reconnect_min_ms", n.reconnect_min_ms, 1, ms_max);
    r.integer_into("reconnect_max_ms", n.reconnect_max_ms, 1, ms_max);
    r.integer_into("connect_timeout_ms", n.connect_timeout_ms, 1, ms_max);
    r.integer_into("ban_ms", n.ban_ms, 0, ms_max * 24);
    r.integer_into("heartbeat_ms", n.heartbeat_ms, 0, ms_max);
    r.integer_into("connection_timeout_ms", n.connection_timeout_ms, 1, ms_max);
    r.integer_into("scheduler_threads", n.scheduler_threads, 0, 64);
    r.finish();
    if (n.reconnect_max_ms < n.reconnect_min_ms)
        fail("network.reconnect_max_ms", t->get("reconnect_max_ms"),
             "must be at least network.reconnect_min_ms (" + std::to_string(n.reconnect_min_ms) +
                 ")");
}

void read_producer(table_reader& top, node_config& c) {
    const toml::table* t = sub_table(top, "producer");
    if (t == nullptr) return;
    table_reader r(*t, "producer");
    auto& p = c.producer;
    auto& k = p.consensus;
    r.integer_into("tick_ms", p.tick_ms, 1, ms_max);
    r.integer_into("block_interval_ms", k.block_interval_ms, 0, ms_max);
    r.integer_into("propose_timeout_ms", k.propose_timeout_ms, 1, ms_max);
    r.integer_into("prevote_timeout_ms", k.prevote_timeout_ms, 1, ms_max);
    r.integer_into("precommit_timeout_ms", k.precommit_timeout_ms, 1, ms_max);
    r.integer_into("timeout_step_ms", k.timeout_step_ms, 0, ms_max);
    r.integer_into("resend_interval_ms", k.resend_interval_ms, 1, ms_max);
    r.integer_into("transactions_per_block_max", k.transactions_per_block_max, 1,
                   static_cast<std::int64_t>(protocols::limits::transactions_per_block_max));
    r.integer_into("mempool_max", k.mempool_max, 1, 1 << 24);
    r.integer_into("fetch_timeout_ms", p.fetch_timeout_ms, 1, ms_max);
    r.integer_into("catch_up_delay_ms", p.catch_up_delay_ms, 0, ms_max);
    r.integer_into("fetch_blocks_max", p.fetch_blocks_max, 1,
                   static_cast<std::int64_t>(protocols::limits::main_blocks_per_fetch_max));
    r.finish();
}

void read_miner(table_reader& top, node_config& c) {
    const toml::table* t = sub_table(top, "miner");
    if (t == nullptr) return;
    table_reader r(*t, "miner");
    auto& m = c.miner;
    auto& k = m.replica;
    r.integer_into("follow_interval_ms", m.follow_interval_ms, 1, ms_max);
    r.integer_into("resend_interval_ms", m.resend_interval_ms, 1, ms_max);
    r.integer_into("replica_tick_ms", m.replica_tick_ms, 1, ms_max);
    r.integer_into("transaction_fee", m.transaction_fee, 0, int64_max);
    r.integer_into("batch_requests_max", k.batch_requests_max, 1, 1 << 16);
    r.integer_into("pipeline_depth", k.pipeline_depth, 1, 1024);
    r.boolean_into("pipeline_only_full_batches", k.pipeline_only_full_batches);
    r.integer_into("batch_delay_ms", k.batch_delay_ms, 0, ms_max);
    r.integer_into("progress_timeout_ms", k.progress_timeout_ms, 1, ms_max);
    r.integer_into("fetch_retry_ms", k.fetch_retry_ms, 1, ms_max);
    r.integer_into("retransmit_ms", k.retransmit_ms, 1, ms_max);
    r.integer_into("retransmit_max_ms", k.retransmit_max_ms, 1, ms_max);
    r.integer_into("seal_every_batches", k.seal_every_batches, 1, 1 << 20);
    r.integer_into("seal_every_ms", k.seal_every_ms, 1, ms_max);
    r.integer_into("clock_skew_max_ms", k.clock_skew_max_ms, 0, ms_max);
    if (const toml::table* reg = sub_table(r, "registration")) {
        table_reader g(*reg, "miner.registration");
        miner_registration out;
        auto deposit = g.integer("deposit", 1, int64_max);
        if (!deposit) fail("miner.registration.deposit", reg, "missing (the deposit to register with)");
        out.deposit = static_cast<std::uint64_t>(*deposit);
        g.integer_into("capacity", out.capacity, 1, 1 << 16);
        g.integer_into("price_per_statement", out.price_per_statement, 0, int64_max);
        if (auto endpoint = g.nonempty_string("endpoint")) {
            address_value(*endpoint, false, "miner.registration.endpoint", reg->get("endpoint"));
            out.endpoint = *endpoint;
        }
        g.finish();
        m.registration = out;
    }
    r.finish();
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void read_client(table_reader& top, node_config& c, pending_client& later) {
    const toml::table* t = sub_table(top, "client");
    if (t == nullptr) return;
    table_reader r(*t, "client");
    auto& k = c.client;
    if (auto v = r.nonempty_string("http_listen")) {
        address_value(*v, true, "client.http_listen", t->get("http_listen"));
        later.http_listen = v;
        later.http_listen_at = t->get("http_listen");
    }
    r.boolean_into("http_allow_remote", k.http_allow_remote);
    r.integer_into("http_threads", k.http_threads, 1, 256);
    r.integer_into("http_body_bytes_max", k.http_body_bytes_max, 1024, 64 << 20);
    r.integer_into("request_timeout_ms", k.request_timeout_ms, 1, ms_max);
    r.integer_into("request_resend_ms", k.request_resend_ms, 1, ms_max);
    r.integer_into("transaction_timeout_ms", k.transaction_timeout_ms, 1, ms_max);
    r.integer_into("follow_interval_ms", k.follow_interval_ms, 1, ms_max);
    r.integer_into("resend_interval_ms", k.resend_interval_ms, 1, ms_max);
    r.integer_into("transaction_fee", k.transaction_fee, 0, int64_max);
    r.integer_into("calls_max", k.calls_max, 1, 1 << 20);
    r.integer_into("links_max", k.links_max, 1, 4096);
    r.finish();
}

void read_peers(table_reader& top, node_config& c) {
    const toml::node* n = top.take("peers");
    if (n == nullptr) return;
    if (!n->is_array_of_tables())
        fail("peers", n, "expected [[peers]] tables, found " + type_name(*n));
    std::size_t i = 0;
    for (const toml::node& element : *n->as_array()) {
        const std::string name = "peers[" + std::to_string(i++) + "]";
        table_reader r(*element.as_table(), name);
        peer_entry p;
        p.name = name;
        if (auto id = r.string("node_id"))
            p.id = hex_value<node_id>(*id, r.key("node_id"), element.as_table()->get("node_id"));
        if (auto key = r.string("key"))
            p.key = hex_value<public_key>(*key, r.key("key"), element.as_table()->get("key"));
        if (auto nonce = r.integer("node_id_nonce", 0, int64_max)) p.node_id_nonce = *nonce;
        auto address = r.nonempty_string("address");
        r.finish();
        if (p.id && p.key)
            fail(name, &element, "give node_id or key (with node_id_nonce), not both");
        if (!p.id && !p.key) fail(name, &element, "needs node_id, or key (with node_id_nonce)");
        if (p.id && p.node_id_nonce)
            fail(r.key("node_id_nonce"), element.as_table()->get("node_id_nonce"),
                 "goes with key, not with node_id");
        if (!address) fail(r.key("address"), &element, "missing");
        p.address =
            address_value(*address, false, r.key("address"), element.as_table()->get("address"));
        c.peers.push_back(std::move(p));
    }
}



void read_top(const toml::table& root, const std::string& base_dir, node_config& c,
              pending& later) {
    table_reader r(root, "");
    if (auto role = r.nonempty_string("role")) {
        parse_role(*role, "role", root.get("role"));
        later.role = role;
    }
    if (auto v = r.nonempty_string("key_file")) c.key_file = resolve_path(*v, base_dir);
    if (auto v = r.nonempty_string("passphrase_file"))
        c.passphrase_file = resolve_path(*v, base_dir);
    if (auto v = r.integer("node_id_nonce", 0, int64_max)) c.node_id_nonce = *v;
    if (auto v = r.nonempty_string("listen")) {
        address_value(*v, true, "listen", root.get("listen"));
        later.listen = v;
    }
    if (auto v = r.nonempty_string("data_dir")) c.data_dir = resolve_path(*v, base_dir);
    if (auto v = r.nonempty_string("genesis")) c.genesis = resolve_path(*v, base_dir);
    r.integer_into("status_interval_ms", c.status_interval_ms, 10, ms_max);
    read_log(r, c);
    if (!c.log.file.empty()) c.log.file = resolve_path(c.log.file, base_dir);
    read_network(r, c);
    read_producer(r, c);
    read_miner(r, c);
    read_client(r, c, later.client);
    read_peers(r, c);
    r.finish();
}

std::string absolute_from_cwd(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::absolute(path, ec);
    return ec ? path : p.lexically_normal().string();
}

void apply(const config_overrides& o, node_config& c, pending& later) {
    if (o.role) {
        if (o.role->empty()) fail("--role", nullptr, "must not be empty");
        parse_role(*o.role, "--role", nullptr);
        later.role = o.role;
    }
    if (o.listen) {
        address_value(*o.listen, true, "--listen", nullptr);
        later.listen = o.listen;
    }
    if (o.data_dir) {
        if (o.data_dir->empty()) fail("--data-dir", nullptr, "must not be empty");
        c.data_dir = absolute_from_cwd(*o.data_dir);
    }
    if (o.log_level) {
        check_log_level(*o.log_level, "--log-level", nullptr);
        c.log.level = *o.log_level;
    }
    if (o.log_file) c.log.file = o.log_file->empty() ? "" : absolute_from_cwd(*o.log_file);
    if (o.genesis) {
        if (o.genesis->empty()) fail("--genesis", nullptr, "must not be empty");
        c.genesis = absolute_from_cwd(*o.genesis);
    }
    if (o.key_file) {
        if (o.key_file->empty()) fail("--key-file", nullptr, "must not be empty");
        c.key_file = absolute_from_cwd(*o.key_file);
    }
    if (o.passphrase_file)
        c.passphrase_file = o.passphrase_file->empty() ? "" : absolute_from_cwd(*o.passphrase_file);
    if (o.http_listen) {
        address_value(*o.http_listen, true, "--http-listen", nullptr);
        later.client.http_listen = o.http_listen;
        later.client.http_listen_at = nullptr;
    }
    if (o.request_timeout_ms) {
        if (*o.request_timeout_ms < 1 || *o.request_timeout_ms > ms_max)
            fail("--request-timeout-ms", nullptr, "must be 1 .. " + std::to_string(ms_max));
        c.client.request_timeout_ms = *o.request_timeout_ms;
    }
}

void finish(node_config& c, const pending& later) {
    if (!later.role) fail("role", nullptr, "missing (producer, miner or client; or --role)");
    c.role = parse_role(*later.role, "role", nullptr);
    if (c.key_file.empty()) fail("key_file", nullptr, "missing (or --key-file)");
    if (later.listen) {
        c.listen = address_value(*later.listen, true, "listen", nullptr);
    } else if (c.role == node_role::client) {
        c.has_listen = false;  // a gateway needs no listen address: answers come over its links
    } else {
        fail("listen", nullptr, "missing (\"host:port\", or --listen)");
    }
    if (later.client.http_listen)
        c.client.http_listen = address_value(*later.client.http_listen, true, "client.http_listen",
                                             later.client.http_listen_at);
    if (c.role == node_role::client && !c.client.http_allow_remote &&
        !is_loopback(c.client.http_listen.host))
        fail("client.http_listen", later.client.http_listen_at,
             c.client.http_listen.host +
                 " is not a loopback address: the gateway signs with the user's key for whoever "
                 "reaches it (set client.http_allow_remote = true to allow it)");
    if (c.data_dir.empty()) fail("data_dir", nullptr, "missing (or --data-dir)");
    if (c.genesis.empty()) fail("genesis", nullptr, "missing (or --genesis)");
}

}  // namespace

std::string role_name(node_role role) {
    switch (role) {
        case node_role::producer:
            return "producer";
        case node_role::miner:
            return "miner";
        case node_role::client:
            return "client";
    }
    return "unknown";
}

std::string host_port::text() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<host_port> parse_host_port(const std::string& text, bool allow_port_zero) {
    const std::string expected = "expected \"host:port\", found \"" + text + "\"";
    std::string host;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return config_error(expected);
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) return config_error(expected);
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string::npos)
            return config_error(expected + " (write an IPv6 address as [address]:port)");
    }
    if (host.empty()) return config_error(expected + " (no host)");
    for (char ch : host)
        if (ch == ' ' || ch == '\t' || ch == '/' || static_cast<unsigned char>(ch) < 0x20)
            return config_error(expected + " (bad character in the host)");
    if (port_text.empty() || port_text.size() > 5) return config_error(expected + " (bad port)");
    std::uint32_t port = 0;
    for (char ch : port_text) {
        if (ch < '0' || ch > '9') return config_error(expected + " (bad port)");
        port = port * 10 + static_cast<std::uint32_t>(ch - '0');
    }
    if (port > 65535) return config_error("port " + port_text + " is above 65535");
    if (port == 0 && !allow_port_zero) return config_error("port 0 is not a peer's port");
    return host_port{host, static_cast<std::uint16_t>(port)};
}

result<node_config> parse_node_config(const std::string& toml_text, const std::string& base_dir,
                                      const std::string& source,
                                      const config_overrides& overrides) {
    const std::string prefix = source.empty() ? "" : source + ": ";
    node_config c;
    c.source = source;
    auto parsed = parse_toml_text(toml_text, source);
    if (!parsed) return parsed.failure();
    const toml::table root = std::move(parsed).value();
    try {
        pending later;
        read_top(root, base_dir, c, later);
        apply(overrides, c, later);
        finish(c, later);
    } catch (const bad_config& e) {
        return config_error(prefix + e.message);
    }
    return c;
}

result<node_config> read_node_config(const std::string& path, const config_overrides& overrides) {
    auto file = read_config_file(path, config_bytes_max);
    if (!file) return file.failure();
    return parse_node_config(file->text, file->base_dir, path, overrides);
}

result<std::vector<resolved_peer>> resolve_peers(const node_config& config,
                                                 const storage::genesis_document& genesis,
                                                 const node_id& own_id) {
    std::vector<resolved_peer> out;
    std::map<node_id, std::string> seen_ids;
    std::map<std::string, std::string> seen_addresses;
    const std::string prefix = config.source.empty() ? "" : config.source + ": ";
    for (const auto& p : config.peers) {
        node_id id;
        if (p.id) {
            id = *p.id;
        } else {
            std::uint64_t nonce = 0;
            if (p.node_id_nonce) {
                nonce = *p.node_id_nonce;
            } else {
                auto g = genesis.producer_node_nonces.find(*p.key);
                if (g == genesis.producer_node_nonces.end())
                    return config_error(prefix + p.name +
                                        ": node_id_nonce missing (the key is not a genesis "
                                        "producer's, so the genesis does not have it)");
                nonce = g->second;
            }
            id = crypto::compute_node_id(*p.key, nonce);
        }
        if (crypto::leading_zero_bits(id) < genesis.genesis.parameters.node_id_difficulty)
            return config_error(prefix + p.name + ": node id " + id.hex() + " has fewer than " +
                                std::to_string(genesis.genesis.parameters.node_id_difficulty) +
                                " leading zero bits (the genesis's node_id_difficulty)");
        if (auto s = seen_ids.find(id); s != seen_ids.end())
            return config_error(prefix + p.name + ": the same node id as " + s->second);
        seen_ids.emplace(id, p.name);
        if (id == own_id) continue;
        const std::string address = p.address.text();
        if (auto s = seen_addresses.find(address); s != seen_addresses.end())
            return config_error(prefix + p.name + ": the same address as " + s->second);
        seen_addresses.emplace(address, p.name);
        out.push_back(resolved_peer{id, p.address, p.name});
    }
    return out;
}

result<std::uint64_t> own_node_id_nonce(const node_config& config,
                                        const storage::genesis_document& genesis,
                                        const public_key& own_key) {
    const std::string prefix = config.source.empty() ? "" : config.source + ": ";
    std::uint64_t nonce = 0;
    if (config.node_id_nonce) {
        nonce = *config.node_id_nonce;
    } else {
        auto g = genesis.producer_node_nonces.find(own_key);
        if (g == genesis.producer_node_nonces.end())
            return config_error(prefix +
                                "node_id_nonce: missing (this key is not a genesis producer's; "
                                "find one with `cql idminer --key FILE --difficulty " +
                                std::to_string(genesis.genesis.parameters.node_id_difficulty) +
                                "`)");
        nonce = g->second;
    }
    const unsigned difficulty = genesis.genesis.parameters.node_id_difficulty;
    if (!crypto::node_id_meets_difficulty(own_key, nonce, difficulty))
        return config_error(prefix + "node_id_nonce: " + std::to_string(nonce) +
                            " does not give this key a node id with " + std::to_string(difficulty) +
                            " leading zero bits (the genesis's node_id_difficulty; run `cql "
                            "idminer`)");
    if (auto g = genesis.producer_node_nonces.find(own_key);
        g != genesis.producer_node_nonces.end() && g->second != nonce)
        return config_error(prefix + "node_id_nonce: " + std::to_string(nonce) +
                            " differs from the genesis's nonce for this producer (" +
                            std::to_string(g->second) + ")");
    return nonce;
}

}  // namespace covenant::node
