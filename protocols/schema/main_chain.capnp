# The main chain: accounts, stakes, miners, databases, permissions, view changes.
@0x96b45f8620956cfd;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using Common = import "common.capnp";
using Kayak = import "kayak.capnp";

enum ConsistencyMode {
  strong @0;
  eventual @1;
}

enum Role {
  read @0;
  write @1;
  admin @2;
}

struct BillingLine {
  user @0 :Data;          # account address
  statements @1 :UInt64;
  cost @2 :UInt64;
}

struct Transaction {
  sender @0 :Data;        # public key
  nonce @1 :UInt64;       # the sender's next nonce
  fee @2 :UInt64;
  union {
    transfer :group { to @3 :Data; amount @4 :UInt64; }
    stake :group { amount @5 :UInt64; }
    unstake :group { amount @6 :UInt64; }
    voteProducers :group { candidates @7 :List(Data); }
    registerMiner :group {
      powNonce @8 :UInt64;            # node id = hash(sender || powNonce)
      deposit @9 :UInt64;
      capacity @10 :UInt32;           # databases it will serve
      pricePerStatement @11 :UInt64;
      endpoint @12 :Text;             # host:port
    }
    minerExit @13 :Void;
    createDatabase :group {
      minerCount @14 :UInt32;
      mode @15 :ConsistencyMode;
      advancePayment @16 :UInt64;
    }
    dropDatabase :group { database @17 :Data; }
    grantRole :group { database @18 :Data; user @19 :Data; role @20 :Role; }
    revokeRole :group { database @21 :Data; user @22 :Data; }
    suspectLeader @23 :Kayak.Suspect;
    shardCheckpoint :group {
      database @24 :Data;
      height @25 :UInt64;
      headHash @26 :Data;
      stateDigest @27 :Data;
      billing @28 :List(BillingLine);
      signatures @29 :List(Common.SignerSignature);   # members over the checkpoint
    }
    evidence @30 :Evidence;
  }
  signature @31 :Data;
}

# Two messages one member signed for the same slot that cannot both be honest. The pair
# is ordered (by batch hash, or by results root and state digest), so one offence has one
# encoding.
struct Evidence {
  union {
    conflictingVotes :group { first @0 :Kayak.Vote; second @1 :Kayak.Vote; }
    conflictingProposals :group { first @2 :Kayak.Proposal; second @3 :Kayak.Proposal; }
    conflictingExecutions :group { first @4 :Kayak.Execution; second @5 :Kayak.Execution; }
  }
}

struct BlockHeader {
  height @0 :UInt64;
  parent @1 :Data;
  epoch @2 :UInt64;
  round @3 :UInt64;
  proposer @4 :Data;
  timestampMs @5 :Int64;
  transactionsRoot @6 :Data;
  transactionCount @7 :UInt32;
  stateRoot @8 :Data;
}

struct Block {
  header @0 :BlockHeader;
  proposerSignature @1 :Data;
  transactions @2 :List(Transaction);
  # The finality certificate: producers' precommits (main/precommit over height,
  # finalityRound and the header hash) for this block, all of one round, sorted by signer.
  # Empty, with finalityRound 0, while the block is only proposed.
  finality @3 :List(Common.SignerSignature);
  finalityRound @4 :UInt64;
}

# proposer(height, round)'s proposal of a block for one round of its height (height is the
# block's): a block built for this round (validRound none, block.header.round = round), or a
# block that had q prevotes in validRound, proposed again unchanged (header round <=
# validRound < round). Signed by `proposer` (main/round-proposal) over height, round, block
# hash and validRound. The block carries no finality signatures.
struct BlockProposal {
  round @0 :UInt64;
  validRound :union {
    none @1 :Void;
    round @2 :UInt64;
  }
  block @3 :Block;
  proposer @4 :Data;      # public key
  signature @5 :Data;
}

# A producer's prevote or precommit at (height, round) for a block hash or for nil, signed
# whole (main/prevote or main/precommit over height, round and the target). A precommit for
# a block is exactly a finality signature of that block in that round.
struct BlockVote {
  enum Kind {
    prevote @0;
    precommit @1;
  }
  height @0 :UInt64;
  round @1 :UInt64;
  kind @2 :Kind;
  target :union {
    nil @3 :Void;
    block @4 :Data;       # the block hash
  }
  signer @5 :Data;        # public key
  signature @6 :Data;
}

# A producer's equivocation, in canonical order so one offence has one encoding:
#  proposals: two different headers for one (height, header round), both with their
#    proposer's main/block-proposal signature, ordered by header hash;
#  votes: two votes of one producer for one (height, round, kind) with different targets,
#    ordered by target (nil first, then by hash).
struct ProducerEvidence {
  union {
    proposals :group {
      first @0 :BlockHeader;
      firstSignature @1 :Data;
      second @2 :BlockHeader;
      secondSignature @3 :Data;
    }
    votes :group {
      first @4 :BlockVote;
      second @5 :BlockVote;
    }
  }
}
