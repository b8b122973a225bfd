// The TCP transport (actors/net/transport.hpp) against another process (wire_peer): a
// remote node that sends an invalid envelope is dropped (what it sends next is ignored)
// and counted, its valid envelope before that delivered; a peer link reconnects after its
// peer's process is killed and started again on the same port; the gate and the link
// stop only on an exit from their own process, and a link forwards only its router's
// envelopes; a node that connects in (not configured here) gets an answer back over its own
// connection, and the route goes with the connection; what a connection may hold
// unacknowledged is bounded, in both directions.
#define BOOST_TEST_MODULE transport
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/net/transport.hpp"
#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "crypto/signing.hpp"
#include "protocols/envelope.hpp"
#include "sample_messages.hpp"

extern char** environ;

using namespace covenant;
using namespace std::chrono_literals;

namespace {

// A child process running wire_peer; killed (if still running) when it goes out of scope.
class child {
  public:
    explicit child(std::vector<std::string> args) {
        args.insert(args.begin(), WIRE_PEER_BINARY);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        BOOST_TEST_REQUIRE(
            ::posix_spawn(&pid_, WIRE_PEER_BINARY, nullptr, nullptr, argv.data(), environ) == 0);
    }
    ~child() {
        if (pid_ > 0) kill();
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    void kill() {
        ::kill(pid_, SIGKILL);
        wait();
    }
    int wait() {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

  private:
    pid_t pid_ = -1;
};

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

struct system_fixture {
    caf::actor_system_config cfg;
    std::unique_ptr<caf::actor_system> system;
    system_fixture() {
        cfg.load<caf::io::middleman>();
        actors::add_router_message_types(cfg);
        actors::add_transport_message_types(cfg);
        system = std::make_unique<caf::actor_system>(cfg);
    }

    template <class T, class... Ts>
    std::optional<T> ask(const caf::actor& target, Ts&&... xs) {
        caf::scoped_actor self{*system};
        std::optional<T> out;
        self->request(target, 5s, std::forward<Ts>(xs)...)
            .receive([&](T& v) { out = std::move(v); }, [&](caf::error&) {});
        return out;
    }

    /// Polls until `done` holds, at most `limit`.
    bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (done()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return done();
    }
};

caf::actor spawn_router(caf::actor_system& system) {
    return actors::spawn_router(system, {test::test_key(1), 0, 0});
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_remote_node_sending_an_invalid_envelope_is_dropped, system_fixture) {
    auto router = spawn_router(*system);
    auto delivered = std::make_shared<std::atomic<int>>(0);
    auto receiver = system->spawn([delivered](caf::event_based_actor*) -> caf::behavior {
        return {
            [delivered](actors::deliver_atom, const actors::inbound_envelope&) { ++*delivered; }};
    });
    caf::anon_send(router, actors::subscribe_atom::value,
                   static_cast<std::uint16_t>(protocols::message_kind::main_transaction), receiver);
    auto gate = actors::spawn_gate(*system, {router, 0, 60000});
    auto port = system->middleman().publish(gate, 0, "127.0.0.1", true);
    BOOST_TEST_REQUIRE(static_cast<bool>(port));

    child sender({"send", std::to_string(*port)});
    BOOST_TEST(sender.wait() == 0);
    actors::gate_stats stats;
    BOOST_TEST_REQUIRE(eventually([&] {
        stats = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value).value_or(stats);
        return stats.received == 3;
    }));
    BOOST_TEST(stats.forwarded == 1u);  // the first valid envelope
    BOOST_TEST(stats.rejected == 1u);   // the garbage
    BOOST_TEST(stats.peers_dropped == 1u);
    BOOST_TEST(stats.ignored == 1u);  // the valid envelope after the garbage: dropped peer
    BOOST_TEST(stats.banned_now == 1u);
    BOOST_TEST(!stats.last_rejection.empty());
    BOOST_TEST(!stats.last_dropped.empty());
    BOOST_TEST(eventually([&] { return *delivered == 1; }));
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(*delivered == 1);
    auto router_stats = ask<actors::router_stats>(router, actors::stats_atom::value);
    BOOST_TEST_REQUIRE(router_stats.has_value());
    BOOST_TEST(router_stats->accepted == 1u);
    BOOST_TEST(router_stats->rejected == 0u);  // the gate kept the garbage from the router

    // A local sender is checked but never banned.
    caf::scoped_actor self{*system};
    self->send(gate, actors::wire_atom::value, bytes(16, 0));
    auto after = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value);
    BOOST_TEST_REQUIRE(after.has_value());
    BOOST_TEST(after->rejected == 2u);
    BOOST_TEST(after->peers_dropped == 1u);

