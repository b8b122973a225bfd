// Hand-built wire messages for codec tests (see codec_support_for_tests.hpp).
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstring>

#include "codec_support_for_tests.hpp"
#include "schema/member_status.capnp.h"
#include "schema/sql.capnp.h"

namespace covenant::test {

bytes encode_request_with_short_database() {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::Request>();
    const bytes short_id(31, 0xdb);
    root.setDatabase(capnp::Data::Reader(short_id.data(), short_id.size()));
    const auto words = capnp::messageToFlatArray(message);
    const auto raw = words.asBytes();
    return bytes(raw.begin(), raw.end());
}

bytes encode_member_status_query_with_short_challenge() {
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<wire::MemberStatusQuery>();
    const bytes id(32, 0xdb);
    const bytes short_challenge(31, 0xc1);
    root.setDatabase(capnp::Data::Reader(id.data(), id.size()));
    root.setChallenge(capnp::Data::Reader(short_challenge.data(), short_challenge.size()));
    const auto words = capnp::messageToFlatArray(message);
    const auto raw = words.asBytes();
    return bytes(raw.begin(), raw.end());
}

namespace {
// Builds one-segment Cap'n Proto messages word by word, to make shapes the builder API
// cannot: pointers that share their target.
struct raw_message {
    std::vector<std::uint64_t> words;
    std::size_t allocate(std::size_t n) {
        const std::size_t at = words.size();
        words.resize(words.size() + n, 0);
        return at;
    }
    static std::uint64_t offset_bits(std::size_t at, std::size_t target) {
        const auto offset = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(at + 1);
        return static_cast<std::uint32_t>(static_cast<std::uint64_t>(offset) << 2);
    }
    void struct_pointer(std::size_t at, std::size_t target, unsigned data, unsigned pointers) {
        words[at] = offset_bits(at, target) | (std::uint64_t{data} << 32) |
                    (std::uint64_t{pointers} << 48);
    }
    void list_pointer(std::size_t at, std::size_t target, unsigned element_size,
                      std::uint64_t count) {
        words[at] = 1 | offset_bits(at, target) | (std::uint64_t{element_size} << 32) | (count << 35);
    }
    std::size_t blob(std::size_t pointer_at, const void* data, std::size_t size, bool text) {
        const std::size_t length = size + (text ? 1 : 0);
        const std::size_t at = allocate((length + 7) / 8);
        const auto* from = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < size; ++i)
            words[at + i / 8] |= std::uint64_t{from[i]} << (8 * (i % 8));
        list_pointer(pointer_at, at, 2, length);
        return at;
    }
    bytes finish() const {
        // Segment table: zero (one segment), then the segment's size in words; all
        // little-endian, as Cap'n Proto's wire format is.
        bytes out;
        auto put = [&out](std::uint64_t value, int width) {
            for (int i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
        };
        put(0, 4);
        put(words.size(), 4);
        for (std::uint64_t w : words) put(w, 8);
        return out;
    }
};
}  // namespace

bytes encode_request_with_shared_parameter_lists(unsigned statements, unsigned parameters) {
    raw_message m;
    m.allocate(1);                              // root pointer
    const std::size_t request = m.allocate(7);  // Request: 3 data words, 4 pointers
    m.struct_pointer(0, request, 3, 4);
    m.words[request + 2] = 1;  // kind = write
    const std::uint8_t key[32] = {1};
    const std::uint8_t sig[64] = {};
    m.blob(request + 3, key, 32, false);
    m.blob(request + 4, key, 32, false);
    m.blob(request + 6, sig, 64, false);
    // Composite list of statements (0 data words, 2 pointers each).
    const std::size_t tag = m.allocate(1 + 2 * std::size_t{statements});
    m.words[tag] = static_cast<std::uint32_t>(std::uint64_t{statements} << 2) | (std::uint64_t{2} << 48);
    m.list_pointer(request + 5, tag, 7, 2 * std::uint64_t{statements});
    const std::size_t first = tag + 1;
    const std::size_t sql = m.blob(first, "x", 1, true);
    const std::size_t shared = m.allocate(1);  // tag of a list of empty Parameter structs
    m.words[shared] = static_cast<std::uint32_t>(std::uint64_t{parameters} << 2);
    for (unsigned i = 0; i < statements; ++i) {
        m.list_pointer(first + 2 * i, sql, 2, 2);
        m.list_pointer(first + 2 * i + 1, shared, 7, 0);
    }
    return m.finish();
}

}  // namespace covenant::test
