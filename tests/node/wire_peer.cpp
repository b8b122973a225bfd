// A stand-in for another node's process, for transport_test (a CAF node must be another
// process to be a remote node: its node id is made of the process id).
//
//   wire_peer send PORT   connects to the gate published on 127.0.0.1:PORT and sends it, as
//                         this process, a valid envelope, 24 bytes of garbage, then another
//                         valid envelope (kind mainTransaction, signed by a test key);
//   wire_peer exit PORT   connects to the actor published on 127.0.0.1:PORT and sends it an
//                         exit message (user_shutdown) from this process;
//   wire_peer listen PORT publishes an actor that takes (wire_atom, bytes) on
//                         127.0.0.1:PORT and runs until it is killed.
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <array>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

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

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: wire_peer send|exit|listen PORT\n";
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
