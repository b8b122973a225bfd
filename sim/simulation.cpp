// The frame of the in-process simulations (see the header).
#include "sim/simulation.hpp"

#include <unistd.h>

#include <filesystem>
#include <vector>

namespace covenant::sim {

simulation::simulation(const std::string& name,
                       const std::function<void(caf::actor_system_config&)>& announce,
                       std::int64_t check_every_ms, const std::string& base)
    : check_every_ms_(check_every_ms) {
    COVENANT_ASSERT(check_every_ms_ > 0, "run_until checks at a positive interval");
    std::string pattern = base + "/covenant-" + name + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    const char* made = ::mkdtemp(buffer.data());
    COVENANT_ASSERT(made != nullptr, "cannot make a temporary directory");
    directory_ = made;
    config_.set("scheduler.policy", caf::atom("testing"));
    announce(config_);
    system_ = std::make_unique<caf::actor_system>(config_);
    scheduler_ = &dynamic_cast<caf::scheduler::test_coordinator&>(system_->scheduler());
}

simulation::~simulation() {
    system_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

void simulation::run_for(std::int64_t ms) {
    scheduler_->run();
    for (std::int64_t t = 0; t < ms; ++t) {
        scheduler_->advance_time(std::chrono::milliseconds(1));
        scheduler_->run();
    }
}

}  // namespace covenant::sim
