// Messages for protocol_errc.
#include "protocols/errors.hpp"

#include <string>

namespace covenant::protocols {
namespace {
class category final : public std::error_category {
public:
    const char* name() const noexcept override { return "protocol"; }
    std::string message(int value) const override {
        switch (static_cast<protocol_errc>(value)) {
            case protocol_errc::malformed: return "malformed message";
            case protocol_errc::too_large: return "message too large";
            case protocol_errc::limit_exceeded: return "limit exceeded";
            case protocol_errc::wrong_size: return "field has the wrong size";
            case protocol_errc::unknown_enum: return "unknown enum value";
            case protocol_errc::invalid_value: return "invalid value";
            case protocol_errc::bad_signature: return "bad signature";
            case protocol_errc::insufficient_work: return "node id lacks proof of work";
            case protocol_errc::inconsistent: return "inconsistent message";
            case protocol_errc::not_canonical: return "non-canonical message";
        }
        return "unknown protocol error";
    }
};
}  // namespace

const std::error_category& protocol_category() {
    static const category instance;
    return instance;
}

}  // namespace covenant::protocols
