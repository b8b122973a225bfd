// Verification of shard chains: a realistic chain (real batches, commit certificates and
// block signatures of a 4-member group) verifies, and each kind of tampering is reported
// at exactly the height where the chain breaks, with a reason that names what is wrong.
// Tampering is followed by the repairs a forger would make (re-sealing headers, re-linking
// and re-signing later blocks with a quorum), so only the fault under test is left.
#include <boost/test/unit_test.hpp>

#include <string>

#include "chain_builder.hpp"
#include "crypto/signing.hpp"
#include "protocols/kayak_messages.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::test::chain_builder;
using covenant::test::seq_range;

namespace {

// Five blocks holding seqs 1-2, 3-5, 6, 7-10, 11-12.
const std::vector<std::size_t> five_blocks = {2, 3, 1, 4, 2};

digest filled(std::uint8_t b) {
    digest d;
    d.data.fill(b);
    return d;
}

void check_fault(const std::vector<shard_block>& chain, const group& members, std::uint64_t height,
                 const std::string& words) {
    const auto fault = verify_shard_chain(chain, members);
    BOOST_REQUIRE_MESSAGE(fault.has_value(), "expected a fault at height " << height);
    BOOST_TEST(fault->height.value == height,
               "fault at height " << fault->height.value << ": " << fault->reason);
    BOOST_TEST(fault->reason.find(words) != std::string::npos,
               "reason \"" << fault->reason << "\" does not say \"" << words << "\"");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(good_chains)

BOOST_AUTO_TEST_CASE(five_blocks_verify_whole_and_one_at_a_time) {
    chain_builder builder;
    const auto chain = builder.chain_with_counts(five_blocks);
    const auto fault = verify_shard_chain(chain, builder.members());
    BOOST_TEST(!fault.has_value(), (fault ? fault->reason : ""));

    // The replica's way: each block checked against the head before it is stored.
    auto head = shard_chain_head::before_first_block(builder.database());
    for (const auto& block : chain) {
        const auto next_fault = verify_next_shard_block(head, block, builder.members());
        BOOST_TEST(!next_fault.has_value(), (next_fault ? next_fault->reason : ""));
        head = shard_chain_head::after(block);
    }
    BOOST_TEST(head.height.value == 5u);
    BOOST_TEST(head.last_seq.value == 12u);
    BOOST_TEST((head.hash == chain.back().hash()));
}

BOOST_AUTO_TEST_CASE(empty_chain_is_valid) {
    BOOST_TEST(!verify_shard_chain({}, chain_builder().members()).has_value());
}

BOOST_AUTO_TEST_CASE(every_member_signing_is_fine) {
    chain_builder builder;
    auto chain = builder.chain_with_counts({1, 2});
    chain_builder::sign(chain[1], builder.member_keys(4));
    BOOST_TEST(!verify_shard_chain(chain, builder.members()).has_value());
}

BOOST_AUTO_TEST_CASE(continuation_from_a_head) {
    chain_builder builder;
    const auto chain = builder.chain_with_counts(five_blocks);
    const std::vector<shard_block> tail(chain.begin() + 2, chain.end());
    const auto after_two = shard_chain_head::after(chain[1]);
    BOOST_TEST(!verify_shard_chain_from(after_two, tail, builder.members()).has_value());

    const auto after_one = shard_chain_head::after(chain[0]);
    const auto fault = verify_shard_chain_from(after_one, tail, builder.members());
    BOOST_REQUIRE(fault.has_value());
    BOOST_TEST(fault->height.value == 2u);
    BOOST_TEST(fault->reason == "block has height 3, expected 2");
}

BOOST_AUTO_TEST_CASE(build_shard_block_seals_the_header) {
    chain_builder builder;
    std::vector<shard_entry> entries;
    for (std::uint64_t seq = 1; seq <= 3; ++seq) entries.push_back(builder.committed_entry(seq));
    const auto block = build_shard_block(builder.database(), block_height(1), digest{},
                                         1'790'000'000'000, entries);
    BOOST_TEST((block.header.database == builder.database()));
    BOOST_TEST(block.header.height.value == 1u);
    BOOST_TEST(block.header.parent.is_zero());
    BOOST_TEST(block.header.timestamp_ms == 1'790'000'000'000);
    BOOST_TEST(block.header.first_seq.value == 1u);
    BOOST_TEST(block.header.entry_count == 3u);
    BOOST_TEST((block.header.state_digest == entries.back().state_digest));
    BOOST_TEST((block.entries == entries));
    BOOST_TEST(block.signatures.empty());
    // Unsigned, it is not yet a block the chain accepts.
    check_fault({block}, builder.members(), 1, "block signatures: 0 distinct members signed");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tampered_entries)

BOOST_AUTO_TEST_CASE(altered_entry) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[2].entries[0].results_root = filled(0x66);
    check_fault(chain, builder.members(), 3, "entries root differs");
}

BOOST_AUTO_TEST_CASE(altered_entry_with_resealed_header_breaks_the_old_signatures) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[3].entries[2].results_root = filled(0x66);
    chain[3].seal_header();
    check_fault(chain, builder.members(), 4, "block signatures: bad signature by member");
}

