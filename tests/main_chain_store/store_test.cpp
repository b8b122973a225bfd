// The SQLite main-chain store and replay: a real chain, finalized by four producers driven
// through an in-test message pump, is stored, reopened, read back unchanged and replayed
// from genesis to the producers' state root; an append that is not the next final block
// (height, parent, too few or non-producer finality signatures) is refused and writes
// nothing; a stored block altered on disk is an error value, never a crash; replay finds a
// block whose state root was altered (and re-signed by a quorum) at its height. A
// producer's own records (producer_record_store, same file): read back unchanged, kept for
// the height being decided, a conflicting one refused with nothing written, damage an
// error value.
#define BOOST_TEST_MODULE main_chain_store
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>

#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/producer.hpp"
#include "sample_messages.hpp"
#include "storage/main_chain_store.hpp"
#include "storage/producer_record_store.hpp"

using namespace covenant;
using namespace covenant::main_chain;
using covenant::storage::main_chain_store;
using covenant::storage::main_store_errc;
using covenant::storage::producer_record_store;
using covenant::test::test_key;
using protocols::main_block;

namespace {

// A fresh directory per test, removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static int made = 0;
        path = std::filesystem::temp_directory_path() /
               ("covenant-main-chain-store-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(++made));
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

protocols::transaction signed_tx(const crypto::key_pair& from, std::uint64_t nonce,
                                 decltype(protocols::transaction::body) body) {
    protocols::transaction tx;
    tx.sender = from.public_key();
    tx.nonce = account_nonce{nonce};
    tx.fee = 1;
    tx.body = std::move(body);
    tx.sign(from);
    return tx;
}

// Four producers, every message delivered to the others, virtual time: the final blocks
// each producer outputs, and the genesis they all started from.
struct chain_fixture {
    genesis g;
    std::vector<crypto::key_pair> keys;
    std::vector<public_key> set;
    std::vector<producer> producers;
    std::vector<std::vector<main_block>> finals;
    std::vector<std::vector<producer_record>> records;  // every to_persist, per producer
    std::deque<std::pair<std::size_t, producer_message>> queue;
    std::int64_t now = 0;

    chain_fixture() {
        g.allocations[crypto::address_of(test_key(1).public_key())] = 100'000;
        g.allocations[crypto::address_of(test_key(2).public_key())] = 50'000;
        g.parameters.unstake_delay = 3;  // so replay has matured unstakes to release
        producer_config cfg;
        for (std::uint8_t i = 21; i <= 24; ++i) {
            keys.push_back(test_key(i));
            set.push_back(keys.back().public_key());
        }
        g.initial_producers = set;
        cfg.block_interval_ms = 100;
        cfg.propose_timeout_ms = 1000;
        cfg.transactions_per_block_max = 4;
        auto l = ledger::from_genesis(g);
        BOOST_REQUIRE(l.ok());
        for (auto& k : keys) producers.emplace_back(k, cfg, l.value());
        finals.resize(keys.size());
        records.resize(keys.size());
        for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].start(now));

        const auto alice = test_key(1), bob = test_key(2);
        const auto bob_address = crypto::address_of(bob.public_key());
        submit(0, signed_tx(bob, 1, protocols::tx::stake{2'000}));
        run(300);
        submit(1, signed_tx(bob, 2, protocols::tx::unstake{500}));
        run(300);
        for (std::uint64_t n = 1; n <= 12; ++n) {
            submit(n % 4, signed_tx(alice, n, protocols::tx::transfer{bob_address, 10 * n}));
            run(30);
        }
        run(2000);
    }

    void handle(std::size_t from, producer_output out) {
        for (auto& r : out.to_persist) records[from].push_back(std::move(r));
        for (auto& b : out.finalized) finals[from].push_back(std::move(b));
        for (auto& m : out.messages)
            for (std::size_t to = 0; to < producers.size(); ++to)
                if (to != from) queue.emplace_back(to, m);
    }
    void pump() {
        while (!queue.empty()) {
            auto [to, m] = std::move(queue.front());
            queue.pop_front();
            handle(to, producers[to].on_message(m, now));
        }
    }
    void run(std::int64_t ms) {
        for (std::int64_t end = now + ms; now < end;) {
            pump();
            now += 10;
            for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].on_tick(now));
        }
        pump();
    }
    void submit(std::size_t at, const protocols::transaction& tx) {
        handle(at, producers[at].on_transaction(tx, now));
    }

    const std::vector<main_block>& chain() const { return finals[0]; }
    const crypto::key_pair& key_of(const public_key& k) const {
        for (const auto& key : keys)
            if (key.public_key() == k) return key;
        BOOST_FAIL("not a producer key");
        return keys.front();
    }
    // `b` with its proposal re-signed by its proposer and finality votes from `signers`.
    main_block resigned(main_block b, const std::vector<crypto::key_pair>& signers) const {
        b.sign_proposal(key_of(b.header.proposer));
        b.finality.clear();
        for (const auto& k : signers) b.add_finality_vote(k);
        return b;
    }
    std::vector<crypto::key_pair> quorum() const { return {keys[0], keys[1], keys[2]}; }
};

std::unique_ptr<main_chain_store> open_store(const std::string& path) {
    auto store = main_chain_store::open(path);
    BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.failure().message()));
    return std::move(store).value();
}

