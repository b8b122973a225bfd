// The simulated network (see network.hpp).
#include "sim/network.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "actors/router/router.hpp"

namespace covenant::sim {
namespace {

struct network_state {
    static inline const char* name = "covenant.sim.network";
    std::mt19937_64 random;
    network_faults faults;
    std::map<std::uint64_t, caf::actor> routers;
    std::set<std::pair<std::uint64_t, std::uint64_t>> cut_links;
    // Per link, when its last message is due: FIFO links never deliver before that.
    std::map<std::pair<std::uint64_t, std::uint64_t>, caf::actor_clock::time_point> link_due;
    network_stats stats;

    std::uint32_t per_million() { return static_cast<std::uint32_t>(random() % 1'000'000); }
    std::uint32_t delay_ms() {
        const auto spread = faults.delay_max_ms - faults.delay_min_ms;
        return faults.delay_min_ms + (spread == 0 ? 0 : static_cast<std::uint32_t>(random() % (spread + 1)));
    }
};

caf::behavior network(caf::stateful_actor<network_state>* self, std::uint64_t seed,
                      network_faults faults) {
    self->state.random.seed(seed);
    self->state.faults = faults;
    return {
        [=](register_atom, std::uint64_t node, const caf::actor& router) {
            self->state.routers[node] = router;
        },
        [=](faults_atom, const network_faults& f) { self->state.faults = f; },
        [=](partition_atom, std::uint64_t from, std::uint64_t to, bool cut) {
            if (cut)
                self->state.cut_links.emplace(from, to);
            else
                self->state.cut_links.erase({from, to});
        },
        [=](transmit_atom, std::uint64_t from, std::uint64_t to, const bytes& wire) {
            auto& st = self->state;
            auto destination = st.routers.find(to);
            if (destination == st.routers.end()) return;
            if (st.cut_links.count({from, to})) {
                ++st.stats.cut;
                return;
            }
            if (st.per_million() < st.faults.drop_per_million) {
                ++st.stats.dropped;
                return;
            }
            int copies = 1;
            if (st.per_million() < st.faults.duplicate_per_million) {
                ++copies;
                ++st.stats.duplicated;
            }
            const auto now = self->clock().now();
            for (int i = 0; i < copies; ++i) {
                ++st.stats.delivered;
                auto due = now + std::chrono::milliseconds(st.delay_ms());
                if (!st.faults.reorder) {
                    auto& last = st.link_due[{from, to}];
                    if (due < last) due = last;
                    last = due;
                }
                self->delayed_send(destination->second, due - now, actors::wire_atom::value, wire);
            }
        },
        [=](network_stats_atom) { return self->state.stats; },
    };
}

caf::behavior link(caf::event_based_actor* self, caf::actor net, std::uint64_t from,
                   std::uint64_t to) {
    return {
        [=](actors::wire_atom, const bytes& wire) {
            self->send(net, transmit_atom::value, from, to, wire);
        },
    };
}

}  // namespace

void add_network_message_types(caf::actor_system_config& config) {
    config.add_message_type<network_faults>("covenant::sim::network_faults");
    config.add_message_type<network_stats>("covenant::sim::network_stats");
}

caf::actor spawn_network(caf::actor_system& system, std::uint64_t seed, network_faults faults) {
    return system.spawn(network, seed, faults);
}

caf::actor spawn_link(caf::actor_system& system, const caf::actor& net, std::uint64_t from,
                      std::uint64_t to) {
    return system.spawn(link, net, from, to);
}

}  // namespace covenant::sim