BOOST_AUTO_TEST_CASE(rewritten_block_signed_again_breaks_its_child_link) {
    // A quorum can sign a rewritten block; the next block still names the original.
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[2].entries[0].results_root = filled(0x66);
    chain[2].seal_header();
    builder.sign(chain[2]);
    check_fault(chain, builder.members(), 4, "is not the hash of block 3");
}

BOOST_AUTO_TEST_CASE(entries_not_consecutive_inside_a_block) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);  // block 4 holds seqs 7-10
    chain[3].entries[2] = builder.committed_entry(20);
    builder.reseal_from(chain, 3);
    check_fault(chain, builder.members(), 4, "entry 2 has seq 20, expected 9");
}

BOOST_AUTO_TEST_CASE(entry_count_differs_from_the_entries) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[1].header.entry_count = 2;
    builder.sign(chain[1]);
    builder.relink_from(chain, 2);
    check_fault(chain, builder.members(), 2, "header counts 2 entries, block has 3");
}

BOOST_AUTO_TEST_CASE(wrong_state_digest) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[2].header.state_digest = filled(0x5d);
    builder.sign(chain[2]);
    builder.relink_from(chain, 3);
    check_fault(chain, builder.members(), 3, "differs from the last entry's");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(broken_links)

BOOST_AUTO_TEST_CASE(parent_is_not_the_previous_hash) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[3].header.parent = filled(0x5a);
    builder.sign(chain[3]);
    builder.relink_from(chain, 4);
    check_fault(chain, builder.members(), 4, "parent 5a5a");
    check_fault(chain, builder.members(), 4,
                "is not the hash of block 3 (" + chain[2].hash().hex());
}

BOOST_AUTO_TEST_CASE(first_block_with_a_parent) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[0].header.parent = filled(0x01);
    builder.sign(chain[0]);
    builder.relink_from(chain, 1);
    check_fault(chain, builder.members(), 1, "the first block's parent is not the zero digest");
}

BOOST_AUTO_TEST_CASE(gap_in_heights) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain.erase(chain.begin() + 2);
    check_fault(chain, builder.members(), 3, "block has height 4, expected 3");
}

BOOST_AUTO_TEST_CASE(repeated_block) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain.insert(chain.begin() + 3, chain[2]);
    check_fault(chain, builder.members(), 4, "block has height 3, expected 4");
}

BOOST_AUTO_TEST_CASE(chain_not_starting_at_height_1) {
    chain_builder builder;
    const auto chain = builder.chain_with_counts(five_blocks);
    check_fault({chain.begin() + 1, chain.end()}, builder.members(), 1,
                "block has height 2, expected 1");
}

BOOST_AUTO_TEST_CASE(gap_in_sequence_numbers) {
    chain_builder builder;
    const auto chain = builder.chain({{1, 3}, {4, 2}, {7, 2}, {9, 1}, {10, 1}});
    check_fault(chain, builder.members(), 3, "sequence gap: first seq 7, expected 6");
}

BOOST_AUTO_TEST_CASE(overlap_in_sequence_numbers) {
    chain_builder builder;
    const auto chain = builder.chain({{1, 3}, {4, 2}, {5, 2}, {7, 1}, {8, 1}});
    check_fault(chain, builder.members(), 3, "sequence overlap: first seq 5, expected 6");
}

