// A stand-in for another node's process, for transport_test (a CAF node must be another
// process to be a remote node: its node id is made of the process id).
//
//   wire_peer send PORT   connects to the gate published on 127.0.0.1:PORT and sends it, as
//                         this process, a valid envelope, 24 bytes of garbage, then another
//                         valid envelope (kind mainTransaction, signed by a test key);
//   wire_peer exit PORT   connects to the actor published on 127.0.0.1:PORT and sends it an
//                         exit message (user_shutdown) from this process;
//   wire_peer listen PORT publishes an actor that takes (wire_atom, bytes) on
//                         127.0.0.1:PORT and runs until it is killed;
//   wire_peer gate PORT ACK_EVERY  publishes a node's gate (and its router) on
//                         127.0.0.1:PORT, acknowledging every ACK_EVERY bytes taken in,
//                         and runs until it is killed;
//   wire_peer stay PORT   as send, one valid envelope only, then keeps its connection (and
//                         never acknowledges what comes back over it) for 20 s;
//   wire_peer banned PORT NODE_ID  gets this process banned by the gate on 127.0.0.1:PORT
//                         (24 bytes of garbage), then sends NODE_ID, through a router and a
//                         peer link bounded to 51,000 bytes unacknowledged, ten envelopes of
//                         16,000 bytes, each once the link holds nothing unacknowledged:
//                         exit 0 if all ten went (the banned process's bytes were still
//                         acknowledged), 1 otherwise;
//   wire_peer ask PORT NODE_ID  runs a node's transport without publishing anything (a
//                         router, a gate, and a peer link to NODE_ID at 127.0.0.1:PORT),
//                         sends that node an envelope (kind mainTransaction, payload
//                         {7, 7}) and waits up to 10 s for an answer from it: exit 0 if one
//                         with payload {7, 7, 8} came back over the link, 1 otherwise.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "actors/net/transport.hpp"
#include "actors/router/router.hpp"
#include "crypto/signing.hpp"
#include "protocols/codec.hpp"

using namespace covenant;

namespace {

bytes valid_envelope(std::uint8_t tag) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x77;
    const auto key = crypto::key_pair::from_seed(crypto::secret_seed(seed));
    return protocols::encode(protocols::seal_envelope(
        key, 0, protocols::message_kind::main_transaction, bytes{tag, 1, 2, 3}));
}

}  // namespace

int ask(caf::actor_system& system, std::uint16_t port, const std::string& node_hex) {
    auto target = node_id::from_hex_string(node_hex);
    if (!target) {
        std::cerr << "wire_peer: bad node id\n";
        return 2;
    }
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x78;
    const auto key = crypto::key_pair::from_seed(crypto::secret_seed(seed));
    auto router = actors::spawn_router(system, {key, 0, 0});
    auto gate = actors::spawn_gate(system, {router, 0, 60000});
    actors::peer_link_config link_config{*target, "127.0.0.1", port, router, 50, 200, 2000};
    link_config.gate = gate;
    auto link = actors::spawn_peer_link(system, link_config);
    caf::scoped_actor self{system};
    const auto kind = static_cast<std::uint16_t>(protocols::message_kind::main_transaction);
    self->send(router, actors::subscribe_atom::value, kind, caf::actor{self});
    int status = 1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (status != 0 && std::chrono::steady_clock::now() < deadline) {
        // Sent again until answered: the link may still be connecting.
        self->send(router, actors::send_atom::value, target->view().to_bytes(), kind, bytes{7, 7});
        self->receive(
            [&](actors::deliver_atom, const actors::inbound_envelope& in) {
                if (in.sender_node_id == target->view().to_bytes() && in.payload == bytes{7, 7, 8})
                    status = 0;
            },
            caf::after(std::chrono::milliseconds(200)) >> [] {});
    }
    for (auto& a : {link, gate, router}) self->send_exit(a, caf::exit_reason::user_shutdown);
    return status;
}

