// Ed25519 known answers (RFC 8032 section 7.1), domain separation, tamper rejection and
// addresses.
#include <boost/test/unit_test.hpp>

#include <string>

#include "crypto/hash.hpp"
#include "crypto/signing.hpp"

using namespace covenant;
using crypto::sign_domain;

namespace {
crypto::key_pair key_from_hex(const std::string& seed_hex) {
    auto raw = from_hex(seed_hex);
    BOOST_REQUIRE(raw && raw->size() == 32);
    std::array<std::uint8_t, 32> seed{};
    std::copy(raw->begin(), raw->end(), seed.begin());
    return crypto::key_pair::from_seed(crypto::secret_seed(seed));
}

struct rfc8032_vector {
    const char* secret;
    const char* public_key;
    const char* message;
    const char* signature;
};

// RFC 8032, section 7.1: TEST 1, TEST 2, TEST 3 and TEST SHA(abc).
const rfc8032_vector vectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
     "f9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0"
     "f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f76098"
     "4dc6594a7c15e9716ed28dc027beceea1ec40a"},
    {"833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3f"
     "eebbd454d4423643ce80e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c664"
     "31e0303dca179c138ac17ad9bef1177331a704"},
};
}  // namespace

BOOST_AUTO_TEST_SUITE(signing)

BOOST_AUTO_TEST_CASE(rfc8032_known_answers) {
    for (const auto& v : vectors) {
        const auto pair = key_from_hex(v.secret);
        BOOST_TEST(pair.public_key().hex() == v.public_key);
        const bytes message = *from_hex(v.message);
        const signature sig = pair.sign_raw(message);
        BOOST_TEST(sig.hex() == v.signature);
        BOOST_TEST(crypto::verify_raw(pair.public_key(), message, sig));
    }
}

BOOST_AUTO_TEST_CASE(domain_separation) {
    const auto pair = key_from_hex(vectors[0].secret);
    const bytes payload = {1, 2, 3, 4};
    const signature vote = pair.sign(sign_domain::kayak_prepare_vote, payload);
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::kayak_prepare_vote, payload, vote));
    // The same payload under every other purpose must not verify.
    for (std::size_t d = 0; d < crypto::sign_domain_count; ++d) {
        const auto other = static_cast<sign_domain>(d);
        if (other == sign_domain::kayak_prepare_vote) continue;
        BOOST_TEST(!crypto::verify(pair.public_key(), other, payload, vote));
    }
    // A domain-separated signature is not a raw signature over the payload, either.
    BOOST_TEST(!crypto::verify_raw(pair.public_key(), payload, vote));
    // Every tag is distinct and contains no zero byte.
    for (std::size_t a = 0; a < crypto::sign_domain_count; ++a) {
        const auto tag = crypto::domain_tag(static_cast<sign_domain>(a));
        BOOST_TEST(tag.find('\0') == std::string_view::npos);
        for (std::size_t b = a + 1; b < crypto::sign_domain_count; ++b)
            BOOST_TEST(tag != crypto::domain_tag(static_cast<sign_domain>(b)));
    }
}

BOOST_AUTO_TEST_CASE(tampering_is_rejected) {
    const auto pair = crypto::key_pair::generate();
    const auto other = crypto::key_pair::generate();
    bytes payload(100, 0x5a);
    const signature sig = pair.sign(sign_domain::client_request, payload);
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::client_request, payload, sig));
    BOOST_TEST(!crypto::verify(other.public_key(), sign_domain::client_request, payload, sig));
    for (std::size_t i = 0; i < payload.size(); i += 9) {
        bytes altered = payload;
        altered[i] ^= 0x01;
        BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, altered, sig));
    }
    for (std::size_t i = 0; i < signature::size(); ++i) {
        signature altered = sig;
        altered.data[i] ^= 0x80;
        BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, payload, altered));
    }
    // An all-zero key or signature is malformed, and simply does not verify.
    BOOST_TEST(!crypto::verify(public_key{}, sign_domain::client_request, payload, sig));
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, payload, signature{}));
}

BOOST_AUTO_TEST_CASE(small_order_keys_verify_nothing) {
    // The identity point as a public key with R = identity and S = 0 satisfies the plain
    // Ed25519 equation for every message: a lax verifier would accept it for anything.
    public_key identity;
    identity.data[0] = 1;
    signature any;
    any.data[0] = 1;
    for (std::size_t d = 0; d < crypto::sign_domain_count; ++d)
        BOOST_TEST(!crypto::verify(identity, static_cast<sign_domain>(d), bytes{1, 2, 3}, any));
    BOOST_TEST(!crypto::verify_raw(identity, bytes{}, any));
}

BOOST_AUTO_TEST_CASE(signatures_are_not_malleable) {
    // S + L (L the group order) satisfies the same equation as S: it must be refused, or
    // anyone could make a second valid signature from a first.
    const auto pair = key_from_hex(vectors[2].secret);
    const bytes message = {7, 7, 7};
    const signature sig = pair.sign(sign_domain::kayak_commit_vote, message);
    static const std::uint8_t group_order[32] = {
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
        0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    signature malleated = sig;
    unsigned carry = 0;
    for (std::size_t i = 0; i < 32; ++i) {
        const unsigned sum = unsigned{sig.data[32 + i]} + group_order[i] + carry;
        malleated.data[32 + i] = static_cast<std::uint8_t>(sum);
        carry = sum >> 8;
    }
    BOOST_REQUIRE(carry == 0u);
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::kayak_commit_vote, message, sig));
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::kayak_commit_vote, message, malleated));
}

BOOST_AUTO_TEST_CASE(keys_are_deterministic_from_seed_and_distinct_when_random) {
    const auto a = key_from_hex(vectors[1].secret);
    const auto b = key_from_hex(vectors[1].secret);
    BOOST_TEST(a.public_key() == b.public_key());
    BOOST_TEST(crypto::key_pair::generate().public_key() != crypto::key_pair::generate().public_key());
}

BOOST_AUTO_TEST_CASE(address_is_hash_of_public_key) {
    const auto pair = key_from_hex(vectors[0].secret);
    const auto address = crypto::address_of(pair.public_key());
    BOOST_TEST(address.view() == crypto::hash(pair.public_key().view()).view());
    BOOST_TEST(address.hex().size() == 64u);
}

BOOST_AUTO_TEST_SUITE_END()
