# Main-chain catch-up (issue 4): a producer that is behind asks a peer for the final blocks
# after its head, and replays them. Apart from main_chain.capnp, which holds the consensus
# messages, so that the two evolve separately.
@0x910095c1fb1d3a9d;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using MainChain = import "main_chain.capnp";

# Final blocks fromHeight, fromHeight + 1, ..., at most `count` of them (1..64).
struct BlockFetch {
  fromHeight @0 :UInt64;   # >= 1
  count @1 :UInt32;
}

# Consecutive, hash-linked final blocks (each with finality signatures), maybe fewer than
# asked (the server bounds a reply's size) or none (it does not have them). headHeight is
# the server's last final height: an unsigned hint that more can be fetched.
struct BlockFetchReply {
  headHeight @0 :UInt64;
  blocks @1 :List(MainChain.Block);
}
