// The block producers' consensus state machine (see producer.hpp for the protocol) and
// the canonical bytes and checks of its messages (producer_messages.hpp).
#include "protocols/main_chain/producer.hpp"

#include <algorithm>
#include <utility>

#include "protocols/canonical.hpp"
#include "protocols/limits.hpp"

namespace covenant::main_chain {

using protocols::main_block;
using protocols::main_block_header;
using protocols::signer_signature;
using protocols::transaction;
using crypto::sign_domain;

namespace {
constexpr std::uint64_t future_heights_max = 8;     // how far ahead messages are kept
constexpr std::size_t future_messages_max = 4096;   // and how many
constexpr std::uint64_t rounds_ahead_max = 64;      // rounds above the current one kept
constexpr std::size_t blocks_per_round_max = 2;     // new blocks validated per proposal round
constexpr std::size_t recent_finals_max = 8;        // final blocks kept for laggards
constexpr std::uint64_t timeout_rounds_max = 1u << 20;  // timeouts stop growing there
constexpr std::size_t unknown_targets_max = 2;  // votes of one producer and slot for unknown blocks

void broadcast(producer_output& out, producer_message m) { out.messages.push_back(std::move(m)); }

std::int64_t grown(std::int64_t base, std::int64_t step, view_number round) {
    return base + static_cast<std::int64_t>(std::min(round.value, timeout_rounds_max)) * step;
}
}  // namespace

// ---- messages ---------------------------------------------------------------------

bytes block_proposal::signing_bytes() const {
    protocols::canonical_writer w;
    w.count(height()).count(round).fixed(block.hash()).boolean(valid_round.has_value());
    if (valid_round) w.count(*valid_round);
    return w.take();
}

void block_proposal::sign(const crypto::key_pair& proposer_key) {
    proposer = proposer_key.public_key();
    sig = proposer_key.sign(sign_domain::main_round_proposal, signing_bytes());
}

bool block_proposal::signature_valid() const {
    return crypto::verify(proposer, sign_domain::main_round_proposal, signing_bytes(), sig);
}

std::optional<std::string> block_proposal::shape_fault() const {
    if (!block.finality.empty() || block.finality_round.value != 0)
        return "a proposed block carries finality signatures";
    const auto& h = block.header;
    if (!valid_round) {
        if (h.round != round) return "a new block proposed in another round than its header's";
        if (h.proposer != proposer)
            return "a new block proposed by another producer than its header's";
    } else {
        if (!(*valid_round < round)) return "valid round not below the round";
        if (h.round > *valid_round) return "valid round below the block's own round";
    }
    return std::nullopt;
}

bytes block_vote::signing_bytes() const {
    return protocols::producer_vote_signing_bytes(height, round, block_hash);
}

void block_vote::sign(const crypto::key_pair& signer_key) {
    signer = signer_key.public_key();
    sig = signer_key.sign(domain_of(what), signing_bytes());
}

bool block_vote::signature_valid() const {
    return crypto::verify(signer, domain_of(what), signing_bytes(), sig);
}

const public_key& producer_evidence::offender() const {
    if (const auto* p = std::get_if<proposals>(&proof)) return p->first.proposer;
    return std::get<votes>(proof).first.signer;
}

std::optional<std::string> producer_evidence::shape_fault() const {
    if (const auto* p = std::get_if<proposals>(&proof)) {
        if (p->first.height != p->second.height || p->first.round != p->second.round)
            return "headers for different heights or rounds";
        if (p->first.proposer != p->second.proposer) return "headers of different proposers";
        if (p->first == p->second) return "the same header twice";
        return std::nullopt;
    }
    const auto& v = std::get<votes>(proof);
    if (v.first.signer != v.second.signer) return "votes of different producers";
    if (v.first.height != v.second.height || v.first.round != v.second.round ||
        v.first.what != v.second.what)
        return "votes for different heights, rounds or kinds";
    if (v.first.block_hash == v.second.block_hash) return "votes for the same target";
    return std::nullopt;
}

bool producer_evidence::valid() const {
    if (shape_fault()) return false;
    if (const auto* p = std::get_if<proposals>(&proof))
        return crypto::verify(p->first.proposer, sign_domain::main_block_proposal,
                              p->first.hash().view(), p->first_signature) &&
               crypto::verify(p->second.proposer, sign_domain::main_block_proposal,
                              p->second.hash().view(), p->second_signature);
    const auto& v = std::get<votes>(proof);
    return v.first.signature_valid() && v.second.signature_valid();
}

bool producer_evidence::canonical() const {
    if (const auto* p = std::get_if<proposals>(&proof)) return p->first.hash() < p->second.hash();
    const auto& v = std::get<votes>(proof);
    return v.first.block_hash < v.second.block_hash;  // nil (nullopt) first
}

void producer_evidence::canonicalize() {
    if (canonical()) return;
    if (auto* p = std::get_if<proposals>(&proof)) {
        std::swap(p->first, p->second);
        std::swap(p->first_signature, p->second_signature);
    } else {
        auto& v = std::get<votes>(proof);
        std::swap(v.first, v.second);
    }
}

producer_record::kind producer_record::what() const {
    if (const auto* v = std::get_if<block_vote>(&body))
        return v->what == block_vote::kind::prevote ? kind::prevote : kind::precommit;
    if (std::holds_alternative<block_proposal>(body)) return kind::proposal;
    return kind::polka;
}

block_height producer_record::height() const {
    if (const auto* v = std::get_if<block_vote>(&body)) return v->height;
    if (const auto* p = std::get_if<block_proposal>(&body)) return p->height();
    return std::get<producer_polka>(body).block.header.height;
}

view_number producer_record::round() const {
    if (const auto* v = std::get_if<block_vote>(&body)) return v->round;
    if (const auto* p = std::get_if<block_proposal>(&body)) return p->round;
    return std::get<producer_polka>(body).round;
}

void producer_output::append(producer_output&& other) {
    for (auto& r : other.to_persist) to_persist.push_back(std::move(r));
    for (auto& m : other.messages) messages.push_back(std::move(m));
    for (auto& b : other.finalized) finalized.push_back(std::move(b));
    for (auto& set : other.finalized_by) finalized_by.push_back(std::move(set));
    for (auto& e : other.evidence) evidence.push_back(std::move(e));
}

std::int64_t producer_config::propose_timeout(view_number round) const {
    return grown(propose_timeout_ms, timeout_step_ms, round);
}
std::int64_t producer_config::prevote_timeout(view_number round) const {
    return grown(prevote_timeout_ms, timeout_step_ms, round);
}
std::int64_t producer_config::precommit_timeout(view_number round) const {
    return grown(precommit_timeout_ms, timeout_step_ms, round);
}

// ---- the producer -----------------------------------------------------------------

std::size_t producer::vote_book::for_target(const std::optional<digest>& target) const {
    std::size_t n = 0;
    for (const auto& [signer, votes] : by_signer)
        for (const auto& v : votes) n += v.block_hash == target ? 1 : 0;
    return n;  // a producer's targets are distinct: at most one of them counts
}

const block_vote* producer::vote_book::find(const public_key& signer,
                                            const std::optional<digest>& target) const {
    auto it = by_signer.find(signer);
    if (it == by_signer.end()) return nullptr;
    for (const auto& v : it->second)
        if (v.block_hash == target) return &v;
    return nullptr;
}

std::vector<std::optional<digest>> producer::vote_book::targets() const {
    std::set<std::optional<digest>> all;
    for (const auto& [signer, votes] : by_signer)
        for (const auto& v : votes) all.insert(v.block_hash);
    return {all.begin(), all.end()};
}

producer::producer(crypto::key_pair key, producer_config config, ledger final_state,
                   block_height final_height, digest final_hash, std::int64_t final_time_ms)
    : key_(std::move(key)),
      config_(std::move(config)),
      ledger_(std::move(final_state)),
      final_height_(final_height),
      final_hash_(final_hash),
      final_time_ms_(final_time_ms),
      height_(final_height.next()) {
    group_ = protocols::group(ledger_.producers_for(height_));
    COVENANT_ASSERT(config_.transactions_per_block_max >= 1 &&
                        config_.transactions_per_block_max <= protocols::limits::transactions_per_block_max,
                    "transactions_per_block_max within the wire limit");
    COVENANT_ASSERT(config_.block_interval_ms >= 0 && config_.propose_timeout_ms > 0 &&
                        config_.prevote_timeout_ms > 0 && config_.precommit_timeout_ms > 0 &&
                        config_.timeout_step_ms >= 0 && config_.resend_interval_ms > 0,
                    "producer timeouts are positive");
}

const public_key& producer::proposer_of(block_height h, view_number r) const {
    const std::size_t n = group_.size();
    const auto index = static_cast<std::size_t>((h.value % n + r.value % n) % n);
    return group_.members()[index];
}

std::optional<view_number> producer::locked_round() const {
    if (!locked_) return std::nullopt;
    return locked_->round;
}

std::size_t producer::mempool_size() const { return mempool_count_; }

void producer::refuse(const std::string& why) {
    ++stats_.messages_refused;
    stats_.last_refusal = why;
}

// The records are checked as if they came from a peer (a file can be damaged or swapped),
// staged, and taken only if all of them hold together.
//
// Why the lock needs no record of its own, and no block: in this state machine the lock is
// set exactly when this producer precommits a block (the polka rule: lock on B at round r,
// precommit B), and never released within a height, so it is its highest-round precommit
// for a block -- which is a record. The lock is read by the prevote rules alone, and only
// as (round, hash): prevote B if not locked, or locked on B's hash, or (for a proposal
// with valid round vr and a polka at vr) locked at a round <= vr. The locked block itself
// is needed only to propose it, which is the valid block's part (its polka record holds
// it whole; and the polka record of the lock's round was written in the same output as the
// precommit, so normally it is here too). So even with its block unknown, the restored
// lock makes this producer exactly as restrictive as before the crash: it prevotes nil
// for every other block unless a polka at or above the lock's round justifies it, and
// prevotes the locked block once a proposal brings it (validated like any block). That is
// the invariant Tendermint's safety proof needs of an honest producer -- after precommitting
// B in round r, prevote in later rounds only B or a block with a polka in a round >= r --
// so if B was final in round r (q precommits), no other block gets a polka, hence q
// precommits, in any later round. A lock on a block that this producer never learns
// again costs liveness at most, and only until a proposal with a newer polka comes, as for
// a producer that never crashed.
std::optional<std::string> producer::restore(const std::vector<producer_record>& records) {
    COVENANT_ASSERT(!started_ && !restored_round_ && rounds_.empty(),
                    "restore() once, before start()");
    if (records.empty()) return std::nullopt;
    const public_key& me = key_.public_key();
    const std::string at = " (height " + std::to_string(height_.value) + ")";
    if (!group_.contains(me)) return "records of a producer outside the set" + at;

    std::map<std::uint64_t, round_state> rounds;
    std::map<digest, candidate> candidates;
    std::map<std::uint64_t, std::pair<main_block_header, signature>> headers;
    std::optional<slot> locked, valid;
    view_number top{0};

    auto take_block = [&](const main_block& block) -> std::optional<std::string> {
        const digest hash = block.hash();
        if (candidates.count(hash) != 0) return std::nullopt;
        const auto& h = block.header;
        if (!block.finality.empty() || block.finality_round.value != 0)
            return "a recorded block carries finality signatures";
        if (h.proposer != proposer_of(h.height, h.round))
            return "a recorded block is not from the proposer of its round";
        if (!crypto::verify(h.proposer, sign_domain::main_block_proposal, hash.view(),
                            block.proposer_signature))
            return "a recorded block has a bad proposer signature";
        ledger after = ledger_;
        if (auto fault = validate(block, after)) return "a recorded " + *fault;
        headers.emplace(h.round.value, std::make_pair(h, block.proposer_signature));
        candidates.emplace(hash, candidate{block, std::move(after)});
        return std::nullopt;
    };
    auto take_vote = [&](const block_vote& v) -> std::optional<std::string> {
        if (v.height != height_) return "a recorded vote of another height";
        if (!group_.contains(v.signer)) return "a recorded vote of a producer outside the set";
        if (!v.signature_valid()) return "a recorded vote with a bad signature";
        auto& rs = rounds[v.round.value];
        auto& book = v.what == block_vote::kind::prevote ? rs.prevotes : rs.precommits;
        auto& votes = book.by_signer[v.signer];
        if (v.signer == me) {
            if (!votes.empty() && !(votes.front() == v))
                return "two different recorded votes of this producer for round " +
                       std::to_string(v.round.value);
            if (votes.empty()) votes.push_back(v);
            return std::nullopt;
        }
        if (book.find(v.signer, v.block_hash) == nullptr) votes.push_back(v);
        return std::nullopt;
    };

    for (const auto& record : records) {
        if (record.height() != height_)
            return "a record of height " + std::to_string(record.height().value) + at;
        if (record.round() > top) top = record.round();
        if (const auto* v = std::get_if<block_vote>(&record.body)) {
            if (v->signer != me) return "a recorded vote of another producer" + at;
            if (auto fault = take_vote(*v)) return *fault + at;
            if (v->what == block_vote::kind::precommit && v->block_hash &&
                (!locked || locked->round < v->round))
                locked = slot{*v->block_hash, v->round};
        } else if (const auto* p = std::get_if<block_proposal>(&record.body)) {
            if (p->proposer != me || proposer_of(height_, p->round) != me)
                return "a recorded proposal of another proposer" + at;
            if (auto fault = p->shape_fault()) return "a recorded proposal: " + *fault + at;
            if (!p->signature_valid()) return "a recorded proposal with a bad signature" + at;
            if (auto fault = take_block(p->block)) return *fault + at;
            auto& held = rounds[p->round.value].proposal;
            if (held && !(*held == *p))
                return "two different recorded proposals for round " +
                       std::to_string(p->round.value) + at;
            held = *p;
        } else {
            const auto& polka = std::get<producer_polka>(record.body);
            if (auto fault = take_block(polka.block)) return *fault + at;
            const digest hash = polka.block.hash();
            std::set<public_key> signers;
            for (const auto& prevote : polka.prevotes) {
                if (prevote.what != block_vote::kind::prevote || prevote.round != polka.round ||
                    prevote.block_hash != hash)
                    return "a recorded polka with a vote for another slot or block" + at;
                if (auto fault = take_vote(prevote)) return *fault + at;
                signers.insert(prevote.signer);
            }
            if (signers.size() < group_.quorum())
                return "a recorded polka of fewer than a quorum of producers" + at;
            if (!valid || valid->round < polka.round) valid = slot{hash, polka.round};
        }
    }

    rounds_ = std::move(rounds);
    candidates_ = std::move(candidates);
    headers_ = std::move(headers);
    locked_ = locked;
    valid_ = valid;
    restored_round_ = top;
    stats_.records_restored = records.size();
    return std::nullopt;
}

producer_output producer::start(std::int64_t now_ms) {
    COVENANT_ASSERT(!started_, "start() once");
    started_ = true;
    producer_output out;
    enter_round(restored_round_.value_or(view_number{0}), now_ms);
    if (restored_round_) {
        // Where the records put this producer: the steps it has voted in are done, its
        // proposal made (only its own proposals are restored), a polka of this round taken.
        // What it sent of this round may not have reached anyone: it goes again.
        proposed_this_round_ = rounds_[round_.value].proposal.has_value();
        if (own_vote(round_, block_vote::kind::precommit) != nullptr)
            step_ = step::precommit;
        else if (own_vote(round_, block_vote::kind::prevote) != nullptr)
            step_ = step::prevote;
        polka_taken_this_round_ = valid_ && valid_->round == round_;
        resend_round(out);
    }
    advance(now_ms, out);
    return out;
}

producer_output producer::on_message(const producer_message& message, std::int64_t now_ms) {
    return std::visit(
        [&](const auto& body) -> producer_output {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, block_proposal>) return on_proposal(body, now_ms);
            else if constexpr (std::is_same_v<T, main_block>) return on_block(body, now_ms);
            else if constexpr (std::is_same_v<T, block_vote>) return on_vote(body, now_ms);
            else return on_transaction(body, now_ms, true);
        },
        message.body);
}

