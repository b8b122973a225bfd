// Builds the chains declared in chain_builder.hpp.
#include "chain_builder.hpp"

#include <algorithm>
#include <string>

#include "crypto/hash.hpp"
#include "protocols/merkle.hpp"
#include "sample_messages.hpp"

namespace covenant::test {

using namespace protocols;

namespace {
constexpr std::size_t group_size = 4;
constexpr std::int64_t chain_start_ms = 1'790'000'000'000;

std::vector<public_key> public_keys(const std::vector<crypto::key_pair>& keys) {
    std::vector<public_key> out;
    for (const auto& k : keys) out.push_back(k.public_key());
    return out;
}

// What executing a request produced: one row inserted.
request_outcome inserted_one_row(const client_request& request, std::int64_t row_id) {
    statement_result inserted;
    inserted.affected_rows = 1;
    inserted.last_insert_id = row_id;
    return request_outcome{request.hash(), std::vector<statement_result>{inserted}};
}
}  // namespace

chain_builder::chain_builder(std::uint8_t database_byte)
    : keys_(sorted_members(group_size)), group_(public_keys(keys_)), client_(test_key(100)) {
    database_.data.fill(database_byte);
}

std::vector<crypto::key_pair> chain_builder::quorum_keys() const {
    return member_keys(group_.quorum());
}

std::vector<crypto::key_pair> chain_builder::member_keys(std::size_t count) const {
    return std::vector<crypto::key_pair>(keys_.begin(),
                                         keys_.begin() + static_cast<std::ptrdiff_t>(count));
}

std::vector<crypto::key_pair> chain_builder::outsider_keys(std::size_t count) {
    std::vector<crypto::key_pair> out;
    for (std::size_t i = 0; i < count; ++i)
        out.push_back(test_key(static_cast<std::uint8_t>(60 + i)));
    return out;
}

batch chain_builder::next_batch(std::uint64_t seq, bool seals_block) {
    batch b;
    b.header.database = database_;
    b.header.seq = sequence_number(seq);
    b.header.parent = last_batch_hash_;
    b.header.timestamp_ms = chain_start_ms + static_cast<std::int64_t>(seq) * 10;
    b.header.seals_block = seals_block;
    for (int i = 0; i < 2; ++i) {
        client_request r;
        r.database = database_;
        r.client = client_.public_key();
        r.sequence = client_sequence(++client_sequence_);
        r.timestamp_ms = b.header.timestamp_ms - 1;
        r.kind = query_kind::write;
        r.statements.push_back({"INSERT INTO kv(k, v) VALUES (?, ?)",
                                {{"", sql_value::integer(static_cast<std::int64_t>(seq))},
                                 {"", sql_value::text("value " + std::to_string(i))}}});
        r.sign(client_);
        b.requests.push_back(std::move(r));
    }
    b.seal_header();
    last_batch_hash_ = b.hash();
    return b;
}

shard_entry chain_builder::committed_entry(std::uint64_t seq,
                                           const std::vector<crypto::key_pair>& voters,
                                           bool seals_block) {
    const batch committed = next_batch(seq, seals_block);
    std::vector<digest> outcome_hashes;
    for (const auto& r : committed.requests)
        outcome_hashes.push_back(
            inserted_one_row(r, static_cast<std::int64_t>(client_sequence_)).hash());

    shard_entry e;
    e.view = view_number(1);
    e.seq = committed.header.seq;
    e.batch_hash = committed.hash();
    e.results_root = merkle_root(outcome_hashes);
    state_ = crypto::hasher().update(state_.view()).update(e.batch_hash.view()).finish();
    e.state_digest = state_;

    certificate& c = e.commit_certificate;
    c.phase = vote_phase::commit;
    c.database = database_;
    c.view = e.view;
    c.seq = e.seq;
    c.batch_hash = e.batch_hash;
    for (const auto& voter : voters) c.votes.push_back(sign_certificate_vote(c, voter));
    std::sort(c.votes.begin(), c.votes.end(),
              [](const auto& a, const auto& b) { return a.signer < b.signer; });
    return e;
}

shard_block chain_builder::block(block_height height, const digest& parent, seq_range seqs) {
    std::vector<shard_entry> entries;
    for (std::size_t i = 0; i < seqs.count; ++i)
        entries.push_back(committed_entry(seqs.first + i, quorum_keys(), i + 1 == seqs.count));
    const auto timestamp_ms = chain_start_ms + static_cast<std::int64_t>(height.value) * 1000;
    shard_block out =
        build_shard_block(database_, height, parent, timestamp_ms, std::move(entries));
    sign(out);
    return out;
}

std::vector<shard_block> chain_builder::chain(const std::vector<seq_range>& blocks) {
    std::vector<shard_block> out;
    for (const auto& seqs : blocks) {
        const digest parent = out.empty() ? digest{} : out.back().hash();
        out.push_back(block(block_height(out.size() + 1), parent, seqs));
    }
    return out;
}

std::vector<shard_block> chain_builder::chain_with_counts(const std::vector<std::size_t>& counts) {
    std::vector<seq_range> ranges;
    std::uint64_t next_seq = 1;
    for (const auto count : counts) {
        ranges.push_back({next_seq, count});
        next_seq += count;
    }
    return chain(ranges);
}

void chain_builder::sign(shard_block& block, const std::vector<crypto::key_pair>& signers) {
    block.signatures.clear();
    for (const auto& key : signers) block.add_signature(key);
}

void chain_builder::reseal_from(std::vector<shard_block>& chain, std::size_t index) const {
    chain.at(index).seal_header();
    if (index > 0) chain[index].header.parent = chain[index - 1].hash();
    sign(chain[index]);
    relink_from(chain, index + 1);
}

void chain_builder::relink_from(std::vector<shard_block>& chain, std::size_t index) const {
    COVENANT_ASSERT(index >= 1, "block 1 has no parent to re-link to");
    for (std::size_t i = index; i < chain.size(); ++i) {
        chain[i].header.parent = chain[i - 1].hash();
        sign(chain[i]);
    }
}

}  // namespace covenant::test
