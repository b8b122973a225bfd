// Building and verifying shard-chain blocks (see shard_chain.hpp for the rules).
#include "protocols/shard_chain.hpp"

#include <algorithm>

#include "common/assert.hpp"
#include "crypto/signing.hpp"
#include "protocols/limits.hpp"
#include "protocols/merkle.hpp"

namespace covenant::protocols {
namespace {

std::string text(std::uint64_t value) {
    return std::to_string(value);
}

bool certificate_is_for(const certificate& cert, const database_id& database,
                        const shard_entry& entry) {
    return cert.database == database && cert.view == entry.view && cert.seq == entry.seq &&
           cert.batch_hash == entry.batch_hash;
}

// The position a block following `head` must take. A head at the last representable
// height has no next position; the fault is then reported at the head's own height.
block_height next_position(const shard_chain_head& head) {
    return head.height.value == block_height::max_value ? head.height : head.height.next();
}

std::optional<std::string> sequence_continuation_fault(const shard_chain_head& head,
                                                       const shard_block_header& header) {
    if (head.last_seq.value == sequence_number::max_value) return "sequence numbers exhausted";
    const sequence_number expected = head.last_seq.next();
    if (header.first_seq == expected) return std::nullopt;
    const std::string found =
        "first seq " + text(header.first_seq.value) + ", expected " + text(expected.value);
    if (header.first_seq < expected)
        return "sequence overlap: " + found + " (already in an earlier block)";
    return "sequence gap: " + found + " (seqs " + text(expected.value) + ".." +
           text(header.first_seq.value - 1) + " missing)";
}

std::optional<std::string> entry_seqs_fault(const shard_block& block) {
    sequence_number expected = block.header.first_seq;
    for (std::size_t i = 0; i < block.entries.size(); ++i) {
        const auto seq = block.entries[i].seq;
        if (seq != expected)
            return "entry " + text(i) + " has seq " + text(seq.value) + ", expected " +
                   text(expected.value) + " (entries must be consecutive from first seq)";
        if (i + 1 == block.entries.size()) break;
        if (expected.value == sequence_number::max_value) return "sequence numbers exhausted";
        expected = expected.next();
    }
    return std::nullopt;
}

std::optional<std::string> entry_certificate_fault(const shard_block& block,
                                                   const shard_entry& entry,
                                                   const group_history& groups) {
    const auto& cert = entry.commit_certificate;
    const std::string where = "entry seq " + text(entry.seq.value) + ": ";
    if (cert.phase != vote_phase::commit)
        return where + "a prepare certificate where a commit certificate is needed";
    if (!certificate_is_for(cert, block.header.database, entry))
        return where + "certificate is for another slot (database, view, seq or batch hash)";
    if (auto fault = certificate_fault(cert, groups)) return where + "commit " + *fault;
    return std::nullopt;
}

}  // namespace

shard_block build_shard_block(const database_id& database, block_height height,
                              const digest& parent_hash, std::int64_t timestamp_ms,
                              std::vector<shard_entry> entries) {
    COVENANT_ASSERT(height.value >= 1, "shard chain heights start at 1");
    COVENANT_ASSERT((height.value == 1) == parent_hash.is_zero(),
                    "block 1 and only block 1 has the zero parent");
    COVENANT_ASSERT(timestamp_ms >= 0, "block timestamp before the epoch");
    COVENANT_ASSERT(!entries.empty(), "a shard block records at least one batch");
    COVENANT_ASSERT(entries.size() <= limits::shard_entries_per_block_max,
                    "too many entries for one shard block");
    for (std::size_t i = 1; i < entries.size(); ++i)
        COVENANT_ASSERT(entries[i - 1].seq.value != sequence_number::max_value &&
                            entries[i].seq == entries[i - 1].seq.next(),
                        "shard block entries must have consecutive seqs");
    for (const auto& entry : entries)
        COVENANT_ASSERT(certificate_is_for(entry.commit_certificate, database, entry) &&
                            entry.commit_certificate.phase == vote_phase::commit,
                        "shard entry carries the commit certificate of another slot");

    shard_block block;
    block.header.database = database;
    block.header.height = height;
    block.header.parent = parent_hash;
    block.header.timestamp_ms = timestamp_ms;
    block.entries = std::move(entries);
    block.seal_header();
    return block;
}

shard_chain_head shard_chain_head::before_first_block(const database_id& database) {
    shard_chain_head head;
    head.database = database;
    return head;  // height 0, zero hash, last seq 0: block 1 starts at seq 1
}

shard_chain_head shard_chain_head::after(const shard_block& block) {
    COVENANT_ASSERT(!block.entries.empty(), "a chain head is a block with entries");
    shard_chain_head head;
    head.database = block.header.database;
    head.height = block.header.height;
    head.hash = block.hash();
    head.last_seq = block.entries.back().seq;
    return head;
}

std::optional<std::string> shard_block_link_fault(const shard_chain_head& head,
                                                  const shard_block& block) {
    const auto& header = block.header;
    if (header.database != head.database)
        return "block of database " + header.database.hex() + " in the chain of database " +
               head.database.hex();
    if (head.height.value == block_height::max_value) return "chain heights exhausted";
    if (header.height != head.height.next())
        return "block has height " + text(header.height.value) + ", expected " +
               text(head.height.next().value);
    if (header.parent != head.hash) {
        if (head.height.value == 0) return "the first block's parent is not the zero digest";
        return "parent " + header.parent.hex() + " is not the hash of block " +
               text(head.height.value) + " (" + head.hash.hex() + ")";
    }
    return sequence_continuation_fault(head, header);
}

std::optional<std::string> shard_block_structure_fault(const shard_block& block) {
    const auto& header = block.header;
    if (block.entries.empty()) return "block has no entries";
    if (block.entries.size() > limits::shard_entries_per_block_max)
        return "block has " + text(block.entries.size()) + " entries, at most " +
               text(limits::shard_entries_per_block_max) + " allowed";
    if (header.entry_count != block.entries.size())
        return "header counts " + text(header.entry_count) + " entries, block has " +
               text(block.entries.size());
    if (header.timestamp_ms < 0) return "negative timestamp";
    if (auto fault = entry_seqs_fault(block)) return fault;

    std::vector<digest> entry_hashes;
    entry_hashes.reserve(block.entries.size());
    for (const auto& entry : block.entries) entry_hashes.push_back(entry.hash());
    if (merkle_root(entry_hashes) != header.entries_root)
        return "entries root differs from the entries (an entry was altered)";
    if (header.state_digest != block.entries.back().state_digest)
        return "state digest " + header.state_digest.hex() + " differs from the last entry's (" +
               block.entries.back().state_digest.hex() + ")";
    return std::nullopt;
}

const group& shard_block_group(const shard_block& block, const group_history& groups) {
    view_number latest;
    for (const auto& entry : block.entries) latest = std::max(latest, entry.commit_certificate.view);
    return groups.at(latest);
}

std::optional<std::string> shard_block_signatures_fault(const shard_block& block,
                                                        const group_history& groups) {
    for (const auto& entry : block.entries)
        if (auto fault = entry_certificate_fault(block, entry, groups)) return fault;
    const group& members = shard_block_group(block, groups);
    // Signatures last: they are the expensive check, and a structurally bad block
    // has already been reported above.
    if (auto fault = signer_set_fault(block.signatures, members, members.quorum(),
                                      crypto::sign_domain::shard_block, block.signing_bytes()))
        return "block signatures: " + *fault;
    return std::nullopt;
}

std::optional<chain_fault> verify_next_shard_block(const shard_chain_head& head,
                                                   const shard_block& block,
                                                   const group_history& members) {
    // Cheapest first, so a broken link or header is named before any signature is checked.
    auto fault = shard_block_link_fault(head, block);
    if (!fault) fault = shard_block_structure_fault(block);
    if (!fault) fault = shard_block_signatures_fault(block, members);
    if (!fault) return std::nullopt;
    return chain_fault{next_position(head), std::move(*fault)};
}

std::optional<chain_fault> verify_shard_chain_from(const shard_chain_head& head,
                                                   const std::vector<shard_block>& blocks,
                                                   const group_history& members) {
    shard_chain_head current = head;
    for (const auto& block : blocks) {
        if (auto fault = verify_next_shard_block(current, block, members)) return fault;
        current = shard_chain_head::after(block);
    }
    return std::nullopt;
}

std::optional<chain_fault> verify_shard_chain(const std::vector<shard_block>& blocks,
                                              const group_history& members) {
    if (blocks.empty()) return std::nullopt;
    const auto genesis = shard_chain_head::before_first_block(blocks.front().header.database);
    return verify_shard_chain_from(genesis, blocks, members);
}

}  // namespace covenant::protocols