// ---- mempool ----------------------------------------------------------------------

producer_output producer::on_transaction(const transaction& tx, std::int64_t /*now_ms*/,
                                         bool from_peer) {
    producer_output out;
    auto refuse_tx = [&](const char* why) {
        ++stats_.transactions_refused;
        stats_.last_refusal = why;
        return out;
    };
    if (!tx.signature_valid()) return refuse_tx("transaction: bad signature");
    if (tx.nonce < ledger_.next_nonce(crypto::address_of(tx.sender)))
        return refuse_tx("transaction: nonce already used");
    auto& mine = mempool_[tx.sender];
    if (mine.count(tx.nonce.value) != 0) return out;  // already held (first one kept)
    if (mempool_count_ >= config_.mempool_max) {
        if (mine.empty()) mempool_.erase(tx.sender);
        return refuse_tx("transaction: mempool full");
    }
    mine.emplace(tx.nonce.value, tx);
    ++mempool_count_;
    if (!from_peer) broadcast(out, {tx});
    return out;
}

std::vector<transaction> producer::pick_transactions(ledger& scratch) {
    std::vector<transaction> picked;
    for (auto it = mempool_.begin(); it != mempool_.end();) {
        auto& [sender, queue] = *it;
        const auto address = crypto::address_of(sender);
        std::uint64_t nonce = scratch.next_nonce(address).value;
        for (auto q = queue.lower_bound(nonce); q != queue.end();) {
            if (picked.size() >= config_.transactions_per_block_max) break;
            if (q->first != nonce) break;  // a gap: the rest waits
            if (!scratch.apply(q->second, height_)) {
                // Does not apply to the state it would follow: dropped.
                ++stats_.transactions_refused;
                q = queue.erase(q);
                --mempool_count_;
                break;
            }
            picked.push_back(q->second);
            ++nonce;
            ++q;
        }
        if (queue.empty()) it = mempool_.erase(it);
        else ++it;
        if (picked.size() >= config_.transactions_per_block_max) break;
    }
    return picked;
}

