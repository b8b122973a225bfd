// The gateway's client sequence store (storage/client_sequence_store): what begin, settle
// and advance leave on disk, read back by a new store on the same file: a begun request is
// pending after a reopen, a used sequence stays spent, a freed one is taken again, a jump
// skips the sequences in between; rows written by the store are checked at open.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "sample_messages.hpp"
#include "storage/client_sequence_store.hpp"

using namespace covenant;

namespace {
std::string store_path() {
    return "/tmp/covenant_client_sequences_" + std::to_string(::getpid()) + ".sqlite";
}
void remove_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}
std::unique_ptr<storage::client_sequence_store> open_store(const std::string& path) {
    auto store = storage::client_sequence_store::open(path);
    BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.failure().message()));
    return std::move(store).value();
}
protocols::client_request request_on(const database_id& database, client_sequence sequence) {
    static const auto key = test::test_key(9);
    protocols::client_request r;
    r.database = database;
    r.client = key.public_key();
    r.sequence = sequence;
    r.timestamp_ms = 1'700'000'000'000;
    r.kind = protocols::query_kind::write;
    protocols::sql_statement s;
    s.sql = "INSERT INTO t VALUES (" + std::to_string(sequence.value) + ")";
    r.statements.push_back(std::move(s));
    r.sign(key);
    return r;
}
database_id database_numbered(std::uint8_t n) {
    database_id id;
    id.data.fill(n);
    return id;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(client_sequence_store)

BOOST_AUTO_TEST_CASE(begin_settle_and_advance_survive_a_reopen) {
    const std::string path = store_path();
    remove_files(path);
    const auto a = database_numbered(1), b = database_numbered(2);
    {
        auto store = open_store(path);
        BOOST_TEST(store->next(a).value == 1u);
        // a: 1 used, 2 freed (refused before ordering), 2 again begun and left pending.
        BOOST_REQUIRE(store->begin(request_on(a, client_sequence(1))).ok());
        BOOST_REQUIRE(store->settle(a, true).ok());
        BOOST_REQUIRE(store->begin(request_on(a, client_sequence(2))).ok());
        BOOST_REQUIRE(store->settle(a, false).ok());
        BOOST_TEST(store->next(a).value == 2u);
        BOOST_REQUIRE(store->begin(request_on(a, client_sequence(2))).ok());
        // b: 1 used (its settle is the last write before the store closes), then a jump.
        BOOST_REQUIRE(store->begin(request_on(b, client_sequence(1))).ok());
        BOOST_REQUIRE(store->advance(b, client_sequence(40)).ok());
        BOOST_REQUIRE(store->begin(request_on(b, client_sequence(40))).ok());
        BOOST_REQUIRE(store->settle(b, true).ok());
    }
    {
        auto store = open_store(path);
        BOOST_TEST(store->next(a).value == 3u);
        auto pending = store->pending(a);
        BOOST_REQUIRE(pending.has_value());
        BOOST_TEST(pending->sequence.value == 2u);
        BOOST_TEST(pending->hash() == request_on(a, client_sequence(2)).hash());
        BOOST_TEST(store->next(b).value == 41u);
        BOOST_TEST(!store->pending(b).has_value());
        BOOST_TEST(store->all_pending().size() == 1u);
        // Settled after the reopen: the next write takes 3.
        BOOST_REQUIRE(store->settle(a, true).ok());
        BOOST_TEST(store->next(a).value == 3u);
        // A jump backwards changes nothing.
        BOOST_REQUIRE(store->advance(b, client_sequence(5)).ok());
        BOOST_TEST(store->next(b).value == 41u);
    }
    BOOST_TEST(open_store(path)->all_pending().empty());
    remove_files(path);
}

BOOST_AUTO_TEST_CASE(a_damaged_row_is_an_error_at_open) {
    const std::string path = store_path();
    remove_files(path);
    {
        auto store = open_store(path);
        BOOST_REQUIRE(store->begin(request_on(database_numbered(3), client_sequence(1))).ok());
    }
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db, "UPDATE client_sequence SET next = 0", nullptr, nullptr,
                               nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto reopened = storage::client_sequence_store::open(path);
    BOOST_TEST(!reopened.ok());
    if (!reopened.ok()) BOOST_TEST(reopened.failure().message().find("below 1") != std::string::npos);
    remove_files(path);
}

BOOST_AUTO_TEST_SUITE_END()
