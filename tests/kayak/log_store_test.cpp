// The SQLite Kayak log: what was saved is what a restarted replica recovers, a new batch
// for a seq drops the old lock, committing clears the accepted slots, and catch-up reads
// return committed batches in order.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>

#include "sample_messages.hpp"
#include "storage/kayak_log_store.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {
std::string temp_log_path() {
    return "/tmp/covenant_kayak_log_" + std::to_string(::getpid()) + ".sqlite";
}
void remove_log(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(kayak_log)

BOOST_AUTO_TEST_CASE(a_reopened_log_recovers_view_locks_and_commits) {
    const std::string path = temp_log_path();
    remove_log(path);
    const batch first = test::sample_batch(1, 2);
    batch second = test::sample_batch(2, 1);
    second.header.parent = first.hash();
    second.seal_header();
    const certificate commit_first = test::sample_certificate(first, vote_phase::commit);
    const certificate lock_second = test::sample_certificate(second, vote_phase::prepare);
    {
        auto log = storage::kayak_log_store::open(path);
        BOOST_REQUIRE(log.ok());
        (*log)->save_view(view_number(2));
        (*log)->save_accepted(view_number(2), first);
        (*log)->save_prepared(test::sample_certificate(first, vote_phase::prepare));
        (*log)->save_committed(first, commit_first);
        (*log)->save_accepted(view_number(2), second);
        (*log)->save_prepared(lock_second);
        (*log)->save_evidence(std::get<tx::evidence>(test::sample_transactions()[12].body));
    }
    auto log = storage::kayak_log_store::open(path);
    BOOST_REQUIRE(log.ok());
    const auto recovered = (*log)->recover();
    BOOST_TEST(recovered.view.value == 2u);
    BOOST_TEST(recovered.last_committed.value == 1u);
    BOOST_TEST(recovered.last_committed_hash == first.hash());
    BOOST_REQUIRE_EQUAL(recovered.accepted.size(), 1u);  // seq 1 left the accepted slots
    const auto& slot = recovered.accepted.at(sequence_number(2));
    BOOST_TEST((slot.batch == second));
    BOOST_REQUIRE(slot.prepared.has_value());
    BOOST_TEST((*slot.prepared == lock_second));
    const auto committed = (*log)->load_committed(sequence_number(1), 10);
    BOOST_REQUIRE_EQUAL(committed.size(), 1u);
    BOOST_TEST((committed[0].batch == first));
    BOOST_TEST((committed[0].commit_certificate == commit_first));
    BOOST_TEST((*log)->evidence_count() == 1u);

    // Another batch accepted at seq 2 in a later view replaces the slot and its lock.
    batch other = second;
    other.header.timestamp_ms += 1;
    other.seal_header();
    (*log)->save_accepted(view_number(3), other);
    const auto after = (*log)->recover();
    BOOST_TEST((after.accepted.at(sequence_number(2)).batch == other));
    BOOST_TEST(!after.accepted.at(sequence_number(2)).prepared.has_value());
    remove_log(path);
}

BOOST_AUTO_TEST_SUITE_END()