void append_all(main_chain_store& store, const std::vector<main_block>& chain,
                const std::vector<public_key>& set) {
    for (const auto& block : chain) {
        auto appended = store.append(block, set);
        BOOST_REQUIRE_MESSAGE(appended.ok(), (appended.ok() ? "" : appended.failure().message()));
    }
}

template <class T>
void check_error(const result<T>& r, main_store_errc code, const std::string& words) {
    BOOST_REQUIRE(!r.ok());
    const auto& failure = r.failure();
    BOOST_TEST((failure.code == make_error_code(code)), failure.message());
    BOOST_TEST(failure.detail.find(words) != std::string::npos,
               "\"" << failure.message() << "\" does not say \"" << words << "\"");
}

// The file through the plain SQLite API, behind the store's back.
class raw_file {
  public:
    explicit raw_file(const std::string& path) {
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
    }
    ~raw_file() { sqlite3_close(db_); }
    raw_file(const raw_file&) = delete;
    raw_file& operator=(const raw_file&) = delete;

    std::int64_t rows() {
        sqlite3_stmt* s = nullptr;
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM main_block", -1, &s,
                                         nullptr) == SQLITE_OK);
        BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        const auto n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        return n;
    }
    bytes blob(const std::string& column, std::uint64_t height) {
        sqlite3_stmt* s = nullptr;
        const std::string sql = "SELECT " + column + " FROM main_block WHERE height = ?1";
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(height));
        BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
        bytes out(data, data + sqlite3_column_bytes(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    void set_blob(const std::string& column, std::uint64_t height, const bytes& value) {
        sqlite3_stmt* s = nullptr;
        const std::string sql = "UPDATE main_block SET " + column + " = ?1 WHERE height = ?2";
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        if (value.empty())
            sqlite3_bind_zeroblob(s, 1, 0);  // an empty blob, not NULL
        else
            sqlite3_bind_blob64(s, 1, value.data(), value.size(), SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(height));
        BOOST_REQUIRE_MESSAGE(sqlite3_step(s) == SQLITE_DONE, sqlite3_errmsg(db_));
        BOOST_REQUIRE(sqlite3_changes(db_) == 1);
        sqlite3_finalize(s);
    }

  private:
    sqlite3* db_ = nullptr;
};

// The first block holding at least one transaction, below the head.
std::size_t index_of_block_with_transactions(const std::vector<main_block>& chain) {
    for (std::size_t i = 0; i + 1 < chain.size(); ++i)
        if (!chain[i].transactions.empty()) return i;
    BOOST_FAIL("no block with transactions below the head");
    return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_chain_survives_reopen_and_replays_to_the_same_state) {
    chain_fixture net;
    const auto& chain = net.chain();
    BOOST_REQUIRE(chain.size() >= 6u);
    std::size_t txs = 0;
    for (const auto& b : chain) txs += b.transactions.size();
    BOOST_REQUIRE(txs == 14u);

    temp_dir dir;
    const auto path = dir.file("main.db");
    {
        auto store = open_store(path);
        BOOST_TEST(!store->head().has_value());
        BOOST_TEST(store->load_all().value().empty());
        append_all(*store, chain, net.set);
    }
    auto store = open_store(path);
    BOOST_REQUIRE(store->head().has_value());
    BOOST_TEST(store->block_count() == chain.size());
    BOOST_TEST((store->head()->hash == chain.back().hash()));
    BOOST_TEST((store->head()->hash == net.producers[0].final_hash()));
    auto head = store->head_block();
    BOOST_REQUIRE(head.ok());
    BOOST_TEST((head.value().value() == chain.back()));

    auto all = store->load_all();
    BOOST_REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.failure().message()));
    BOOST_TEST((all.value() == chain));

    // Bounded loads: a window, the chain's end, past the end, nothing.
    auto window = store->load(block_height{2}, 3);
    BOOST_REQUIRE(window.ok());
    BOOST_REQUIRE(window->size() == 3u);
    BOOST_TEST((window->front() == chain[1]));
    BOOST_TEST((window->back() == chain[3]));
    auto tail = store->load(block_height{chain.size() - 1}, main_chain_store::load_blocks_max);
    BOOST_REQUIRE(tail.ok());
    BOOST_TEST(tail->size() == 2u);
    BOOST_TEST(store->load(block_height{chain.size() + 1}, 5).value().empty());
    BOOST_TEST(store->load(block_height{1}, 0).value().empty());

    // Replay from genesis: same state as every producer, after every block.
    auto replayed = storage::replay(net.g, all.value());
    BOOST_REQUIRE_MESSAGE(replayed.ok(), (replayed.ok() ? "" : replayed.failure().message()));
    for (const auto& p : net.producers)
        BOOST_TEST((replayed->state_root() == p.state().state_root()));
    BOOST_TEST((replayed->state_root() == chain.back().header.state_root));
    const auto bob = crypto::address_of(test_key(2).public_key());
    BOOST_TEST(replayed->balance_of(bob) == net.producers[0].state().balance_of(bob));
    BOOST_TEST(replayed->account(bob)->staked == 1'500u);
    BOOST_TEST(replayed->account(bob)->unstaking.empty());  // matured and released

    // The reopened store still refuses to take its head block twice.
    BOOST_TEST(store->append(chain.back(), net.set).ok() == false);
}

