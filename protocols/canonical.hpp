// Canonical bytes: the one serialization that signatures and hashes cover.
//
// Cap'n Proto can encode one message in several ways, so Covenant never signs wire bytes.
// It signs the canonical bytes of the decoded fields: fixed-width big-endian integers,
// length-prefixed variable data, fields in schema order. Two messages with the same
// meaning have the same canonical bytes, hence the same hash and signatures.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/bytes.hpp"
#include "common/ids.hpp"

namespace covenant::protocols {

class canonical_writer {
public:
    canonical_writer& u8(std::uint8_t v) {
        out_.push_back(v);
        return *this;
    }
    canonical_writer& u16(std::uint16_t v) { return big_endian(v, 2); }
    canonical_writer& u32(std::uint32_t v) { return big_endian(v, 4); }
    canonical_writer& u64(std::uint64_t v) { return big_endian(v, 8); }
    canonical_writer& i32(std::int32_t v) { return u32(static_cast<std::uint32_t>(v)); }
    canonical_writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
    canonical_writer& f64(double v) {
        std::uint64_t raw = 0;
        std::memcpy(&raw, &v, sizeof raw);
        return u64(raw);
    }
    canonical_writer& boolean(bool v) { return u8(v ? 1 : 0); }
    /// Length-prefixed (u32) variable data.
    canonical_writer& data(byte_view v) {
        u32(static_cast<std::uint32_t>(v.size()));
        out_.insert(out_.end(), v.begin(), v.end());
        return *this;
    }
    canonical_writer& text(std::string_view v) { return data(byte_view(v)); }
    /// Fixed-size data: no prefix, its size is part of the type.
    template <class Tag, std::size_t N>
    canonical_writer& fixed(const fixed_bytes<Tag, N>& v) {
        out_.insert(out_.end(), v.begin(), v.end());
        return *this;
    }
    template <class Tag>
    canonical_writer& count(counter<Tag> c) {
        return u64(c.value);
    }

    const bytes& get() const { return out_; }
    bytes take() { return std::move(out_); }

private:
    canonical_writer& big_endian(std::uint64_t v, int width) {
        for (int shift = 8 * (width - 1); shift >= 0; shift -= 8)
            out_.push_back(static_cast<std::uint8_t>(v >> shift));
        return *this;
    }
    bytes out_;
};

}  // namespace covenant::protocols
