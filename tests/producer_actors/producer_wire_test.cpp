// The producer_message <-> envelope mapping (protocols/main_chain/producer_wire): every
// consensus message alternative has its own kind and travels unchanged; a payload under
// the wrong kind, bad bytes, or a kind that carries no consensus message is an error value;
// the height hints say what the sender must already have.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include "protocols/main_chain/producer_wire.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::main_chain;
using protocols::message_kind;

namespace {

std::vector<producer_message> one_of_each() {
    return {{test::sample_block_proposal()},
            {test::sample_main_block()},
            {test::sample_block_vote()},
            {test::sample_transactions().front()}};
}

bool same(const producer_message& a, const producer_message& b) {
    return a.body == b.body;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(producer_wire)

BOOST_AUTO_TEST_CASE(every_message_travels_under_its_own_kind) {
    std::set<message_kind> kinds;
    for (const auto& m : one_of_each()) {
        const auto wire = encode_producer_message(m);
        kinds.insert(wire.kind);
        BOOST_TEST(is_producer_message_kind(wire.kind));
        auto back = decode_producer_message(wire.kind, wire.payload);
        BOOST_TEST_REQUIRE(back.ok(), (back.ok() ? std::string() : back.failure().message()));
        BOOST_TEST(same(*back, m));
    }
    const auto& listed = producer_message_kinds();
    BOOST_TEST(kinds.size() == one_of_each().size(), "one kind per alternative");
    BOOST_TEST((kinds == std::set<message_kind>(listed.begin(), listed.end())));
    BOOST_TEST(std::variant_size_v<decltype(producer_message::body)> == kinds.size());
}

BOOST_AUTO_TEST_CASE(wrong_kinds_and_bad_bytes_are_errors) {
    const auto vote = encode_producer_message({test::sample_block_vote()});
    for (auto kind : producer_message_kinds())
        if (kind != vote.kind) BOOST_TEST(!decode_producer_message(kind, vote.payload).ok());
    BOOST_TEST(!is_producer_message_kind(message_kind::main_block_fetch));
    BOOST_TEST(!decode_producer_message(message_kind::main_block_fetch, vote.payload).ok());
    BOOST_TEST(!decode_producer_message(message_kind::kayak_vote, vote.payload).ok());
    BOOST_TEST(!decode_producer_message(vote.kind, bytes(16, 0xab)).ok());
    BOOST_TEST(!decode_producer_message(vote.kind, bytes{}).ok());
}

BOOST_AUTO_TEST_CASE(height_hints) {
    const auto proposal = test::sample_block_proposal();
    BOOST_TEST((sender_height_hint({proposal}).value() == proposal.height()));
    const auto vote = test::sample_block_vote();
    BOOST_TEST((sender_height_hint({vote}).value() == vote.height));
    const auto final_block = test::sample_main_block();  // its sender has it: one above
    BOOST_TEST((sender_height_hint({final_block}).value() == final_block.header.height.next()));
    BOOST_TEST(!sender_height_hint({test::sample_transactions().front()}).has_value());
    BOOST_TEST(transaction_in({test::sample_transactions().front()}) != nullptr);
    BOOST_TEST(transaction_in({vote}) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