BOOST_AUTO_TEST_CASE(refused_appends_write_nothing) {
    chain_fixture net;
    const auto& chain = net.chain();
    BOOST_REQUIRE(chain.size() >= 3u);
    temp_dir dir;
    const auto path = dir.file("main.db");
    auto store = open_store(path);

    // Empty store: only height 1 with the zero parent.
    check_error(store->append(chain[1], net.set), main_store_errc::refused_block,
                "does not follow height 0");
    {
        auto b = chain[0];
        b.header.parent = chain[1].hash();
        check_error(store->append(net.resigned(b, net.quorum()), net.set),
                    main_store_errc::refused_block, "is not the zero hash");
    }
    BOOST_TEST(raw_file(path).rows() == 0);
    BOOST_TEST(!store->head().has_value());

    BOOST_REQUIRE(store->append(chain[0], net.set).ok());

    // Wrong heights.
    check_error(store->append(chain[0], net.set), main_store_errc::refused_block,
                "height 1 does not follow height 1");
    check_error(store->append(chain[2], net.set), main_store_errc::refused_block,
                "height 3 does not follow height 1");
    // Right height, wrong parent (properly signed all the same).
    {
        auto b = chain[1];
        b.header.parent = digest{};
        check_error(store->append(net.resigned(b, net.quorum()), net.set),
                    main_store_errc::refused_block, "not the hash of the block below");
    }
    // Too few finality signatures: two of four, and none.
    check_error(store->append(net.resigned(chain[1], {net.keys[0], net.keys[3]}), net.set),
                main_store_errc::refused_block, "2 distinct members signed, 3 needed");
    check_error(store->append(net.resigned(chain[1], {}), net.set),
                main_store_errc::refused_block, "0 distinct members signed, 3 needed");
    // Signatures from keys outside the producer set count for nothing.
    check_error(store->append(net.resigned(chain[1], {test_key(31), test_key(32), test_key(33)}),
                              net.set),
                main_store_errc::refused_block, "0 distinct members signed");
    check_error(store->append(net.resigned(chain[1], {net.keys[1], test_key(31), test_key(32)}),
                              net.set),
                main_store_errc::refused_block, "1 distinct members signed");
    // A quorum of a different producer set is not a quorum of this one.
    check_error(store->append(chain[1], {test_key(31).public_key(), test_key(32).public_key()}),
                main_store_errc::refused_block, "distinct members signed");
    // A forged finality signature by a producer.
    {
        auto b = chain[1];
        b.finality.front().sig = b.finality.back().sig;
        check_error(store->append(b, net.set), main_store_errc::refused_block, "bad signature");
    }
    // Finality signatures are precommits of the block's finality round, which they sign:
    // another round under the same signatures, precommits of two rounds mixed, or a round
    // before the block's own, are no certificate.
    {
        auto b = chain[1];
        b.finality_round = b.finality_round.next();
        check_error(store->append(b, net.set), main_store_errc::refused_block, "bad signature");
    }
    {
        auto b = chain[1];
        auto next_round = net.resigned(chain[1], net.quorum());
        next_round.finality.clear();
        next_round.finality_round = b.finality_round.next();
        next_round.add_finality_vote(net.key_of(b.finality.back().signer));
        b.finality.back() = next_round.finality.front();
        check_error(store->append(b, net.set), main_store_errc::refused_block, "bad signature");
        next_round = net.resigned(next_round, net.quorum());  // one round throughout: fine
        BOOST_TEST(!main_chain::finality_fault(next_round, net.set).has_value());
    }
    {
        auto b = chain[1];
        b.header.round = b.finality_round.next();  // built after the round it was final in
        check_error(store->append(net.resigned(b, net.quorum()), net.set),
                    main_store_errc::refused_block, "before the block's round");
    }
    // Finality signatures out of order would not read back unchanged.
    {
        auto b = chain[1];
        std::reverse(b.finality.begin(), b.finality.end());
        BOOST_TEST(!store->append(b, net.set).ok());
    }
    // A producer set that cannot be a group.
    check_error(store->append(chain[1], {}), main_store_errc::bad_producer_set, "empty");
    check_error(store->append(chain[1], {net.set[0], net.set[1], net.set[0]}),
                main_store_errc::bad_producer_set, "twice");

    BOOST_TEST(raw_file(path).rows() == 1);
    BOOST_TEST(store->block_count() == 1u);
    BOOST_TEST((store->head()->hash == chain[0].hash()));

    // The true next block is still accepted, also after reopening.
    BOOST_REQUIRE(store->append(chain[1], net.set).ok());
    store.reset();
    store = open_store(path);
    BOOST_TEST(store->block_count() == 2u);
    check_error(store->append(chain[1], net.set), main_store_errc::refused_block,
                "does not follow");
    BOOST_REQUIRE(store->append(chain[2], net.set).ok());
    BOOST_TEST(raw_file(path).rows() == 3);
}

