// Running a node (see node.hpp).
#include "node.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>

#include "actors/client/client_node.hpp"
#include "actors/miner/miner_node.hpp"
#include "actors/miner/replica_actor.hpp"
#include "actors/net/scheduler_settings.hpp"
#include "actors/net/transport.hpp"
#include "actors/producer/producer_actor.hpp"
#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "http_api.hpp"

namespace covenant::node {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

std::int64_t unix_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string hex_of(const bytes& b) {
    return to_hex(b);
}

/// Holds an exclusive lock on data_dir/node.lock for the life of the process, so that two
/// nodes never share one data directory (the lock goes with the process, even on kill -9).
class data_dir_lock {
  public:
    static std::optional<std::string> take(const std::string& dir, data_dir_lock& out) {
        const std::string path = dir + "/node.lock";
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            ::close(fd);
            if (e == EWOULDBLOCK)
                return "data_dir " + dir + " is in use by another covenant-node (" + path +
                       " is locked)";
            return "cannot lock " + path + ": " + std::strerror(e);
        }
        out.fd_ = fd;
        return std::nullopt;
    }
    data_dir_lock() = default;
    ~data_dir_lock() {
        if (fd_ >= 0) ::close(fd_);
    }
    data_dir_lock(const data_dir_lock&) = delete;
    data_dir_lock& operator=(const data_dir_lock&) = delete;

  private:
    int fd_ = -1;
};

/// Why binding `address` fails, in words (CAF's error does not carry errno): asked only
/// after publishing failed.
std::string why_cannot_listen(const host_port& address) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address.port);
    if (const int e = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); e != 0)
        return std::string("cannot resolve the host: ") + ::gai_strerror(e);
    std::string why;
    for (addrinfo* a = found; a != nullptr && why.empty(); a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        const int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1) != 0) {
            const int e = errno;
            if (e == EADDRINUSE)
                why = "the address is already in use (another process listens on it)";
            else if (e == EADDRNOTAVAIL)
                why = "the host is not an address of this machine";
            else if (e == EACCES)
                why = "permission denied (a port below 1024 needs privileges)";
            else
                why = std::strerror(e);
        }
        ::close(fd);
    }
    ::freeaddrinfo(found);
    return why;
}

json to_json(const actors::producer_status& s) {
    return json{{"final_height", s.final_height},
                {"head_hash", hex_of(s.head_hash)},
                {"state_root", hex_of(s.state_root)},
                {"round", s.round},
                {"stored_height", s.stored_height},
                {"mempool_size", s.mempool_size},
                {"total_tokens", s.total_tokens},
                {"blocks_proposed", s.blocks_proposed},
                {"blocks_finalized", s.blocks_finalized},
                {"round_changes", s.round_changes},
                {"transactions_refused", s.transactions_refused},
                {"messages_refused", s.messages_refused},
                {"last_refusal", s.last_refusal},
                {"undecodable_payloads", s.undecodable_payloads},
                {"fetches_sent", s.fetches_sent},
                {"fetches_unanswered", s.fetches_unanswered},
                {"fetches_served", s.fetches_served},
                {"blocks_fetched", s.blocks_fetched},
                {"fetched_blocks_refused", s.fetched_blocks_refused},
                {"evidence_count", s.evidence_count},
                {"store_errors", s.store_errors}};
}

json to_json(const actors::replica_status& r) {
    return json{{"view", r.view},
                {"last_committed", r.last_committed},
                {"last_executed", r.last_executed},
                {"state_digest", hex_of(r.state_digest)},
                {"batches_committed", r.batches_committed},
                {"messages_refused", r.messages_refused},
                {"batches_refused", r.batches_refused},
                {"catch_up_batches", r.catch_up_batches},
                {"divergent_executions", r.divergent_executions},
                {"undecodable_payloads", r.undecodable_payloads},
                {"shard_height", r.shard_height},
                {"shard_head_hash", hex_of(r.shard_head_hash)},
                {"last_refusal", r.last_refusal},
                {"storage_problem", r.storage_problem},
                {"wal_pages_behind", r.wal_pages_behind},
                {"leader_timing", json{{"batches", r.leader_timing.batches},
                                       {"prepare_ms", r.leader_timing.prepare_ms},
                                       {"commit_ms", r.leader_timing.commit_ms},
                                       {"execute_ms", r.leader_timing.execute_ms},
                                       {"answer_ms", r.leader_timing.answer_ms},
                                       {"requests", r.leader_timing.requests},
                                       {"queued_ms", r.leader_timing.queued_ms}}}};
}

