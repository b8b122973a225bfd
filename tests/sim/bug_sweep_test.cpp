// Seed sweeps over a random fault schedule (the simulator's way of finding bugs, DESIGN.md
// section 8): for each injected bug, some seed among the first few dozen must show a
// guarantee violation through the checkers of outcomes.hpp; and the honest code, over the
// same seeds, must show none. The schedule, all from the seed: writes from two clients to
// random members (statements reading 'now'), a client forging requests now and then,
// clock skew, random partitions and heals, view changes that reach members at different
// times, and old view-change decisions delivered again (a member following a lagging
// producer). The test plays the main chain: f+1 suspicions of a view move it on.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "outcomes.hpp"

using namespace covenant;
using namespace covenant::protocols;
using namespace covenant::sim_test;
using covenant::kayak::injected_bug;
using covenant::sim::cluster;
using covenant::sim::cluster_options;

namespace {

constexpr std::int64_t epoch_ms = 1'790'000'000'000;
constexpr std::int64_t step_ms = 50;
constexpr int steps = 100;                 // 5 s of faults
constexpr std::int64_t settle_ms = 3'000;  // then healed
constexpr std::uint64_t seeds_max = 40;

struct verdict {
    std::optional<std::string> violation;
};

verdict run_schedule(std::optional<injected_bug> bug, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    auto chance = [&](double p) { return static_cast<double>(random() % 1'000'000) < p * 1e6; };
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };

