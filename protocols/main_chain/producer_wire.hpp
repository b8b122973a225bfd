// The one mapping between the block producers' consensus messages (producer_message, in
// producer.hpp) and the wire: which envelope kind carries each alternative, and which codec
// function encodes and decodes it. Actors and simulators go through here and never name the
// alternatives themselves, so a change of the consensus message set (a new vote phase, a
// renamed message) is made in producer_wire.cpp and nowhere else.
//
// The catch-up messages (block_fetch, block_fetch_reply in sync_messages.hpp) are not
// producer_messages: the pure producer never sees them; the actor serves and applies them.
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "protocols/envelope.hpp"
#include "protocols/main_chain/producer.hpp"

namespace covenant::main_chain {

/// A producer_message as it travels: the payload of an envelope of kind `kind`.
struct producer_wire_message {
    protocols::message_kind kind = protocols::message_kind::main_block;
    bytes payload;
};

/// Every envelope kind that carries a producer_message: what a producer subscribes to.
const std::vector<protocols::message_kind>& producer_message_kinds();
bool is_producer_message_kind(protocols::message_kind kind);

producer_wire_message encode_producer_message(const producer_message& message);

/// Decodes an envelope payload of one of producer_message_kinds() with that kind's
/// validating decoder. Bad bytes, or a kind that carries no producer_message, give an
/// error value (protocol_errc), never an assertion.
result<producer_message> decode_producer_message(protocols::message_kind kind, byte_view payload);

/// A client transaction travels as a producer_message too; this is it, or null. (A
/// producer takes a peer's copy as gossip and a client's as new: see producer::on_transaction.)
const protocols::transaction* transaction_in(const producer_message& message);

/// The least height the sender must be deciding to have sent `message` (it has every final
/// block below it): the height of a proposal or vote, one above a final block's; nullopt
/// for a message that says nothing about the sender's chain (a transaction). A hint from an
/// unsigned position (the envelope's sender, not the message's signer), for deciding to
/// catch up, nothing more.
std::optional<block_height> sender_height_hint(const producer_message& message);

}  // namespace covenant::main_chain