/// `replicas`: the replica status of each served database (by id) that answered in time;
/// one that did not has "replica": null.
json to_json(const actors::miner_status& s,
             const std::map<bytes, actors::replica_status>& replicas) {
    json databases = json::array();
    for (const auto& d : s.databases) {
        json members = json::array();
        for (const auto& m : d.members) members.push_back(hex_of(m));
        auto r = replicas.find(d.id);
        databases.push_back(
            json{{"id", hex_of(d.id)},
                 {"view", d.view},
                 {"members", members},
                 {"replica", r == replicas.end() ? json(nullptr) : to_json(r->second)}});
    }
    return json{{"chain_height", s.chain_height},
                {"chain_head", hex_of(s.chain_head)},
                {"registered", s.registered},
                {"databases", databases},
                {"blocks_applied", s.blocks_applied},
                {"blocks_refused", s.blocks_refused},
                {"replicas_started", s.replicas_started},
                {"view_changes_followed", s.view_changes_followed},
                {"transactions_sent", s.transactions_sent},
                {"last_refusal", s.last_refusal}};
}

json to_json(const actors::client_status& s) {
    return json{{"chain_height", s.chain_height},
                {"chain_head", s.chain_head.hex()},
                {"blocks_applied", s.blocks_applied},
                {"blocks_refused", s.blocks_refused},
                {"replies_ignored", s.replies_ignored},
                {"transactions_submitted", s.transactions_submitted},
                {"transactions_final", s.transactions_final},
                {"transactions_refused", s.transactions_refused},
                {"transactions_in_flight", s.transactions_in_flight},
                {"requests_sent", s.requests_sent},
                {"answers_verified", s.answers_verified},
                {"answers_refused", s.answers_refused},
                {"calls_in_flight", s.calls_in_flight},
                {"links_opened", s.links_opened},
                {"last_problem", s.last_problem}};
}

json to_json(const actors::router_stats& s) {
    return json{{"sent", s.sent},
                {"accepted", s.accepted},
                {"rejected", s.rejected},
                {"unroutable", s.unroutable},
                {"undeliverable", s.undeliverable},
                {"sent_learned", s.sent_learned},
                {"learned_routes", s.learned_routes},
                {"last_rejection", s.last_rejection},
                {"envelopes_sent", s.envelopes_sent},
                {"bundles_sent", s.bundles_sent},
                {"bundles_received", s.bundles_received},
                {"envelopes_reused", s.envelopes_reused}};
}

json to_json(const actors::gate_stats& s) {
    return json{{"received", s.received},
                {"forwarded", s.forwarded},
                {"rejected", s.rejected},
                {"ignored", s.ignored},
                {"peers_dropped", s.peers_dropped},
                {"banned_now", s.banned_now},
                {"routes_learned", s.routes_learned},
                {"routes_refused", s.routes_refused},
                {"relayed", s.relayed},
                {"relay_dropped", s.relay_dropped},
                {"relay_dropped_unacknowledged", s.relay_dropped_unacknowledged},
                {"acks_sent", s.acks_sent},
                {"last_rejection", s.last_rejection},
                {"last_dropped", s.last_dropped}};
}

json to_json(const actors::link_status& s, const std::string& name) {
    return json{{"name", name},
                {"node_id", hex_of(s.peer)},
                {"address", s.address},
                {"connected", s.connected},
                {"connects", s.connects},
                {"connect_failures", s.connect_failures},
                {"disconnects", s.disconnects},
                {"sent", s.sent},
                {"dropped", s.dropped},
                {"received", s.received},
                {"retry_in_ms", s.retry_in_ms},
                {"unacknowledged_bytes", s.unacknowledged_bytes},
                {"dropped_unacknowledged", s.dropped_unacknowledged},
                {"last_error", s.last_error}};
}

/// Asks `target` and waits at most `timeout`; nullopt if it did not answer.
///
/// CAF 0.17 schedules each request's timeout as a message to the asker, and a blocking
/// actor keeps it after the answer came: it matches nothing later and stays in the mailbox.
/// A blocking actor whose mailbox holds any message it skips does not sleep in `receive`
/// but spins until its timeout. So an asker must not outlive its round of questions: see
/// status_writer::update, which makes one per round.
template <class T, class... Ts>
std::optional<T> ask(caf::scoped_actor& self, const caf::actor& target, milliseconds timeout,
                     Ts&&... xs) {
    std::optional<T> out;
    self->request(target, timeout, std::forward<Ts>(xs)...)
        .receive([&](T& value) { out = std::move(value); }, [&](caf::error&) {});
    return out;
}

