// Writing results to stdout and checking that the write worked.
#include "output.hpp"

#include <iostream>

#include "failure.hpp"

namespace cql {

void print_line(const std::string& text) {
    std::cout << text << '\n' << std::flush;
    if (!std::cout) throw failure("cannot write to standard output");
}

void print_json(const nlohmann::json& object) {
    print_line(object.dump());
}

}  // namespace cql
