// Main-chain catch-up messages (DESIGN.md section 6, issue 4): a producer that is behind
// asks a peer for the final blocks after its head (block_fetch) and gets a bounded run of
// them (block_fetch_reply), which it applies in order like any final block. Their wire form
// is BlockFetch and BlockFetchReply in protocols/schema/main_chain_sync.capnp; the codec is
// protocols/codec.hpp. Neither message is signed on its own (its envelope is): every block
// in a reply carries its proposer's and its finality signatures, which is what a receiver
// trusts, after checking that they are a quorum of its producer set.
#pragma once

#include <cstdint>
#include <vector>

#include "common/ids.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// Final blocks from_height, from_height + 1, ..., at most `count`
/// (1..limits::main_blocks_per_fetch_max).
struct block_fetch {
    block_height from_height;
    std::uint32_t count = 0;
    friend bool operator==(const block_fetch& a, const block_fetch& b) {
        return a.from_height == b.from_height && a.count == b.count;
    }
};

/// A run of consecutive final blocks, each linked to the one before (decode checks the
/// heights, the parent hashes, every signature, and that each block has finality
/// signatures; whether they are a quorum of the producer set is the receiver's check).
/// `head_height` is the server's last final height, an unsigned hint: at least the last
/// block's height.
struct block_fetch_reply {
    block_height head_height;
    std::vector<protocols::main_block> blocks;
    friend bool operator==(const block_fetch_reply& a, const block_fetch_reply& b) {
        return a.head_height == b.head_height && a.blocks == b.blocks;
    }
};

}  // namespace covenant::main_chain
