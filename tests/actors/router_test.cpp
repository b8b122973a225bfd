// The router under CAF's deterministic scheduler: a payload sent by one node arrives at the
// subscriber of another, with the sender's proven node id; garbage bytes, forged
// envelopes and senders without proof of work are dropped and counted, never delivered.
// Envelopes on a channel (a database id) reach that channel's subscriber, else the kind's
// channel-less one; subscriptions end on request or when the subscriber terminates.
// Routes learned from a gate carry envelopes back to a node that connected in, never in
// place of a configured peer, and go when the gate forgets them.
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

BOOST_FIXTURE_TEST_CASE(a_burst_for_one_node_goes_in_one_signed_bundle, two_nodes) {
    // Handed over before the router runs: one pass over its mailbox, one envelope.
    std::vector<bytes> votes;
    for (auto phase : {protocols::vote_phase::prepare, protocols::vote_phase::commit,
                       protocols::vote_phase::prepare}) {
        votes.push_back(protocols::encode(test::sample_vote(phase)));
        caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(),
                       static_cast<std::uint16_t>(protocols::message_kind::kayak_vote),
                       votes.back());
    }
    run();
    BOOST_REQUIRE_EQUAL(bob_votes->size(), 3u);
    for (std::size_t i = 0; i < votes.size(); ++i) {
        BOOST_TEST((*bob_votes)[i].payload == votes[i]);  // in the order they were handed over
        BOOST_TEST((*bob_votes)[i].sender_node_id == alice.id.id.view().to_bytes());
    }
    auto sent = stats(alice_router);
    BOOST_TEST(sent.sent == 3u);
    BOOST_TEST(sent.envelopes_sent == 1u);
    BOOST_TEST(sent.bundles_sent == 1u);
    auto got = stats(bob_router);
    BOOST_TEST(got.bundles_received == 1u);
    BOOST_TEST(got.accepted == 3u);

    // One message later on goes alone, as a plain envelope.
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(),
                   static_cast<std::uint16_t>(protocols::message_kind::kayak_vote), votes[0]);
    run();
    BOOST_TEST(bob_votes->size() == 4u);
    sent = stats(alice_router);
    BOOST_TEST(sent.envelopes_sent == 2u);
    BOOST_TEST(sent.bundles_sent == 1u);

    // A bundle whose signature does not cover it delivers nothing.
    std::vector<protocols::bundle_item> items{
        {protocols::message_kind::kayak_vote, {}, votes[0]},
        {protocols::message_kind::kayak_vote, {}, votes[1]}};
    auto sealed = protocols::seal_envelope(alice.key, alice.id.nonce, protocols::message_kind::bundle,
                                           protocols::encode_bundle(items));
    sealed.payload.back() ^= 1;
    caf::anon_send(bob_router, wire_atom::value, protocols::encode(sealed));
    // Validly signed, but not a bundle inside: refused and counted.
    auto garbled = protocols::seal_envelope(alice.key, alice.id.nonce,
                                            protocols::message_kind::bundle, bytes(24, 0x41));
    caf::anon_send(bob_router, wire_atom::value, protocols::encode(garbled));
    run();
    BOOST_TEST(bob_votes->size() == 4u);
    BOOST_TEST(stats(bob_router).rejected == 2u);
}

