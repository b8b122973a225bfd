// Codec of the main-chain catch-up messages (block fetch and its reply).
#include <string>

#include "protocols/codec.hpp"
#include "protocols/codec_main_chain.hpp"
#include "schema/main_chain_sync.capnp.h"

namespace covenant::protocols {
namespace codec {
namespace {

main_chain::block_fetch read_block_fetch(wire::BlockFetch::Reader in) {
    main_chain::block_fetch m;
    m.from_height = block_height(in.getFromHeight());
    require(m.from_height.value >= 1, protocol_errc::invalid_value,
            "blockFetch.fromHeight must be >= 1");
    m.count = in.getCount();
    require(m.count >= 1 && m.count <= limits::main_blocks_per_fetch_max,
            protocol_errc::invalid_value, "blockFetch.count out of range");
    return m;
}

main_chain::block_fetch_reply read_block_fetch_reply(wire::BlockFetchReply::Reader in) {
    main_chain::block_fetch_reply m;
    m.head_height = block_height(in.getHeadHeight());
    auto list = in.getBlocks();
    check_count(list, 0, limits::main_blocks_per_fetch_max, "blockFetchReply.blocks");
    m.blocks.reserve(list.size());
    for (auto entry : list) {
        main_block b = read_main_block(entry);
        require(!b.finality.empty(), protocol_errc::invalid_value,
                "blockFetchReply: a block without finality signatures is not final");
        require(b.header.height.value >= 1, protocol_errc::invalid_value,
                "blockFetchReply: block height must be >= 1");
        if (b.header.height.value == 1)
            require(b.header.parent.is_zero(), protocol_errc::inconsistent,
                    "blockFetchReply: the first block has no parent");
        if (!m.blocks.empty()) {
            const auto& below = m.blocks.back();
            // below.height < 2^64 - 1 here: it is below b's height when the check passes.
            require(below.header.height.value != block_height::max_value &&
                        b.header.height == below.header.height.next(),
                    protocol_errc::inconsistent, "blockFetchReply: heights are not consecutive");
            require(b.header.parent == below.hash(), protocol_errc::inconsistent,
                    "blockFetchReply: blocks are not a chain");
        }
        m.blocks.push_back(std::move(b));
    }
    if (!m.blocks.empty())
        require(m.blocks.back().header.height <= m.head_height, protocol_errc::inconsistent,
                "blockFetchReply: a block above the server's head height");
    return m;
}

}  // namespace
}  // namespace codec

using namespace codec;

bytes encode(const main_chain::block_fetch& m) {
    return encode_root<wire::BlockFetch>([&](wire::BlockFetch::Builder root) {
        root.setFromHeight(m.from_height.value);
        root.setCount(m.count);
    });
}
result<main_chain::block_fetch> decode_block_fetch(byte_view wire) {
    return decode_root<wire::BlockFetch>(wire, read_block_fetch);
}

bytes encode(const main_chain::block_fetch_reply& m) {
    return encode_root<wire::BlockFetchReply>([&](wire::BlockFetchReply::Builder root) {
        root.setHeadHeight(m.head_height.value);
        auto list = root.initBlocks(static_cast<unsigned>(m.blocks.size()));
        for (unsigned i = 0; i < m.blocks.size(); ++i) write_main_block(list[i], m.blocks[i]);
    });
}
result<main_chain::block_fetch_reply> decode_block_fetch_reply(byte_view wire) {
    return decode_root<wire::BlockFetchReply>(wire, read_block_fetch_reply);
}

}  // namespace covenant::protocols
