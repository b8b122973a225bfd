// A client's transactions in flight (see transaction_tracker.hpp).
#include "protocols/client/transaction_tracker.hpp"

#include <set>
#include <string>

#include "protocols/client/client_errors.hpp"
#include "protocols/main_chain/transaction_check.hpp"

namespace covenant::client {

transaction_tracker::transaction_tracker(crypto::key_pair key, settings s)
    : key_(std::move(key)), address_(crypto::address_of(key_.public_key())), settings_(s) {
    COVENANT_ASSERT(settings_.in_flight_max > 0 && settings_.timeout_ms > 0,
                    "a tracker needs room and time");
}

std::vector<protocols::transaction> transaction_tracker::in_flight() const {
    std::vector<protocols::transaction> out;
    for (const auto& p : in_flight_) out.push_back(p.tx);
    return out;
}

result<protocols::transaction> transaction_tracker::submit(std::uint64_t ticket,
                                                           transaction_body body,
                                                           const main_chain::ledger& state,
                                                           block_height head, std::int64_t now_ms) {
    if (in_flight_.size() >= settings_.in_flight_max)
        return error{client_errc::overloaded,
                     std::to_string(in_flight_.size()) + " transactions in flight already"};
    account_nonce nonce = state.next_nonce(address_);
    if (!in_flight_.empty() && in_flight_.back().tx.nonce >= nonce)
        nonce = in_flight_.back().tx.nonce.next();
    protocols::transaction tx;
    tx.sender = key_.public_key();
    tx.nonce = nonce;
    tx.fee = settings_.fee;
    tx.body = std::move(body);
    tx.sign(key_);
    if (auto refusal = main_chain::transaction_refusal(state, head, in_flight(), tx))
        return *refusal;
    in_flight_.push_back(pending{ticket, tx, tx.hash(), now_ms});
    return tx;
}

std::vector<transaction_settled> transaction_tracker::on_block(const protocols::main_block& block,
                                                               const main_chain::ledger& after) {
    std::set<digest> included;
    for (const auto& tx : block.transactions)
        if (tx.sender == key_.public_key()) included.insert(tx.hash());
    std::vector<transaction_settled> out;
    const account_nonce next = after.next_nonce(address_);
    while (!in_flight_.empty() && in_flight_.front().tx.nonce < next) {
        auto& p = in_flight_.front();
        transaction_settled s{p.ticket, p.tx, false, block.header.height, std::nullopt};
        if (included.count(p.hash) != 0) {
            s.final = true;
        } else {
            s.refusal = error{main_chain::ledger_errc::bad_nonce,
                              "nonce " + std::to_string(p.tx.nonce.value) +
                                  " was taken by another transaction of this key"};
        }
        out.push_back(std::move(s));
        in_flight_.pop_front();
    }
    return out;
}

std::vector<transaction_settled> transaction_tracker::on_tick(const main_chain::ledger& state,
                                                              block_height head,
                                                              std::int64_t now_ms) {
    std::vector<transaction_settled> out;
    if (in_flight_.empty() || now_ms - in_flight_.front().sent_ms < settings_.timeout_ms)
        return out;
    std::vector<protocols::transaction> before;
    for (const auto& p : in_flight_) {
        transaction_settled s{p.ticket, p.tx, false, head, std::nullopt};
        s.refusal = main_chain::transaction_refusal(state, head, before, p.tx);
        if (!s.refusal)
            s.refusal = error{client_errc::timed_out,
                              "not final after " + std::to_string(now_ms - p.sent_ms) + " ms"};
        before.push_back(p.tx);
        out.push_back(std::move(s));
    }
    in_flight_.clear();
    return out;
}

}  // namespace covenant::client
