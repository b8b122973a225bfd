// The frame every in-process simulation shares: an actor system on CAF's test_coordinator
// (deterministic scheduling, virtual time), a temporary directory for the nodes' files, and
// the ways a test drives time and asks actors. kayak_cluster, producer_cluster and
// chain_cluster are simulations; a derived class's destructor stops its actors and runs the
// scheduler, then this one shuts the system down and removes the directory.
#pragma once

#include <caf/all.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/assert.hpp"

namespace covenant::sim {

class simulation {
  public:
    /// `name` names the temporary directory (<base>/covenant-<name>-XXXXXX, base /tmp unless
    /// given: covenant-sim puts it on a tmpfs, where fsync is cheap); `announce` adds
    /// the message types the simulated actors exchange; run_until checks its condition
    /// every `check_every_ms` of virtual time.
    simulation(const std::string& name,
               const std::function<void(caf::actor_system_config&)>& announce,
               std::int64_t check_every_ms, const std::string& base = "/tmp");
    virtual ~simulation();
    simulation(const simulation&) = delete;
    simulation& operator=(const simulation&) = delete;

    /// Runs the simulation for `ms` milliseconds of virtual time.
    void run_for(std::int64_t ms);
    /// Runs until `done()` holds or `limit_ms` passes; true if it held.
    template <class Done>
    bool run_until(Done done, std::int64_t limit_ms) {
        for (std::int64_t t = 0; t < limit_ms; t += check_every_ms_) {
            if (done()) return true;
            run_for(check_every_ms_);
        }
        return done();
    }

  protected:
    /// Sends `request` to `target` and runs the scheduler until the answer is in.
    template <class T>
    T ask(const caf::actor& target, caf::message request) {
        auto out = std::make_shared<std::optional<T>>();
        system_->spawn([=](caf::event_based_actor* self) {
            self->request(target, caf::infinite, request).then([=](const T& value) { *out = value; });
        });
        scheduler_->run();
        COVENANT_ASSERT(out->has_value(), "no answer from an actor");
        return **out;
    }

    std::string directory_;
    caf::actor_system_config config_;
    std::unique_ptr<caf::actor_system> system_;
    caf::scheduler::test_coordinator* scheduler_ = nullptr;

  private:
    std::int64_t check_every_ms_;
};

}  // namespace covenant::sim
