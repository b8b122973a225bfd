// The producer_message <-> wire mapping (see producer_wire.hpp). Changing the consensus
// message set means changing the kinds list and the three functions below that name the
// alternatives, and nothing else (encode_producer_message does not compile while an
// alternative has no kind).
#include "protocols/main_chain/producer_wire.hpp"

#include <algorithm>
#include <type_traits>

#include "protocols/codec.hpp"

namespace covenant::main_chain {

using protocols::message_kind;

namespace {

template <class T>
result<producer_message> wrap(result<T> decoded) {
    if (!decoded) return decoded.failure();
    return producer_message{std::move(decoded).value()};
}

block_height saturating_next(block_height h) {
    return h.value == block_height::max_value ? h : h.next();
}

}  // namespace

const std::vector<message_kind>& producer_message_kinds() {
    static const std::vector<message_kind> kinds{
        message_kind::main_block_proposal, message_kind::main_block, message_kind::main_block_vote,
        message_kind::main_transaction};
    return kinds;
}

bool is_producer_message_kind(message_kind kind) {
    const auto& kinds = producer_message_kinds();
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

producer_wire_message encode_producer_message(const producer_message& message) {
    return std::visit(
        [](const auto& body) -> producer_wire_message {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, block_proposal>)
                return {message_kind::main_block_proposal, protocols::encode(body)};
            else if constexpr (std::is_same_v<T, protocols::main_block>)
                return {message_kind::main_block, protocols::encode(body)};
            else if constexpr (std::is_same_v<T, block_vote>)
                return {message_kind::main_block_vote, protocols::encode(body)};
            else if constexpr (std::is_same_v<T, protocols::transaction>)
                return {message_kind::main_transaction, protocols::encode(body)};
            else
                static_assert(!sizeof(T), "a producer_message alternative without a wire kind");
        },
        message.body);
}

result<producer_message> decode_producer_message(message_kind kind, byte_view payload) {
    switch (kind) {
        case message_kind::main_block_proposal:
            return wrap(protocols::decode_block_proposal(payload));
        case message_kind::main_block:
            return wrap(protocols::decode_main_block(payload));
        case message_kind::main_block_vote:
            return wrap(protocols::decode_block_vote(payload));
        case message_kind::main_transaction:
            return wrap(protocols::decode_transaction(payload));
        default:
            break;
    }
    return error{protocols::protocol_errc::unknown_enum,
                 "envelope kind " + std::to_string(static_cast<unsigned>(kind)) +
                     " carries no producer message"};
}

const protocols::transaction* transaction_in(const producer_message& message) {
    return std::get_if<protocols::transaction>(&message.body);
}

std::optional<block_height> sender_height_hint(const producer_message& message) {
    return std::visit(
        [](const auto& body) -> std::optional<block_height> {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, block_proposal>)
                return body.height();
            else if constexpr (std::is_same_v<T, protocols::main_block>)
                // A final block (a proposed one is refused by the producer): its sender
                // has it, so decides the height above.
                return body.finality.empty() ? body.header.height
                                             : saturating_next(body.header.height);
            else if constexpr (std::is_same_v<T, block_vote>)
                return body.height;
            else
                return std::nullopt;
        },
        message.body);
}

}  // namespace covenant::main_chain
