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
  finality @3 :List(Common.SignerSignature);   # producers' votes over the header hash
}

# A producer's finality vote: its main/block-vote signature over blockHash, the same
# signature a final Block carries in its finality list. Height and round are the block's,
# carried so a receiver without the block can file the vote; the signature does not cover
# them.
struct BlockVote {
  height @0 :UInt64;
  round @1 :UInt64;
  blockHash @2 :Data;
  signer @3 :Data;        # public key
  signature @4 :Data;
}

# A producer's wish to move `height` to `round` (>= 1), signed in the main/round-change
# domain over (height, round).
struct RoundChangeVote {
  height @0 :UInt64;
  round @1 :UInt64;
  signer @2 :Data;        # public key
  signature @3 :Data;
}

# Two different headers for one (height, round) that `offender` signed: as their proposer
# (proposal, main/block-proposal signatures) or as a voter (vote, main/block-vote). The
# pair is ordered by header hash, first < second, so one offence has one encoding.
struct ProducerEvidence {
  enum Kind {
    proposal @0;
    vote @1;
  }
  kind @0 :Kind;
  offender @1 :Data;      # public key
  first @2 :BlockHeader;
  firstSignature @3 :Data;
  second @4 :BlockHeader;
  secondSignature @5 :Data;
}
