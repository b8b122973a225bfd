// The block producers' consensus messages (DESIGN.md section 6, issue 4): round proposals,
// prevotes and precommits, and evidence of equivocation. Their wire form is BlockProposal,
// BlockVote and ProducerEvidence in protocols/schema/main_chain.capnp; the codec is
// protocols/codec.hpp. Kept apart from producer.hpp so that the codec can name them without
// the state machine. (A final block, with its finality certificate, is a plain main_block.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/bytes.hpp"
#include "common/ids.hpp"
#include "crypto/signing.hpp"
#include "protocols/main_chain_messages.hpp"

namespace covenant::main_chain {

/// proposer(height, round)'s proposal of `block` for round `round` of the block's height.
/// Either a block it built for this round (no valid_round; block.header.round == round and
/// the proposer is the block's), or a block that had a polka -- q prevotes -- in round
/// valid_round, proposed again unchanged (block.header.round <= valid_round < round; the
/// block keeps its first proposer's header signature).
struct block_proposal {
    protocols::main_block block;  // without finality signatures
    view_number round;
    std::optional<view_number> valid_round;
    public_key proposer;
    signature sig;  // main_round_proposal over signing_bytes()

    block_height height() const { return block.header.height; }
    /// Height, round, block hash and valid round.
    bytes signing_bytes() const;
    void sign(const crypto::key_pair& proposer_key);
    bool signature_valid() const;
    /// Why the parts do not fit together (see above; and a proposal carries no finality
    /// signatures), or nullopt. Signatures are not checked here.
    std::optional<std::string> shape_fault() const;
    friend bool operator==(const block_proposal& a, const block_proposal& b) {
        return a.block == b.block && a.round == b.round && a.valid_round == b.valid_round &&
               a.proposer == b.proposer && a.sig == b.sig;
    }
};

/// A producer's prevote or precommit at (height, round) for a block hash, or for nil (no
/// block). Signed whole: domain main_prevote or main_precommit over
/// protocols::producer_vote_signing_bytes(height, round, block_hash). A precommit for a
/// block is exactly a finality signature of that block with finality_round = round.
struct block_vote {
    enum class kind : std::uint8_t { prevote, precommit };
    block_height height;
    view_number round;
    kind what = kind::prevote;
    std::optional<digest> block_hash;  // nullopt: nil
    public_key signer;
    signature sig;

    static crypto::sign_domain domain_of(kind what) {
        return what == kind::prevote ? crypto::sign_domain::main_prevote
                                     : crypto::sign_domain::main_precommit;
    }
    bytes signing_bytes() const;
    void sign(const crypto::key_pair& signer_key);  // sets signer and sig
    bool signature_valid() const;
    friend bool operator==(const block_vote& a, const block_vote& b) {
        return a.height == b.height && a.round == b.round && a.what == b.what &&
               a.block_hash == b.block_hash && a.signer == b.signer && a.sig == b.sig;
    }
};

/// Proof that a producer equivocated, checkable by anyone:
///  - proposals: two different block headers for one (height, header round), both with
///    the header signature (main_block_proposal) of their proposer, the offender;
///  - votes: two votes of the offender for one (height, round, kind) with different
///    targets (two block hashes, or a block hash and nil).
/// On the wire the pair is in canonical order (see canonicalize()): headers by hash, votes
/// by target (nil first, then by hash).
struct producer_evidence {
    enum class kind : std::uint8_t { proposal, vote };
    struct proposals {
        protocols::main_block_header first, second;
        signature first_signature, second_signature;
        friend bool operator==(const proposals& a, const proposals& b) {
            return a.first == b.first && a.second == b.second &&
                   a.first_signature == b.first_signature &&
                   a.second_signature == b.second_signature;
        }
    };
    struct votes {
        block_vote first, second;
        friend bool operator==(const votes& a, const votes& b) {
            return a.first == b.first && a.second == b.second;
        }
    };
    std::variant<proposals, votes> proof;

    kind what() const { return proof.index() == 0 ? kind::proposal : kind::vote; }
    const public_key& offender() const;
    /// Why the pair is no offence -- not the same slot, not different, not the same
    /// offender (both headers of a proposal offence name it as proposer) -- or nullopt.
    /// Neither the order nor the signatures are checked here.
    std::optional<std::string> shape_fault() const;
    /// No shape fault and both signatures valid (in either order).
    bool valid() const;
    bool canonical() const;
    /// Swaps the pair into canonical order.
    void canonicalize();
    friend bool operator==(const producer_evidence& a, const producer_evidence& b) {
        return a.proof == b.proof;
    }
};

}  // namespace covenant::main_chain