struct running_node {
    caf::actor router;
    caf::actor gate;
    caf::actor role_actor;
    std::vector<std::pair<caf::actor, std::string>> links;  // with the peer's config name
    std::uint16_t port = 0;
    bool published = false;
    std::uint16_t http_port = 0;  // role client
};

class status_writer {
  public:
    status_writer(const node_config& config, const storage::genesis_document& genesis,
                  const node_identity& identity, spdlog::logger& log)
        : config_(config), log_(log), path_(config.data_dir + "/status.json") {
        base_ = json{{"role", role_name(config.role)},
                     {"node_id", identity.id.hex()},
                     {"public_key", identity.key.public_key().hex()},
                     {"node_id_nonce", identity.nonce},
                     {"pid", static_cast<std::int64_t>(::getpid())},
                     {"network", genesis.network},
                     {"genesis_hash", genesis.hash().hex()},
                     {"data_dir", config.data_dir},
                     {"started_at_ms", unix_ms()}};
    }

    /// Gathers every actor's status, logs what changed, writes status.json.
    ///
    /// The questions are asked by a scoped actor of this round only (see `ask`): one kept
    /// for the node's life collected every answered request's timeout message, about a
    /// hundred a second at the devnet's status interval, and spun through them in every
    /// later wait; each idle node took a sixth of a core, nine of them most of this
    /// machine's two.
    void update(caf::actor_system& system, const running_node& node, const char* state) {
        caf::scoped_actor self{system};
        const milliseconds timeout(std::max<std::int64_t>(config_.status_interval_ms, 1000));
        json doc = base_;
        doc["state"] = state;
        doc["listen"] = node.published ? json(host_port{config_.listen.host, node.port}.text()) : json(nullptr);
        if (config_.role == node_role::client)
            doc["http_listen"] = host_port{config_.client.http_listen.host, node.http_port}.text();
        doc["updated_at_ms"] = unix_ms();
        if (node.role_actor) {
            if (config_.role == node_role::producer) {
                auto s = ask<actors::producer_status>(self, node.role_actor, timeout,
                                                      actors::producer_status_atom::value);
                if (s) {
                    doc["producer"] = to_json(*s);
                    note_height(s->final_height, "final height");
                } else {
                    doc["producer"] = nullptr;
                }
            } else if (config_.role == node_role::client) {
                auto s = ask<actors::client_status>(self, node.role_actor, timeout,
                                                    actors::client_status_atom::value);
                if (s) {
                    doc["client"] = to_json(*s);
                    note_height(s->chain_height, "chain height");
                } else {
                    doc["client"] = nullptr;
                }
            } else {
                auto s = ask<actors::miner_status>(self, node.role_actor, timeout,
                                                   actors::miner_status_atom::value);
                if (s) {
                    // Each replica's own progress (commits, state digest, refusals).
                    std::map<bytes, actors::replica_status> replicas;
                    for (const auto& d : s->databases) {
                        auto replica = ask<caf::actor>(self, node.role_actor, timeout,
                                                       actors::replica_of_atom::value, d.id);
                        if (!replica || !*replica) continue;
                        if (auto r = ask<actors::replica_status>(
                                self, *replica, timeout, actors::replica_status_atom::value))
                            replicas.emplace(d.id, std::move(*r));
                    }
                    doc["miner"] = to_json(*s, replicas);
                    note_height(s->chain_height, "chain height");
                } else {
                    doc["miner"] = nullptr;
                }
            }
        }
        if (auto s =
                ask<actors::router_stats>(self, node.router, timeout, actors::stats_atom::value)) {
            doc["router"] = to_json(*s);
        }
        json transport = json::object();
        if (auto s =
                ask<actors::gate_stats>(self, node.gate, timeout, actors::gate_stats_atom::value)) {
            transport["gate"] = to_json(*s);
            if (s->peers_dropped > peers_dropped_)
                log_.warn(
                    "dropped a peer that sent an invalid envelope (CAF node {}): {}; {} "
                    "dropped so far",
                    s->last_dropped, s->last_rejection, s->peers_dropped);
            peers_dropped_ = s->peers_dropped;
        }
        json peers = json::array();
        std::size_t connected = 0;
        for (const auto& [link, name] : node.links) {
            auto s = ask<actors::link_status>(self, link, timeout, actors::link_status_atom::value);
            if (!s) continue;
            peers.push_back(to_json(*s, name));
            if (s->connected) ++connected;
            auto& was = connected_[name];
            if (s->connected && !was)
                log_.info("connected to {} ({}, node {})", name, s->address,
                          to_hex(s->peer).substr(0, 16));
            if (!s->connected && was)
                log_.warn("lost {} ({}): {}", name, s->address, s->last_error);
            was = s->connected;
        }
        transport["peers"] = std::move(peers);
        transport["peers_connected"] = connected;
        doc["transport"] = std::move(transport);
        if (!write_file_atomically(path_, doc.dump(2) + "\n") && !write_failed_) {
            write_failed_ = true;
            log_.error("cannot write {}: {}", path_, std::strerror(errno));
        } else {
            write_failed_ = false;
        }
    }

