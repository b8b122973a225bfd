// Byzantine members of a Kayak group (sim/byzantine.hpp): for each behavior, one Byzantine
// member of four (f = 1), as the view-0 leader and as a follower, while a client writes
// through an honest member and the test decides view changes from suspicions as the main
// chain would. The honest members must commit the same batches with the same digests,
// execute nothing a client did not sign (no forged table), keep evidence only against the
// Byzantine member, and keep making progress (a Byzantine leader replaced by a view
// change). And a Byzantine member's invented answers fail the client's check.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <tuple>

#include "outcomes.hpp"

using namespace covenant;
using namespace covenant::protocols;
using namespace covenant::sim_test;
using covenant::sim::byzantine_behavior;
using covenant::sim::byzantine_behaviors;
using covenant::sim::cluster;
using covenant::sim::cluster_options;

namespace {

constexpr std::size_t writes = 30;
constexpr std::int64_t step_ms = 50;  // one write per step, so that they make many batches
constexpr std::int64_t limit_ms = 40'000;

std::int64_t count_rows(cluster& c, std::size_t i, const std::string& sql) {
    auto rows = c.rows(i, sql);
    return rows.empty() ? 0 : std::get<std::int64_t>(rows.at(0).at(0).value);
}

bool has_table(cluster& c, std::size_t i, const std::string& name) {
    return !c.rows(i, "SELECT name FROM sqlite_schema WHERE name = '" + name + "'").empty();
}

/// Runs the workload against a cluster with Byzantine member `bad` and checks the
/// guarantees on the honest members.
void check_group_with_byzantine_member(byzantine_behaviors behaviors, std::size_t bad,
                                       std::uint64_t seed) {
    cluster_options o;
    o.seed = seed;
    o.byzantine[bad] = behaviors;
    cluster c(o);
    std::vector<std::size_t> honest;
    for (std::size_t i = 0; i < c.size(); ++i)
        if (i != bad) honest.push_back(i);
    const std::size_t entry = bad == 1 ? 2 : 1;  // an honest follower of view 0
    view_authority chain(c);

    std::vector<digest> sent{
        c.write(entry, {sql("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")})};
    std::set<digest> answered;  // with a response that passes the client's check
    std::size_t wrong_answers = 0;
    auto all_done = [&] {
        const auto first = c.status(honest[0]);
        for (auto h : honest) {
            if (!has_table(c, h, "t") ||
                count_rows(c, h, "SELECT count(*) FROM t") != std::int64_t{writes})
                return false;
            if (c.status(h).last_executed != first.last_executed) return false;
        }
        return true;
    };
    bool done = false;
    for (std::int64_t t = 0; t < limit_ms && !done; t += step_ms) {
        if (sent.size() <= writes) {
            const auto k = std::to_string(sent.size() - 1);
            sent.push_back(c.write(entry, {sql("INSERT INTO t VALUES(" + k + ", 'v')")}));
        }
        c.run_for(step_ms);
        chain.decide();
        for (const auto& w : sent) {
            auto r = c.response(w);
            if (!r || !std::holds_alternative<request_outcome>(r->body)) continue;
            if (kayak::write_response_fault(*r, w, c.group())) {
                if (r->responder != c.member_key(bad).public_key()) ++wrong_answers;
            } else
                answered.insert(w);
        }
        if (t % 1000 == 1000 - step_ms) {
            // A client with no answer tells every member (its timeout), the Byzantine one too.
            for (const auto& w : sent)
                if (!answered.count(w))
                    for (std::size_t i = 0; i < c.size(); ++i) c.send_again(w, i);
        }
        if (t % 500 == 0) done = all_done();
    }
    done = done || all_done();
    const auto stats = c.byzantine_activity(bad);
    BOOST_TEST_MESSAGE("byzantine " << behaviors.to_string() << " at member " << bad << ": view "
                                    << chain.view() << ", answered " << answered.size() << "/"
                                    << sent.size() << ", attacker saw " << stats.messages_seen
                                    << " sent " << stats.messages_sent);
    BOOST_TEST(done, "the honest members made progress");
    BOOST_TEST(!first_disagreement(c, honest).has_value(), "agreement");
    BOOST_TEST(divergent_states(c, honest) == 0u, "same state");
    BOOST_TEST(evidence_against_honest(c, honest, {bad}) == 0u);
    BOOST_TEST(wrong_answers == 0u, "the honest members answered only verifiable results");
    for (auto h : honest) {
        BOOST_TEST(unsigned_requests_committed(c, h) == 0u, "member " << h);
        BOOST_TEST(uncertified_commits(c, h) == 0u, "member " << h);
        BOOST_TEST(!has_table(c, h, "byzantine_forged"), "member " << h);
    }
    // A leader whose proposals honest members cannot vote for stalls its view: replaced.
    if (bad == 0 && (behaviors.has(byzantine_behavior::equivocate) ||
                     behaviors.has(byzantine_behavior::alter_requests)))
        BOOST_TEST(chain.view() >= 1u, "the Byzantine leader was replaced");
    // An attack that never fired tested nothing (a follower proposes no batches).
    for (auto b : behaviors.list()) {
        const bool leader_only =
            b == byzantine_behavior::equivocate || b == byzantine_behavior::alter_requests;
        if (bad != 0 && leader_only) continue;
        BOOST_TEST(stats.count(b) > 0u, "behavior " << sim::to_string(b) << " fired");
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(byzantine_members)

BOOST_AUTO_TEST_CASE(behavior_names_round_trip) {
    for (auto b : sim::all_byzantine_behaviors()) {
        BOOST_TEST((sim::parse_byzantine_behavior(sim::to_string(b)).value() == b));
    }
    BOOST_TEST((sim::parse_byzantine_behaviors("all").value() == byzantine_behaviors::all()));
    BOOST_TEST(sim::parse_byzantine_behaviors("equivocate,replay-old")->to_string() ==
               "equivocate,replay-old");
    BOOST_TEST(!sim::parse_byzantine_behaviors("equivocate,nonsense").has_value());
    BOOST_TEST(!sim::parse_byzantine_behavior("withhold_votes").has_value());
}

BOOST_DATA_TEST_CASE(a_byzantine_leader_is_survived, boost::unit_test::data::xrange(8), index) {
    const auto b = sim::all_byzantine_behaviors().at(static_cast<std::size_t>(index));
    BOOST_TEST_CONTEXT("behavior " << sim::to_string(b)) {
        check_group_with_byzantine_member({b}, 0, 11 + static_cast<std::uint64_t>(index));
    }
}

BOOST_DATA_TEST_CASE(a_byzantine_follower_is_survived, boost::unit_test::data::xrange(8), index) {
    const auto b = sim::all_byzantine_behaviors().at(static_cast<std::size_t>(index));
    BOOST_TEST_CONTEXT("behavior " << sim::to_string(b)) {
        check_group_with_byzantine_member({b}, 2, 31 + static_cast<std::uint64_t>(index));
    }
}

BOOST_AUTO_TEST_CASE(a_byzantine_leader_doing_everything_is_survived) {
    check_group_with_byzantine_member(byzantine_behaviors::all(), 0, 8);
}

BOOST_AUTO_TEST_CASE(a_byzantine_members_invented_answers_fail_the_clients_check) {
    cluster_options o;
    o.byzantine[2] = {byzantine_behavior::wrong_results};
    o.byzantine_per_million = 1'000'000;
    cluster c(o);
    std::vector<digest> sent{c.write(2, {sql("CREATE TABLE t(v INTEGER)")})};
    for (int k = 0; k < 4; ++k)
        sent.push_back(c.write(2, {sql("INSERT INTO t VALUES(" + std::to_string(k) + ")")}));
    c.run_for(1'000);
    // Its answers do not even decode at the client (the Merkle path of an invented outcome
    // fails); whatever does must fail the client's check.
    for (const auto& w : sent) {
        auto r = c.response(w);
        if (!r || !std::holds_alternative<request_outcome>(r->body)) continue;
        BOOST_TEST(kayak::write_response_fault(*r, w, c.group()).has_value(),
                   "an invented result passed");
    }
    BOOST_TEST(c.byzantine_activity(2).count(byzantine_behavior::wrong_results) >= sent.size());
    // The writes committed all the same, with the honest results everywhere.
    for (std::size_t i = 0; i < c.size(); ++i)
        BOOST_TEST(count_rows(c, i, "SELECT count(*) FROM t") == 4);
    BOOST_TEST(divergent_states(c, {0, 1, 2, 3}) == 0u);
}

// One seed, one run: the Byzantine member draws only from its seed, so the same options
// give the same attacks and the same end state.
BOOST_AUTO_TEST_CASE(a_byzantine_run_is_reproduced_by_its_seed) {
    auto run = [](std::uint64_t seed) {
        cluster_options o;
        o.seed = seed;
        o.byzantine[0] = byzantine_behaviors::all();
        cluster c(o);
        view_authority chain(c);
        c.write(1, {sql("CREATE TABLE t(k INTEGER PRIMARY KEY)")});
        for (int k = 0; k < 20; ++k) {
            c.write(1, {sql("INSERT INTO t VALUES(" + std::to_string(k) + ")")});
            c.run_for(50);
            chain.decide();
        }
        c.run_for(3'000);
        const auto s = c.status(1);
        return std::make_tuple(c.byzantine_activity(0).messages_sent, s.last_committed,
                               s.state_digest, chain.view());
    };
    BOOST_TEST((run(3) == run(3)));
    BOOST_TEST((std::get<0>(run(3)) != std::get<0>(run(4))), "another seed, other attacks");
}

// Beyond f: two Byzantine members of four. The guarantees may be lost (two Byzantine
// votes and one honest member's are a quorum); what must hold is that nothing crashes,
// the honest replicas keep answering, and the checkers can say what was lost.
BOOST_AUTO_TEST_CASE(more_than_f_byzantine_members_crash_nothing) {
    cluster_options o;
    o.byzantine[0] = byzantine_behaviors::all();
    o.byzantine[2] = byzantine_behaviors::all();
    o.byzantine_per_million = 500'000;
    cluster c(o);
    view_authority chain(c);
    c.write(1, {sql("CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT)")});
    for (int k = 0; k < 60; ++k) {
        c.write(1 + 2 * static_cast<std::size_t>(k % 2),
                {sql("INSERT INTO t VALUES(" + std::to_string(k) + ", 'v')")});
        c.run_for(100);
        chain.decide();
    }
    c.run_for(2'000);
    const std::vector<std::size_t> honest{1, 3};
    for (auto h : honest) BOOST_TEST(c.status(h).view <= chain.view());  // still answering
    BOOST_TEST_MESSAGE("beyond f: view " << chain.view() << ", disagreement "
                                         << first_disagreement(c, honest).value_or(0)
                                         << ", divergent states " << divergent_states(c, honest)
                                         << ", evidence against honest "
                                         << evidence_against_honest(c, honest, {0, 2}));
}

BOOST_AUTO_TEST_SUITE_END()
