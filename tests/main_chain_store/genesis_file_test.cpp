// The genesis file: a document written by genesis_to_json reads back equal, with the same
// hash; every kind of malformed document is refused with an error naming the field.
#define BOOST_TEST_MODULE genesis_file
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <fstream>

#include "sample_messages.hpp"
#include "storage/genesis_file.hpp"

using namespace covenant;
using covenant::test::test_key;

namespace {

storage::genesis_document sample() {
    storage::genesis_document doc;
    doc.network = "covenant-test";
    doc.genesis.parameters.epoch_length = 50;
    doc.genesis.parameters.node_id_difficulty = 4;
    for (std::uint8_t i = 21; i <= 24; ++i) {
        doc.genesis.initial_producers.push_back(test_key(i).public_key());
        doc.producer_node_nonces[test_key(i).public_key()] = i * 7u;
    }
    doc.genesis.allocations[crypto::address_of(test_key(1).public_key())] = 1'000'000;
    doc.genesis.allocations[crypto::address_of(test_key(2).public_key())] = 5;
    return doc;
}

template <class R>
std::string why(const R& r) {
    return r.ok() ? std::string() : r.failure().message();
}

void expect_refused(const std::string& text, const std::string& mentions) {
    auto parsed = storage::parse_genesis(text);
    BOOST_TEST_REQUIRE(!parsed.ok(), "accepted: " << text);
    BOOST_TEST(parsed.failure().message().find(mentions) != std::string::npos,
               parsed.failure().message() << " should mention " << mentions);
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_keeps_everything_and_the_hash) {
    const auto doc = sample();
    const auto text = storage::genesis_to_json(doc);
    auto back = storage::parse_genesis(text);
    BOOST_TEST_REQUIRE(back.ok(), why(back));
    const auto& got = back.value();
    BOOST_TEST(got.network == doc.network);
    BOOST_TEST((got.genesis.initial_producers == doc.genesis.initial_producers));
    BOOST_TEST((got.producer_node_nonces == doc.producer_node_nonces));
    BOOST_TEST((got.genesis.allocations == doc.genesis.allocations));
    BOOST_TEST(got.genesis.parameters.epoch_length == 50u);
    BOOST_TEST(got.genesis.parameters.node_id_difficulty == 4u);
    BOOST_TEST(got.hash() == doc.hash());

    auto other = doc;
    other.genesis.allocations.begin()->second += 1;
    BOOST_TEST(other.hash() != doc.hash());
    other = doc;
    other.network = "covenant-other";
    BOOST_TEST(other.hash() != doc.hash());

    // Through a file.
    const std::string path = "genesis_file_test.json";
    {
        std::ofstream out(path);
        out << text;
    }
    auto read = storage::read_genesis_file(path);
    std::remove(path.c_str());
    BOOST_TEST_REQUIRE(read.ok());
    BOOST_TEST(read.value().hash() == doc.hash());
    BOOST_TEST(!storage::read_genesis_file("no/such/genesis.json").ok());
}

BOOST_AUTO_TEST_CASE(parameters_may_be_left_out) {
    const std::string key = test_key(21).public_key().hex();
    auto parsed = storage::parse_genesis(R"({"network":"n","producers":[{"key":")" + key +
                                         R"(","node_id_nonce":0}],"allocations":[]})");
    BOOST_TEST_REQUIRE(parsed.ok(), why(parsed));
    BOOST_TEST(parsed.value().genesis.parameters.epoch_length ==
               main_chain::chain_parameters{}.epoch_length);
}

BOOST_AUTO_TEST_CASE(malformed_documents_are_refused_naming_the_field) {
    const std::string key = test_key(21).public_key().hex();
    const std::string addr = crypto::address_of(test_key(1).public_key()).hex();
    const std::string producers = R"("producers":[{"key":")" + key + R"(","node_id_nonce":1}])";
    const std::string alloc = R"("allocations":[{"address":")" + addr + R"(","amount":10}])";
    auto doc = [&](const std::string& body) { return "{" + body + "}"; };

    expect_refused("", "not valid JSON");
    expect_refused("[1,2]", "JSON object");
    expect_refused(doc(R"("network":"n",)" + producers + "," + alloc + R"(,"extra":1)"), "extra");
    expect_refused(doc(producers + "," + alloc), "network");
    expect_refused(doc(R"("network":"has space",)" + producers + "," + alloc), "network");
    expect_refused(doc(R"("network":"n",)" + alloc), "producers");
    expect_refused(doc(R"("network":"n","producers":[],)" + alloc), "producers");
    expect_refused(doc(R"("network":"n","producers":[{"key":"abc","node_id_nonce":1}],)" + alloc),
                   "producers[0]");
    expect_refused(doc(R"("network":"n","producers":[{"key":")" + key + R"("}],)" + alloc),
                   "node_id_nonce");
    expect_refused(doc(R"("network":"n","producers":[{"key":")" + key +
                       R"(","node_id_nonce":1},{"key":")" + key + R"(","node_id_nonce":2}],)" + alloc),
                   "twice");
    expect_refused(doc(R"("network":"n",)" + producers), "allocations");
    expect_refused(doc(R"("network":"n",)" + producers +
                       R"(,"allocations":[{"address":")" + addr + R"(","amount":-5}])"),
                   "amount");
    expect_refused(doc(R"("network":"n",)" + producers +
                       R"(,"allocations":[{"address":")" + addr + R"(","amount":0}])"),
                   "amount");
    expect_refused(doc(R"("network":"n",)" + producers + R"(,"allocations":[{"address":")" + addr +
                       R"(","amount":18446744073709551615},{"address":")" +
                       crypto::address_of(test_key(2).public_key()).hex() + R"(","amount":1}])"),
                   "2^64");
    expect_refused(doc(R"("network":"n",)" + producers + "," + alloc.substr(0, alloc.size() - 1) +
                       R"(,{"address":")" + addr + R"(","amount":1}])"),
                   "twice");
    expect_refused(doc(R"("network":"n","parameters":{"minimum_fee":0},)" + producers + "," + alloc),
                   "minimum_fee");
    expect_refused(doc(R"("network":"n","parameters":{"producers_min":5,"producers_max":4},)" +
                       producers + "," + alloc),
                   "producers_min");
    expect_refused(doc(R"("network":"n","parameters":{"node_id_difficulty":65},)" + producers + "," + alloc),
                   "node_id_difficulty");
    expect_refused(doc(R"("network":"n","parameters":{"surprise":1},)" + producers + "," + alloc),
                   "surprise");
    expect_refused(doc(R"("network":"n","parameters":{"epoch_length":"ten"},)" + producers + "," + alloc),
                   "epoch_length");
}
