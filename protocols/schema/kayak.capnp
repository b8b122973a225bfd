# Kayak: Byzantine fault-tolerant replication of one database among its miners.
@0xa881411abe802cef;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using Common = import "common.capnp";
using Sql = import "sql.capnp";

struct BatchHeader {
  database @0 :Data;
  view @1 :UInt64;
  seq @2 :UInt64;
  parent @3 :Data;          # hash of the batch at seq-1 (zero for seq 1)
  timestampMs @4 :Int64;    # the agreed time SQL sees in this batch
  requestsRoot @5 :Data;    # Merkle root over the requests' hashes
  requestCount @6 :UInt32;
}

struct Batch {
  header @0 :BatchHeader;
  requests @1 :List(Sql.Request);
}

# The leader's signed claim that (database, view, seq) is this batch. Two different
# proposals for one slot by one leader are evidence.
struct Proposal {
  database @0 :Data;
  view @1 :UInt64;
  seq @2 :UInt64;
  batchHash @3 :Data;
  leader @4 :Data;
  signature @5 :Data;
}

struct Prepare {
  proposal @0 :Proposal;
  batch @1 :Batch;
  hasLastCommit @2 :Bool;
  lastCommit @3 :Common.Certificate;   # a commit certificate for an earlier seq, piggybacked
}

struct Vote {
  phase @0 :Common.VotePhase;
  database @1 :Data;
  view @2 :UInt64;
  seq @3 :UInt64;
  batchHash @4 :Data;
  voter @5 :Data;
  signature @6 :Data;
}

struct Commit {
  prepareCertificate @0 :Common.Certificate;
}

# A member's signature over what executing a batch produced.
struct Execution {
  database @0 :Data;
  view @1 :UInt64;
  seq @2 :UInt64;
  batchHash @3 :Data;
  resultsRoot @4 :Data;
  stateDigest @5 :Data;
  signer @6 :Data;
  signature @7 :Data;
}

# "No progress under this view": sent to the block producers.
struct Suspect {
  database @0 :Data;
  view @1 :UInt64;
  lastCommitted @2 :UInt64;
  member @3 :Data;
  signature @4 :Data;
}

struct PreparedBatch {
  certificate @0 :Common.Certificate;   # phase prepare
  batch @1 :Batch;
}

struct NewView {
  database @0 :Data;
  newView @1 :UInt64;
  lastCommitted @2 :UInt64;
  member @3 :Data;
  hasPrepared @4 :Bool;
  prepared @5 :PreparedBatch;           # the member's highest prepared batch
  signature @6 :Data;
}

# Catch-up: a lagging member asks a peer for committed batches.
struct FetchBatches {
  database @0 :Data;
  fromSeq @1 :UInt64;
  count @2 :UInt32;
}

struct CommittedBatch {
  batch @0 :Batch;
  commitCertificate @1 :Common.Certificate;
}

struct FetchReply {
  database @0 :Data;
  batches @1 :List(CommittedBatch);   # consecutive sequence numbers
}
