# The envelope: the only thing that travels between nodes. The payload is one of the
# other schemas, named by kind; the signature covers kind, sender, nonce, payload and
# channel.
@0xd8117e2c445ae56a;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");

enum MessageKind {
  clientRequest @0;
  clientResponse @1;
  kayakPrepare @2;
  kayakVote @3;
  kayakCommit @4;
  kayakCommitCertificate @5;
  kayakExecution @6;
  kayakSuspect @7;
  kayakNewView @8;
  kayakFetch @9;
  kayakFetchReply @10;
  shardBlock @11;
  mainTransaction @12;
  mainBlock @13;
  shardBlockVote @14;
  mainBlockVote @15;
  mainBlockProposal @16;
  mainProducerEvidence @17;
  mainBlockFetch @18;
  mainBlockFetchReply @19;
  shardBlockFetch @20;
  shardBlockFetchReply @21;
  memberStatusQuery @22;
  memberStatus @23;
  bundle @24;      # payload: an EnvelopeBundle
  kayakExecutionWanted @25;  # payload: a Kayak Execution; the receiver answers with its own
}

struct Envelope {
  sender @0 :Data;        # public key, 32 bytes
  senderNonce @1 :UInt64; # node id = hash(sender || senderNonce), must meet the difficulty
  kind @2 :MessageKind;
  payload @3 :Data;
  signature @4 :Data;     # sender over (kind, sender, nonce, SHA-256(payload), channel), domain "envelope"
  channel @5 :Data;       # empty, or 32 bytes: the database id of database traffic. It picks
                          # the receiving node's subscriber and nothing else.
}

# The payload of a `bundle` envelope: messages to one node, covered by that envelope's one
# signature. An item is never a bundle itself.
struct EnvelopeBundle {
  items @0 :List(BundleItem);
}

struct BundleItem {
  kind @0 :MessageKind;
  channel @1 :Data;   # as Envelope.channel
  payload @2 :Data;
}
