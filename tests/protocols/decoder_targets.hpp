// Every decoder behind one interface, with valid sample messages for each: the fuzz test
// and the libFuzzer target drive the decoders through this table.
//
// To tell a harmless accepted mutation from a forgery, each accepted message is split into
// a skeleton and a set of parts. Most messages are covered whole by one signature: the
// skeleton is the whole message and there are no parts, so an accepted mutation must be
// exactly a sample. Some messages legitimately stay valid when shortened: a certificate or
// block with fewer signatures, a catch-up reply with fewer batches, a PREPARE without its
// piggybacked certificates (they authenticate themselves, outside the leader's signature). There the signer
// entries (and catch-up batches) are parts, taken out of the skeleton; an accepted mutation
// must have a sample's skeleton and only parts that sample has. A mutation can drop
// signatures, never invent one.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.hpp"

namespace covenant::test {

struct message_form {
    bytes skeleton;
    std::set<bytes> parts;
    friend bool operator==(const message_form& a, const message_form& b) {
        return a.skeleton == b.skeleton && a.parts == b.parts;
    }
};

struct decoder_target {
    std::string name;
    /// Valid encoded samples of this message type.
    std::vector<bytes> samples;
    /// False for messages no signature covers (a fetch request): there any accepted input
    /// only has to be stable under re-encoding.
    bool signed_message = true;
    /// Decodes; on success returns the re-encoding and the message's form.
    std::function<std::optional<std::pair<bytes, message_form>>(byte_view)> decode;
};

/// The envelope target requires this many leading zero bits of its sender.
inline constexpr unsigned fuzz_envelope_difficulty = 4;

std::vector<decoder_target> all_decoder_targets();

}  // namespace covenant::test
