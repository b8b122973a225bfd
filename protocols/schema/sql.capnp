# What clients send (SQL requests) and what they get back (results with their proofs).
@0x981aac61e1212860;
using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("covenant::wire");
using Common = import "common.capnp";

# A SQLite value, carried exactly.
struct Value {
  union {
    null @0 :Void;
    integer @1 :Int64;
    real @2 :Float64;    # NaN is refused (SQLite stores it as NULL anyway)
    text @3 :Text;       # UTF-8
    blob @4 :Data;
  }
}

# A bound parameter: positional when name is empty, else ":name", "@name" or "$name".
struct Parameter {
  name @0 :Text;
  value @1 :Value;
}

# One run's parameters, when a statement runs once per set.
struct ParameterSet {
  parameters @0 :List(Parameter);
}

struct Statement {
  sql @0 :Text;
  parameters @1 :List(Parameter);
  # Not empty: the statement runs once per set, in order (parameters is then empty), and
  # gives one result: every run's rows in order, the affected rows summed, the last run's
  # insert id.
  parameterSets @2 :List(ParameterSet);
}

enum QueryKind {
  read @0;
  write @1;
}

# A client's signed request. Its statements apply atomically (all or none).
struct Request {
  database @0 :Data;       # 32 bytes
  client @1 :Data;         # the client's public key, 32 bytes
  sequence @2 :UInt64;     # per (client, database), strictly increasing
  timestampMs @3 :Int64;   # client's clock; the batch timestamp is what SQL sees
  kind @4 :QueryKind;
  statements @5 :List(Statement);
  signature @6 :Data;      # client over everything above (domain client/request), or, when
                           # signedCount > 1, over the Merkle root of the hashes of the
                           # signedCount requests it signed at once (domain
                           # client/request-batch): this one is number signedIndex, and
                           # signedPath leads from its hash to that root
  signedIndex @7 :UInt32;
  signedCount @8 :UInt32 = 1;
  signedPath @9 :List(Data);
}

struct Row {
  values @0 :List(Value);
}

struct StatementResult {
  columns @0 :List(Text);
  rows @1 :List(Row);
  affectedRows @2 :UInt64;
  lastInsertId @3 :Int64;
}

# A request that executed but failed: SQLite's code and message, and which statement.
struct SqlFailure {
  statementIndex @0 :UInt32;
  code @1 :Int32;
  message @2 :Text;
}

struct Outcome {
  requestHash @0 :Data;
  union {
    results @1 :List(StatementResult);
    failure @2 :SqlFailure;
  }
}

# A member's signature over a batch's results root and the state after it.
struct ExecutionSignature {
  signer @0 :Data;
  signature @1 :Data;
}

# Proof that a write committed with the results the client got (strong mode): the commit
# certificate over the batch, the outcome's Merkle path to the results root, and members'
# signatures over that root.
struct WriteReceipt {
  view @0 :UInt64;
  seq @1 :UInt64;
  batchHash @2 :Data;
  commitCertificate @3 :Common.Certificate;
  resultsRoot @4 :Data;
  stateDigest @5 :Data;
  leafIndex @6 :UInt32;
  leafCount @7 :UInt32;
  path @8 :List(Data);
  executions @9 :List(Common.SignerSignature);   # sorted by signer
}

enum RejectionReason {
  malformed @0;
  badSignature @1;
  notPermitted @2;
  staleSequence @3;
  notLeader @4;
  overloaded @5;
  unknownDatabase @6;
  outOfFunds @7;
  nondeterministic @8;
  unavailable @9;
}

struct Rejection {
  reason @0 :RejectionReason;
  message @1 :Text;
  leaderHint @2 :Data;   # empty, or the public key of the member to ask instead
}

# A member's answer to one request, signed by that member.
struct Response {
  database @0 :Data;
  requestHash @1 :Data;
  responder @2 :Data;
  stateSeq @3 :UInt64;     # the last batch applied to the state that answered
  stateDigest @4 :Data;
  union {
    rejected @5 :Rejection;
    executed @6 :Outcome;
  }
  hasReceipt @7 :Bool;
  receipt @8 :WriteReceipt;
  signature @9 :Data;      # responder over everything above (domain client/response), or
                           # over the Merkle root of several answers, as Request.signature
                           # (domain client/response-batch)
  signedIndex @10 :UInt32;
  signedCount @11 :UInt32 = 1;
  signedPath @12 :List(Data);
}
