// The checkers of covenant-sim fire on crafted violations: each is fed a fabricated
// history or state that breaks its guarantee (and one that keeps it), so none is a check
// that cannot fail. Also the scenario file's strict reading and the seed-range syntax.
#define BOOST_TEST_MODULE simtool
#include <boost/test/unit_test.hpp>

#include "sim/check/checkers.hpp"
#include "sim/check/linearizability.hpp"
#include "sim/kayak_cluster.hpp"
#include "sim/scenario.hpp"

using namespace covenant;
using namespace covenant::protocols;
using namespace covenant::sim;

namespace {

database_id test_database() {
    database_id id{};
    id.data[0] = 7;
    return id;
}

client_request signed_request(std::uint32_t key, std::uint64_t sequence, const database_id& db) {
    client_request r;
    r.database = db;
    r.client = simulated_key(key).public_key();
    r.sequence = client_sequence(sequence);
    r.statements.push_back({"INSERT INTO t VALUES(1)", {}});
    r.sign(simulated_key(key));
    return r;
}

// A gap-free, hash-linked log of `n` batches; `variant` changes batch `changed_seq`.
std::vector<committed_batch> make_log(std::size_t n, std::uint64_t changed_seq = 0,
                                      std::uint32_t key = 1) {
    std::vector<committed_batch> out;
    digest parent{};
    for (std::uint64_t seq = 1; seq <= n; ++seq) {
        committed_batch c;
        c.batch.header.database = test_database();
        c.batch.header.seq = sequence_number(seq);
        c.batch.header.parent = parent;
        c.batch.header.timestamp_ms =
            static_cast<std::int64_t>(seq) + (seq == changed_seq ? 1000 : 0);
        c.batch.requests.push_back(signed_request(key, seq, test_database()));
        c.batch.seal_header();
        c.commit_certificate.phase = vote_phase::commit;
        c.commit_certificate.database = test_database();
        c.commit_certificate.seq = c.batch.header.seq;
        c.commit_certificate.batch_hash = c.batch.hash();
        parent = c.batch.hash();
        out.push_back(std::move(c));
    }
    return out;
}

bool fired(const violations& v, const std::string& checker) {
    for (const auto& x : v)
        if (x.checker == checker) return true;
    return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(agreement_fires_on_different_batches_at_one_seq) {
    std::vector<replica_log> same{
        {"miner 0", make_log(5)}, {"miner 1", make_log(5)}, {"miner 2", make_log(3)}};
    BOOST_TEST(check_log_agreement("db", same).empty());
    std::vector<replica_log> forked{{"miner 0", make_log(5)}, {"miner 1", make_log(5, 4)}};
    BOOST_TEST(fired(check_log_agreement("db", forked), "agreement"));
}

BOOST_AUTO_TEST_CASE(agreement_fires_on_a_gap_or_a_broken_link) {
    auto gap = make_log(5);
    gap.erase(gap.begin() + 2);
    BOOST_TEST(fired(check_log_agreement("db", {{"miner 0", gap}}), "agreement"));
    auto unlinked = make_log(5);
    unlinked[3].batch.header.parent = digest{};
    unlinked[3].batch.seal_header();
    unlinked[3].commit_certificate.batch_hash = unlinked[3].batch.hash();
    BOOST_TEST(fired(check_log_agreement("db", {{"miner 0", unlinked}}), "agreement"));
}

BOOST_AUTO_TEST_CASE(commit_certificates_without_a_quorum_fire) {
    group g({simulated_key(10).public_key(), simulated_key(11).public_key(),
             simulated_key(12).public_key(), simulated_key(13).public_key()});
    // The fabricated certificates carry no votes at all: no quorum.
    BOOST_TEST(fired(check_commit_certificates("db", {{"miner 0", make_log(2)}}, group_history(g)),
                     "agreement"));
}

BOOST_AUTO_TEST_CASE(main_chain_agreement_fires_on_two_final_blocks_at_one_height) {
    digest a{}, b{};
    a.data[0] = 1;
    b.data[0] = 2;
    BOOST_TEST(check_main_chain_agreement({{"producer 0", {a, a}}, {"producer 1", {a}}}).empty());
    BOOST_TEST(fired(check_main_chain_agreement({{"producer 0", {a, a}}, {"producer 1", {a, b}}}),
                     "agreement"));
}

BOOST_AUTO_TEST_CASE(durability_fires_on_a_lost_acknowledged_write) {
    const auto log = make_log(5);
    const acknowledged_write acked{log[2].batch.requests[0].hash(), sequence_number(3),
                                   log[2].batch.hash()};
    BOOST_TEST(check_durability("db", {acked}, {{"miner 0", log}}, {"miner 0"}).empty());
    // Another batch at its seq (the write was rolled back and replaced).
    BOOST_TEST(fired(check_durability("db", {acked}, {{"miner 0", make_log(5, 3)}}, {"miner 0"}),
                     "durability"));
    // A replica that caught up but whose log ends before it.
    BOOST_TEST(fired(check_durability("db", {acked}, {{"miner 0", make_log(2)}}, {"miner 0"}),
                     "durability"));
    // One that is not required to have caught up is not blamed.
    BOOST_TEST(check_durability("db", {acked}, {{"miner 0", make_log(2)}}, {}).empty());
}

BOOST_AUTO_TEST_CASE(validity_fires_on_unsigned_unauthorized_or_unsent_requests) {
    const auto log = make_log(3);
    std::set<digest> sent;
    for (const auto& c : log) sent.insert(c.batch.requests[0].hash());
    const std::set<public_key> allowed{simulated_key(1).public_key()};
    BOOST_TEST(check_validity(test_database(), {{"miner 0", log}}, allowed, sent).empty());
    BOOST_TEST(fired(
        check_validity(test_database(), {{"miner 0", log}}, {simulated_key(2).public_key()}, sent),
        "validity"));
    BOOST_TEST(fired(check_validity(test_database(), {{"miner 0", log}}, allowed, {}), "validity"));
    auto forged = log;
    forged[1].batch.requests[0].statements[0].sql = "DROP TABLE t";  // the signature no longer fits
    BOOST_TEST(
        fired(check_validity(test_database(), {{"miner 0", forged}}, allowed, sent), "validity"));
}

BOOST_AUTO_TEST_CASE(same_state_fires_on_different_digests_or_rows_at_one_seq) {
    const bytes d1(32, 1), d2(32, 2);
    BOOST_TEST(
        check_same_state("db", {{"a", 5, d1, "x", false}, {"b", 5, d1, "x", false}}, true).empty());
    BOOST_TEST(
        fired(check_same_state("db", {{"a", 5, d1, "x", false}, {"b", 5, d2, "x", false}}, false),
              "same-state"));
    BOOST_TEST(
        fired(check_same_state("db", {{"a", 5, d1, "x", false}, {"b", 5, d1, "y", false}}, false),
              "same-state"));
    // Not converged after healing.
    BOOST_TEST(
        fired(check_same_state("db", {{"a", 5, d1, "x", false}, {"b", 4, d2, "y", false}}, true),
              "same-state"));
    // A known-divergent eventual leader is excused (and counted), but does not hide another
    // divergence.
    std::size_t excused = 0;
    BOOST_TEST(
        check_same_state("db", {{"a", 5, d1, "x", false}, {"b", 5, d2, "y", true}}, true, &excused)
            .empty());
    BOOST_TEST(excused == 1u);
    BOOST_TEST(fired(
        check_same_state(
            "db", {{"a", 5, d1, "x", false}, {"b", 5, d2, "y", true}, {"c", 5, d2, "y", false}},
            true),
        "same-state"));
}

BOOST_AUTO_TEST_CASE(bank_and_conservation_fire_when_money_appears) {
    BOOST_TEST(check_bank_total("db", {{"miner 0", 8000}}, 8000).empty());
    BOOST_TEST(fired(check_bank_total("db", {{"miner 0", 8000}, {"miner 1", 8050}}, 8000), "bank"));
    BOOST_TEST(check_conservation({{"producer 0", 100}}, 100).empty());
    BOOST_TEST(
        fired(check_conservation({{"producer 0", 100}, {"producer 1", 99}}, 100), "conservation"));
    BOOST_TEST(check_balances({{"client 1", 90}}, {{"client 1", 90}}).empty());
    BOOST_TEST(fired(check_balances({{"client 1", 90}}, {{"client 1", 91}}), "conservation"));
}

BOOST_AUTO_TEST_CASE(verifiable_fires_on_a_result_without_its_proof) {
    group g({simulated_key(10).public_key(), simulated_key(11).public_key(),
             simulated_key(12).public_key(), simulated_key(13).public_key()});
    client_response r;
    r.database = test_database();
    r.responder = simulated_key(10).public_key();
    r.body = request_outcome{};
    r.sign(simulated_key(10));
    BOOST_TEST(fired(check_verifiable("db", {{digest{}, r}}, group_history(g)), "verifiable"));
}

BOOST_AUTO_TEST_CASE(liveness_fires_on_what_did_not_finish) {
    BOOST_TEST(check_liveness({}, 1000).empty());
    BOOST_TEST(fired(check_liveness({"db0: probe write"}, 1000), "liveness"));
}

BOOST_AUTO_TEST_CASE(linearizability_of_one_register) {
    using k = register_op::kind;
    // w(1) then r(1): fine. r(0) after w(1) completed: stale, not linearizable.
    BOOST_TEST(!linearizability_fault({{k::write, 1, 0, 10}, {k::read, 1, 20, 30}}, 0));
    BOOST_TEST(linearizability_fault({{k::write, 1, 0, 10}, {k::read, 0, 20, 30}}, 0).has_value());
    // Concurrent write and read: either value is fine.
    BOOST_TEST(!linearizability_fault({{k::write, 1, 0, 50}, {k::read, 0, 10, 20}}, 0));
    BOOST_TEST(!linearizability_fault({{k::write, 1, 0, 50}, {k::read, 1, 10, 20}}, 0));
    // A pending write may have taken effect, or not.
    BOOST_TEST(!linearizability_fault({{k::write, 1, 0, std::nullopt}, {k::read, 1, 100, 110}}, 0));
    BOOST_TEST(!linearizability_fault({{k::write, 1, 0, std::nullopt}, {k::read, 0, 100, 110}}, 0));
    // Reads going back in time: r(2) then a later r(1) after w(1) < w(2) in real time.
    BOOST_TEST(linearizability_fault({{k::write, 1, 0, 10},
                                      {k::write, 2, 20, 30},
                                      {k::read, 2, 40, 50},
                                      {k::read, 1, 60, 70}},
                                     0)
                   .has_value());
    // A value nobody wrote.
    BOOST_TEST(linearizability_fault({{k::read, 9, 0, 10}}, 0).has_value());
    std::vector<register_history> h{{"0", 0, {{k::write, 1, 0, 10}, {k::read, 0, 20, 30}}}};
    BOOST_TEST(fired(check_registers("db", h), "linearizability"));
}

BOOST_AUTO_TEST_CASE(scenario_files_are_read_strictly) {
    auto ok = read_scenario_text(R"(
miners = 5
duration_ms = 5000
[workload]
bank = false
[faults]
tick_ms = 250
[faults.network]
drop = 0.1
[faults.partitions]
enabled = false
)",
                                 scenario{});
    BOOST_TEST_REQUIRE(ok.ok());
    BOOST_TEST(ok->miners == 5u);
    BOOST_TEST(!ok->bank);
    BOOST_TEST(ok->faults.drop == 0.1);
    BOOST_TEST(!ok->faults.partitions);
    BOOST_TEST(ok->faults.tick_ms == 250);
    auto unknown = read_scenario_text("minres = 5\n", scenario{});
    BOOST_TEST_REQUIRE(!unknown.ok());
    BOOST_TEST(unknown.failure().detail.find("minres") != std::string::npos);
    BOOST_TEST(!read_scenario_text("[faults.network]\ndrop = 1.5\n", scenario{}).ok());
    BOOST_TEST(!read_scenario_text("members = 9\nminers = 6\n", scenario{}).ok());
    BOOST_TEST(
        !read_scenario_text("[byzantine]\ninject_bugs = [\"no-such-bug\"]\n", scenario{}).ok());
    BOOST_TEST(read_scenario_text("[byzantine]\ninject_bugs = [\"commit-without-quorum\"]\nbehaviors = [\"all\"]\n",
                                  scenario{})
                   .ok());
}

BOOST_AUTO_TEST_CASE(the_shipped_scenarios_read) {
    auto defaults = read_scenario_file(COVENANT_SOURCE_DIR "/sim/scenarios/default.toml", scenario{});
    BOOST_TEST_REQUIRE(defaults.ok());
    const scenario d;
    BOOST_TEST(defaults->miners == d.miners);
    BOOST_TEST(defaults->duration_ms == d.duration_ms);
    BOOST_TEST(defaults->faults.drop == d.faults.drop);
    BOOST_TEST(defaults->faults.clock_skew_ms_max == d.faults.clock_skew_ms_max);
    auto heavy = read_scenario_file(COVENANT_SOURCE_DIR "/sim/scenarios/heavy.toml", scenario{});
    BOOST_TEST_REQUIRE(heavy.ok());
    BOOST_TEST(heavy->faults.crash == 0.3);
}

BOOST_AUTO_TEST_CASE(seed_ranges) {
    BOOST_TEST((parse_seed_range("3-7") == std::make_pair<std::uint64_t, std::uint64_t>(3, 7)));
    BOOST_TEST((parse_seed_range("4") == std::make_pair<std::uint64_t, std::uint64_t>(4, 4)));
    BOOST_TEST(!parse_seed_range("7-3"));
    BOOST_TEST(!parse_seed_range("a-b"));
    BOOST_TEST(!parse_seed_range(""));
}
