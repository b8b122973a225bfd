# How far one member of a database is, asked by anyone (a client gateway for `cql info`) and
# answered by the member, signed, so that whoever relays the answer cannot change it.
@0xa4e1f3b7c2d95e61;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");

struct MemberStatusQuery {
  database @0 :Data;    # 32 bytes
  challenge @1 :Data;   # 32 bytes chosen by the asker, signed back: the answer is fresh
}

struct MemberStatus {
  database @0 :Data;
  challenge @1 :Data;
  member @2 :Data;         # the member's public key
  view @3 :UInt64;
  lastCommitted @4 :UInt64;
  lastExecuted @5 :UInt64;
  stateDigest @6 :Data;    # after lastExecuted
  shardHeight @7 :UInt64;  # blocks in its stored shard chain
  shardHead @8 :Data;      # the head block's hash; zero when shardHeight is 0
  timestampMs @9 :Int64;   # the member's clock when it answered
  signature @10 :Data;     # the member over all of the above, domain "member/status"
}
