// The block producers' messages (DESIGN.md section 6, issue 4): finality votes, round-change
// votes and evidence of equivocation. Their wire form is BlockVote, RoundChangeVote and
// ProducerEvidence in protocols/schema/main_chain.capnp; the codec is protocols/codec.hpp.
// Kept apart from producer.hpp so that the codec can name them without the state machine.
#pragma once

#include <cstdint>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "crypto/signing.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// A producer's finality vote: `sig` is the signer's main_block_vote signature over
/// block_hash (the same signature that goes into main_block.finality). Height and round
/// are those of the block's header, carried so a receiver without the block can file it;
/// the signature does not cover them (it must equal the block's finality signature).
struct block_vote {
    block_height height;
    view_number round;
    digest block_hash;
    public_key signer;
    signature sig;
    bool signature_valid() const;
    friend bool operator==(const block_vote& a, const block_vote& b) {
        return a.height == b.height && a.round == b.round && a.block_hash == b.block_hash &&
               a.signer == b.signer && a.sig == b.sig;
    }
};

/// A producer's wish to leave round `round - 1` of `height` for `round`.
struct round_change_vote {
    block_height height;
    view_number round;
    public_key signer;
    signature sig;  // main_round_change over round_change_signing_bytes(height, round)
    bool signature_valid() const;
    friend bool operator==(const round_change_vote& a, const round_change_vote& b) {
        return a.height == b.height && a.round == b.round && a.signer == b.signer &&
               a.sig == b.sig;
    }
};
bytes round_change_signing_bytes(block_height height, view_number round);

/// Proof that `offender` signed two different headers for one (height, round): as the
/// proposer of that slot (proposal), or as a voter (vote). Checkable by anyone. On the wire
/// the pair is in canonical order, first.hash() < second.hash() (see canonicalize()).
struct producer_evidence {
    enum class kind : std::uint8_t { proposal, vote };
    kind what = kind::proposal;
    public_key offender;
    protocols::main_block_header first, second;
    signature first_signature, second_signature;
    /// Same (height, round), different headers, both signatures valid in the domain of
    /// `what` (and for a proposal, the headers name the offender as proposer).
    bool valid() const;
    /// Swaps the pair (headers with their signatures) into canonical order.
    void canonicalize();
    friend bool operator==(const producer_evidence& a, const producer_evidence& b) {
        return a.what == b.what && a.offender == b.offender && a.first == b.first &&
               a.second == b.second && a.first_signature == b.first_signature &&
               a.second_signature == b.second_signature;
    }
};

}  // namespace covenant::main_chain
