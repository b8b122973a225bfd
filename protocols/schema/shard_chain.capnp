# The shard chain of one database: hash-linked blocks that record committed batches.
@0xc3c9e669218147a0;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using Common = import "common.capnp";

struct ShardEntry {
  view @0 :UInt64;
  seq @1 :UInt64;
  batchHash @2 :Data;
  resultsRoot @3 :Data;
  stateDigest @4 :Data;
  commitCertificate @5 :Common.Certificate;
}

struct ShardBlockHeader {
  database @0 :Data;
  height @1 :UInt64;
  parent @2 :Data;          # hash of the block at height-1 (zero for height 1)
  timestampMs @3 :Int64;
  firstSeq @4 :UInt64;
  entryCount @5 :UInt32;
  entriesRoot @6 :Data;     # Merkle root over the entries' hashes
  stateDigest @7 :Data;     # state after the last entry
}

struct ShardBlock {
  header @0 :ShardBlockHeader;
  entries @1 :List(ShardEntry);
  signatures @2 :List(Common.SignerSignature);   # members over the header hash
}

# A member's signature over a shard block it built from the committed batches: every honest
# member builds the same block, so q of these complete it.
struct ShardBlockVote {
  database @0 :Data;
  height @1 :UInt64;
  blockHash @2 :Data;
  signer @3 :Data;
  signature @4 :Data;
  # Empty, or the signer's signature over the checkpoint of this block (domain
  # shard/checkpoint: database, height, block hash, state digest, billing), which the
  # receiver checks against the checkpoint it built itself.
  checkpointSignature @5 :Data;
}

# Catch-up on stored blocks: a member that could not complete a block (it executed the
# batches after the others had gathered their signatures, e.g. a replacement member), or
# anyone verifying a database's chain, asks a member for stored blocks from a height.
struct ShardBlockFetch {
  database @0 :Data;
  fromHeight @1 :UInt64;   # >= 1
  count @2 :UInt32;        # 1 .. 16
}

# Consecutive, hash-linked stored blocks from the height asked (fewer near the head, none if
# the server has none there), and the server's head height as an unsigned hint.
struct ShardBlockFetchReply {
  database @0 :Data;
  headHeight @1 :UInt64;
  blocks @2 :List(ShardBlock);
}
