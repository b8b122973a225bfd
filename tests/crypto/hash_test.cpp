// SHA-256 known answers (FIPS 180-2 examples) and incremental hashing agreeing with one-shot.
#include <boost/test/unit_test.hpp>

#include <string>

#include "crypto/hash.hpp"

using namespace covenant;

BOOST_AUTO_TEST_SUITE(hash)

BOOST_AUTO_TEST_CASE(known_answers) {
    BOOST_TEST(crypto::hash(byte_view(std::string_view(""))).hex() ==
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    BOOST_TEST(crypto::hash(byte_view(std::string_view("abc"))).hex() ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    BOOST_TEST(crypto::hash(byte_view(std::string_view(
                                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))
                   .hex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million_a(1000000, 'a');
    BOOST_TEST(crypto::hash(byte_view(million_a)).hex() ==
               "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
    const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    crypto::hasher h;
    for (std::size_t i = 0; i < text.size(); i += 7)
        h.update(byte_view(std::string_view(text).substr(i, 7)));
    const digest first = h.finish();
    BOOST_TEST(first.hex() == crypto::hash(byte_view(text)).hex());
    // finish() resets: the hasher can be reused.
    h.update(byte_view(std::string_view("abc")));
    BOOST_TEST(h.finish().hex() ==
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_SUITE_END()
