// Auditing a database's shard chains from outside (protocols/shard_chain_audit.hpp, what
// `cql verify` runs): members serving a good chain and checkpoints that match it pass; each
// kind of fault is reported at its height, for the member that has it: a changed entry, a bad
// block signature, a broken link, a fork between members, a block a member does not serve, a
// member that does not answer, and checkpoints that disagree with the blocks (head hash, state
// digest), lack a quorum of signatures, or lie beyond every chain. Blocks are fed in pages, as
// cql fetches them, and the result does not depend on the page size.
#include <boost/test/unit_test.hpp>

#include <string>

#include "chain_builder.hpp"
#include "crypto/signing.hpp"
#include "protocols/shard_chain_audit.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::test::chain_builder;

namespace {

const std::vector<std::size_t> five_blocks = {2, 3, 1, 4, 2};

/// A checkpoint of `block` signed by `signers` (domain shard/checkpoint), recorded at main
/// height `main_height`.
recorded_checkpoint checkpoint_of(const shard_block& block,
                                  const std::vector<crypto::key_pair>& signers,
                                  std::uint64_t main_height) {
    tx::shard_checkpoint c;
    c.database = block.header.database;
    c.height = block.header.height;
    c.head_hash = block.hash();
    c.state_digest = block.header.state_digest;
    c.billing.push_back(billing_line{crypto::address_of(test::test_key(40).public_key()), 3, 30});
    for (const auto& k : signers)
        c.signatures.push_back(signer_signature{
            k.public_key(),
            k.sign(crypto::sign_domain::shard_checkpoint, c.checkpoint_signing_bytes())});
    std::sort(
        c.signatures.begin(), c.signatures.end(),
        [](const signer_signature& a, const signer_signature& b) { return a.signer < b.signer; });
    digest tx_hash;
    tx_hash.data[0] = static_cast<std::uint8_t>(main_height);
    return recorded_checkpoint{block_height(main_height), tx_hash, c};
}

/// Feeds `chain` for `member` in pages of `page`, as a member serving its store would, with
/// the member's head at the chain's last height; ends with an empty page past the head.
void serve(shard_chain_audit& audit, const public_key& member,
           const std::vector<shard_block>& chain, std::size_t page = 16) {
    const block_height head(chain.size());
    while (auto next = audit.next_height(member)) {
        std::vector<shard_block> blocks;
        for (std::size_t i = next->value - 1; i < chain.size() && blocks.size() < page; ++i)
            blocks.push_back(chain[i]);
        audit.on_blocks(member, blocks, head);
    }
}

void check_fault(const std::optional<audit_fault>& fault, audit_fault_kind kind,
                 std::uint64_t height, const std::string& words) {
    BOOST_REQUIRE_MESSAGE(fault.has_value(), "expected a " << audit_fault_name(kind) << " fault");
    BOOST_TEST(audit_fault_name(fault->kind) == audit_fault_name(kind), fault->reason);
    BOOST_TEST(fault->height.value == height,
               "at " << fault->height.value << ": " << fault->reason);
    BOOST_TEST(fault->reason.find(words) != std::string::npos,
               "reason \"" << fault->reason << "\" does not say \"" << words << "\"");
}

struct audit_fixture {
    chain_builder builder;
    std::vector<shard_block> chain = builder.chain_with_counts(five_blocks);
    std::vector<public_key> members{builder.members().members()[0], builder.members().members()[1]};