BOOST_AUTO_TEST_CASE(a_byte_altered_on_disk_is_an_error_never_a_crash) {
    chain_fixture net;
    const auto& chain = net.chain();
    temp_dir dir;
    const auto path = dir.file("main.db");
    append_all(*open_store(path), chain, net.set);
    const std::size_t at = index_of_block_with_transactions(chain);
    const std::uint64_t height = at + 1;
    const bytes original = raw_file(path).blob("encoded", height);
    BOOST_REQUIRE(original == protocols::encode(chain[at]));

    // Every byte of a block below the head, in turn: open still works (it checks the head),
    // loading the block is an error.
    std::size_t refused = 0;
    for (std::size_t i = 0; i < original.size(); ++i) {
        bytes altered = original;
        altered[i] ^= 0x01;
        raw_file(path).set_blob("encoded", height, altered);
        auto store = main_chain_store::open(path);
        BOOST_REQUIRE(store.ok());
        auto loaded = store.value()->load(block_height{height}, 1);
        auto all = store.value()->load_all();
        if (!loaded.ok() && !all.ok()) {
            ++refused;
            BOOST_TEST((loaded.failure().code == make_error_code(main_store_errc::corrupt_block)),
                       "byte " << i << ": " << loaded.failure().message());
        } else {
            BOOST_ERROR("byte " << i << " altered, yet the block loads");
        }
    }
    BOOST_TEST(refused == original.size());
    raw_file(path).set_blob("encoded", height, original);
    BOOST_TEST(open_store(path)->load_all().ok());

    // Truncated, empty, and the head block altered: open itself is the error.
    const std::uint64_t head = chain.size();
    const bytes head_bytes = raw_file(path).blob("encoded", head);
    for (std::size_t cut : {std::size_t{0}, std::size_t{1}, head_bytes.size() / 2,
                            head_bytes.size() - 1}) {
        raw_file(path).set_blob("encoded", head, bytes(head_bytes.begin(),
                                                       head_bytes.begin() + static_cast<long>(cut)));
        auto store = main_chain_store::open(path);
        BOOST_REQUIRE(!store.ok());
        BOOST_TEST((store.failure().code == make_error_code(main_store_errc::corrupt_block)),
                   store.failure().message());
    }
    raw_file(path).set_blob("encoded", head, head_bytes);

    // The hash column altered.
    bytes hash = raw_file(path).blob("hash", head);
    hash[0] ^= 0x80;
    raw_file(path).set_blob("hash", head, hash);
    check_error(main_chain_store::open(path), main_store_errc::corrupt_block, "stored hash");
    hash[0] ^= 0x80;
    raw_file(path).set_blob("hash", head, hash);

    // A valid block of height 2 that is not the child of the stored block 1.
    {
        auto other = chain[1];
        other.header.parent = chain[2].hash();
        other = net.resigned(other, net.quorum());
        raw_file(path).set_blob("encoded", 2, protocols::encode(other));
        const digest other_hash = other.hash();
        raw_file(path).set_blob("hash", 2, bytes(other_hash.begin(), other_hash.end()));
        auto store = open_store(path);
        check_error(store->load_all(), main_store_errc::corrupt_block,
                    "not the hash of the block below");
    }
}