void producer::prune_mempool() {
    for (auto it = mempool_.begin(); it != mempool_.end();) {
        auto& queue = it->second;
        const auto next = ledger_.next_nonce(crypto::address_of(it->first)).value;
        while (!queue.empty() && queue.begin()->first < next) {
            queue.erase(queue.begin());
            --mempool_count_;
        }
        if (queue.empty()) it = mempool_.erase(it);
        else ++it;
    }
}

// ---- blocks -----------------------------------------------------------------------

std::optional<std::string> producer::validate(const main_block& block, ledger& after) const {
    const auto& h = block.header;
    if (h.parent != final_hash_) return "block: parent is not the last final block";
    if (h.timestamp_ms < final_time_ms_) return "block: timestamp before its parent's";
    if (block.transactions.size() > protocols::limits::transactions_per_block_max)
        return "block: too many transactions";
    main_block sealed;
    sealed.transactions = block.transactions;
    sealed.seal_header();
    if (sealed.header.transactions_root != h.transactions_root ||
        sealed.header.transaction_count != h.transaction_count)
        return "block: transactions root or count differs from header";
    after = ledger_;
    after.begin_block(h.height);
    if (h.epoch != after.epoch()) return "block: not the epoch of its height";
    for (std::size_t i = 0; i < block.transactions.size(); ++i) {
        auto applied = after.apply(block.transactions[i], h.height);
        if (!applied)
            return "block: transaction " + std::to_string(i) +
                   " refused: " + applied.failure().message();
    }
    if (after.state_root() != h.state_root) return "block: state root differs";
    return std::nullopt;
}