    /// An audit of the first `audited` members.
    shard_chain_audit audit_with(std::vector<recorded_checkpoint> checkpoints = {},
                                 std::size_t audited = 2) const {
        return shard_chain_audit(
            builder.database(), builder.members(),
            std::vector<public_key>(members.begin(), members.begin() + audited),
            std::move(checkpoints));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(audits, audit_fixture)

BOOST_AUTO_TEST_CASE(a_good_chain_with_matching_checkpoints_passes_whatever_the_page_size) {
    for (std::size_t page : {1u, 2u, 16u}) {
        auto audit = audit_with({checkpoint_of(chain[2], builder.quorum_keys(), 7),
                                 checkpoint_of(chain[4], builder.member_keys(4), 9)});
        serve(audit, members[0], chain, page);
        serve(audit, members[1], chain, page);
        audit.finish();
        BOOST_TEST(audit.ok(), (audit.first_fault() ? audit.first_fault()->reason : ""));
        for (const auto& m : audit.members()) {
            BOOST_TEST(m.verified.height.value == 5u);
            BOOST_TEST((m.verified.hash == chain.back().hash()));
            BOOST_TEST(m.finished);
        }
        for (const auto& c : audit.checkpoints()) {
            BOOST_TEST(c.signatures_verified);
            BOOST_TEST(c.matched_by.size() == 2u);
        }
    }
}

BOOST_AUTO_TEST_CASE(no_checkpoints_and_an_empty_chain_are_fine) {
    auto audit = audit_with();
    serve(audit, members[0], chain);
    serve(audit, members[1], {});  // a member that has sealed nothing yet
    audit.finish();
    BOOST_TEST(audit.ok());
    BOOST_TEST(audit.checkpoints().empty());
    BOOST_TEST(audit.members()[1].verified.height.value == 0u);
}

BOOST_AUTO_TEST_CASE(a_changed_entry_is_found_at_its_height) {
    auto tampered = chain;
    tampered[2].entries[0].results_root.data[0] ^= 1;  // block 3's entry, header untouched
    auto audit = audit_with();
    serve(audit, members[0], chain);
    serve(audit, members[1], tampered);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 3, "entries root");
    BOOST_TEST((audit.first_fault()->member == members[1]));
    BOOST_TEST(audit.members()[1].verified.height.value == 2u);
    BOOST_TEST(!audit.members()[0].fault.has_value());
}

BOOST_AUTO_TEST_CASE(a_changed_entry_resealed_breaks_the_block_signatures) {
    auto tampered = chain;
    tampered[3].entries[1].state_digest.data[0] ^= 1;
    builder.reseal_from(tampered, 3);  // re-signed by a quorum... of the forger's choosing
    chain_builder::sign(tampered[3], chain_builder::outsider_keys(3));
    auto audit = audit_with({}, 1);
    serve(audit, members[0], tampered);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 4, "block signatures");
}

BOOST_AUTO_TEST_CASE(a_bad_signature_is_found_at_its_height) {
    auto tampered = chain;
    tampered[1].signatures[0].sig.data[5] ^= 1;
    auto audit = audit_with({}, 1);
    serve(audit, members[0], tampered);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 2, "block signatures");
}

BOOST_AUTO_TEST_CASE(a_broken_link_is_found_at_its_height) {
    auto tampered = chain;
    tampered[3].header.parent.data[0] ^= 1;
    builder.sign(tampered[3]);  // a valid block, but not on block 3
    auto audit = audit_with({}, 1);
    serve(audit, members[0], tampered);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 4, "parent");
}

BOOST_AUTO_TEST_CASE(two_valid_blocks_at_one_height_are_a_fork) {
    // Another valid continuation after block 2: new batches, signed by a quorum.
    auto other = chain;
    other.resize(2);
    other.push_back(builder.block(block_height(3), other[1].hash(), test::seq_range{6, 2}));
    auto audit = audit_with();
    serve(audit, members[0], chain);
    serve(audit, members[1], other);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::fork, 3, "fork");
    BOOST_TEST((audit.first_fault()->member == members[1]));
}

BOOST_AUTO_TEST_CASE(a_block_the_member_does_not_serve_is_missing) {
    auto audit = audit_with();
    // Serves blocks 1-2, then nothing at 3 although its head is at 5.
    audit.on_blocks(members[0], {chain[0], chain[1]}, block_height(5));
    audit.on_blocks(members[0], {}, block_height(5));
    serve(audit, members[1], chain);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::missing_block, 3, "does not serve");
    BOOST_TEST((audit.first_fault()->member == members[0]));
}

BOOST_AUTO_TEST_CASE(a_stored_block_that_does_not_read_back_is_a_fault_at_its_height) {
    auto audit = audit_with({}, 1);
    audit.on_blocks(members[0], {chain[0], chain[1], chain[2]}, block_height(5));
    audit.on_unreadable(members[0], "entries root differs from header");
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 4, "does not read back");
}

