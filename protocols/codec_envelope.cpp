// Codec of the envelope.
#include "common/assert.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/codec_support.hpp"
#include "schema/envelope.capnp.h"

namespace covenant::protocols {

using namespace codec;

bytes encode(const envelope& m) {
    return encode_root<wire::Envelope>([&](wire::Envelope::Builder root) {
        root.setSender(as_data(m.sender));
        root.setSenderNonce(m.sender_nonce);
        root.setKind(static_cast<wire::MessageKind>(m.kind));
        root.setPayload(as_data(m.payload));
        root.setSignature(as_data(m.sender_signature));
        if (!m.channel.empty()) root.setChannel(as_data(m.channel));
    });
}

result<envelope> decode_envelope(byte_view wire, unsigned node_id_difficulty) {
    return decode_root<wire::Envelope>(wire, [&](wire::Envelope::Reader in) {
        envelope m;
        m.sender = read_fixed<public_key>(in.getSender(), "envelope.sender");
        m.sender_nonce = in.getSenderNonce();
        // Proof of work first: it costs one hash; copying the payload and checking the
        // signature cost far more.
        if (!crypto::node_id_meets_difficulty(m.sender, m.sender_nonce, node_id_difficulty))
            reject(protocol_errc::insufficient_work,
                   "sender's node id has fewer than " + std::to_string(node_id_difficulty) +
                       " leading zero bits");
        m.kind = static_cast<message_kind>(check_enum(in.getKind(), message_kind_count, "envelope.kind"));
        const auto channel = in.getChannel();
        if (!valid_envelope_channel(byte_view(channel.begin(), channel.size())))
            reject(protocol_errc::wrong_size,
                   "envelope.channel: " + std::to_string(channel.size()) + " bytes, 0 or " +
                       std::to_string(envelope_channel_bytes) + " expected");
        m.channel = read_data(channel, envelope_channel_bytes, "envelope.channel");
        m.payload = read_data(in.getPayload(), limits::message_bytes_max, "envelope.payload");
        require(!m.payload.empty(), protocol_errc::invalid_value, "envelope.payload is empty");
        m.sender_signature = read_fixed<signature>(in.getSignature(), "envelope.signature");
        charge_signature_check("envelope: sender signature");
        if (!m.signature_valid()) reject(protocol_errc::bad_signature, "envelope: sender signature");
        return m;
    });
}

envelope seal_envelope(const crypto::key_pair& sender, std::uint64_t sender_nonce,
                       message_kind kind, bytes payload, bytes channel) {
    COVENANT_ASSERT(valid_envelope_channel(channel), "an envelope channel is empty or 32 bytes");
    envelope m;
    m.sender = sender.public_key();
    m.sender_nonce = sender_nonce;
    m.kind = kind;
    m.payload = std::move(payload);
    m.channel = std::move(channel);
    m.sign(sender);
    return m;
}

}  // namespace covenant::protocols
