// One signature over many messages (protocols/signed_batch.hpp) and bundle envelopes
// (protocols::bundle_item): every request or answer signed in a batch verifies alone, on
// the wire too; any change to the message, its position, its path or the signer fails;
// a bundle round-trips and its decoder refuses what a router must never deliver.
#include <boost/test/unit_test.hpp>

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <vector>

#include "codec_support_for_tests.hpp"
#include "protocols/limits.hpp"
#include "sample_messages.hpp"
#include "schema/envelope.capnp.h"

using namespace covenant;
using namespace covenant::protocols;
using covenant::test::expect_error;

namespace {

std::vector<client_request> five_requests() {
    std::vector<client_request> out;
    for (std::uint64_t s = 1; s <= 5; ++s) out.push_back(test::sample_request(s));
    return out;
}

void sign_all(std::vector<client_request>& requests) {
    std::vector<client_request*> to_sign;
    for (auto& r : requests) to_sign.push_back(&r);
    sign_requests(std::move(to_sign), test::test_key(100));
}

/// A bundle payload as a hostile sender could build it: any kinds, channels and payloads.
bytes raw_bundle(const std::vector<std::tuple<std::uint16_t, bytes, bytes>>& items) {
    capnp::MallocMessageBuilder message;
    auto list = message.initRoot<wire::EnvelopeBundle>().initItems(static_cast<unsigned>(items.size()));
    for (unsigned i = 0; i < items.size(); ++i) {
        const auto& [kind, channel, payload] = items[i];
        list[i].setKind(static_cast<wire::MessageKind>(kind));
        list[i].setChannel(capnp::Data::Reader(channel.data(), channel.size()));
        list[i].setPayload(capnp::Data::Reader(payload.data(), payload.size()));
    }
    auto words = capnp::messageToFlatArray(message);
    auto chars = words.asBytes();
    return bytes(chars.begin(), chars.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(signed_batches)

BOOST_AUTO_TEST_CASE(requests_signed_at_once_share_one_signature_and_each_verifies_alone) {
    auto requests = five_requests();
    sign_all(requests);
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto& r = requests[i];
        BOOST_TEST(r.client_signature == requests[0].client_signature);
        BOOST_TEST(r.signed_at.index == i);
        BOOST_TEST(r.signed_at.count == 5u);
        BOOST_TEST(r.signature_valid());
        // On the wire: the decoder checks it, and the position comes back whole.
        auto decoded = decode_client_request(encode(r));
        BOOST_REQUIRE(decoded.ok());
        BOOST_TEST((*decoded == r));
        BOOST_TEST((decoded->hash() == test::sample_request(i + 1).hash()));  // same identity
    }
}

BOOST_AUTO_TEST_CASE(a_changed_request_position_path_or_signer_fails) {
    auto requests = five_requests();
    sign_all(requests);
    auto changed = requests[2];
    changed.statements[0].sql += " ";
    BOOST_TEST(!changed.signature_valid());
    expect_error(decode_client_request(encode(changed)), protocol_errc::bad_signature);

    auto moved = requests[2];
    moved.signed_at.index = 3;  // another request's place
    BOOST_TEST(!moved.signature_valid());
    auto recounted = requests[2];
    recounted.signed_at.count = 6;
    BOOST_TEST(!recounted.signature_valid());
    auto rerouted = requests[2];
    rerouted.signed_at.path[0].data[0] ^= 1;
    BOOST_TEST(!rerouted.signature_valid());
    auto shortened = requests[2];
    shortened.signed_at.path.pop_back();
    BOOST_TEST(!shortened.signature_valid());
    // Claimed alone, the batch signature does not cover the request's own bytes.
    auto alone = requests[2];
    alone.signed_at = batch_position{};
    BOOST_TEST(!alone.signature_valid());
    // Another client cannot vouch with its own batch signature for this client's requests.
    auto other = requests[2];
    other.client = test::test_key(101).public_key();
    BOOST_TEST(!other.signature_valid());
    // A request signed alone keeps the plain signature, and a path added to it is refused.
    auto single = test::sample_request(9);
    BOOST_TEST(single.signed_at.alone());
    BOOST_TEST(single.signature_valid());
    auto padded = single;
    padded.signed_at.path.push_back(digest{});
    BOOST_TEST(!padded.signature_valid());
    expect_error(decode_client_request(encode(padded)), protocol_errc::invalid_value);
    auto out_of_range = requests[4];
    out_of_range.signed_at.index = 5;
    expect_error(decode_client_request(encode(out_of_range)), protocol_errc::invalid_value);
}

BOOST_AUTO_TEST_CASE(answers_signed_at_once_verify_alone_and_on_the_wire) {
    const auto member = test::sorted_members(4)[1];
    std::vector<client_response> answers;
    for (int i = 0; i < 3; ++i) {
        auto r = test::sample_rejection();
        r.body = rejection{rejection_reason::overloaded, "busy " + std::to_string(i), std::nullopt};
        answers.push_back(r);
    }
    answers.push_back(test::sample_response_with_receipt());
    std::vector<client_response*> to_sign;
    for (auto& a : answers) {
        a.responder = member.public_key();
        to_sign.push_back(&a);
    }
    sign_responses(to_sign, member);
    for (const auto& a : answers) {
        BOOST_TEST(a.signed_at.count == 4u);
        BOOST_TEST(a.signature_valid());
        auto decoded = decode_client_response(encode(a));
        BOOST_REQUIRE(decoded.ok());
        BOOST_TEST((*decoded == a));
    }
    auto altered = answers[1];
    std::get<rejection>(altered.body).message = "fine";
    expect_error(decode_client_response(encode(altered)), protocol_errc::bad_signature);
    // A request's batch signature is no answer's: the domains differ.
    auto requests = five_requests();
    sign_all(requests);
    auto borrowed = answers[0];
    borrowed.responder = requests[0].client;
    borrowed.responder_signature = requests[0].client_signature;
    borrowed.signed_at = requests[0].signed_at;
    BOOST_TEST(!borrowed.signature_valid());
}

BOOST_AUTO_TEST_CASE(bundles_round_trip_and_refuse_what_cannot_be_delivered) {
    const std::vector<bundle_item> items{
        {message_kind::kayak_vote, {}, encode(test::sample_vote())},
        {message_kind::client_request, bytes(32, 7), encode(test::sample_request())},
        {message_kind::client_request, bytes(32, 7), encode(test::sample_request(2))}};
    auto decoded = decode_bundle(encode_bundle(items));
    BOOST_REQUIRE(decoded.ok());
    BOOST_TEST((*decoded == items));

    const auto vote = static_cast<std::uint16_t>(message_kind::kayak_vote);
    const auto bundle = static_cast<std::uint16_t>(message_kind::bundle);
    const bytes payload{1, 2, 3};
    expect_error(decode_bundle(raw_bundle({})), protocol_errc::invalid_value);
    expect_error(decode_bundle(raw_bundle({{vote, {}, payload}, {bundle, {}, payload}})),
                 protocol_errc::invalid_value);
    expect_error(decode_bundle(raw_bundle({{vote, bytes(31, 1), payload}})), protocol_errc::wrong_size);
    expect_error(decode_bundle(raw_bundle({{vote, {}, {}}})), protocol_errc::invalid_value);
    expect_error(decode_bundle(raw_bundle({{message_kind_count, {}, payload}})),
                 protocol_errc::unknown_enum);
    std::vector<std::tuple<std::uint16_t, bytes, bytes>> too_many(limits::bundle_items_max + 1,
                                                                  {vote, {}, payload});
    expect_error(decode_bundle(raw_bundle(too_many)), protocol_errc::limit_exceeded);
}

BOOST_AUTO_TEST_SUITE_END()