BOOST_AUTO_TEST_CASE(replay_finds_an_altered_state_root_at_its_height) {
    chain_fixture net;
    const auto& chain = net.chain();
    const std::size_t at = index_of_block_with_transactions(chain);
    const std::uint64_t height = at + 1;

    // Block `height` with another state root, re-signed by its proposer and a quorum: it
    // passes every signature check, so the store takes it; replay does not.
    std::vector<main_block> forged(chain.begin(), chain.begin() + static_cast<long>(at));
    {
        auto b = chain[at];
        b.header.state_root.data[0] ^= 0x01;  // one bit of the state root
        forged.push_back(net.resigned(b, net.quorum()));
    }
    temp_dir dir;
    const auto path = dir.file("main.db");
    append_all(*open_store(path), forged, net.set);
    auto loaded = open_store(path)->load_all();
    BOOST_REQUIRE(loaded.ok());
    BOOST_TEST((loaded.value() == forged));

    auto replayed = storage::replay(net.g, loaded.value());
    check_error(replayed, main_store_errc::replay_failed,
                "block at height " + std::to_string(height) + ": state root");

    // The chain up to the block below replays fine.
    forged.pop_back();
    BOOST_TEST(storage::replay(net.g, forged).ok());

    // Replay checks the finality quorum too: the real chain against another producer set.
    auto other_genesis = net.g;
    other_genesis.initial_producers = {test_key(31).public_key()};
    check_error(storage::replay(other_genesis, chain),
                main_store_errc::replay_failed, "block at height 1: finality signatures");

    // A final block never holds a refused transaction: one replayed from an earlier
    // block (its nonce is used) is an error at its height.
    {
        std::vector<main_block> replayed_tx(chain.begin(), chain.begin() + static_cast<long>(at + 2));
        auto b = replayed_tx.back();
        b.transactions.push_back(chain[at].transactions.front());
        b.seal_header();
        replayed_tx.back() = net.resigned(b, net.quorum());
        check_error(storage::replay(net.g, replayed_tx),
                    main_store_errc::replay_failed,
                    "block at height " + std::to_string(at + 2) + ": transaction");
    }
}

