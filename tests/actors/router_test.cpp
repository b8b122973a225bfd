// The router under CAF's deterministic scheduler: a payload sent by one node arrives at the
// subscriber of another, with the sender's proven node id; garbage bytes, forged
// envelopes and senders without proof of work are dropped and counted, never delivered.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::actors;

namespace {

constexpr unsigned difficulty = 8;

struct node_identity {
    crypto::key_pair key;
    crypto::mined_node_id id;
};

node_identity mined_identity(std::uint8_t index) {
    auto key = test::test_key(index);
    auto mined = crypto::mine_node_id(key.public_key(), difficulty, 0, 1u << 24);
    BOOST_REQUIRE(mined.has_value());
    return {key, *mined};
}

struct deterministic_system {
    caf::actor_system_config config;
    std::unique_ptr<caf::actor_system> system;
    caf::scheduler::test_coordinator* scheduler = nullptr;

    deterministic_system() {
        config.set("scheduler.policy", caf::atom("testing"));
        add_router_message_types(config);
        system = std::make_unique<caf::actor_system>(config);
        scheduler = &dynamic_cast<caf::scheduler::test_coordinator&>(system->scheduler());
    }
    void run() { scheduler->run(); }

    /// Asks a router for its counters (runs the scheduler until the answer is in).
    router_stats stats(const caf::actor& router) {
        auto out = std::make_shared<std::optional<router_stats>>();
        system->spawn([=](caf::event_based_actor* self) {
            self->request(router, caf::infinite, stats_atom::value).then([=](const router_stats& s) {
                *out = s;
            });
        });
        run();
        BOOST_REQUIRE(out->has_value());
        return **out;
    }
};

/// A subscriber that records what it is delivered.
caf::actor spawn_recorder(caf::actor_system& system,
                          std::shared_ptr<std::vector<inbound_envelope>> received) {
    return system.spawn([received](caf::event_based_actor*) -> caf::behavior {
        return {[received](deliver_atom, const inbound_envelope& e) { received->push_back(e); }};
    });
}

struct two_nodes : deterministic_system {
    node_identity alice = mined_identity(1);
    node_identity bob = mined_identity(2);
    caf::actor alice_router;
    caf::actor bob_router;
    std::shared_ptr<std::vector<inbound_envelope>> bob_votes =
        std::make_shared<std::vector<inbound_envelope>>();

    two_nodes() {
        alice_router = spawn_router(*system, {alice.key, alice.id.nonce, difficulty});
        bob_router = spawn_router(*system, {bob.key, bob.id.nonce, difficulty});
        caf::anon_send(alice_router, add_peer_atom::value, bob.id.id.view().to_bytes(), bob_router);
        caf::anon_send(bob_router, add_peer_atom::value, alice.id.id.view().to_bytes(),
                       alice_router);
        caf::anon_send(bob_router, subscribe_atom::value,
                       static_cast<std::uint16_t>(protocols::message_kind::kayak_vote),
                       spawn_recorder(*system, bob_votes));
        run();
    }
    ~two_nodes() {
        caf::anon_send_exit(alice_router, caf::exit_reason::user_shutdown);
        caf::anon_send_exit(bob_router, caf::exit_reason::user_shutdown);
        run();
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_FIXTURE_TEST_CASE(a_payload_reaches_the_subscriber_with_its_proven_sender, two_nodes) {
    const bytes vote = protocols::encode(test::sample_vote());
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(),
                   static_cast<std::uint16_t>(protocols::message_kind::kayak_vote), vote);
    run();
    BOOST_REQUIRE_EQUAL(bob_votes->size(), 1u);
    const auto& got = bob_votes->front();
    BOOST_TEST(got.payload == vote);
    BOOST_TEST(got.sender_node_id == alice.id.id.view().to_bytes());
    BOOST_TEST(got.sender_public_key == alice.key.public_key().view().to_bytes());
    auto decoded = protocols::decode_vote(got.payload);
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST((*decoded == test::sample_vote()));
    BOOST_TEST(stats(alice_router).sent == 1u);
    BOOST_TEST(stats(bob_router).accepted == 1u);
    BOOST_TEST(stats(bob_router).rejected == 0u);
}

BOOST_FIXTURE_TEST_CASE(garbage_and_forgeries_are_dropped_and_counted, two_nodes) {
    // Random bytes.
    caf::anon_send(bob_router, wire_atom::value, bytes(64, 0x41));
    // A real envelope from alice, altered in transit.
    auto sealed = protocols::seal_envelope(alice.key, alice.id.nonce,
                                           protocols::message_kind::kayak_vote,
                                           protocols::encode(test::sample_vote()));
    sealed.payload[10] ^= 1;
    caf::anon_send(bob_router, wire_atom::value, protocols::encode(sealed));
    // A sender whose node id has no proof of work for this network.
    const auto lazy = test::test_key(3);
    std::uint64_t cheap_nonce = 0;
    while (crypto::node_id_meets_difficulty(lazy.public_key(), cheap_nonce, difficulty)) ++cheap_nonce;
    caf::anon_send(bob_router, wire_atom::value,
                   protocols::encode(protocols::seal_envelope(
                       lazy, cheap_nonce, protocols::message_kind::kayak_vote,
                       protocols::encode(test::sample_vote()))));
    run();
    BOOST_TEST(bob_votes->empty());
    const auto s = stats(bob_router);
    BOOST_TEST(s.rejected == 3u);
    BOOST_TEST(s.accepted == 0u);
    BOOST_TEST(s.last_rejection.find("proof of work") != std::string::npos, s.last_rejection);
}

BOOST_FIXTURE_TEST_CASE(unknown_destinations_and_kinds_are_counted, two_nodes) {
    caf::anon_send(alice_router, send_atom::value, bytes(32, 0x00), std::uint16_t{3}, bytes{1});
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(),
                   protocols::message_kind_count, bytes{1});
    // Valid, but bob has no subscriber for suspicions.
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(),
                   static_cast<std::uint16_t>(protocols::message_kind::kayak_suspect),
                   protocols::encode(test::sample_suspect()));
    run();
    BOOST_TEST(stats(alice_router).unroutable == 2u);
    BOOST_TEST(stats(bob_router).undeliverable == 1u);
    BOOST_TEST(bob_votes->empty());
}

BOOST_AUTO_TEST_SUITE_END()
