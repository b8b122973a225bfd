// A ledger with known accounts and helpers to sign transactions for it, register miners
// with real proof of work, create databases, and build the signed Kayak messages that
// suspicions, checkpoints and evidence carry. Shared by the main-chain tests.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "crypto/signing.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "sample_messages.hpp"

namespace covenant::test {

using body_type = decltype(protocols::transaction{}.body);

/// Chain parameters small enough for fast tests (difficulty 4: about 16 hashes a miner).
main_chain::chain_parameters test_parameters();

/// A signed transaction.
protocols::transaction make_tx(const crypto::key_pair& key, account_nonce nonce, std::uint64_t fee,
                               body_type body);

struct ledger_fixture {
    ledger_fixture();

    main_chain::ledger chain;
    crypto::key_pair alice = test_key(1);
    crypto::key_pair bob = test_key(2);
    crypto::key_pair carol = test_key(3);
    std::vector<crypto::key_pair> miner_keys;  // test_key(11..16), each funded at genesis
    block_height height{1};

    static account_address address(const crypto::key_pair& k) {
        return crypto::address_of(k.public_key());
    }
    std::uint64_t balance(const crypto::key_pair& k) const { return chain.balance_of(address(k)); }
    /// The key pair of a public key among test_key(1..64).
    const crypto::key_pair& key_of(const public_key& pk) const;

    /// Signs `body` with the sender's next nonce and applies it.
    result<main_chain::apply_outcome> submit(const crypto::key_pair& sender, body_type body,
                                             std::uint64_t fee = 1);
    /// Like submit, but the transaction must be applied.
    main_chain::apply_outcome accept(const crypto::key_pair& sender, body_type body,
                                     std::uint64_t fee = 1);
    /// Applies `tx`, requires its refusal with `code`, and that nothing changed.
    void expect_refused(const protocols::transaction& tx, main_chain::ledger_errc code);
    void expect_refused(const crypto::key_pair& sender, body_type body,
                        main_chain::ledger_errc code, std::uint64_t fee = 1);

    /// register_miner with a mined node id.
    protocols::tx::register_miner registration(const crypto::key_pair& miner, std::uint64_t price,
                                               std::uint32_t capacity = 4,
                                               std::uint64_t deposit = 2'000) const;
    /// Registers miner_keys[0..n) with prices[i] (or 10 each).
    void register_miners(std::size_t n, std::vector<std::uint64_t> prices = {});
    /// Alice creates a database of `miners` members with `payment` in advance.
    database_id create_database(std::uint32_t miners, std::uint64_t payment = 10'000);

    protocols::tx::suspect_leader suspicion(const database_id& db, view_number view,
                                            const crypto::key_pair& member) const;
    protocols::tx::shard_checkpoint checkpoint(const database_id& db, std::uint64_t height,
                                               std::vector<std::uint64_t> costs,
                                               const std::vector<public_key>& signers) const;

  private:
    mutable std::map<public_key, crypto::key_pair> known_keys_;
};

}  // namespace covenant::test