const producer::candidate* producer::known(const digest& hash) const {
    auto it = candidates_.find(hash);
    return it == candidates_.end() ? nullptr : &it->second;
}

// A block of height_ not seen before: its proposer and header signature, then its
// validation against the final ledger. Valid blocks become candidates, invalid ones are
// remembered as such. Returns why the block is refused, if it is.
std::optional<std::string> producer::check_new_block(const main_block& block,
                                                     producer_output& out) {
    const auto& h = block.header;
    if (h.proposer != proposer_of(h.height, h.round)) return "block: not the proposer of its round";
    const digest hash = block.hash();
    if (!crypto::verify(h.proposer, sign_domain::main_block_proposal, hash.view(),
                        block.proposer_signature))
        return "block: bad proposer signature";
    note_header(block, out);
    ledger after = ledger_;
    if (auto fault = validate(block, after)) {
        invalid_.insert(hash);
        return fault;
    }
    main_block kept = block;
    kept.finality.clear();
    kept.finality_round = view_number{0};
    candidates_.emplace(hash, candidate{std::move(kept), std::move(after)});
    return std::nullopt;
}

// Two signed headers from one proposer for one (h, header round) are evidence.
void producer::note_header(const main_block& block, producer_output& out) {
    const auto& h = block.header;
    auto [at, fresh] =
        headers_.emplace(h.round.value, std::make_pair(h, block.proposer_signature));
    if (fresh || at->second.first == h) return;
    if (!reported_.insert({h.proposer, h.round.value, 0}).second) return;
    producer_evidence e{producer_evidence::proposals{at->second.first, h, at->second.second,
                                                     block.proposer_signature}};
    e.canonicalize();
    out.evidence.push_back(std::move(e));
}

