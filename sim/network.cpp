// The simulated network (see network.hpp).
#include "sim/network.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>

#include "actors/router/router.hpp"
#include "crypto/hash.hpp"

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
    std::shared_ptr<trace_sink> trace;
    // Nodes clogged until a virtual time: nothing from or to them is delivered before it.
    std::map<std::uint64_t, caf::actor_clock::time_point> clogged_until;

    void trace_event_of(covenant::sim::trace_event kind, std::int64_t time_ms, std::uint64_t from,
                        std::uint64_t to, byte_view data) {
        if (trace) trace->record(static_cast<std::uint8_t>(kind), time_ms, from, to, data);
    }

    std::uint32_t per_million() { return static_cast<std::uint32_t>(random() % 1'000'000); }
    std::uint32_t delay_ms() {
        const auto spread = faults.delay_max_ms - faults.delay_min_ms;
        return faults.delay_min_ms + (spread == 0 ? 0 : static_cast<std::uint32_t>(random() % (spread + 1)));
    }
};

std::int64_t virtual_ms(caf::actor_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

caf::behavior network(caf::stateful_actor<network_state>* self, std::uint64_t seed,
                      network_faults faults, std::shared_ptr<trace_sink> trace) {
    self->state.random.seed(seed);
    self->state.faults = faults;
    self->state.trace = std::move(trace);
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
            const auto now = self->clock().now();
            if (st.cut_links.count({from, to})) {
                ++st.stats.cut;
                st.trace_event_of(trace_event::cut, virtual_ms(now), from, to, wire);
                return;
            }
            if (st.per_million() < st.faults.drop_per_million) {
                ++st.stats.dropped;
                st.trace_event_of(trace_event::dropped, virtual_ms(now), from, to, wire);
                return;
            }
            int copies = 1;
            if (st.per_million() < st.faults.duplicate_per_million) {
                ++copies;
                ++st.stats.duplicated;
            }
            for (int i = 0; i < copies; ++i) {
                ++st.stats.delivered;
                auto due = now + std::chrono::milliseconds(st.delay_ms());
                for (auto end : {from, to}) {
                    auto clog = st.clogged_until.find(end);
                    if (clog != st.clogged_until.end() && due < clog->second) due = clog->second;
                }
                if (!st.faults.reorder) {
                    auto& last = st.link_due[{from, to}];
                    if (due < last) due = last;
                    last = due;
                }
                st.trace_event_of(trace_event::sent, virtual_ms(due), from, to, wire);
                self->delayed_send(destination->second, due - now, actors::wire_atom::value, wire);
            }
        },
        [=](network_stats_atom) { return self->state.stats; },
        [=](clog_atom, std::uint64_t node, std::int64_t ms) {
            auto& until = self->state.clogged_until[node];
            until = std::max(until, self->clock().now() + std::chrono::milliseconds(ms));
        },
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
    return system.spawn(network, seed, faults, std::shared_ptr<trace_sink>{});
}

caf::actor spawn_network(caf::actor_system& system, std::uint64_t seed, network_faults faults,
                         std::shared_ptr<trace_sink> trace) {
    return system.spawn(network, seed, faults, std::move(trace));
}

struct trace_sink::impl {
    crypto::hasher running;
    digest last{};
};

trace_sink::trace_sink() : impl_(std::make_unique<impl>()) {}
trace_sink::~trace_sink() = default;

void trace_sink::record(std::uint8_t kind, std::int64_t time_ms, std::uint64_t a, std::uint64_t b,
                        byte_view data) {
    // A hash chain: each event's digest covers the previous one, so current() is cheap and
    // the order of events matters.
    bytes head;
    head.reserve(1 + 3 * 8 + 8);
    head.push_back(kind);
    auto put = [&](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) head.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    put(static_cast<std::uint64_t>(time_ms));
    put(a);
    put(b);
    put(data.size());
    auto& r = impl_->running;
    r.update(impl_->last.view());
    r.update(byte_view(head.data(), head.size()));
    r.update(data);
    impl_->last = r.finish();
    ++events_;
}

digest trace_sink::current() const {
    return impl_->last;
}

caf::actor spawn_link(caf::actor_system& system, const caf::actor& net, std::uint64_t from,
                      std::uint64_t to) {
    return system.spawn(link, net, from, to);
}

}  // namespace covenant::sim
