// The block producers' consensus state machine (see producer.hpp for the protocol).
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
constexpr std::size_t hashes_per_voter_max = 16;    // distinct blocks a voter may vote for at h

void broadcast(producer_output& out, producer_message m) { out.messages.push_back(std::move(m)); }
}  // namespace

bool block_vote::signature_valid() const {
    return crypto::verify(signer, sign_domain::main_block_vote, block_hash.view(), sig);
}

bytes round_change_signing_bytes(block_height height, view_number round) {
    protocols::canonical_writer w;
    w.text("main/round-change").count(height).count(round);
    return w.take();
}

bool round_change_vote::signature_valid() const {
    return crypto::verify(signer, sign_domain::main_round_change,
                          round_change_signing_bytes(height, round), sig);
}

bool producer_evidence::valid() const {
    if (first.height != second.height || first.round != second.round || first == second)
        return false;
    const auto domain =
        what == kind::proposal ? sign_domain::main_block_proposal : sign_domain::main_block_vote;
    if (what == kind::proposal && (first.proposer != offender || second.proposer != offender))
        return false;
    return crypto::verify(offender, domain, first.hash().view(), first_signature) &&
           crypto::verify(offender, domain, second.hash().view(), second_signature);
}

void producer_evidence::canonicalize() {
    if (second.hash() < first.hash()) {
        std::swap(first, second);
        std::swap(first_signature, second_signature);
    }
}

void producer_output::append(producer_output&& other) {
    for (auto& m : other.messages) messages.push_back(std::move(m));
    for (auto& b : other.finalized) finalized.push_back(std::move(b));
    for (auto& e : other.evidence) evidence.push_back(std::move(e));
}

producer::producer(crypto::key_pair key, producer_config config, ledger final_state,
                   block_height final_height, digest final_hash, std::int64_t final_time_ms)
    : key_(std::move(key)),
      config_(std::move(config)),
      group_(config_.producers),
      ledger_(std::move(final_state)),
      final_height_(final_height),
      final_hash_(final_hash),
      final_time_ms_(final_time_ms),
      height_(final_height.next()) {
    COVENANT_ASSERT(group_.contains(key_.public_key()), "a producer is in the producer set");
    COVENANT_ASSERT(config_.transactions_per_block_max >= 1 &&
                        config_.transactions_per_block_max <= protocols::limits::transactions_per_block_max,
                    "transactions_per_block_max within the wire limit");
}

const public_key& producer::proposer_of(block_height h, view_number r) const {
    const std::size_t n = group_.size();
    const auto slot = static_cast<std::size_t>((h.value % n + r.value % n) % n);
    return group_.members()[slot];
}

std::size_t producer::mempool_size() const { return mempool_count_; }

void producer::refuse(const std::string& why) {
    ++stats_.messages_refused;
    stats_.last_refusal = why;
}

producer_output producer::start(std::int64_t now_ms) {
    producer_output out;
    round_started_ms_ = now_ms;
    maybe_propose(now_ms, out);
    return out;
}