void producer::report_votes(const block_vote& first, const block_vote& second,
                            producer_output& out) {
    const int what = first.what == block_vote::kind::prevote ? 1 : 2;
    if (!reported_.insert({first.signer, first.round.value, what}).second) return;
    producer_evidence e{producer_evidence::votes{first, second}};
    e.canonicalize();
    out.evidence.push_back(std::move(e));
}

bool producer::round_in_reach(view_number r) const {
    return r.value <= round_.value || r.value - round_.value <= rounds_ahead_max;
}

// ---- receiving --------------------------------------------------------------------

bool producer::defer_if_future(block_height h, producer_message m) {
    if (h <= height_) return false;
    if (h.value - height_.value > future_heights_max || future_count_ >= future_messages_max)
        return true;  // too far ahead: dropped (the final blocks will come again)
    future_[h.value].push_back(std::move(m));
    ++future_count_;
    return true;
}

void producer::replay_future(std::int64_t now_ms, producer_output& out) {
    while (!future_.empty() && future_.begin()->first <= height_.value) {
        auto node = future_.extract(future_.begin());
        future_count_ -= node.mapped().size();
        if (node.key() != height_.value) continue;  // stale
        const auto at = height_;
        for (const auto& m : node.mapped()) {
            out.append(on_message(m, now_ms));
            if (height_ != at) break;  // moved on; later messages are stale or re-deferred
        }
    }
}

// A proposal or vote for a height this producer has finalized: its sender may have lost
// the final block. Answered with it, once the messages in flight at the decision have had
// time to arrive, and then at most once per resend interval.
void producer::answer_laggard(block_height h, std::int64_t now_ms, producer_output& out) {
    for (auto& f : recent_finals_) {
        if (f.block.header.height != h) continue;
        if (now_ms - f.decided_ms < config_.resend_interval_ms ||
            now_ms - f.resent_ms < config_.resend_interval_ms)
            return;
        f.resent_ms = now_ms;
        ++stats_.messages_resent;
        broadcast(out, {f.block});
        return;
    }
}

// A proposal or vote of an earlier round of this height: its sender may be stuck in that
// round, missing messages the links lost (its own are re-sent, but those of producers that
// moved on are not). Answered, at most once per resend interval, with what justifies this
// producer's round: the precommits it holds of the round before (q of them if it left that
// round on its timeout) and the votes it holds of its round (f+1 producers' if it caught up
// to it): enough for the sender to time out of its round or to catch up.
void producer::answer_round_laggard(view_number r, std::int64_t now_ms, producer_output& out) {
    if (r >= round_ || now_ms - last_round_answer_ms_ < config_.resend_interval_ms) return;
    last_round_answer_ms_ = now_ms;
    const auto send_all = [&](const vote_book& book) {
        for (const auto& [signer, votes] : book.by_signer)
            for (const auto& v : votes) broadcast(out, {v});
    };
    if (auto before = rounds_.find(round_.value - 1); before != rounds_.end())
        send_all(before->second.precommits);
    if (auto current = rounds_.find(round_.value); current != rounds_.end()) {
        send_all(current->second.prevotes);
        send_all(current->second.precommits);
    }
    ++stats_.messages_resent;
}

producer_output producer::on_proposal(const block_proposal& p, std::int64_t now_ms) {
    producer_output out;
    const block_height h = p.height();
    if (h < height_) {
        answer_laggard(h, now_ms, out);
        return out;
    }
    if (defer_if_future(h, {p})) return out;
    if (!round_in_reach(p.round)) {
        refuse("proposal: round too far ahead");
        return out;
    }
    if (p.proposer != proposer_of(h, p.round)) {
        refuse("proposal: not the proposer of its round");
        return out;
    }
    if (p.proposer == key_.public_key()) return out;  // its own (see on_vote)
    answer_round_laggard(p.round, now_ms, out);
    auto& rs = rounds_[p.round.value];
    if (rs.proposal && *rs.proposal == p) return out;  // a copy
    if (auto fault = p.shape_fault()) {
        refuse("proposal: " + *fault);
        return out;
    }
    if (!p.signature_valid()) {
        refuse("proposal: bad signature");
        return out;
    }
    const digest hash = p.block.hash();
    if (known(hash) == nullptr && invalid_.count(hash) == 0) {
        if (rs.blocks_checked >= blocks_per_round_max) {
            refuse("proposal: too many blocks proposed for one round");
            return out;
        }
        ++rs.blocks_checked;
        if (auto fault = check_new_block(p.block, out)) {
            refuse(*fault);
            if (invalid_.count(hash) == 0) return out;  // not even a signed block
        }
    }
    if (!rs.proposal) rs.proposal = p;  // only the first one counts
    advance(now_ms, out);
    return out;
}