    for (auto& a : {gate, router, receiver})
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_link_reconnects_after_its_peer_restarts, system_fixture) {
    auto router = spawn_router(*system);
    const auto port = free_port();
    node_id peer;
    peer.data[0] = 0x42;
    auto peer_process =
        std::make_unique<child>(std::vector<std::string>{"listen", std::to_string(port)});
    auto link = actors::spawn_peer_link(*system, {peer, "127.0.0.1", port, router, 50, 200, 2000});
    actors::link_status status;
    auto current = [&] {
        status = ask<actors::link_status>(link, actors::link_status_atom::value).value_or(status);
        return status;
    };
    BOOST_TEST_REQUIRE(eventually([&] { return current().connected; }));
    BOOST_TEST(status.connects == 1u);
    BOOST_TEST(status.address == "127.0.0.1:" + std::to_string(port));
    BOOST_TEST((status.peer == peer.view().to_bytes()));

    // The router routes to the peer through the link.
    caf::scoped_actor self{*system};
    self->send(router, actors::send_atom::value, peer.view().to_bytes(),
               static_cast<std::uint16_t>(protocols::message_kind::main_transaction), bytes{1, 2});
    BOOST_TEST(eventually([&] { return current().sent == 1; }));
    // A wire message from anyone but its router is not forwarded.
    self->send(link, actors::wire_atom::value, bytes(8, 0));
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(current().sent == 1u);

    peer_process->kill();
    BOOST_TEST_REQUIRE(eventually([&] { return !current().connected; }));
    BOOST_TEST(status.disconnects == 1u);
    // Nothing listens: attempts fail and back off; what the router sends meanwhile is dropped.
    BOOST_TEST(eventually([&] { return current().connect_failures >= 2; }));
    self->send(router, actors::send_atom::value, peer.view().to_bytes(),
               static_cast<std::uint16_t>(protocols::message_kind::main_transaction), bytes{3});
    BOOST_TEST(eventually([&] { return current().dropped == 1; }));

    peer_process =
        std::make_unique<child>(std::vector<std::string>{"listen", std::to_string(port)});
    BOOST_TEST_REQUIRE(eventually([&] { return current().connected; }));
    BOOST_TEST(status.connects == 2u);
    peer_process.reset();

    for (auto& a : {link, router}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(only_exits_from_this_process_stop_the_gate, system_fixture) {
    auto router = spawn_router(*system);
    auto gate = actors::spawn_gate(*system, {router, 0, 1000});
    auto port = system->middleman().publish(gate, 0, "127.0.0.1", true);
    BOOST_TEST_REQUIRE(static_cast<bool>(port));
    child stranger({"exit", std::to_string(*port)});
    BOOST_TEST(stranger.wait() == 0);
    std::this_thread::sleep_for(100ms);
    BOOST_TEST(ask<actors::gate_stats>(gate, actors::gate_stats_atom::value).has_value(),
               "the gate stopped on another process's exit message");

    caf::scoped_actor self{*system};
    self->send_exit(gate, caf::exit_reason::user_shutdown);
    self->wait_for(gate);
    BOOST_TEST(!ask<actors::gate_stats>(gate, actors::gate_stats_atom::value).has_value());
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_node_that_connects_in_is_answered_over_its_connection, system_fixture) {
    auto router = spawn_router(*system);
    const auto kind = static_cast<std::uint16_t>(protocols::message_kind::main_transaction);
    // Answers every envelope to its sender, through the router, as a producer serving a
    // block fetch would: the sender is no configured peer here.
    auto answerer = system->spawn([router, kind](caf::event_based_actor* self) -> caf::behavior {
        return {[=](actors::deliver_atom, const actors::inbound_envelope& in) {
            bytes answer = in.payload;
            answer.push_back(8);
            self->send(router, actors::send_atom::value, in.sender_node_id, kind, answer);
        }};
    });
    caf::anon_send(router, actors::subscribe_atom::value, kind, answerer);
    auto gate = actors::spawn_gate(*system, {router, 0, 60000});
    auto port = system->middleman().publish(gate, 0, "127.0.0.1", true);
    BOOST_TEST_REQUIRE(static_cast<bool>(port));
    const auto own_id = crypto::compute_node_id(test::test_key(1).public_key(), 0);

    child asker({"ask", std::to_string(*port), own_id.hex()});
    BOOST_TEST(asker.wait() == 0, "the node that connected in got no answer");
    auto gate_stats = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value);
    BOOST_TEST_REQUIRE(gate_stats.has_value());
    BOOST_TEST(gate_stats->relayed >= 1u);
    BOOST_TEST(gate_stats->rejected == 0u);
    auto stats = ask<actors::router_stats>(router, actors::stats_atom::value);
    BOOST_TEST_REQUIRE(stats.has_value());
    BOOST_TEST(stats->sent_learned >= 1u);
    BOOST_TEST(stats->unroutable == 0u);

    // Its process is gone, and so is the route.
    BOOST_TEST(eventually([&] {
        auto g = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value);
        auto r = ask<actors::router_stats>(router, actors::stats_atom::value);
        return g && r && g->routes_learned == 0 && r->learned_routes == 0;
    }));
    for (auto& a : {gate, router, answerer})
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

// What a connection may hold unread is bounded (transport.hpp): a link to a peer that
// reads but never acknowledges (wire_peer listen, a stalled or old node) sends up to its
// bound and then drops, counting; a link to a real gate goes on as the gate acknowledges;
// a gate relaying to a node that connected in and never acknowledges stops at its bound.
namespace {

constexpr std::size_t flood_payload = 16'000;
// Three envelopes of flood_payload and their envelope overhead, not four.
constexpr std::uint64_t flood_window = 3 * flood_payload + 3'000;

/// Sends `n` envelopes of flood_payload to `peer` through `router`, one at a time: each
/// once `settled(i)` says the one before went or was dropped.
void flood(caf::actor_system& system, const caf::actor& router, const node_id& peer, int n,
           const std::function<bool(int)>& settled) {
    caf::scoped_actor self{system};
    for (int i = 0; i < n; ++i) {
        self->send(router, actors::send_atom::value, peer.view().to_bytes(),
                   static_cast<std::uint16_t>(protocols::message_kind::main_transaction),
                   bytes(flood_payload, static_cast<std::uint8_t>(i)));
        BOOST_TEST_REQUIRE(settled(i + 1), "envelope " << i + 1 << " neither sent nor dropped");
    }
}

}  // namespace

/// A link, bounded to flood_window, to the peer process listening on `port`, through a
/// router of its own: sends it `n` envelopes one at a time (each once the one before was
/// sent or dropped, and, with `acknowledged`, the link holds nothing unacknowledged) and
/// returns the link's status at the end.
actors::link_status flood_link(system_fixture& f, std::uint16_t port, int n, bool acknowledged) {
    auto router = spawn_router(*f.system);
    node_id peer;
    peer.data[0] = 0x43;
    actors::peer_link_config config{peer, "127.0.0.1", port, router, 50, 200, 2000};
    config.unacknowledged_bytes_max = flood_window;
    auto link = actors::spawn_peer_link(*f.system, config);
    actors::link_status status;
    auto current = [&] {
        status = f.ask<actors::link_status>(link, actors::link_status_atom::value).value_or(status);
        return status;
    };
    BOOST_TEST_REQUIRE(f.eventually([&] { return current().connected; }));
    flood(*f.system, router, peer, n, [&](int i) {
        return f.eventually([&] {
            const auto s = current();
            return static_cast<int>(s.sent + s.dropped_unacknowledged) == i &&
                   (!acknowledged || s.unacknowledged_bytes == 0);
        });
    });
    for (auto& a : {link, router}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    return status;
}

BOOST_FIXTURE_TEST_CASE(a_link_holds_no_more_than_its_bound_for_a_peer_that_does_not_read,
                        system_fixture) {
    const auto port = free_port();
    child sink({"listen", std::to_string(port)});
    const auto status = flood_link(*this, port, 5, false);
    BOOST_TEST(status.sent == 3u);
    BOOST_TEST(status.dropped_unacknowledged == 2u);
    BOOST_TEST(status.dropped == 0u);
    BOOST_TEST(status.unacknowledged_bytes > 3 * flood_payload);
    BOOST_TEST(status.unacknowledged_bytes <= flood_window);
}

BOOST_FIXTURE_TEST_CASE(a_link_goes_on_as_its_peers_gate_acknowledges, system_fixture) {
    const auto port = free_port();
    // The peer's gate acknowledges every flood_payload bytes it takes in.
    child gate_process({"gate", std::to_string(port), std::to_string(flood_payload)});
    // Ten envelopes, three times what the bound holds: each is acknowledged before the next.
    const auto status = flood_link(*this, port, 10, true);
    BOOST_TEST(status.sent == 10u);
    BOOST_TEST(status.dropped_unacknowledged == 0u);
}

/// A gate (with its own router), configured by `adjust`, published on a free port.
struct published_gate {
    caf::actor router, gate;
    std::uint16_t port = 0;
};
published_gate publish_gate(caf::actor_system& system,
                            const std::function<void(actors::gate_config&)>& adjust) {
    published_gate out;
    out.router = spawn_router(system);
    actors::gate_config config{out.router, 0, 60000};
    adjust(config);
    out.gate = actors::spawn_gate(system, config);
    auto port = system.middleman().publish(out.gate, 0, "127.0.0.1", true);
    BOOST_TEST_REQUIRE(static_cast<bool>(port));
    out.port = *port;
    return out;
}

BOOST_FIXTURE_TEST_CASE(a_gate_holds_no_more_than_its_bound_for_a_route_that_does_not_read,
                        system_fixture) {
    const auto published = publish_gate(
        *system, [](actors::gate_config& c) { c.relay_unacknowledged_bytes_max = flood_window; });
    const auto& router = published.router;
    const auto& gate = published.gate;
    const auto port = published.port;
    // wire_peer's envelopes are signed by the key of seed 0x77, node-id nonce 0.
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x77;
    const auto remote = crypto::compute_node_id(
        crypto::key_pair::from_seed(crypto::secret_seed(seed)).public_key(), 0);
    child stays({"stay", std::to_string(port)});
    actors::gate_stats stats;
    auto current = [&] {
        stats = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value).value_or(stats);
        return stats;
    };
    BOOST_TEST_REQUIRE(eventually([&] { return current().routes_learned == 1; }));
    flood(*system, router, remote, 5, [&](int i) {
        return eventually([&] {
            const auto s = current();
            return static_cast<int>(s.relayed + s.relay_dropped_unacknowledged) == i;
        });
    });
    BOOST_TEST(stats.relayed == 3u);
    BOOST_TEST(stats.relay_dropped_unacknowledged == 2u);
    for (auto& a : {gate, router}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

BOOST_FIXTURE_TEST_CASE(a_banned_processs_link_is_still_acknowledged, system_fixture) {
    // What a banned process sends is ignored, but it was read: acknowledged, so that the
    // process's link does not stall for good at its bound once the ban ends.
    const auto published =
        publish_gate(*system, [](actors::gate_config& c) { c.ack_every_bytes = flood_payload; });
    const auto& router = published.router;
    const auto& gate = published.gate;
    const auto port = published.port;
    node_id self_id;
    self_id.data[0] = 0x45;
    child flooder({"banned", std::to_string(port), self_id.hex()});
    BOOST_TEST(flooder.wait() == 0);  // ten envelopes of 16,000 bytes through a 51,000 bound
    const auto stats = ask<actors::gate_stats>(gate, actors::gate_stats_atom::value);
    BOOST_TEST_REQUIRE(stats.has_value());
    BOOST_TEST(stats->peers_dropped == 1u);
    BOOST_TEST(stats->ignored >= 10u);  // the ten envelopes, from a banned process
    BOOST_TEST(stats->forwarded == 0u);
    for (auto& a : {gate, router}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
