// Hand-built wire messages for codec tests (see codec_support_for_tests.hpp).
#include <capnp/message.h>
#include <capnp/serialize.h>

#include "codec_support_for_tests.hpp"
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

}  // namespace covenant::test
