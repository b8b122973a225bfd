// Internal to the codec (.cpp files only): the decoding boundary and field readers.
//
// Field readers throw decode_failure; decode_root() is the one place that catches it (and
// Cap'n Proto's kj::Exception) and turns it into an error value, so the readers can stay
// straight-line code. Nothing outside protocols/codec_*.cpp includes this header.
#pragma once

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <new>
#include <string>
#include <utility>

#include "common/result.hpp"
#include "crypto/signing.hpp"
#include "protocols/errors.hpp"
#include "protocols/limits.hpp"
#include "protocols/sql_messages.hpp"

namespace covenant::protocols::codec {

struct decode_failure {
    protocol_errc code;
    std::string detail;
};

[[noreturn]] inline void reject(protocol_errc code, std::string detail) {
    throw decode_failure{code, std::move(detail)};
}

/// What one decode may still spend. Cap'n Proto lets a message share one object among many
/// pointers and encode a list of empty structs in no bytes, so the decoded size and the
/// number of signatures to check are not bounded by the wire size alone: every decode is
/// charged for both, and refused once its budget is spent.
struct decode_budget {
    std::size_t memory_bytes = 0;
    std::size_t signature_checks = 0;
};
decode_budget& current_budget();

/// Charges `count` decoded elements of about `element_bytes` each.
inline void charge_memory(std::size_t count, std::size_t element_bytes, const char* field) {
    auto& budget = current_budget();
    const std::size_t cost = count * element_bytes;  // both bounded by the traversal limit
    if (cost > budget.memory_bytes)
        reject(protocol_errc::limit_exceeded,
               std::string(field) + ": message decodes to more than its memory budget");
    budget.memory_bytes -= cost;
}

/// Charges one signature verification.
inline void charge_signature_check(const char* field) {
    auto& budget = current_budget();
    if (budget.signature_checks == 0)
        reject(protocol_errc::limit_exceeded,
               std::string(field) + ": more than " +
                   std::to_string(limits::signature_checks_per_message_max) +
                   " signatures in one message");
    --budget.signature_checks;
}

/// A signature check that counts against the budget.
inline bool verify_counted(const public_key& key, crypto::sign_domain domain, byte_view payload,
                           const signature& sig, const char* field) {
    charge_signature_check(field);
    return crypto::verify(key, domain, payload, sig);
}

template <class Fixed>
Fixed read_fixed(capnp::Data::Reader data, const char* field) {
    if (data.size() != Fixed::size())
        reject(protocol_errc::wrong_size, std::string(field) + ": " +
                                              std::to_string(data.size()) + " bytes, " +
                                              std::to_string(Fixed::size()) + " expected");
    return *Fixed::from_view(byte_view(data.begin(), data.size()));
}

template <class Fixed>
capnp::Data::Reader as_data(const Fixed& value) {
    return capnp::Data::Reader(value.begin(), Fixed::size());
}
inline capnp::Data::Reader as_data(const bytes& value) {
    return capnp::Data::Reader(value.data(), value.size());
}
/// Text with its exact length: a std::string may hold NUL bytes (SQL text values can),
/// which a conversion through a C string would silently cut off.
inline capnp::Text::Reader as_text(const std::string& value) {
    return capnp::Text::Reader(value.data(), value.size());
}

/// UTF-8 text of at most max_bytes; embedded NUL only where allowed (SQL values).
std::string read_text(capnp::Text::Reader text, std::size_t max_bytes, const char* field,
                      bool allow_nul = false);
bytes read_data(capnp::Data::Reader data, std::size_t max_bytes, const char* field);

/// Checks a list's length and charges its decoded elements to the memory budget.
template <class List>
void check_count(const List& list, std::size_t min, std::size_t max, const char* field) {
    if (list.size() < min || list.size() > max)
        reject(list.size() > max ? protocol_errc::limit_exceeded : protocol_errc::invalid_value,
               std::string(field) + ": " + std::to_string(list.size()) + " entries, allowed " +
                   std::to_string(min) + ".." + std::to_string(max));
    charge_memory(list.size(), limits::decoded_element_bytes, field);
}

template <class Enum>
std::uint16_t check_enum(Enum value, unsigned count, const char* field) {
    const auto raw = static_cast<std::uint16_t>(value);
    if (raw >= count)
        reject(protocol_errc::unknown_enum, std::string(field) + ": " + std::to_string(raw));
    return raw;
}

inline void require(bool condition, protocol_errc code, const char* what) {
    if (!condition) reject(code, what);
}

/// The boundary: size limit, alignment copy, reader limits, and every failure turned into
/// an error value. `read` gets the root reader and returns the decoded message.
template <class Schema, class Read>
auto decode_root(byte_view wire, Read&& read) -> result<decltype(read(
    std::declval<typename Schema::Reader>()))> {
    if (wire.size() > limits::message_bytes_max)
        return error{protocol_errc::too_large, std::to_string(wire.size()) + " bytes"};
    if (wire.empty() || wire.size() % sizeof(capnp::word) != 0)
        return error{protocol_errc::malformed, "length is not a positive multiple of 8"};
    // Wire bytes may be misaligned; Cap'n Proto needs 8-byte-aligned words.
    try {
        auto words = kj::heapArray<capnp::word>(wire.size() / sizeof(capnp::word));
        std::memcpy(words.begin(), wire.data(), wire.size());
        capnp::ReaderOptions options;
        // Every word may be read once: shared pointers cannot make a message cost more
        // than its size to traverse.
        options.traversalLimitInWords = words.size() + 64;
        options.nestingLimit = static_cast<int>(limits::capnp_nesting_max);
        current_budget() = decode_budget{
            limits::decoded_bytes_per_wire_byte * wire.size() + limits::decoded_bytes_base,
            limits::signature_checks_per_message_max};
        capnp::FlatArrayMessageReader reader(words.asPtr(), options);
        if (reader.getEnd() != words.end())
            reject(protocol_errc::malformed, "trailing bytes after the message");
        return read(reader.getRoot<Schema>());
    } catch (const decode_failure& failure) {
        return error{failure.code, failure.detail};
    } catch (const kj::Exception& e) {
        return error{protocol_errc::malformed, e.getDescription().cStr()};
    } catch (const std::bad_alloc&) {
        // A backstop: the budget above should make this unreachable.
        return error{protocol_errc::too_large, "out of memory decoding the message"};
    }
}

template <class Schema, class Build>
bytes encode_root(Build&& build) {
    capnp::MallocMessageBuilder message;
    build(message.initRoot<Schema>());
    const kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
    const auto raw = words.asBytes();
    return bytes(raw.begin(), raw.end());
}

/// A signer list in canonical form (strictly ascending signers, min..max entries), each
/// signature checked over `signed_bytes` under `domain`.
template <class ListReader>
std::vector<signer_signature> read_signer_list(const ListReader& list, std::size_t min,
                                               const char* field, crypto::sign_domain domain,
                                               byte_view signed_bytes) {
    check_count(list, min, limits::group_members_max, field);
    std::vector<signer_signature> out;
    out.reserve(list.size());
    for (auto entry : list) {
        signer_signature s{read_fixed<public_key>(entry.getSigner(), field),
                           read_fixed<signature>(entry.getSignature(), field)};
        if (!out.empty() && !(out.back().signer < s.signer))
            reject(protocol_errc::not_canonical,
                   std::string(field) + ": signers not strictly ascending");
        out.push_back(s);
    }
    for (const auto& s : out)
        if (!verify_counted(s.signer, domain, signed_bytes, s.sig, field))
            reject(protocol_errc::bad_signature, std::string(field) + ": " + s.signer.hex());
    return out;
}

template <class ListBuilder>
void write_signer_list(ListBuilder list, const std::vector<signer_signature>& entries) {
    for (unsigned i = 0; i < entries.size(); ++i) {
        list[i].setSigner(as_data(entries[i].signer));
        list[i].setSignature(as_data(entries[i].sig));
    }
}

}  // namespace covenant::protocols::codec