BOOST_AUTO_TEST_CASE(first_block_not_starting_at_seq_1) {
    chain_builder builder;
    const auto chain = builder.chain({{2, 3}, {5, 1}});
    check_fault(chain, builder.members(), 1, "sequence gap: first seq 2, expected 1");
}

BOOST_AUTO_TEST_CASE(block_from_another_database) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    // The same members serve a second database; its block takes the place of block 3.
    chain_builder other(0xee);
    chain[2] = other.block(block_height(3), chain[1].hash(), seq_range{6, 1});
    builder.relink_from(chain, 3);
    check_fault(chain, builder.members(), 3,
                "block of database " + other.database().hex() + " in the chain of database " +
                    builder.database().hex());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(certificates)

BOOST_AUTO_TEST_CASE(fewer_than_a_quorum_of_votes) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[2].entries[0] = builder.committed_entry(6, builder.member_keys(2));
    builder.reseal_from(chain, 2);
    check_fault(chain, builder.members(), 3,
                "entry seq 6: commit certificate for seq 6: 2 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_CASE(votes_of_non_members) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[3].entries[1] = builder.committed_entry(8, chain_builder::outsider_keys(4));
    builder.reseal_from(chain, 3);
    check_fault(chain, builder.members(), 4, "0 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_CASE(non_member_votes_do_not_make_up_a_quorum) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    auto voters = builder.member_keys(2);
    for (const auto& k : chain_builder::outsider_keys(2)) voters.push_back(k);
    chain[3].entries[1] = builder.committed_entry(8, voters);
    builder.reseal_from(chain, 3);
    check_fault(chain, builder.members(), 4, "2 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_CASE(a_vote_signature_from_another_batch) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    auto& votes = chain[1].entries[1].commit_certificate.votes;
    votes[1].sig = chain[1].entries[0].commit_certificate.votes[1].sig;
    builder.reseal_from(chain, 1);
    check_fault(chain, builder.members(), 2,
                "entry seq 4: commit certificate for seq 4: bad signature");
}

BOOST_AUTO_TEST_CASE(prepare_certificate_instead_of_commit) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    auto& cert = chain[4].entries[0].commit_certificate;
    cert.phase = vote_phase::prepare;
    cert.votes.clear();
    for (const auto& key : builder.quorum_keys())
        cert.votes.push_back(sign_certificate_vote(cert, key));
    builder.reseal_from(chain, 4);
    check_fault(chain, builder.members(), 5, "a prepare certificate where a commit certificate");
}

BOOST_AUTO_TEST_CASE(certificate_of_another_batch) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[2].entries[0].batch_hash = filled(0x42);
    builder.reseal_from(chain, 2);
    check_fault(chain, builder.members(), 3, "certificate is for another slot");
}

BOOST_AUTO_TEST_CASE(chain_checked_against_another_group) {
    chain_builder builder;
    const auto chain = builder.chain_with_counts(five_blocks);
    std::vector<public_key> strangers;
    for (const auto& k : chain_builder::outsider_keys(4)) strangers.push_back(k.public_key());
    check_fault(chain, group(strangers), 1, "0 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(block_signatures)

BOOST_AUTO_TEST_CASE(one_short_of_a_quorum) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain_builder::sign(chain[2], builder.member_keys(2));  // the hash is unchanged: no relink
    check_fault(chain, builder.members(), 3,
                "block signatures: 2 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_CASE(non_member_signatures_do_not_count) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    auto signers = builder.member_keys(2);
    for (const auto& k : chain_builder::outsider_keys(3)) signers.push_back(k);
    chain_builder::sign(chain[4], signers);
    check_fault(chain, builder.members(), 5,
                "block signatures: 2 distinct members signed, 3 needed");
}

BOOST_AUTO_TEST_CASE(signature_in_another_domain) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    const auto key = builder.member_keys(1).front();
    for (auto& s : chain[1].signatures)
        if (s.signer == key.public_key())
            s.sig = key.sign(crypto::sign_domain::shard_checkpoint, chain[1].signing_bytes());
    check_fault(chain, builder.members(), 2,
                "block signatures: bad signature by member " + key.public_key().hex());
}

BOOST_AUTO_TEST_CASE(signatures_of_another_block) {
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    chain[3].signatures = chain[2].signatures;
    check_fault(chain, builder.members(), 4, "block signatures: bad signature by member");
}

BOOST_AUTO_TEST_SUITE_END()
