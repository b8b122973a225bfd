// A client's main-chain transactions from signing to finality (DESIGN.md section 6): one
// key's transactions in flight, numbered from the followed ledger's next nonce plus those
// already in flight. Each is checked against a copy of the followed ledger before it is
// signed and sent (so an invalid one is refused at once, with the ledger's reason), and
// settles when a followed final block holds it (final), when its nonce is taken by another
// transaction of this key (refused), or when the oldest in flight has waited longer than
// the timeout (every one in flight then settles unfinished, with the ledger's reason if it
// no longer applies: those behind it cannot be final before it).
//
// Pure: time comes in with every call, the ledger is the caller's. The actor sends what is
// in flight to the producers (again every resend interval: a producer's mempool is not
// durable) and answers each ticket as it settles.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "common/result.hpp"
#include "crypto/signing.hpp"
#include "protocols/main_chain/ledger.hpp"

namespace covenant::client {

using transaction_body = decltype(protocols::transaction{}.body);

struct transaction_settled {
    std::uint64_t ticket = 0;
    protocols::transaction tx;
    bool final = false;
    block_height height;           // final: the block that holds it
    std::optional<error> refusal;  // not final: why
};

class transaction_tracker {
  public:
    struct settings {
        std::uint64_t fee = 1;
        std::size_t in_flight_max = 64;
        std::int64_t timeout_ms = 30'000;
    };
    transaction_tracker(crypto::key_pair key, settings s);

    /// Signs `body` with the next nonce and checks it against `state` (at `head`) after the
    /// transactions in flight: the transaction to send, or the ledger's refusal (nothing is
    /// kept then). overloaded when in_flight_max are in flight.
    result<protocols::transaction> submit(std::uint64_t ticket, transaction_body body,
                                          const main_chain::ledger& state, block_height head,
                                          std::int64_t now_ms);
    /// A followed final block, and the ledger after it.
    std::vector<transaction_settled> on_block(const protocols::main_block& block,
                                              const main_chain::ledger& after);
    /// The timeout rule.
    std::vector<transaction_settled> on_tick(const main_chain::ledger& state, block_height head,
                                             std::int64_t now_ms);

    std::vector<protocols::transaction> in_flight() const;
    std::size_t size() const { return in_flight_.size(); }

  private:
    struct pending {
        std::uint64_t ticket;
        protocols::transaction tx;
        digest hash;
        std::int64_t sent_ms;
    };
    crypto::key_pair key_;
    account_address address_;
    settings settings_;
    std::deque<pending> in_flight_;  // in nonce order, consecutive
};

}  // namespace covenant::client
