// Proof-of-work node ids: the hash definition, leading-zero counting, mining and checking.
#include <boost/test/unit_test.hpp>

#include "crypto/hash.hpp"
#include "crypto/node_id.hpp"
#include "crypto/signing.hpp"

using namespace covenant;

BOOST_AUTO_TEST_SUITE(node_ids)

BOOST_AUTO_TEST_CASE(id_is_hash_of_key_and_big_endian_nonce) {
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed(std::array<std::uint8_t, 32>{}));
    const std::uint64_t nonce = 0x0102030405060708ull;
    bytes input(pair.public_key().begin(), pair.public_key().end());
    for (std::uint8_t b = 1; b <= 8; ++b) input.push_back(b);
    BOOST_TEST(crypto::compute_node_id(pair.public_key(), nonce).view() ==
               crypto::hash(input).view());
}

BOOST_AUTO_TEST_CASE(leading_zero_bits_counts_exactly) {
    node_id id;
    BOOST_TEST(crypto::leading_zero_bits(id) == 256u);
    id.data[0] = 0x80;
    BOOST_TEST(crypto::leading_zero_bits(id) == 0u);
    id.data[0] = 0x01;
    BOOST_TEST(crypto::leading_zero_bits(id) == 7u);
    id.data[0] = 0;
    id.data[1] = 0x10;
    BOOST_TEST(crypto::leading_zero_bits(id) == 11u);
    id.data[1] = 0;
    id.data[31] = 0x01;
    BOOST_TEST(crypto::leading_zero_bits(id) == 255u);
}

BOOST_AUTO_TEST_CASE(mining_finds_the_first_valid_nonce) {
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed(std::array<std::uint8_t, 32>{}));
    for (unsigned difficulty : {0u, 1u, 8u, 14u}) {
        auto mined = crypto::mine_node_id(pair.public_key(), difficulty, 0, 1u << 22);
        BOOST_REQUIRE(mined.has_value());
        BOOST_TEST(crypto::leading_zero_bits(mined->id) >= difficulty);
        BOOST_TEST(mined->id == crypto::compute_node_id(pair.public_key(), mined->nonce));
        BOOST_TEST(crypto::node_id_meets_difficulty(pair.public_key(), mined->nonce, difficulty));
        // First valid nonce: every smaller one fails.
        for (std::uint64_t n = 0; n < mined->nonce; ++n)
            BOOST_TEST(!crypto::node_id_meets_difficulty(pair.public_key(), n, difficulty));
    }
}

BOOST_AUTO_TEST_CASE(checking_rejects_wrong_nonce_or_key) {
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed(std::array<std::uint8_t, 32>{}));
    const auto other = crypto::key_pair::generate();
    auto mined = crypto::mine_node_id(pair.public_key(), 16, 0, 1u << 24);
    BOOST_REQUIRE(mined.has_value());
    BOOST_TEST(crypto::node_id_meets_difficulty(pair.public_key(), mined->nonce, 16));
    // A 16-bit proof for one key is worth nothing for another (odds 1 in 65536).
    BOOST_TEST(!crypto::node_id_meets_difficulty(other.public_key(), mined->nonce, 16));
    BOOST_TEST(!crypto::node_id_meets_difficulty(pair.public_key(), mined->nonce, 256));
}

BOOST_AUTO_TEST_CASE(bounded_search_gives_up) {
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed(std::array<std::uint8_t, 32>{}));
    BOOST_TEST(!crypto::mine_node_id(pair.public_key(), 64, 0, 1000).has_value());
    // The search stops at the end of the nonce space instead of wrapping around.
    BOOST_TEST(!crypto::mine_node_id(pair.public_key(), 64, ~std::uint64_t{0} - 3, 1000).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