producer_output producer::on_vote(const block_vote& vote, std::int64_t now_ms) {
    producer_output out;
    if (vote.height < height_) {
        answer_laggard(vote.height, now_ms, out);
        return out;
    }
    if (defer_if_future(vote.height, {vote})) return out;
    if (!group_.contains(vote.signer)) {
        refuse("vote: signer is not a producer");
        return out;
    }
    // This producer knows its own votes: a copy adds nothing, and any other vote under its
    // key is not its own doing.
    if (vote.signer == key_.public_key()) return out;
    if (!round_in_reach(vote.round)) {
        refuse("vote: round too far ahead");
        return out;
    }
    answer_round_laggard(vote.round, now_ms, out);
    auto& rs = rounds_[vote.round.value];
    auto& book = vote.what == block_vote::kind::prevote ? rs.prevotes : rs.precommits;
    if (book.find(vote.signer, vote.block_hash) != nullptr) return out;  // a copy, or as good
    if (!vote.signature_valid()) {
        refuse("vote: bad signature");
        return out;
    }
    auto& mine = book.by_signer[vote.signer];
    if (!mine.empty()) {
        // Another target in the same slot: equivocation. Kept all the same (see vote_book),
        // but only a few votes for blocks this producer has not seen.
        report_votes(mine.front(), vote, out);
        if (vote.block_hash && known(*vote.block_hash) == nullptr &&
            invalid_.count(*vote.block_hash) == 0) {
            std::size_t unknown = 0;
            for (const auto& v : mine)
                unknown += v.block_hash && known(*v.block_hash) == nullptr &&
                           invalid_.count(*v.block_hash) == 0;
            if (unknown >= unknown_targets_max) {
                refuse("vote: too many targets in one slot");
                return out;
            }
        }
    }
    mine.push_back(vote);
    // A vote for another block than the proposal held for that round: the proposer may have
    // equivocated, so the others learn this producer's proposal (once per round).
    if (vote.block_hash && rs.proposal && rs.proposal->block.hash() != *vote.block_hash &&
        !rs.relayed) {
        rs.relayed = true;
        broadcast(out, {*rs.proposal});
    }
    advance(now_ms, out);
    return out;
}

producer_output producer::on_block(const main_block& block, std::int64_t now_ms) {
    producer_output out;
    const auto& h = block.header;
    if (h.height < height_) return out;  // already final here
    if (defer_if_future(h.height, {block})) return out;
    if (block.finality.empty()) {
        refuse("block: no finality signatures (a proposal travels as a block_proposal)");
        return out;
    }
    if (block.finality_round < h.round) {
        refuse("final block: finality round before the block's round");
        return out;
    }
    if (auto fault = protocols::signer_set_fault(block.finality, group_, group_.quorum(),
                                                 sign_domain::main_precommit,
                                                 block.finality_signing_bytes())) {
        refuse("final block: " + *fault);
        return out;
    }
    const digest hash = block.hash();
    if (known(hash) == nullptr) {
        if (invalid_.count(hash) != 0) {
            refuse("final block: does not validate");
            return out;
        }
        if (auto fault = check_new_block(block, out)) {
            refuse("final block: " + *fault);
            return out;
        }
    }
    // A precommit in the certificate that contradicts one this producer holds is evidence.
    if (auto r = rounds_.find(block.finality_round.value); r != rounds_.end()) {
        for (const auto& s : block.finality) {
            auto held = r->second.precommits.by_signer.find(s.signer);
            if (held == r->second.precommits.by_signer.end() ||
                held->second.front().block_hash == hash)
                continue;
            report_votes(held->second.front(),
                         block_vote{h.height, block.finality_round, block_vote::kind::precommit,
                                    hash, s.signer, s.sig},
                         out);
        }
    }
    finalize(hash, block.finality_round, block.finality, false, now_ms, out);
    advance(now_ms, out);
    return out;
}

// ---- the rules --------------------------------------------------------------------

// Applies every rule that holds until none does (each input may enable several).
void producer::advance(std::int64_t now_ms, producer_output& out) {
    for (;;) {
        if (decide(now_ms, out)) continue;
        if (skip_round(now_ms)) continue;
        if (!round_rules(now_ms, out)) return;
    }
}

// q precommits for one valid block in one round, any round of this height: final.
bool producer::decide(std::int64_t now_ms, producer_output& out) {
    for (const auto& [r, rs] : rounds_) {
        if (rs.precommits.signers() < group_.quorum()) continue;
        std::map<digest, std::vector<signer_signature>> by_block;  // signers in order
        for (const auto& [signer, votes] : rs.precommits.by_signer)
            for (const auto& v : votes)
                if (v.block_hash) by_block[*v.block_hash].push_back({signer, v.sig});
        for (auto& [hash, signatures] : by_block) {
            if (signatures.size() < group_.quorum() || known(hash) == nullptr) continue;
            const digest decided = hash;
            auto finality = std::move(signatures);
            finalize(decided, view_number{r}, std::move(finality), true, now_ms, out);
            return true;  // rounds_ is gone
        }
    }
    return false;
}

