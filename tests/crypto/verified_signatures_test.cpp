// The memory of verified signatures: a repeat is answered from memory, and only an exact
// repeat of a success (or of what the process signed) is; anything else is verified again
// and fails as it must.
#include <boost/test/unit_test.hpp>

#include "crypto/signing.hpp"
#include "crypto/verified_signatures.hpp"

using namespace covenant;
using crypto::sign_domain;

BOOST_AUTO_TEST_CASE(a_repeated_success_comes_from_memory_and_nothing_else_does) {
    crypto::forget_verified_signatures();
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed::random());
    const auto other = crypto::key_pair::from_seed(crypto::secret_seed::random());
    const bytes payload = {9, 8, 7, 6, 5};
    // Off (as in the simulator): signing remembers nothing.
    BOOST_TEST(!crypto::remembering_own_signatures());
    pair.sign(sign_domain::client_response, payload);
    BOOST_TEST(crypto::verified_signatures_stats().remembered == 0u);
    // On (as in a node's process): what it signs is remembered, its own check is a hit.
    crypto::remember_own_signatures(true);
    const signature sig = pair.sign(sign_domain::client_request, payload);
    crypto::remember_own_signatures(false);
    BOOST_TEST(crypto::verified_signatures_stats().remembered == 1u);
    const auto signed_hits = crypto::verified_signatures_stats().hits;
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::client_request, payload, sig));
    BOOST_TEST(crypto::verified_signatures_stats().hits == signed_hits + 1);
    crypto::forget_verified_signatures();

    const auto before = crypto::verified_signatures_stats();
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::client_request, payload, sig));
    const auto first = crypto::verified_signatures_stats();
    BOOST_TEST(first.misses == before.misses + 1);
    BOOST_TEST(first.remembered == 1u);
    BOOST_TEST(crypto::verify(pair.public_key(), sign_domain::client_request, payload, sig));
    const auto second = crypto::verified_signatures_stats();
    BOOST_TEST(second.hits == first.hits + 1);
    BOOST_TEST(second.misses == first.misses);

    // Each part of what was verified, changed, fails (and is not remembered).
    bytes changed = payload;
    changed.back() ^= 1;
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, changed, sig));
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_response, payload, sig));
    BOOST_TEST(!crypto::verify(other.public_key(), sign_domain::client_request, payload, sig));
    signature flipped = sig;
    flipped.data[10] ^= 0x40;
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, payload, flipped));
    BOOST_TEST(!crypto::verify(pair.public_key(), sign_domain::client_request, changed, sig));
    const auto after = crypto::verified_signatures_stats();
    BOOST_TEST(after.remembered == 1u);
    BOOST_TEST(after.hits == second.hits);  // failures are computed every time

    // verify_uncached never consults the memory, and agrees.
    BOOST_TEST(crypto::verify_uncached(pair.public_key(), sign_domain::client_request, payload, sig));
    BOOST_TEST(crypto::verified_signatures_stats().hits == after.hits);
}

BOOST_AUTO_TEST_CASE(the_memory_is_bounded) {
    crypto::forget_verified_signatures();
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed::random());
    // Past the bound the oldest are forgotten: the count stays at the bound.
    const std::size_t n = crypto::verified_signatures_kept + 100;
    const signature sig = pair.sign(sign_domain::envelope, bytes{1});
    for (std::size_t i = 0; i < n; ++i) {
        // Distinct memory keys without n signatures: remember them directly.
        bytes payload(8);
        for (std::size_t b = 0; b < 8; ++b) payload[b] = static_cast<std::uint8_t>(i >> (8 * b));
        crypto::remember_valid(
            crypto::verification_key(pair.public_key(), sign_domain::envelope, payload, sig));
    }
    BOOST_TEST(crypto::verified_signatures_stats().remembered == crypto::verified_signatures_kept);
    crypto::forget_verified_signatures();
    BOOST_TEST(crypto::verified_signatures_stats().remembered == 0u);
}
