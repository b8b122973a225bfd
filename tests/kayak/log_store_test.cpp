// The SQLite Kayak log: what was saved is what a restarted replica recovers, a new batch
// for a seq drops the old lock (the same batch keeps it), committing clears the accepted
// slots and their locks (the accepted row stays as a committed batch's bytes, written once),
// catch-up reads return committed batches in order, and a lock kept
// where older logs kept it is still recovered, as is a log from before batch hashes. Saves in a group reach the file (for any
// other reader, and for a restart) only when the group ends or syncs; a group never ended is
// lost whole.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <sqlite3.h>

#include <cstdio>

#include "sample_messages.hpp"
#include "storage/kayak_log_store.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {
std::string temp_log_path() {
    return "/tmp/covenant_kayak_log_" + std::to_string(::getpid()) + ".sqlite";
}
// What another connection (another process, or this one after a crash) reads in the file:
// the one integer of the one row `sql` selects.
std::int64_t integer_on_disk(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    const std::int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}
std::int64_t rows_on_disk(const std::string& path, const char* table) {
    return integer_on_disk(path, std::string("SELECT count(*) FROM ") + table);
}
void remove_log(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
// Writes to the file what an older version of the log store would have: `setup`, then
// `statement` with `blob` for its one parameter.
void write_as_an_older_log(const std::string& path, const char* setup, const char* statement,
                           const bytes& blob) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db, setup, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db, statement, -1, &s, nullptr) == SQLITE_OK);
    sqlite3_bind_blob(s, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    BOOST_TEST(sqlite3_step(s) == SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

// Batches 1 and 2, the second's parent the first.
std::pair<batch, batch> two_linked_batches() {
    batch first = test::sample_batch(1, 2);
    batch second = test::sample_batch(2, 1);
    second.header.parent = first.hash();
    second.seal_header();
    return {first, second};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(kayak_log)

BOOST_AUTO_TEST_CASE(a_reopened_log_recovers_view_locks_and_commits) {
    const std::string path = temp_log_path();
    remove_log(path);
    const auto [first, second] = two_linked_batches();
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

    // The same batch accepted again (a PREPARE sent again) keeps its lock.
    const certificate lock_other = test::sample_certificate(other, vote_phase::prepare);
    (*log)->save_prepared(lock_other);
    (*log)->save_accepted(view_number(3), other);
    const auto again = (*log)->recover();
    BOOST_REQUIRE(again.accepted.at(sequence_number(2)).prepared.has_value());
    BOOST_TEST((*again.accepted.at(sequence_number(2)).prepared == lock_other));
    // Committing seq 2 drops its slot and its lock.
    (*log)->save_committed(other, test::sample_certificate(other, vote_phase::commit));
    BOOST_TEST((*log)->recover().accepted.empty());
    remove_log(path);
}

BOOST_AUTO_TEST_CASE(a_committed_batch_is_written_once_and_read_back_whole) {
    // The accepted row stays as the committed batch's bytes; a catch-up commit of another
    // batch at a seq replaces the accepted row's batch with its own bytes; a later accept
    // at a committed seq changes nothing.
    const std::string path = temp_log_path();
    remove_log(path);
    const auto [first, second] = two_linked_batches();
    batch stale = second;  // what this member accepted at seq 2 before catching up
    stale.header.timestamp_ms += 7;
    stale.seal_header();
    {
        auto log = storage::kayak_log_store::open(path);
        BOOST_REQUIRE(log.ok());
        (*log)->save_accepted(view_number(1), first);
        (*log)->save_committed(first, test::sample_certificate(first, vote_phase::commit));
        (*log)->save_accepted(view_number(1), stale);
        (*log)->save_committed(second, test::sample_certificate(second, vote_phase::commit));
        batch later = first;  // a (wrong) accept at committed seq 1
        later.header.timestamp_ms += 1;
        later.seal_header();
        (*log)->save_accepted(view_number(2), later);
    }
    BOOST_TEST(integer_on_disk(path, "SELECT length(batch) FROM committed WHERE seq = 1") == 0);
    BOOST_TEST(integer_on_disk(path, "SELECT length(batch) FROM accepted WHERE seq = 1") ==
               static_cast<std::int64_t>(encode(first).size()));
    BOOST_TEST(integer_on_disk(path, "SELECT length(batch) FROM committed WHERE seq = 2") ==
               static_cast<std::int64_t>(encode(second).size()));
    BOOST_TEST(integer_on_disk(path, "SELECT count(*) FROM accepted WHERE seq = 2") == 0);
    auto log = storage::kayak_log_store::open(path);
    BOOST_REQUIRE(log.ok());
    const auto recovered = (*log)->recover();
    BOOST_TEST(recovered.last_committed.value == 2u);
    BOOST_TEST(recovered.last_committed_hash == second.hash());
    BOOST_TEST(recovered.accepted.empty());
    const auto committed = (*log)->load_committed(sequence_number(1), 10);
    BOOST_REQUIRE_EQUAL(committed.size(), 2u);
    BOOST_TEST((committed[0].batch == first));
    BOOST_TEST((committed[1].batch == second));
    BOOST_TEST((committed[0].commit_certificate == test::sample_certificate(first, vote_phase::commit)));
    remove_log(path);
}

BOOST_AUTO_TEST_CASE(a_lock_written_by_an_older_log_is_still_recovered) {
    // Logs written before locks had a table of their own kept the lock in accepted.prepared.
    const std::string path = temp_log_path();
    remove_log(path);
    const batch first = test::sample_batch(1, 2);
    const certificate lock = test::sample_certificate(first, vote_phase::prepare);
    {
        auto log = storage::kayak_log_store::open(path);
        BOOST_REQUIRE(log.ok());
        (*log)->save_accepted(view_number(1), first);
    }
    write_as_an_older_log(path, "", "UPDATE accepted SET prepared = ? WHERE seq = 1", encode(lock));
    auto log = storage::kayak_log_store::open(path);
    BOOST_REQUIRE(log.ok());
    const auto recovered = (*log)->recover();
    BOOST_REQUIRE(recovered.accepted.at(sequence_number(1)).prepared.has_value());
    BOOST_TEST((*recovered.accepted.at(sequence_number(1)).prepared == lock));
    remove_log(path);
}

BOOST_AUTO_TEST_CASE(a_log_from_before_batch_hashes_commits_what_it_accepted_and_what_it_did_not) {
    // Logs from before accepted.batch_hash: the column is added when the log opens; a batch
    // accepted then is committed by encoding it (no hash to match), a new one by copying
    // its accepted row, one never accepted (catch-up) by encoding it.
    const std::string path = temp_log_path();
    remove_log(path);
    const auto [first, second] = two_linked_batches();
    batch third = test::sample_batch(3, 2);
    third.header.parent = second.hash();
    third.seal_header();
    write_as_an_older_log(path,
                          "PRAGMA journal_mode=WAL;"
                          "CREATE TABLE accepted(seq INTEGER PRIMARY KEY, view INTEGER NOT NULL,"
                          "  batch BLOB NOT NULL, prepared BLOB);",
                          "INSERT INTO accepted VALUES(1, 1, ?, NULL)", encode(first));
    {
        auto log = storage::kayak_log_store::open(path);
        BOOST_REQUIRE(log.ok());
        BOOST_TEST(((*log)->recover().accepted.at(sequence_number(1)).batch == first));
        (*log)->save_committed(first, test::sample_certificate(first, vote_phase::commit));
        (*log)->save_accepted(view_number(1), second);
        (*log)->save_committed(second, test::sample_certificate(second, vote_phase::commit));
        (*log)->save_committed(third, test::sample_certificate(third, vote_phase::commit));
    }
    auto log = storage::kayak_log_store::open(path);  // opens again: the column is there
    BOOST_REQUIRE(log.ok());
    const auto recovered = (*log)->recover();
    BOOST_TEST(recovered.last_committed.value == 3u);
    BOOST_TEST(recovered.accepted.empty());
    const auto committed = (*log)->load_committed(sequence_number(1), 10);
    BOOST_REQUIRE_EQUAL(committed.size(), 3u);
    BOOST_TEST((committed[0].batch == first));
    BOOST_TEST((committed[1].batch == second));
    BOOST_TEST((committed[2].batch == third));
    BOOST_TEST((committed[1].commit_certificate == test::sample_certificate(second, vote_phase::commit)));
    remove_log(path);
}

BOOST_AUTO_TEST_CASE(saves_in_a_group_reach_the_file_when_the_group_ends_or_syncs) {
    const std::string path = temp_log_path();
    remove_log(path);
    const auto [first, second] = two_linked_batches();
    {
        auto log = storage::kayak_log_store::open(path);
        BOOST_REQUIRE(log.ok());
        (*log)->begin_group();
        (*log)->save_view(view_number(4));
        (*log)->save_accepted(view_number(4), first);  // a save of two statements joins too
        BOOST_TEST(rows_on_disk(path, "accepted") == 0);
        BOOST_TEST(rows_on_disk(path, "meta") == 0);
        (*log)->sync();  // what execution waits for: on disk, and the group goes on
        BOOST_TEST(rows_on_disk(path, "accepted") == 1);
        (*log)->save_committed(first, test::sample_certificate(first, vote_phase::commit));
        (*log)->save_accepted(view_number(4), second);
        BOOST_TEST(rows_on_disk(path, "committed") == 0);
        BOOST_TEST((*log)->recover().last_committed.value == 1u);  // its own saves it sees
        (*log)->end_group();
        BOOST_TEST(rows_on_disk(path, "committed") == 1);
        BOOST_TEST(rows_on_disk(path, "accepted") == 2);  // seq 2, and seq 1's bytes (committed)
        (*log)->save_view(view_number(5));  // outside a group: on disk at once
        BOOST_TEST(rows_on_disk(path, "meta") == 1);
        BOOST_TEST((*log)->recover().view.value == 5u);
        // A group still open when the log closes (its actor stopped mid-pass, or the process
        // died) is lost whole, as none of it was sent.
        (*log)->begin_group();
        (*log)->save_view(view_number(6));
        (*log)->save_prepared(test::sample_certificate(second, vote_phase::prepare));
        BOOST_TEST(rows_on_disk(path, "locks") == 0);
    }
    auto log = storage::kayak_log_store::open(path);
    BOOST_REQUIRE(log.ok());
    const auto recovered = (*log)->recover();
    BOOST_TEST(recovered.view.value == 5u);
    BOOST_TEST(recovered.last_committed.value == 1u);
    BOOST_REQUIRE_EQUAL(recovered.accepted.size(), 1u);
    BOOST_TEST(!recovered.accepted.at(sequence_number(2)).prepared.has_value());
    remove_log(path);
}

BOOST_AUTO_TEST_SUITE_END()