// Messages of f+1 distinct producers for a round above this producer's: go there.
bool producer::skip_round(std::int64_t now_ms) {
    for (auto it = rounds_.rbegin(); it != rounds_.rend() && it->first > round_.value; ++it) {
        const auto& rs = it->second;
        std::set<public_key> senders;
        if (rs.proposal) senders.insert(rs.proposal->proposer);
        for (const auto& [signer, v] : rs.prevotes.by_signer) senders.insert(signer);
        for (const auto& [signer, v] : rs.precommits.by_signer) senders.insert(signer);
        if (senders.size() >= group_.one_honest()) {
            enter_round(view_number{it->first}, now_ms);
            return true;
        }
    }
    return false;
}

bool producer::polka(view_number r, const digest& hash) const {
    auto it = rounds_.find(r.value);
    return it != rounds_.end() && it->second.prevotes.for_target(hash) >= group_.quorum();
}

void producer::send_polka(view_number r, const digest& hash, producer_output& out) const {
    auto it = rounds_.find(r.value);
    if (it == rounds_.end()) return;
    for (const auto& [signer, votes] : it->second.prevotes.by_signer)
        for (const auto& v : votes)
            if (v.block_hash == hash) broadcast(out, {v});
}

std::vector<block_vote> producer::polka_votes(view_number r, const digest& hash) const {
    std::vector<block_vote> votes;
    auto it = rounds_.find(r.value);
    if (it == rounds_.end()) return votes;
    for (const auto& [signer, mine] : it->second.prevotes.by_signer)
        for (const auto& v : mine)
            if (v.block_hash == hash) votes.push_back(v);
    return votes;
}

const block_vote* producer::own_vote(view_number r, block_vote::kind what) const {
    auto it = rounds_.find(r.value);
    if (it == rounds_.end()) return nullptr;
    const auto& book =
        what == block_vote::kind::prevote ? it->second.prevotes : it->second.precommits;
    auto mine = book.by_signer.find(key_.public_key());
    return mine == book.by_signer.end() || mine->second.empty() ? nullptr : &mine->second.front();
}

// Signs this producer's vote of the current round and kind, records it (to_persist) and
// sends it. A vote already signed for that slot (restored after a restart) is sent again
// instead, whatever the target asked for: one slot, one vote. Returns the vote sent (null
// for a follower outside the set, which does not vote).
const block_vote* producer::cast(block_vote::kind what, std::optional<digest> target,
                                 producer_output& out) {
    if (!group_.contains(key_.public_key())) return nullptr;  // a follower outside the set
    auto& rs = rounds_[round_.value];
    auto& mine = (what == block_vote::kind::prevote ? rs.prevotes : rs.precommits)
                     .by_signer[key_.public_key()];
    if (!mine.empty()) {
        ++stats_.votes_repeated;
        broadcast(out, {mine.front()});
        return &mine.front();
    }
    block_vote v{height_, round_, what, target, {}, {}};
    v.sign(key_);
    mine.push_back(v);
    out.to_persist.push_back({v});
    broadcast(out, {v});
    return &mine.front();
}

// The rules of the current round, in step order. True if any fired.
bool producer::round_rules(std::int64_t now_ms, producer_output& out) {
    bool fired = maybe_propose(now_ms, out);
    auto& rs = rounds_[round_.value];
    const std::size_t q = group_.quorum();

    if (step_ == step::propose && rs.proposal) {
        const auto& p = *rs.proposal;
        const digest hash = p.block.hash();
        const bool valid = known(hash) != nullptr;
        if (!p.valid_round) {
            const bool yes = valid && (!locked_ || locked_->hash == hash);
            cast(block_vote::kind::prevote, yes ? std::optional<digest>(hash) : std::nullopt, out);
            step_ = step::prevote;
            fired = true;
        } else if (polka(*p.valid_round, hash)) {
            const bool yes =
                valid && (!locked_ || locked_->round <= *p.valid_round || locked_->hash == hash);
            cast(block_vote::kind::prevote, yes ? std::optional<digest>(hash) : std::nullopt, out);
            step_ = step::prevote;
            fired = true;
        }
    }

    if (step_ != step::propose) {
        if (step_ == step::prevote && !prevote_deadline_ms_ && rs.prevotes.signers() >= q)
            prevote_deadline_ms_ = now_ms + config_.prevote_timeout(round_);
        if (!polka_taken_this_round_) {
            for (const auto& target : rs.prevotes.targets()) {
                if (!target || known(*target) == nullptr || rs.prevotes.for_target(target) < q)
                    continue;
                const digest hash = *target;
                polka_taken_this_round_ = true;
                if (step_ == step::prevote) {
                    // The lock is the precommit: taken only with a precommit for the block.
                    const auto* sent = cast(block_vote::kind::precommit, hash, out);
                    if (sent == nullptr || sent->block_hash == hash) locked_ = slot{hash, round_};
                    step_ = step::precommit;
                }
                valid_ = slot{hash, round_};
                if (group_.contains(key_.public_key()))
                    out.to_persist.push_back(
                        {producer_polka{round_, known(hash)->block, polka_votes(round_, hash)}});
                fired = true;
                break;
            }
        }
        if (step_ == step::prevote) {
            if (rs.prevotes.for_target(std::nullopt) >= q) {
                cast(block_vote::kind::precommit, std::nullopt, out);
                step_ = step::precommit;
                fired = true;
            }
        }
    }
    if (!precommit_deadline_ms_ && rs.precommits.signers() >= q)
        precommit_deadline_ms_ = now_ms + config_.precommit_timeout(round_);
    return fired;
}