BOOST_FIXTURE_TEST_CASE(one_message_or_bundle_for_several_nodes_is_signed_once, two_nodes) {
    // A third node, carol, subscribed as bob is.
    const auto carol = mined_identity(3);
    auto carol_router = spawn_router(*system, {carol.key, carol.id.nonce, difficulty});
    auto carol_votes = std::make_shared<std::vector<inbound_envelope>>();
    caf::anon_send(alice_router, add_peer_atom::value, carol.id.id.view().to_bytes(), carol_router);
    caf::anon_send(carol_router, add_peer_atom::value, alice.id.id.view().to_bytes(), alice_router);
    caf::anon_send(carol_router, subscribe_atom::value,
                   static_cast<std::uint16_t>(protocols::message_kind::kayak_vote),
                   spawn_recorder(*system, carol_votes));
    run();
    const bytes vote = protocols::encode(test::sample_vote());
    const bytes other = protocols::encode(test::sample_vote(protocols::vote_phase::commit));
    const auto kind = static_cast<std::uint16_t>(protocols::message_kind::kayak_vote);
    // In one flush: the same vote to both, then a different one to carol alone.
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(), kind, vote);
    caf::anon_send(alice_router, send_atom::value, carol.id.id.view().to_bytes(), kind, vote);
    run();
    caf::anon_send(alice_router, send_atom::value, carol.id.id.view().to_bytes(), kind, other);
    run();
    BOOST_REQUIRE_EQUAL(bob_votes->size(), 1u);
    BOOST_REQUIRE_EQUAL(carol_votes->size(), 2u);
    BOOST_TEST(bob_votes->front().payload == vote);
    BOOST_TEST(carol_votes->front().payload == vote);
    BOOST_TEST(carol_votes->back().payload == other);
    BOOST_TEST(carol_votes->front().sender_node_id == alice.id.id.view().to_bytes());
    const auto sent = stats(alice_router);
    BOOST_TEST(sent.envelopes_sent == 3u);
    BOOST_TEST(sent.envelopes_reused == 1u);  // the second copy of `vote`
    // The same two messages to both in one flush: one bundle, sealed once, sent to each.
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(), kind, vote);
    caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(), kind, other);
    caf::anon_send(alice_router, send_atom::value, carol.id.id.view().to_bytes(), kind, vote);
    caf::anon_send(alice_router, send_atom::value, carol.id.id.view().to_bytes(), kind, other);
    run();
    BOOST_REQUIRE_EQUAL(bob_votes->size(), 3u);
    BOOST_REQUIRE_EQUAL(carol_votes->size(), 4u);
    BOOST_TEST((*bob_votes)[1].payload == vote);
    BOOST_TEST((*bob_votes)[2].payload == other);
    BOOST_TEST((*carol_votes)[2].payload == vote);
    BOOST_TEST((*carol_votes)[3].payload == other);
    const auto bundled = stats(alice_router);
    BOOST_TEST(bundled.envelopes_sent == 5u);
    BOOST_TEST(bundled.bundles_sent == sent.bundles_sent + 2);
    BOOST_TEST(bundled.envelopes_reused == 2u);  // carol's bundle is bob's
    BOOST_TEST(stats(bob_router).rejected == 0u);
    BOOST_TEST(stats(carol_router).rejected == 0u);
    caf::anon_send_exit(carol_router, caf::exit_reason::user_shutdown);
    run();
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

namespace {

using received = std::shared_ptr<std::vector<inbound_envelope>>;

received make_received() { return std::make_shared<std::vector<inbound_envelope>>(); }

std::vector<bytes> payloads(const received& r) {
    std::vector<bytes> out;
    for (const auto& e : *r) out.push_back(e.payload);
    return out;
}

constexpr auto vote_kind = static_cast<std::uint16_t>(protocols::message_kind::kayak_vote);
constexpr auto prepare_kind = static_cast<std::uint16_t>(protocols::message_kind::kayak_prepare);

/// Bob runs two databases' subscribers (channels a and b) for votes, and prepares only on
/// channel b; the channel-less vote subscriber of two_nodes stays.
struct two_channels : two_nodes {
    const bytes channel_a = bytes(32, 0xaa);
    const bytes channel_b = bytes(32, 0xbb);
    received on_a = make_received();
    received on_b = make_received();
    caf::actor recorder_a = spawn_recorder(*system, on_a);
    caf::actor recorder_b = spawn_recorder(*system, on_b);

