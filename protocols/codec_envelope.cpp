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

namespace {

/// Whether every message of the envelope is a vote or an execution signed by the
/// envelope's sender: those signatures cover everything such a message says, and each one
/// is checked as it decodes, so the envelope's own signature would vouch for nothing more
/// (the kind and channel only choose a decoder and a subscriber; the payload's database id
/// is what a replica checks). This is the bulk of what followers send their leader: a
/// prepare vote, a commit vote and an execution per batch. The checks are remembered as
/// verified (crypto/verified_signatures.hpp), so the replica's own decoding of the same
/// messages verifies nothing again.
bool authenticated_by_its_messages(const envelope& m) {
    auto signed_by_sender = [&](message_kind kind, byte_view payload) {
        switch (kind) {
            case message_kind::kayak_vote: {
                auto v = decode_vote(payload);
                return v.ok() && v->voter == m.sender;
            }
            case message_kind::kayak_execution: {
                auto e = decode_execution(payload);
                return e.ok() && e->signer == m.sender;
            }
            default:
                return false;
        }
    };
    if (m.kind != message_kind::bundle) return signed_by_sender(m.kind, m.payload);
    auto items = decode_bundle(m.payload);
    if (!items) return false;
    for (const auto& item : *items)
        if (!signed_by_sender(item.kind, item.payload)) return false;
    return true;
}

}  // namespace

result<envelope> decode_envelope(byte_view wire, unsigned node_id_difficulty) {
    auto decoded = decode_root<wire::Envelope>(wire, [&](wire::Envelope::Reader in) {
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
        return m;
    });
    // Outside the envelope's own decoding: its messages' decoders have budgets of their own.
    if (decoded.ok() && !authenticated_by_its_messages(*decoded) && !decoded->signature_valid())
        return error{protocol_errc::bad_signature, "envelope: sender signature"};
    return decoded;
}

bytes encode_bundle(const std::vector<bundle_item>& items) {
    COVENANT_ASSERT(!items.empty() && items.size() <= limits::bundle_items_max,
                    "a bundle holds 1..bundle_items_max items");
    return encode_root<wire::EnvelopeBundle>([&](wire::EnvelopeBundle::Builder root) {
        auto list = root.initItems(static_cast<unsigned>(items.size()));
        for (unsigned i = 0; i < items.size(); ++i) {
            COVENANT_ASSERT(items[i].kind != message_kind::bundle, "bundles do not nest");
            list[i].setKind(static_cast<wire::MessageKind>(items[i].kind));
            if (!items[i].channel.empty()) list[i].setChannel(as_data(items[i].channel));
            list[i].setPayload(as_data(items[i].payload));
        }
    });
}

result<std::vector<bundle_item>> decode_bundle(byte_view wire) {
    return decode_root<wire::EnvelopeBundle>(wire, [&](wire::EnvelopeBundle::Reader in) {
        const auto list = in.getItems();
        require(list.size() >= 1, protocol_errc::invalid_value, "bundle: no items");
        if (list.size() > limits::bundle_items_max)
            reject(protocol_errc::limit_exceeded,
                   "bundle: more than " + std::to_string(limits::bundle_items_max) + " items");
        std::vector<bundle_item> items;
        items.reserve(list.size());
        for (auto item : list) {
            bundle_item out;
            out.kind = static_cast<message_kind>(
                check_enum(item.getKind(), message_kind_count, "bundle.item.kind"));
            require(out.kind != message_kind::bundle, protocol_errc::invalid_value,
                    "bundle.item.kind: a bundle inside a bundle");
            const auto channel = item.getChannel();
            if (!valid_envelope_channel(byte_view(channel.begin(), channel.size())))
                reject(protocol_errc::wrong_size,
                       "bundle.item.channel: " + std::to_string(channel.size()) +
                           " bytes, 0 or " + std::to_string(envelope_channel_bytes) + " expected");
            out.channel = read_data(channel, envelope_channel_bytes, "bundle.item.channel");
            out.payload = read_data(item.getPayload(), limits::message_bytes_max, "bundle.item.payload");
            require(!out.payload.empty(), protocol_errc::invalid_value, "bundle.item.payload is empty");
            items.push_back(std::move(out));
        }
        return items;
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