    cluster_options o;
    o.seed = seed;
    if (bug) o.bugs.add(*bug);
    // Re-sends every 200 ms without backoff: a re-sent PREPARE or COMMIT arriving across a
    // view change is one of the races these schedules are made of (the backoff, the default,
    // makes them rarer: new-leader-ignores-lock then needed 150 seeds instead of 40).
    o.retransmit_max_ms = 200;
    o.faults = sim::network_faults{50'000, 5'000, 1, 8, false};  // 5% lost, some doubled, 1-8 ms
    for (std::size_t i = 0; i < 4; ++i)
        o.clock_skew_ms[i] = static_cast<std::int64_t>(pick(3'001)) - 1'500;
    cluster c(o);
    const std::size_t n = c.size();
    std::uint64_t view = 0;
    std::vector<std::pair<std::size_t, std::uint64_t>> lagging;  // view changes not yet delivered
    std::set<std::pair<std::size_t, std::size_t>> cuts;
    auto heal = [&] {
        for (auto [a, b] : cuts) c.cut(a, b, false);
        cuts.clear();
    };
    auto change_view = [&](bool all_now) {
        ++view;
        for (std::size_t i = 0; i < n; ++i) {
            if (all_now || chance(0.5))
                c.change_view_at(i, view);
            else
                lagging.push_back({i, view});
        }
    };
    c.write(pick(n), {sql("CREATE TABLE t(v TEXT)")});
    int written = 0;
    for (int s = 0; s < steps; ++s) {
        if (chance(0.5))
            c.write(pick(n),
                    {sql("INSERT INTO t VALUES('w" + std::to_string(written++) +
                         " ' || strftime('%H:%M:%f', 'now'))")},
                    pick(2));
        if (chance(0.05)) {
            client_request r;  // in client 0's name, altered after signing
            r.database = c.database();
            r.client = c.client_key(0).public_key();
            r.sequence = client_sequence(c.client_sequence(0) + 1);
            r.timestamp_ms = epoch_ms;
            r.kind = query_kind::write;
            r.statements = {sql("INSERT INTO t VALUES('signed')")};
            r.sign(c.client_key(0));
            r.statements = {sql("INSERT INTO t VALUES('forged')")};
            c.send_request(pick(n), r);
        }
        // Faults strike at any millisecond of the step, not only at its start: the windows
        // that matter (between a leader's commit and its certificate's arrival) are short.
        const std::int64_t at_ms = static_cast<std::int64_t>(pick(step_ms));
        c.run_for(at_ms);
        if (chance(0.08)) {
            heal();
            std::vector<std::size_t> side(n);
            for (auto& x : side) x = pick(2);
            for (std::size_t a = 0; a < n; ++a)
                for (std::size_t b = 0; b < n; ++b)
                    if (side[a] != side[b]) {
                        c.cut(a, b);
                        cuts.insert({a, b});
                    }
        } else if (chance(0.08)) {
            heal();
        }
        if (chance(0.1)) change_view(false);
        for (auto it = lagging.begin(); it != lagging.end();) {
            if (chance(0.3)) {
                c.change_view_at(it->first, it->second);
                it = lagging.erase(it);
            } else {
                ++it;
            }
        }
        if (view > 0 && chance(0.04)) {  // an old decision again, reaching some members
            const std::uint64_t stale = pick(static_cast<std::size_t>(view));
            for (std::size_t i = 0; i < n; ++i)
                if (chance(0.6)) c.change_view_at(i, stale);
        }
        if (chance(0.1)) c.resend_unanswered(pick(n));
        c.run_for(step_ms - at_ms);
        std::set<public_key> suspecting;
        for (const auto& [member, v] : c.suspicions())
            if (v == view) suspecting.insert(member);
        if (suspecting.size() >= c.group().one_honest()) change_view(true);
    }
    heal();
    for (auto [i, v] : lagging) c.change_view_at(i, v);
    for (std::int64_t t = 0; t < settle_ms; t += 500) {
        c.resend_unanswered(pick(n));
        c.run_for(500);
    }

    const std::vector<std::size_t> all{0, 1, 2, 3};
    verdict v;
    if (auto seq = first_disagreement(c, all))
        v.violation = "agreement: two batches at seq " + std::to_string(*seq);
    for (auto i : all) {
        if (v.violation) break;
        if (unsigned_requests_committed(c, i))
            v.violation =
                "validity: member " + std::to_string(i) + " committed an unsigned request";
        else if (uncertified_commits(c, i))
            v.violation = "member " + std::to_string(i) + " committed without a certificate";
        else if (conflicting_slots(c, i))
            v.violation = "member " + std::to_string(i) + " voted for two batches in one slot";
    }
    if (!v.violation && divergent_states(c, all))
        v.violation = "same state: digests differ at one sequence";
    if (!v.violation && evidence_against_honest(c, all, {}))
        v.violation = "evidence against an honest member";
    return v;
}

/// run_schedule in a forked child, as covenant-sim runs each seed: an injected bug can
/// drive a member into a state its own assertions refuse (COVENANT_ASSERT aborts, as it
/// must), which is a violation of that seed, not the end of the sweep.
verdict run_schedule_isolated(std::optional<injected_bug> bug, std::uint64_t seed) {
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    std::fflush(nullptr);
    const pid_t child = ::fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
        // The test runner's handlers would catch an assertion's abort and go on running
        // the other tests in this child: a signal ends the child instead.
        for (int sig : {SIGABRT, SIGSEGV, SIGFPE, SIGBUS, SIGILL}) std::signal(sig, SIG_DFL);
        ::close(fds[0]);
        std::string text;
        try {
            const auto v = run_schedule(bug, seed);
            text = v.violation ? "V" + *v.violation : "-";
        } catch (...) {
            ::_exit(4);  // a failed requirement: never back into the test runner
        }
        const auto written = ::write(fds[1], text.data(), text.size());
        ::_exit(written == static_cast<ssize_t>(text.size()) ? 0 : 3);
    }
    ::close(fds[1]);
    std::string text;
    char buffer[512];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    verdict v;
    if (WIFSIGNALED(status))
        v.violation = "invariant: a member stopped on a broken invariant (signal " +
                      std::to_string(WTERMSIG(status)) + ")";
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
        v.violation = "the run's process failed (exit " + std::to_string(WEXITSTATUS(status)) +
                      ": 4 is a failed requirement inside the run)";
    else if (text[0] == 'V')
        v.violation = text.substr(1);
    return v;
}

/// The first seed whose run violates a guarantee, with what it was.
std::optional<std::pair<std::uint64_t, std::string>> sweep(std::optional<injected_bug> bug,
                                                           std::uint64_t seeds) {
    for (std::uint64_t seed = 1; seed <= seeds; ++seed)
        if (auto v = run_schedule_isolated(bug, seed); v.violation)
            return std::make_pair(seed, *v.violation);
    return std::nullopt;
}

void require_found(injected_bug bug, std::uint64_t seeds = seeds_max) {
    const auto found = sweep(bug, seeds);
    BOOST_TEST(found.has_value(), kayak::to_string(bug)
                                      << ": no seed of " << seeds << " found a violation");
    if (found)
        BOOST_TEST_MESSAGE(kayak::to_string(bug)
                           << ": seed " << found->first << ": " << found->second);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bug_sweeps)

BOOST_AUTO_TEST_CASE(the_honest_code_shows_no_violation) {
    const auto found = sweep(std::nullopt, 12);
    BOOST_TEST(!found.has_value(),
               "seed " << (found ? found->first : 0) << ": " << (found ? found->second : ""));
}

BOOST_AUTO_TEST_CASE(a_sweep_finds_commit_without_quorum) {
    require_found(injected_bug::commit_without_quorum);
}
BOOST_AUTO_TEST_CASE(a_sweep_finds_skip_client_signature_check) {
    require_found(injected_bug::skip_client_signature_check);
}
BOOST_AUTO_TEST_CASE(a_sweep_finds_new_leader_ignores_lock) {
    // Its window is narrow since the leader re-sends only to members whose vote it lacks
    // (seed 46 was the first to find it then), and narrower since envelopes are bundled and
    // answers signed per burst (seed 93), and narrower again since a leader sends its commit
    // certificate before it executes and proposes a lone request without waiting for a tick:
    // seed 177 is the first now ("agreement: two batches at seq 15").
    require_found(injected_bug::new_leader_ignores_lock, 200);
}
BOOST_AUTO_TEST_CASE(a_sweep_finds_nondeterministic_time) {
    require_found(injected_bug::nondeterministic_time);
}
BOOST_AUTO_TEST_CASE(a_sweep_finds_accept_stale_view) {
    // Seed 48 is the first to find it since envelopes are bundled (it was within 40 before).
    require_found(injected_bug::accept_stale_view, 60);
}

BOOST_AUTO_TEST_SUITE_END()