    two_channels() {
        caf::anon_send(bob_router, subscribe_atom::value, vote_kind, channel_a, recorder_a);
        caf::anon_send(bob_router, subscribe_atom::value, vote_kind, channel_b, recorder_b);
        caf::anon_send(bob_router, subscribe_atom::value, prepare_kind, channel_b, recorder_b);
        run();
    }
    void send(std::uint16_t kind, const bytes& channel, std::uint8_t marker) {
        caf::anon_send(alice_router, send_atom::value, bob.id.id.view().to_bytes(), kind, channel,
                       bytes{marker});
        run();
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(each_channel_reaches_its_subscriber_and_the_rest_the_kinds_own,
                        two_channels) {
    send(vote_kind, channel_a, 1);
    send(vote_kind, channel_b, 2);
    send(vote_kind, bytes(32, 0xcc), 3);  // no subscriber of its own: the channel-less one
    send(vote_kind, bytes{}, 4);
    send(prepare_kind, channel_b, 5);
    send(prepare_kind, channel_a, 6);  // no prepare subscriber on a, none without a channel
    send(prepare_kind, bytes{}, 7);
    BOOST_TEST((payloads(on_a) == std::vector<bytes>{{1}}));
    BOOST_TEST((payloads(on_b) == std::vector<bytes>{{2}, {5}}));
    BOOST_TEST((payloads(bob_votes) == std::vector<bytes>{{3}, {4}}));
    for (const auto& e : *on_a) BOOST_TEST(e.sender_node_id == alice.id.id.view().to_bytes());
    const auto s = stats(bob_router);
    BOOST_TEST(s.accepted == 5u);
    BOOST_TEST(s.undeliverable == 2u);
    BOOST_TEST(s.rejected == 0u);
    BOOST_TEST(stats(alice_router).sent == 7u);
}

BOOST_FIXTURE_TEST_CASE(a_malformed_channel_is_refused_and_counted, two_channels) {
    // From the wire: a validly signed envelope whose channel is neither empty nor 32 bytes.
    for (std::size_t size : {1u, 31u, 33u}) {
        protocols::envelope odd;
        odd.sender = alice.key.public_key();
        odd.sender_nonce = alice.id.nonce;
        odd.kind = protocols::message_kind::kayak_vote;
        odd.payload = bytes{9};
        odd.channel = bytes(size, 0xaa);
        odd.sign(alice.key);
        caf::anon_send(bob_router, wire_atom::value, protocols::encode(odd));
    }
    run();
    const auto s = stats(bob_router);
    BOOST_TEST(s.rejected == 3u);
    BOOST_TEST(s.accepted == 0u);
    BOOST_TEST(s.last_rejection.find("envelope.channel") != std::string::npos, s.last_rejection);
    BOOST_TEST(on_a->empty());
    BOOST_TEST(bob_votes->empty());

    // From a local component: a send or a subscription on a malformed channel does nothing.
    send(vote_kind, bytes(31, 0xaa), 1);
    caf::anon_send(bob_router, subscribe_atom::value, vote_kind, bytes(5, 0xaa), recorder_a);
    run();
    BOOST_TEST(stats(alice_router).unroutable == 1u);
    BOOST_TEST(stats(alice_router).sent == 0u);
    BOOST_TEST(stats(bob_router).unroutable == 1u);
    send(vote_kind, channel_a, 2);
    BOOST_TEST((payloads(on_a) == std::vector<bytes>{{2}}));
}

BOOST_FIXTURE_TEST_CASE(subscriptions_end_on_request_and_with_their_subscriber, two_channels) {
    // Unsubscribed: channel a's votes fall back to the channel-less subscriber.
    caf::anon_send(bob_router, unsubscribe_atom::value, recorder_a);
    run();
    send(vote_kind, channel_a, 1);
    BOOST_TEST(on_a->empty());
    BOOST_TEST((payloads(bob_votes) == std::vector<bytes>{{1}}));

    // A subscriber that terminates loses every subscription it held.
    caf::anon_send_exit(recorder_b, caf::exit_reason::user_shutdown);
    run();
    send(prepare_kind, channel_b, 2);
    BOOST_TEST(stats(bob_router).undeliverable == 1u);
    send(vote_kind, channel_b, 3);
    BOOST_TEST((payloads(bob_votes) == std::vector<bytes>{{1}, {3}}));
    BOOST_TEST(on_b->empty());

    // A replacement on the same channel (a replica restarted) keeps its subscription when
    // its predecessor terminates after it subscribed, or is unsubscribed after it.
    auto on_a2 = make_received();
    auto recorder_a2 = spawn_recorder(*system, on_a2);
    auto on_a3 = make_received();
    auto recorder_a3 = spawn_recorder(*system, on_a3);
    caf::anon_send(bob_router, subscribe_atom::value, vote_kind, channel_a, recorder_a2);
    run();
    caf::anon_send(bob_router, subscribe_atom::value, vote_kind, channel_a, recorder_a3);
    run();
    caf::anon_send(bob_router, unsubscribe_atom::value, recorder_a2);
    caf::anon_send_exit(recorder_a2, caf::exit_reason::user_shutdown);
    run();
    send(vote_kind, channel_a, 4);
    BOOST_TEST(on_a2->empty());
    BOOST_TEST((payloads(on_a3) == std::vector<bytes>{{4}}));
    BOOST_TEST(stats(bob_router).accepted == 3u);
}

namespace {

/// Records what a router relays to it, as a gate would be handed it: (destination, bytes).
caf::actor spawn_relay_recorder(caf::actor_system& system,
                                std::shared_ptr<std::vector<std::pair<bytes, bytes>>> relayed) {
    return system.spawn([relayed](caf::event_based_actor*) -> caf::behavior {
        return {[relayed](relay_atom, const bytes& node, const bytes& wire) {
            relayed->emplace_back(node, wire);
        }};
    });
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(learned_routes_answer_nodes_that_connected_in_but_never_a_configured_one,
                        two_nodes) {
    auto relayed = std::make_shared<std::vector<std::pair<bytes, bytes>>>();
    auto gate = spawn_relay_recorder(*system, relayed);
    const auto carol = mined_identity(4);
    const bytes carol_id = carol.id.id.view().to_bytes();
    const bytes vote = protocols::encode(test::sample_vote());

    // Carol is nobody's configured peer: unroutable until the gate learns her route.
    caf::anon_send(bob_router, send_atom::value, carol_id, vote_kind, vote);
    run();
    BOOST_TEST(stats(bob_router).unroutable == 1u);
    caf::anon_send(bob_router, learn_route_atom::value, carol_id, gate);
    caf::anon_send(bob_router, send_atom::value, carol_id, vote_kind, vote);
    run();
    BOOST_REQUIRE_EQUAL(relayed->size(), 1u);
    BOOST_TEST(relayed->front().first == carol_id);
    auto sealed = protocols::decode_envelope(relayed->front().second, difficulty);
    BOOST_REQUIRE(sealed.ok());
    BOOST_TEST((sealed->sender == bob.key.public_key()));
    BOOST_TEST(sealed->payload == vote);
    auto s = stats(bob_router);
    BOOST_TEST(s.sent_learned == 1u);
    BOOST_TEST(s.learned_routes == 1u);

    // A learned route never replaces a configured one: alice stays reached directly.
    caf::anon_send(bob_router, learn_route_atom::value, alice.id.id.view().to_bytes(), gate);
    caf::anon_send(bob_router, send_atom::value, alice.id.id.view().to_bytes(), vote_kind, vote);
    run();
    BOOST_TEST(relayed->size() == 1u);
    BOOST_TEST(stats(bob_router).learned_routes == 1u);
    // ... and a configuration that comes later takes over from the learned one.
    caf::anon_send(bob_router, add_peer_atom::value, carol_id, alice_router);
    caf::anon_send(bob_router, send_atom::value, carol_id, vote_kind, vote);
    run();
    BOOST_TEST(relayed->size() == 1u);
    BOOST_TEST(stats(bob_router).learned_routes == 0u);

    // Forgotten (the connection went): unroutable again.
    const auto dave = mined_identity(5);
    const bytes dave_id = dave.id.id.view().to_bytes();
    caf::anon_send(bob_router, learn_route_atom::value, dave_id, gate);
    caf::anon_send(bob_router, forget_route_atom::value, dave_id);
    caf::anon_send(bob_router, send_atom::value, dave_id, vote_kind, vote);
    run();
    BOOST_TEST(relayed->size() == 1u);
    BOOST_TEST(stats(bob_router).unroutable == 2u);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_SUITE_END()