BOOST_AUTO_TEST_CASE(a_member_that_does_not_answer_is_unreachable) {
    auto audit = audit_with();
    serve(audit, members[0], chain);
    audit.on_blocks(members[1], {chain[0]}, block_height(5));
    audit.on_unreachable(members[1], "no answer in time");
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::unreachable, 2, "no answer");
    BOOST_TEST(!audit.next_height(members[1]).has_value());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_with_another_head_disagrees) {
    auto cp = checkpoint_of(chain[1], builder.quorum_keys(), 12);
    cp.checkpoint.head_hash = chain[2].hash();  // not block 2's hash
    auto audit = audit_with({cp}, 1);
    serve(audit, members[0], chain);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::checkpoint_mismatch, 2, "main height 12");
    BOOST_TEST(audit.first_fault()->main_height->value == 12u);
    BOOST_TEST(audit.members()[0].fault.has_value() == false);  // the chain itself is fine
}

BOOST_AUTO_TEST_CASE(a_checkpoint_with_another_state_digest_disagrees) {
    auto cp = checkpoint_of(chain[3], builder.quorum_keys(), 5);
    cp.checkpoint.state_digest.data[0] ^= 1;
    auto audit = audit_with({cp}, 1);
    serve(audit, members[0], chain);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::checkpoint_mismatch, 4, "state digest");
}

BOOST_AUTO_TEST_CASE(a_checkpoint_without_a_quorum_of_signatures) {
    // Two of four members (a quorum is three), then three whose signatures are over other bytes.
    auto short_of_quorum = checkpoint_of(chain[1], builder.member_keys(2), 4);
    auto forged = checkpoint_of(chain[3], builder.quorum_keys(), 6);
    forged.checkpoint.billing[0].cost += 1;  // no longer what they signed
    auto audit = audit_with({short_of_quorum, forged}, 1);
    serve(audit, members[0], chain);
    audit.finish();
    const auto faults = audit.faults();
    BOOST_TEST_REQUIRE(faults.size() == 2u);
    check_fault(faults[0], audit_fault_kind::checkpoint_signatures, 2, "signatures");
    check_fault(faults[1], audit_fault_kind::checkpoint_signatures, 4, "signatures");
}

BOOST_AUTO_TEST_CASE(a_checkpoint_beyond_every_chain_is_unreached) {
    auto beyond = checkpoint_of(chain[4], builder.quorum_keys(), 8);
    auto audit = audit_with({beyond});
    std::vector<shard_block> short_chain(chain.begin(), chain.begin() + 3);
    serve(audit, members[0], short_chain);
    serve(audit, members[1], short_chain);
    audit.finish();
    check_fault(audit.first_fault(), audit_fault_kind::checkpoint_unreached, 5, "highest is 3");
}

BOOST_AUTO_TEST_CASE(the_first_fault_is_the_lowest_height) {
    auto late = chain;
    late[4].signatures.clear();
    chain_builder::sign(late[4], builder.member_keys(1));
    auto early = chain;
    early[1].entries[0].batch_hash.data[0] ^= 1;
    auto audit = audit_with();
    serve(audit, members[0], late);
    serve(audit, members[1], early);
    audit.finish();
    BOOST_TEST(audit.faults().size() == 2u);
    check_fault(audit.first_fault(), audit_fault_kind::shard_block, 2, "");
    BOOST_TEST((audit.first_fault()->member == members[1]));
}

BOOST_AUTO_TEST_CASE(checkpoints_in_a_main_block) {
    main_block block;
    block.header.height = block_height(31);
    const auto cp = checkpoint_of(chain[0], builder.quorum_keys(), 31);
    transaction t;
    t.sender = test::test_key(20).public_key();
    t.nonce = account_nonce(1);
    t.fee = 1;
    t.body = cp.checkpoint;
    t.sign(test::test_key(20));
    transaction other = t;
    auto other_database = cp.checkpoint;
    other_database.database.data[0] ^= 1;
    other.body = other_database;
    other.sign(test::test_key(20));
    block.transactions = {other, t};
    const auto found = checkpoints_in(block, builder.database());
    BOOST_TEST_REQUIRE(found.size() == 1u);
    BOOST_TEST(found[0].main_height.value == 31u);
    BOOST_TEST((found[0].transaction == t.hash()));
    BOOST_TEST((found[0].checkpoint == cp.checkpoint));
}

BOOST_AUTO_TEST_SUITE_END()