int banned(caf::actor_system& system, std::uint16_t port, const std::string& node_hex) {
    auto target = node_id::from_hex_string(node_hex);
    auto gate = system.middleman().remote_actor("127.0.0.1", port);
    if (!target || !gate) {
        std::cerr << "wire_peer: bad node id or no gate\n";
        return 2;
    }
    caf::scoped_actor self{system};
    // From an actor of this process (an anonymous message has no sender to ban).
    self->send(*gate, actors::wire_atom::value, bytes(24, 0xab));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x7a;
    auto router = actors::spawn_router(system, {crypto::key_pair::from_seed(crypto::secret_seed(seed)), 0, 0});
    actors::peer_link_config link_config{*target, "127.0.0.1", port, router, 50, 200, 2000};
    link_config.unacknowledged_bytes_max = 51'000;
    auto link = actors::spawn_peer_link(system, link_config);
    auto status = [&] {
        actors::link_status s;
        self->request(link, std::chrono::seconds(5), actors::link_status_atom::value)
            .receive([&](actors::link_status& v) { s = std::move(v); }, [](caf::error&) {});
        return s;
    };
    auto wait_for = [&](const auto& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (done(status())) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    };
    int result = wait_for([](const actors::link_status& s) { return s.connected; }) ? 0 : 1;
    const auto kind = static_cast<std::uint16_t>(protocols::message_kind::main_transaction);
    for (std::uint64_t i = 1; i <= 10 && result == 0; ++i) {
        self->send(router, actors::send_atom::value, target->view().to_bytes(), kind,
                   bytes(16'000, static_cast<std::uint8_t>(i)));
        if (!wait_for([i](const actors::link_status& s) {
                return s.sent + s.dropped_unacknowledged == i && s.unacknowledged_bytes == 0;
            }) ||
            status().dropped_unacknowledged != 0)
            result = 1;
    }
    for (auto& a : {link, router}) self->send_exit(a, caf::exit_reason::user_shutdown);
    return result;
}

int serve_gate(caf::actor_system& system, std::uint16_t port, std::uint64_t ack_every) {
    std::array<std::uint8_t, 32> seed{};
    seed[0] = 0x79;
    auto router = actors::spawn_router(system, {crypto::key_pair::from_seed(crypto::secret_seed(seed)), 0, 0});
    actors::gate_config gate_config{router, 0, 60000};
    gate_config.ack_every_bytes = ack_every;
    auto gate = actors::spawn_gate(system, gate_config);
    auto published = system.middleman().publish(gate, port, "127.0.0.1", true);
    if (!published) {
        std::cerr << "wire_peer: " << system.render(published.error()) << "\n";
        return 1;
    }
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

int main(int argc, char** argv) {
    if (argc == 4) {
        // The modes that run a node's transport: ask, banned, gate.
        const std::string mode = argv[1];
        caf::actor_system_config cfg;
        cfg.load<caf::io::middleman>();
        actors::add_router_message_types(cfg);
        actors::add_transport_message_types(cfg);
        caf::actor_system system{cfg};
        const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
        if (mode == "ask") return ask(system, port, argv[3]);
        if (mode == "banned") return banned(system, port, argv[3]);
        if (mode == "gate") return serve_gate(system, port, std::strtoull(argv[3], nullptr, 10));
        std::cerr << "wire_peer: unknown mode " << mode << "\n";
        return 2;
    }
    if (argc != 3) {
        std::cerr << "usage: wire_peer send|exit|listen|stay PORT | wire_peer gate PORT ACK_EVERY"
                     " | wire_peer ask PORT NODE_ID\n";
        return 2;
    }
    const std::string mode = argv[1];
    const auto port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    actors::add_router_message_types(cfg);
    caf::actor_system system{cfg};
    if (mode == "send") {
        auto gate = system.middleman().remote_actor("127.0.0.1", port);
        if (!gate) {
            std::cerr << "wire_peer: " << system.render(gate.error()) << "\n";
            return 1;
        }
        caf::scoped_actor self{system};
        self->send(*gate, actors::wire_atom::value, valid_envelope(1));
        self->send(*gate, actors::wire_atom::value, bytes(24, 0xab));
        self->send(*gate, actors::wire_atom::value, valid_envelope(2));
        // Let the middleman write everything before the process goes.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        return 0;
    }
    if (mode == "stay") {
        auto gate = system.middleman().remote_actor("127.0.0.1", port);
        if (!gate) {
            std::cerr << "wire_peer: " << system.render(gate.error()) << "\n";
            return 1;
        }
        // The envelope comes from an actor that takes what comes back (the route the gate
        // learns) and never acknowledges it.
        auto sink = system.spawn([g = *gate](caf::event_based_actor* self) -> caf::behavior {
            self->send(g, actors::wire_atom::value, valid_envelope(1));
            return {[](actors::wire_atom, const bytes&) {}};
        });
        std::this_thread::sleep_for(std::chrono::seconds(20));
        caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
        return 0;
    }
    if (mode == "exit" || mode == "kill") {
        auto target = system.middleman().remote_actor("127.0.0.1", port);
        if (!target) {
            std::cerr << "wire_peer: " << system.render(target.error()) << "\n";
            return 1;
        }
        caf::scoped_actor self{system};
        self->send_exit(*target,
                        mode == "exit" ? caf::exit_reason::user_shutdown : caf::exit_reason::kill);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        return 0;
    }
    if (mode == "listen") {
        auto sink = system.spawn([](caf::event_based_actor*) -> caf::behavior {
            return {[](actors::wire_atom, const bytes&) {}};
        });
        auto published = system.middleman().publish(sink, port, "127.0.0.1", true);
        if (!published) {
            std::cerr << "wire_peer: " << system.render(published.error()) << "\n";
            return 1;
        }
        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::cerr << "wire_peer: unknown mode " << mode << "\n";
    return 2;
}