  private:
    void note_height(std::uint64_t height, const char* what) {
        if (height == height_) return;
        const auto now = steady_ms();
        if (now - height_logged_ms_ >= 10'000 || height_ == 0) {
            log_.info("{} {}", what, height);
            height_logged_ms_ = now;
        } else {
            log_.debug("{} {}", what, height);
        }
        height_ = height;
    }

    const node_config& config_;
    spdlog::logger& log_;
    std::string path_;
    json base_;
    std::uint64_t peers_dropped_ = 0;
    std::map<std::string, bool> connected_;
    std::uint64_t height_ = 0;
    std::int64_t height_logged_ms_ = 0;
    bool write_failed_ = false;
};

void configure_system(caf::actor_system_config& cfg, const node_config& config,
                      const storage::genesis_document& genesis) {
    cfg.load<caf::io::middleman>();
    actors::add_router_message_types(cfg);
    actors::add_transport_message_types(cfg);
    actors::add_producer_message_types(cfg);
    actors::add_miner_message_types(cfg);
    actors::add_replica_message_types(cfg);
    // Two nodes of different networks (another genesis) refuse each other at the handshake.
    cfg.set("middleman.app-identifiers",
            std::vector<std::string>{"covenant-" + genesis.hash().hex().substr(0, 32)});
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{milliseconds(config.network.heartbeat_ms)});
    cfg.set("middleman.connection-timeout",
            caf::timespan{milliseconds(config.network.connection_timeout_ms)});
    cfg.set("logger.console", caf::atom("none"));
    actors::use_covenant_scheduler_settings(cfg);
    if (config.network.scheduler_threads > 0)
        cfg.set("scheduler.max-threads", std::size_t{config.network.scheduler_threads});
}

/// The genesis producers' node ids (a miner or client fetches blocks from them and sends
/// them transactions), warning about any the peers do not list.
std::vector<node_id> genesis_producer_nodes(const storage::genesis_document& genesis,
                                            const std::map<node_id, std::string>& configured,
                                            spdlog::logger& log) {
    std::vector<node_id> out;
    for (const auto& [key, nonce] : genesis.producer_node_nonces) {
        const auto id = crypto::compute_node_id(key, nonce);
        out.push_back(id);
        if (configured.count(id) == 0)
            log.warn("genesis producer {} (node {}) is not among the peers: it cannot be reached",
                     key.hex().substr(0, 16), id.hex().substr(0, 16));
    }
    return out;
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            errno = e;
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return false;
    return ::rename(tmp.c_str(), path.c_str()) == 0;
}

