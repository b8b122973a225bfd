// Internal to the codec: readers and writers of the schema pieces that several top-level
// messages share (requests, certificates, batches, votes...). Readers validate fully and
// throw codec::decode_failure; see codec_support.hpp.
#pragma once

#include "protocols/codec_support.hpp"
#include "protocols/kayak_messages.hpp"
#include "schema/common.capnp.h"
#include "schema/kayak.capnp.h"
#include "schema/sql.capnp.h"

namespace covenant::protocols::codec {

void write_request(wire::Request::Builder out, const client_request& r);
client_request read_request(wire::Request::Reader in);
/// The same, and the request's hash (computed once: its signature check needs it too).
client_request read_request(wire::Request::Reader in, digest& hash);

void write_certificate(wire::Certificate::Builder out, const certificate& c);
/// A certificate of the expected phase with 1..group_members_max valid, ordered votes.
certificate read_certificate(wire::Certificate::Reader in, vote_phase expected_phase,
                             const char* field);

void write_batch(wire::Batch::Builder out, const batch& b);
/// A batch whose requests are valid, belong to its database, and match its header.
batch read_batch(wire::Batch::Reader in);

void write_vote(wire::Vote::Builder out, const vote& v);
vote read_vote(wire::Vote::Reader in);
void write_proposal(wire::Proposal::Builder out, const proposal& p);
proposal read_proposal(wire::Proposal::Reader in);
void write_execution(wire::Execution::Builder out, const execution_message& e);
execution_message read_execution(wire::Execution::Reader in);
void write_suspect(wire::Suspect::Builder out, const suspect_message& s);
suspect_message read_suspect(wire::Suspect::Reader in);

}  // namespace covenant::protocols::codec