// Regression (found by the first real cluster, tests/cluster): a fetch reply of many final
// blocks was refused with "Exceeded message traversal limit", because the block decoder
// read each block's finality list twice and the reader's traversal limit is the message's
// own size. A follower more than a few blocks behind could never catch up.
BOOST_AUTO_TEST_CASE(a_fetch_reply_of_many_final_blocks_decodes) {
    chain_fixture f;
    const auto& chain = f.chain();
    BOOST_TEST_REQUIRE(chain.size() >= 16u);
    main_chain::block_fetch_reply reply;
    for (const auto& b : chain) {
        if (reply.blocks.size() == protocols::limits::main_blocks_per_fetch_max) break;
        reply.blocks.push_back(b);
    }
    reply.head_height = reply.blocks.back().header.height;
    auto decoded = protocols::decode_block_fetch_reply(protocols::encode(reply));
    BOOST_TEST_REQUIRE(decoded.ok(), (decoded.ok() ? "" : decoded.failure().message()));
    BOOST_TEST((decoded.value() == reply));
}

// ---- a producer's own records ------------------------------------------------------------

namespace {

std::unique_ptr<producer_record_store> open_records(const std::string& path) {
    auto store = producer_record_store::open(path);
    BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.failure().message()));
    return std::move(store).value();
}

std::vector<producer_record> loaded(const result<std::vector<producer_record>>& r) {
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.failure().message()));
    return r.value();
}

// Sorted as the store reads them back: by height, round and kind.
std::vector<producer_record> by_slot(std::vector<producer_record> records) {
    std::stable_sort(records.begin(), records.end(),
                     [](const producer_record& a, const producer_record& b) {
                         return std::make_tuple(a.height(), a.round(), a.what()) <
                                std::make_tuple(b.height(), b.round(), b.what());
                     });
    return records;
}

void run_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_REQUIRE_MESSAGE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK,
                          sqlite3_errmsg(db));
    BOOST_REQUIRE(sqlite3_changes(db) >= 1);
    sqlite3_close(db);
}

void set_record_bytes(const std::string& path, const producer_record& r, const bytes& value) {
    sqlite3* db = nullptr;
    BOOST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_exec(db, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);  // a test's edits
    sqlite3_stmt* s = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(db,
                                     "UPDATE producer_record SET encoded = ?1"
                                     " WHERE height = ?2 AND round = ?3 AND kind = ?4",
                                     -1, &s, nullptr) == SQLITE_OK);
    if (value.empty())
        sqlite3_bind_zeroblob(s, 1, 0);  // an empty blob, not NULL
    else
        sqlite3_bind_blob64(s, 1, value.data(), value.size(), SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(r.height().value));
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(r.round().value));
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(r.what()));
    BOOST_REQUIRE(sqlite3_step(s) == SQLITE_DONE);
    BOOST_REQUIRE(sqlite3_changes(db) == 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

}  // namespace

