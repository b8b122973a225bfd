// The client gateway's error category (see client_errors.hpp).
#include "protocols/client/client_errors.hpp"

#include <string>

namespace covenant::client {
namespace {

class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "client"; }
    std::string message(int code) const override {
        switch (static_cast<client_errc>(code)) {
            case client_errc::bad_request:
                return "bad request";
            case client_errc::not_permitted:
                return "not permitted";
            case client_errc::out_of_funds:
                return "out of funds";
            case client_errc::unknown_database:
                return "unknown database";
            case client_errc::stale_sequence:
                return "stale sequence";
            case client_errc::timed_out:
                return "timed out";
            case client_errc::unavailable:
                return "unavailable";
            case client_errc::overloaded:
                return "overloaded";
            case client_errc::storage_failed:
                return "storage failed";
        }
        return "unknown error";
    }
};

}  // namespace

const std::error_category& client_category() {
    static const category instance;
    return instance;
}

}  // namespace covenant::client
