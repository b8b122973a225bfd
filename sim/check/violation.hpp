// What a checker reports when a guarantee of DESIGN.md section 2 broke: which checker, where
// (database, member, sequence, height...) and what was seen. covenant-sim prints each with
// the seed that reproduces it.
#pragma once

#include <string>
#include <vector>

namespace covenant::sim {

struct violation {
    std::string checker;  // "agreement", "durability", ... (docs/simulator.md lists them)
    std::string where;    // e.g. "database 3f2a.. member 4 seq 17"
    std::string what;     // what was seen against what should hold
};

using violations = std::vector<violation>;

}  // namespace covenant::sim