BOOST_AUTO_TEST_CASE(producer_records_are_kept_for_the_height_being_decided) {
    chain_fixture net;
    // Producer 0's records of a real run: prevotes, precommits and polkas at every height,
    // proposals at the heights it proposed.
    const auto all = by_slot(net.records[0]);
    std::set<producer_record::kind> kinds;
    std::uint64_t top = 0;
    for (const auto& r : all) {
        kinds.insert(r.what());
        top = std::max(top, r.height().value);
    }
    BOOST_TEST_REQUIRE(kinds.size() == 4u);
    BOOST_TEST_REQUIRE(top >= 5u);
    std::vector<producer_record> last;
    for (const auto& r : all)
        if (r.height().value == top) last.push_back(r);

    temp_dir dir;
    const auto path = dir.file("producer.db");
    append_all(*open_store(path), net.chain(), net.set);  // the same file holds both tables
    auto store = open_records(path);
    BOOST_TEST(loaded(store->load_all()).empty());
    BOOST_REQUIRE(store->save(all, block_height(1)).ok());
    BOOST_TEST((loaded(store->load_all()) == all));
    BOOST_TEST(store->save(all, block_height(1)).ok(), "saved again: the same bytes");
    // Asked for a height below records it holds: damage (a producer records only at the
    // height after its stored head).
    check_error(store->load(block_height(top - 1)), main_store_errc::corrupt_record,
                "above the height being decided");

    // Deciding `top`: the records below are deleted, those of `top` kept and read back.
    BOOST_REQUIRE(store->save({}, block_height(top)).ok());
    BOOST_TEST((loaded(store->load(block_height(top))) == last));
    BOOST_TEST((loaded(store->load_all()) == last));
    // Records of a height already final are not stored.
    BOOST_REQUIRE(store->save(all, block_height(top)).ok());
    BOOST_TEST((loaded(store->load_all()) == last));

    // Another vote for a slot that holds one: refused, and nothing of that save written.
    const auto& kept =
        std::get<block_vote>(std::find_if(last.begin(), last.end(), [](const producer_record& r) {
                                 return r.what() == producer_record::kind::prevote;
                             })->body);
    block_vote other = kept;
    other.block_hash = kept.block_hash ? std::optional<digest>() : std::optional<digest>(digest{});
    other.sign(net.key_of(kept.signer));
    block_vote fresh{
        kept.height, view_number(kept.round.value + 5), block_vote::kind::prevote, std::nullopt, {},
        {}};
    fresh.sign(net.key_of(kept.signer));
    check_error(store->save({{fresh}, {other}}, block_height(top)),
                main_store_errc::conflicting_record, "round " + std::to_string(kept.round.value));
    BOOST_TEST((loaded(store->load_all()) == last));
    store.reset();
    BOOST_TEST((loaded(open_records(path)->load(block_height(top))) == last), "after a reopen");

    // Every byte of every stored record altered, in turn: an error value, never a crash.
    std::size_t altered_bytes = 0;
    auto reader = open_records(path);
    for (const auto& r : last) {
        const bytes original = producer_record_store::encode(r);
        for (std::size_t i = 0; i < original.size(); ++i) {
            bytes altered = original;
            altered[i] ^= 0x01;
            set_record_bytes(path, r, altered);
            auto back = reader->load(block_height(top));
            BOOST_TEST_REQUIRE(!back.ok(), "byte " << i << " of a record altered, yet it loads");
            BOOST_TEST((back.failure().code == make_error_code(main_store_errc::corrupt_record)),
                       back.failure().message());
            ++altered_bytes;
        }
        for (std::size_t cut : {std::size_t{0}, original.size() / 2, original.size() - 1}) {
            set_record_bytes(path, r,
                             bytes(original.begin(), original.begin() + static_cast<long>(cut)));
            BOOST_TEST(!reader->load(block_height(top)).ok());
        }
        set_record_bytes(path, r, original);
    }
    BOOST_TEST_MESSAGE(altered_bytes << " bytes altered one at a time");
    BOOST_TEST((loaded(open_records(path)->load(block_height(top))) == last));

    // The key columns altered: another round, an unknown kind, a negative round.
    const auto& first = last.front();
    const std::string where = " WHERE height = " + std::to_string(first.height().value) +
                              " AND round = " + std::to_string(first.round().value) +
                              " AND kind = " + std::to_string(static_cast<int>(first.what()));
    run_sql(path, "UPDATE producer_record SET round = round + 100" + where);
    check_error(open_records(path)->load(block_height(top)), main_store_errc::corrupt_record,
                "another slot");
    run_sql(path, "UPDATE producer_record SET round = round - 100 WHERE round >= 100");
    run_sql(path, "UPDATE producer_record SET kind = 7" + where);
    check_error(open_records(path)->load(block_height(top)), main_store_errc::corrupt_record,
                "unknown kind");
    run_sql(path, "UPDATE producer_record SET kind = " +
                      std::to_string(static_cast<int>(first.what())) + " WHERE kind = 7");
    run_sql(path, "UPDATE producer_record SET round = -1" + where);
    check_error(open_records(path)->load(block_height(top)), main_store_errc::corrupt_record,
                "negative");
}