producer_output producer::on_message(const producer_message& message, std::int64_t now_ms) {
    return std::visit(
        [&](const auto& body) -> producer_output {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, main_block>) return on_block(body, now_ms);
            else if constexpr (std::is_same_v<T, block_vote>) return on_vote(body, now_ms);
            else if constexpr (std::is_same_v<T, round_change_vote>)
                return on_round_change_vote(body, now_ms);
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

// ---- proposing --------------------------------------------------------------------

void producer::maybe_propose(std::int64_t now_ms, producer_output& out) {
    if (proposed_this_round_ || proposer_of(height_, round_) != key_.public_key()) return;
    if (round_.value == 0 && now_ms < round_started_ms_ + config_.block_interval_ms) return;
    proposed_this_round_ = true;
    if (locked_) {
        // Re-propose the locked block unchanged (it stays signed by its own proposer).
        auto* c = known(*locked_);
        if (c != nullptr) broadcast(out, {c->block});
        return;
    }
    ledger scratch = ledger_;
    scratch.begin_block(height_);
    main_block block;
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
    const digest hash = block.hash();
    proposals_by_round_.emplace(round_.value, std::make_pair(block.header, block.proposer_signature));
    candidates_.emplace(hash, candidate{block, std::move(scratch)});
    broadcast(out, {block});
    vote_for(hash, out);
    try_finalize(now_ms, out);
}

// ---- receiving blocks and votes ---------------------------------------------------

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

producer::candidate* producer::known(const digest& hash) {
    auto it = candidates_.find(hash);
    return it == candidates_.end() ? nullptr : &it->second;
}

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

producer_output producer::on_block(const main_block& block, std::int64_t now_ms) {
    producer_output out;
    const auto& h = block.header;
    if (h.height < height_) return out;  // already decided
    if (defer_if_future(h.height, {block})) return out;
    if (h.proposer != proposer_of(h.height, h.round)) {
        refuse("block: not the proposer of its round");
        return out;
    }
    const digest hash = block.hash();
    if (!crypto::verify(h.proposer, sign_domain::main_block_proposal, hash.view(),
                        block.proposer_signature)) {
        refuse("block: bad proposer signature");
        return out;
    }
    const bool is_final = !block.finality.empty();
    if (is_final) {
        if (auto fault = protocols::signer_set_fault(block.finality, group_, group_.quorum(),
                                                     sign_domain::main_block_vote, hash.view())) {
            refuse("final block: " + *fault);
            return out;
        }
    }

    // Two signed headers from one proposer for one (h, r) are evidence, valid or not.
    auto [slot, fresh] =
        proposals_by_round_.emplace(h.round.value, std::make_pair(h, block.proposer_signature));
    if (!fresh && !(slot->second.first == h) &&
        reported_.insert(std::make_pair(h.proposer, h.round.value * 2)).second) {
        out.evidence.push_back({producer_evidence::kind::proposal, h.proposer, slot->second.first,
                                h, slot->second.second, block.proposer_signature});
        out.evidence.back().canonicalize();
    }

    if (known(hash) == nullptr) {
        ledger after = ledger_;
        if (auto fault = validate(block, after)) {
            refuse(*fault);
            return out;
        }
        main_block kept = block;
        kept.finality.clear();
        candidates_.emplace(hash, candidate{std::move(kept), std::move(after)});
    }
    check_vote_conflicts(out);

    if (is_final) {
        auto& v = votes_[hash];
        for (const auto& s : block.finality) v[s.signer] = s.sig;
    } else if (!locked_) {
        vote_for(hash, out);
    }
    try_finalize(now_ms, out);
    return out;
}

void producer::vote_for(const digest& hash, producer_output& out) {
    if (locked_) return;  // one block per height, ever
    auto* c = known(hash);
    if (c == nullptr) return;
    locked_ = hash;
    const signature sig = key_.sign(sign_domain::main_block_vote, hash.view());
    votes_[hash][key_.public_key()] = sig;
    broadcast(out, {block_vote{height_, c->block.header.round, hash, key_.public_key(), sig}});
}

producer_output producer::on_vote(const block_vote& vote, std::int64_t now_ms) {
    producer_output out;
    if (vote.height < height_) return out;
    if (defer_if_future(vote.height, {vote})) return out;
    if (!group_.contains(vote.signer)) {
        refuse("vote: signer is not a producer");
        return out;
    }
    auto existing = votes_.find(vote.block_hash);
    if (existing != votes_.end() && existing->second.count(vote.signer) != 0) return out;
    if (!vote.signature_valid()) {
        refuse("vote: bad signature");
        return out;
    }
    std::size_t hashes = 0;
    for (const auto& [hash, voters] : votes_) hashes += voters.count(vote.signer);
    if (hashes >= hashes_per_voter_max) {
        refuse("vote: too many blocks voted by one producer");
        return out;
    }
    votes_[vote.block_hash][vote.signer] = vote.sig;
    check_vote_conflicts(out);
    try_finalize(now_ms, out);
    return out;
}

void producer::check_vote_conflicts(producer_output& out) {
    // voter -> round -> (hash, signature) of the first known header it voted for.
    std::map<public_key, std::map<std::uint64_t, std::pair<digest, signature>>> seen;
    for (const auto& [hash, voters] : votes_) {
        const auto* c = known(hash);
        if (c == nullptr) continue;
        const auto round = c->block.header.round.value;
        for (const auto& [voter, sig] : voters) {
            auto [at, fresh] = seen[voter].emplace(round, std::make_pair(hash, sig));
            if (fresh) continue;
            if (!reported_.insert({voter, round * 2 + 1}).second) continue;
            const auto& first = candidates_.at(at->second.first).block.header;
            out.evidence.push_back({producer_evidence::kind::vote, voter, first,
                                    c->block.header, at->second.second, sig});
            out.evidence.back().canonicalize();
        }
    }
}

void producer::try_finalize(std::int64_t now_ms, producer_output& out) {
    for (auto& [hash, voters] : votes_) {
        if (voters.size() < group_.quorum()) continue;
        auto* c = known(hash);
        if (c == nullptr || !c->after) continue;  // waiting for the block itself
        std::vector<signer_signature> finality;
        for (const auto& [signer, sig] : voters) finality.push_back({signer, sig});
        finalize(*c, std::move(finality), now_ms, out);
        return;  // the per-height state is gone
    }
}

void producer::finalize(candidate& c, std::vector<signer_signature> finality,
                        std::int64_t now_ms, producer_output& out) {
    main_block block = std::move(c.block);
    block.finality = std::move(finality);  // sorted by signer: votes_ is an ordered map
    ledger_ = std::move(*c.after);
    final_height_ = block.header.height;
    final_hash_ = block.hash();
    final_time_ms_ = block.header.timestamp_ms;
    ++stats_.blocks_finalized;
    broadcast(out, {block});  // for producers locked elsewhere or behind
    out.finalized.push_back(std::move(block));

    candidates_.clear();
    locked_.reset();
    votes_.clear();
    proposals_by_round_.clear();
    round_change_wanted_.clear();
    reported_.clear();
    height_ = final_height_.next();
    prune_mempool();
    enter_round(view_number{0}, now_ms, out);
    replay_future(now_ms, out);
}

// ---- rounds -----------------------------------------------------------------------

void producer::enter_round(view_number r, std::int64_t now_ms, producer_output& out) {
    if (r.value != 0) ++stats_.round_changes;
    round_ = r;
    round_started_ms_ = now_ms;
    round_change_sent_ = false;
    proposed_this_round_ = false;
    maybe_propose(now_ms, out);
}

producer_output producer::on_round_change_vote(const round_change_vote& vote, std::int64_t now_ms) {
    producer_output out;
    if (vote.height < height_) return out;
    if (defer_if_future(vote.height, {vote})) return out;
    if (!group_.contains(vote.signer)) {
        refuse("round change: signer is not a producer");
        return out;
    }
    auto& wanted = round_change_wanted_[vote.signer];
    if (vote.round.value <= wanted) return out;
    if (!vote.signature_valid()) {
        refuse("round change: bad signature");
        return out;
    }
    wanted = vote.round.value;
    // The highest round that q producers want (a vote for r' counts for every round <= r').
    std::vector<std::uint64_t> rounds;
    for (const auto& [signer, r] : round_change_wanted_) rounds.push_back(r);
    std::sort(rounds.begin(), rounds.end(), std::greater<>());
    if (rounds.size() >= group_.quorum()) {
        const std::uint64_t target = rounds[group_.quorum() - 1];
        if (target > round_.value) enter_round(view_number{target}, now_ms, out);
    }
    return out;
}

producer_output producer::on_tick(std::int64_t now_ms) {
    producer_output out;
    maybe_propose(now_ms, out);
    if (now_ms - round_started_ms_ < config_.round_timeout_ms) return out;
    if (round_change_sent_ && now_ms - last_round_change_sent_ms_ < config_.round_timeout_ms)
        return out;
    round_change_sent_ = true;
    last_round_change_sent_ms_ = now_ms;
    round_change_vote v{height_, round_.next(), key_.public_key(), {}};
    v.sig = key_.sign(sign_domain::main_round_change, round_change_signing_bytes(v.height, v.round));
    broadcast(out, {v});
    out.append(on_round_change_vote(v, now_ms));
    return out;
}

}  // namespace covenant::main_chain
