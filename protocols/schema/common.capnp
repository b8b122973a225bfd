# Building blocks shared by every Covenant schema.
# Fixed-size byte strings travel as Data and are checked for exact length by the decoders:
# public keys and node ids 32 bytes, digests 32, signatures 64.
@0xb1cf086b9f07a55f;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");

# One member's signature, as gathered into certificates and block signature lists.
# Lists of these are sorted by signer, strictly ascending (so one signer appears once).
struct SignerSignature {
  signer @0 :Data;      # Ed25519 public key, 32 bytes
  signature @1 :Data;   # 64 bytes
}

enum VotePhase {
  prepare @0;
  commit @1;
}

# q signatures of one phase over the same (database, view, seq, batch hash).
struct Certificate {
  phase @0 :VotePhase;
  database @1 :Data;
  view @2 :UInt64;
  seq @3 :UInt64;
  batchHash @4 :Data;
  votes @5 :List(SignerSignature);
}
