# Kayak: Byzantine fault-tolerant replication of one database among its miners.
@0xa881411abe802cef;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using Common = import "common.capnp";
using Sql = import "sql.capnp";

# A batch's identity (its hash) does not include the view: a batch re-proposed by a new
# leader keeps its hash, so the chain of parents is the same whichever view committed it.
struct BatchHeader {
  database @0 :Data;
  seq @1 :UInt64;
  parent @2 :Data;          # hash of the batch at seq-1 (zero for seq 1)
  timestampMs @3 :Int64;    # the agreed time SQL sees in this batch
  requestsRoot @4 :Data;    # Merkle root over the requests' hashes
  requestCount @5 :UInt32;
  sealsBlock @6 :Bool;      # the shard-chain block ends with this batch (chosen by the leader)
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
  hasJustification @4 :Bool;
  justification @5 :Common.Certificate;
  # After a view change: the prepare certificate (from an earlier view) of the batch being
  # re-proposed, which lets a member locked on an older certificate for this seq move on.
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
  prepared @4 :List(PreparedBatch);     # every batch above lastCommitted the member prepared,
                                        # ascending by seq
  signature @5 :Data;
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