int run_node(const node_config& config, const storage::genesis_document& genesis,
             const node_identity& identity, const std::vector<resolved_peer>& peers,
             spdlog::logger& log) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        log.error("data_dir {}: cannot create it: {}", config.data_dir, ec.message());
        return exit_runtime_error;
    }
    data_dir_lock lock;
    if (auto problem = data_dir_lock::take(config.data_dir, lock)) {
        log.error("{}", *problem);
        return exit_runtime_error;
    }

    caf::actor_system_config cfg;
    configure_system(cfg, config, genesis);
    caf::actor_system system{cfg};
    running_node node;
    caf::scoped_actor self{system};
    int status = exit_ok;
    status_writer status_file(config, genesis, identity, log);

    auto stop_everything = [&] {
        if (node.role_actor) self->send_exit(node.role_actor, caf::exit_reason::user_shutdown);
        for (const auto& [link, name] : node.links)
            self->send_exit(link, caf::exit_reason::user_shutdown);
        if (node.gate) self->send_exit(node.gate, caf::exit_reason::user_shutdown);
        if (node.router) self->send_exit(node.router, caf::exit_reason::user_shutdown);
    };

    const unsigned difficulty = genesis.genesis.parameters.node_id_difficulty;
    node.router = actors::spawn_router(system, {identity.key, identity.nonce, difficulty});
    actors::gate_config gate_settings{node.router, difficulty, config.network.ban_ms};
    for (const auto& p : peers) gate_settings.configured_peers.insert(p.id);
    node.gate = actors::spawn_gate(system, std::move(gate_settings));
    // reuse = SO_REUSEADDR: a node restarted at once can listen again although connections
    // of its previous run linger in TIME_WAIT; a port another process listens on is still
    // refused (Linux allows one listener per address without SO_REUSEPORT). A client with no
    // listen address publishes nothing: its answers come back over its own links.
    if (config.has_listen) {
        auto published = system.middleman().publish(node.gate, config.listen.port,
                                                    config.listen.host.c_str(), true);
        if (!published) {
            auto why = why_cannot_listen(config.listen);
            log.error("listen {}: cannot listen there: {}", config.listen.text(),
                      why.empty() ? system.render(published.error()) : why);
            stop_everything();
            return exit_runtime_error;
        }
        node.port = *published;
        node.published = true;
        log.info("{} {} listening on {} (network {}, genesis {})", role_name(config.role),
                 identity.id.hex().substr(0, 16), host_port{config.listen.host, node.port}.text(),
                 genesis.network, genesis.hash().hex().substr(0, 16));
    } else {
        log.info("{} {} (network {}, genesis {}), not listening for peers", role_name(config.role),
                 identity.id.hex().substr(0, 16), genesis.network, genesis.hash().hex().substr(0, 16));
    }

    for (const auto& p : peers) {
        actors::peer_link_config c{p.id,
                                   p.address.host,
                                   p.address.port,
                                   node.router,
                                   config.network.reconnect_min_ms,
                                   config.network.reconnect_max_ms,
                                   config.network.connect_timeout_ms,
                                   node.gate};
        node.links.emplace_back(actors::spawn_peer_link(system, std::move(c)), p.name);
    }

    std::map<node_id, std::string> configured;
    for (const auto& p : peers) configured.emplace(p.id, p.name);
    std::unique_ptr<http_api> http;  // role client
    // The clock blocks carry: the actor clock is steady, the chain wants Unix time.
    const std::int64_t clock_offset_ms = unix_ms() - steady_ms();

    if (config.role == node_role::producer) {
        std::map<public_key, node_id> producer_peers;
        for (const auto& [key, nonce] : genesis.producer_node_nonces) {
            if (key == identity.key.public_key()) continue;
            const auto id = crypto::compute_node_id(key, nonce);
            producer_peers.emplace(key, id);
            if (configured.count(id) == 0)
                log.warn(
                    "genesis producer {} (node {}) is not among the peers: it cannot be "
                    "reached",
                    key.hex().substr(0, 16), id.hex().substr(0, 16));
        }
        const auto& p = config.producer;
        actors::producer_actor_config c{identity.key,       std::move(producer_peers),
                                        node.router,        config.data_dir + "/main_chain.sqlite",
                                        genesis.genesis,    p.consensus,
                                        p.tick_ms,          clock_offset_ms,
                                        p.fetch_timeout_ms, p.catch_up_delay_ms,
                                        p.fetch_blocks_max};
        auto spawned = actors::spawn_producer_actor(system, std::move(c));
        if (!spawned) {
            log.error("the producer cannot start on {}: {}", config.data_dir,
                      spawned.failure().message());
            stop_everything();
            return exit_runtime_error;
        }
        node.role_actor = std::move(spawned).value();
    } else if (config.role == node_role::client) {
        auto producer_nodes = genesis_producer_nodes(genesis, configured, log);
        const auto& k = config.client;
        actors::client_node_config c{identity.key};
        c.node_id_nonce = identity.nonce;
        c.router = node.router;
        c.data_dir = config.data_dir;
        c.genesis = genesis.genesis;
        c.producer_nodes = std::move(producer_nodes);
        for (const auto& p : peers) c.routed_nodes.insert(p.id);
        // A member that is no configured peer: a link to the endpoint it registered.
        const auto network = config.network;
        const auto router = node.router;
        const auto gate = node.gate;
        c.connect = [&system, network, router, gate](const node_id& id, const std::string& endpoint) {
            auto address = parse_host_port(endpoint, false);
            if (!address) return caf::actor{};
            actors::peer_link_config link{id, address->host, address->port, router,
                                          network.reconnect_min_ms, network.reconnect_max_ms,
                                          network.connect_timeout_ms, gate};
            return actors::spawn_peer_link(system, std::move(link));
        };
        c.links_max = k.links_max;
        c.follow_interval_ms = k.follow_interval_ms;
        c.resend_interval_ms = k.resend_interval_ms;
        c.request_resend_ms = k.request_resend_ms;
        c.request_timeout_ms = k.request_timeout_ms;
        c.transaction_timeout_ms = k.transaction_timeout_ms;
        c.clock_offset_ms = clock_offset_ms;
        c.transaction_fee = k.transaction_fee;
        c.calls_max = k.calls_max;
        auto spawned = actors::spawn_client_node(system, std::move(c));
        if (!spawned) {
            log.error("the client gateway cannot start on {}: {}", config.data_dir,
                      spawned.failure().message());
            stop_everything();
            return exit_runtime_error;
        }
        node.role_actor = std::move(spawned).value();
        auto api = http_api::start(system, node.role_actor, k, identity.id, genesis, log);
        if (!api) {
            auto why = why_cannot_listen(k.http_listen);
            log.error("client.http_listen {}: cannot listen there: {}", k.http_listen.text(),
                      why.empty() ? api.failure().message() : why);
            stop_everything();
            return exit_runtime_error;
        }
        http = std::move(api).value();
        node.http_port = http->port();
        log.info("HTTP API on http://{}", host_port{k.http_listen.host, node.http_port}.text());
    } else {
        auto producer_nodes = genesis_producer_nodes(genesis, configured, log);
        const auto& m = config.miner;
        actors::miner_node_config c{identity.key,
                                    node.router,
                                    config.data_dir,
                                    genesis.genesis,
                                    std::move(producer_nodes),
                                    m.replica,
                                    m.follow_interval_ms,
                                    m.resend_interval_ms,
                                    m.replica_tick_ms,
                                    clock_offset_ms,
                                    m.transaction_fee};
        if (m.registration) {
            protocols::tx::register_miner r;
            r.pow_nonce = identity.nonce;
            r.deposit = m.registration->deposit;
            r.capacity = m.registration->capacity;
            r.price_per_statement = m.registration->price_per_statement;
            r.endpoint = m.registration->endpoint.empty()
                             ? host_port{config.listen.host, node.port}.text()
                             : m.registration->endpoint;
            c.registration = r;
        }
        auto spawned = actors::spawn_miner_node(system, std::move(c));
        if (!spawned) {
            log.error("the miner cannot start on {}: {}", config.data_dir,
                      spawned.failure().message());
            stop_everything();
            return exit_runtime_error;
        }
        node.role_actor = std::move(spawned).value();
    }

    // Any of these ending while the node runs is fatal: the node stops (fail-stop) and says
    // why, for its supervisor to restart it on the same data directory.
    std::map<caf::actor_addr, std::string> watched{
        {node.router.address(), "the router"},
        {node.gate.address(), "the gate"},
        {node.role_actor.address(), "the " + role_name(config.role)}};
    for (const auto& [link, name] : node.links)
        watched.emplace(link.address(), "the link to " + name);
    self->monitor(node.router);
    self->monitor(node.gate);
    self->monitor(node.role_actor);
    for (const auto& [link, name] : node.links) self->monitor(link);

    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    status_file.update(system, node, "running");
    for (;;) {
        const auto interval = config.status_interval_ms;
        timespec wait{static_cast<std::time_t>(interval / 1000),
                      static_cast<long>((interval % 1000) * 1'000'000)};
        const int signal_number = ::sigtimedwait(&stop_signals, nullptr, &wait);
        if (signal_number == SIGINT || signal_number == SIGTERM) {
            log.info("{}: stopping", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
            break;
        }
        std::optional<std::string> died;
        self->receive(
            [&](caf::down_msg& m) {
                auto w = watched.find(m.source);
                died = (w == watched.end() ? std::string("an actor") : w->second) +
                       " stopped: " + system.render(m.reason);
            },
            caf::after(std::chrono::seconds(0)) >> [] {});
        if (died) {
            log.critical("{}; the node stops", *died);
            status = exit_runtime_error;
            break;
        }
        status_file.update(system, node, "running");
    }
    if (http) http->stop();  // no new calls while the actors stop
    status_file.update(system, node, status == exit_ok ? "stopped" : "failed");
    stop_everything();
    if (node.published) system.middleman().unpublish(node.gate, node.port);
    self->wait_for(node.role_actor);
    log.info("stopped");
    log.flush();
    return status;
}

}  // namespace covenant::node