bool producer::maybe_propose(std::int64_t now_ms, producer_output& out) {
    if (proposed_this_round_ || proposer_of(height_, round_) != key_.public_key()) return false;
    if (round_.value == 0 && now_ms < round_started_ms_ + config_.block_interval_ms) return false;
    proposed_this_round_ = true;
    block_proposal p;
    p.round = round_;
    if (valid_) {
        // The block with the latest polka this producer knows, unchanged.
        p.block = known(valid_->hash)->block;
        p.valid_round = valid_->round;
        ++stats_.blocks_reproposed;
    } else {
        ledger scratch = ledger_;
        scratch.begin_block(height_);
        main_block& block = p.block;
        block.transactions = pick_transactions(scratch);
        block.header.height = height_;
        block.header.parent = final_hash_;
        block.header.epoch = scratch.epoch();
        block.header.round = round_;
        block.header.proposer = key_.public_key();
        block.header.timestamp_ms = std::max(now_ms, final_time_ms_);
        block.seal_header();
        block.header.state_root = scratch.state_root();
        block.sign_proposal(key_);
        ++stats_.blocks_proposed;
        headers_.emplace(round_.value, std::make_pair(block.header, block.proposer_signature));
        candidates_.emplace(block.hash(), candidate{block, std::move(scratch)});
    }
    p.sign(key_);
    auto& rs = rounds_[round_.value];
    if (!rs.proposal) rs.proposal = p;
    out.to_persist.push_back({p});
    broadcast(out, {p});
    if (p.valid_round) send_polka(*p.valid_round, p.block.hash(), out);
    return true;
}

void producer::finalize(const digest& hash, view_number round,
                        std::vector<signer_signature> finality, bool announce,
                        std::int64_t now_ms, producer_output& out) {
    auto node = candidates_.extract(hash);
    COVENANT_ASSERT(!node.empty(), "a final block is a validated candidate");
    main_block block = std::move(node.mapped().block);
    block.finality_round = round;
    block.finality = std::move(finality);  // sorted by signer
    ledger_ = std::move(node.mapped().after);
    final_height_ = block.header.height;
    final_hash_ = hash;
    final_time_ms_ = block.header.timestamp_ms;
    ++stats_.blocks_finalized;
    // Decided here from precommits: sent to all, for producers that are behind. (A final
    // block received was sent to all by whoever decided it.)
    if (announce) broadcast(out, {block});
    recent_finals_.push_back({block, now_ms, now_ms});
    if (recent_finals_.size() > recent_finals_max) recent_finals_.pop_front();
    out.finalized.push_back(std::move(block));
    out.finalized_by.push_back(group_.members());

    locked_.reset();
    valid_.reset();
    rounds_.clear();
    candidates_.clear();
    invalid_.clear();
    headers_.clear();
    reported_.clear();
    height_ = final_height_.next();
    group_ = protocols::group(ledger_.producers_for(height_));  // a new epoch may begin
    prune_mempool();
    enter_round(view_number{0}, now_ms);
    replay_future(now_ms, out);
}

// ---- rounds and time --------------------------------------------------------------

void producer::enter_round(view_number r, std::int64_t now_ms) {
    if (r.value != 0) ++stats_.round_changes;
    round_ = r;
    step_ = step::propose;
    round_started_ms_ = now_ms;
    propose_deadline_ms_ = now_ms + config_.propose_timeout(r) +
                           (r.value == 0 ? config_.block_interval_ms : 0);
    prevote_deadline_ms_.reset();
    precommit_deadline_ms_.reset();
    proposed_this_round_ = false;
    polka_taken_this_round_ = false;
    last_resend_ms_ = now_ms;
    last_round_answer_ms_ = now_ms;
}

// This producer's own messages of the current round, again (links may have lost them).
void producer::resend_round(producer_output& out) {
    auto it = rounds_.find(round_.value);
    if (it == rounds_.end()) return;
    const auto& rs = it->second;
    const auto& me = key_.public_key();
    if (rs.proposal && rs.proposal->proposer == me) {
        broadcast(out, {*rs.proposal});
        if (rs.proposal->valid_round)
            send_polka(*rs.proposal->valid_round, rs.proposal->block.hash(), out);
        ++stats_.messages_resent;
    }
    for (const auto* book : {&rs.prevotes, &rs.precommits}) {
        auto mine = book->by_signer.find(me);
        if (mine == book->by_signer.end()) continue;
        broadcast(out, {mine->second.front()});
        ++stats_.messages_resent;
    }
}

producer_output producer::on_tick(std::int64_t now_ms) {
    producer_output out;
    advance(now_ms, out);  // a proposal that is due
    if (step_ == step::propose && now_ms >= propose_deadline_ms_) {
        cast(block_vote::kind::prevote, std::nullopt, out);
        step_ = step::prevote;
    }
    if (step_ == step::prevote && prevote_deadline_ms_ && now_ms >= *prevote_deadline_ms_) {
        cast(block_vote::kind::precommit, std::nullopt, out);
        step_ = step::precommit;
    }
    if (precommit_deadline_ms_ && now_ms >= *precommit_deadline_ms_)
        enter_round(round_.next(), now_ms);
    if (now_ms - last_resend_ms_ >= config_.resend_interval_ms) {
        last_resend_ms_ = now_ms;
        resend_round(out);
    }
    advance(now_ms, out);
    return out;
}

}  // namespace covenant::main_chain
