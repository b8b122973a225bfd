// Internal to the codec (.cpp files only): the main-chain block reader and writer, shared by
// the block's own codec (codec_chain.cpp) and the catch-up messages that carry blocks
// (codec_main_sync.cpp). The reader validates fully and throws codec::decode_failure; see
// codec_support.hpp.
#pragma once

#include "protocols/codec_support.hpp"
#include "protocols/main_chain_messages.hpp"
#include "schema/main_chain.capnp.h"

namespace covenant::protocols::codec {

void write_main_block(wire::Block::Builder out, const main_block& b);
/// A block that passes every check decode_main_block makes (see codec.hpp), charged to the
/// current decode budget.
main_block read_main_block(wire::Block::Reader in);

}  // namespace covenant::protocols::codec
