// The SQLite shard-chain store: blocks survive close and reopen unchanged and still verify;
// an append that would not continue the chain is refused and writes nothing; a stored
// block altered on disk (every single byte of it, in turn; truncated; swapped; replaced by
// a block of another fork; a row deleted) is an error value on load or open, never a crash.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "chain_builder.hpp"
#include "protocols/codec.hpp"
#include "storage/shard_chain_store.hpp"

using namespace covenant;
using namespace covenant::protocols;
using covenant::storage::shard_chain_store;
using covenant::storage::shard_store_errc;
using covenant::test::chain_builder;
using covenant::test::seq_range;

namespace {

const std::vector<std::size_t> five_blocks = {2, 3, 1, 4, 2};  // block 3 holds one entry

// A fresh directory per test, removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        static int made = 0;
        path = std::filesystem::temp_directory_path() /
               ("covenant-shard-chain-test-" + std::to_string(::getpid()) + "-" +
                std::to_string(++made));
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

std::unique_ptr<shard_chain_store> open_store(const std::string& path) {
    auto store = shard_chain_store::open(path);
    BOOST_REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.failure().message()));
    return std::move(store).value();
}

void append_all(shard_chain_store& store, const std::vector<shard_block>& chain) {
    for (const auto& block : chain) {
        auto appended = store.append(block);
        BOOST_REQUIRE_MESSAGE(appended.ok(), (appended.ok() ? "" : appended.failure().message()));
    }
}

void check_error(const error& failure, shard_store_errc code, const std::string& words) {
    BOOST_TEST((failure.code == make_error_code(code)), failure.message());
    BOOST_TEST(failure.detail.find(words) != std::string::npos,
               "\"" << failure.message() << "\" does not say \"" << words << "\"");
}

template <class T>
void check_refused(const result<T>& r, const std::string& words) {
    BOOST_REQUIRE(!r.ok());
    check_error(r.failure(), shard_store_errc::refused_block, words);
}

// Direct access to the store's SQLite file, as a tamperer would have it.
class raw_file {
  public:
    explicit raw_file(const std::string& path) {
        BOOST_REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
        run("PRAGMA synchronous=OFF");  // many small edits; durability is not under test here
    }
    ~raw_file() { sqlite3_close(db_); }
    raw_file(const raw_file&) = delete;
    raw_file& operator=(const raw_file&) = delete;

    void run(const std::string& sql) {
        char* message = nullptr;
        const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
        BOOST_REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << (message ? message : ""));
        sqlite3_free(message);
    }
    bytes column(const std::string& name, std::uint64_t height) {
        sqlite3_stmt* s = nullptr;
        const std::string sql = "SELECT " + name + " FROM shard_block WHERE height = ?1";
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(height));
        BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, 0));
        bytes out(data, data + sqlite3_column_bytes(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    void set_column(const std::string& name, std::uint64_t height, const bytes& value) {
        sqlite3_stmt* s = nullptr;
        const std::string sql = "UPDATE shard_block SET " + name + " = ?1 WHERE height = ?2";
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        if (value.empty())
            sqlite3_bind_zeroblob(s, 1, 0);  // an empty blob, not NULL
        else
            sqlite3_bind_blob64(s, 1, value.data(), value.size(), SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(height));
        const int rc = sqlite3_step(s);
        BOOST_REQUIRE_MESSAGE(rc == SQLITE_DONE, sql << ": " << sqlite3_errmsg(db_));
        BOOST_REQUIRE(sqlite3_changes(db_) == 1);
        sqlite3_finalize(s);
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        BOOST_REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        BOOST_REQUIRE(sqlite3_step(s) == SQLITE_ROW);
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        std::string out = t ? t : "";
        sqlite3_finalize(s);
        return out;
    }

  private:
    sqlite3* db_ = nullptr;
};

// Writes a 5-block chain to a new store file and closes it.
std::vector<shard_block> stored_chain(chain_builder& builder, const std::string& path) {
    auto chain = builder.chain_with_counts(five_blocks);
    append_all(*open_store(path), chain);
    return chain;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(round_trip)

BOOST_AUTO_TEST_CASE(empty_store) {
    temp_dir dir;
    auto store = open_store(dir.file("chain.db"));
    BOOST_TEST(store->block_count() == 0u);
    BOOST_TEST(!store->head().has_value());
    auto head = store->head_block();
    BOOST_REQUIRE(head.ok());
    BOOST_TEST(!head->has_value());
    auto all = store->load_all();
    BOOST_REQUIRE(all.ok());
    BOOST_TEST(all->empty());
    auto none = store->load(block_height(1), 10);
    BOOST_REQUIRE(none.ok());
    BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(blocks_survive_close_and_reopen_and_still_verify) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    const auto chain = stored_chain(builder, path);

    auto store = open_store(path);
    BOOST_TEST(store->block_count() == 5u);
    BOOST_REQUIRE(store->head().has_value());
    BOOST_TEST((*store->head() == shard_chain_head::after(chain.back())));
    auto all = store->load_all();
    BOOST_REQUIRE_MESSAGE(all.ok(), (all.ok() ? "" : all.failure().message()));
    BOOST_TEST((*all == chain));
    const auto fault = verify_shard_chain(*all, builder.members());
    BOOST_TEST(!fault.has_value(), (fault ? fault->reason : ""));

    auto head = store->head_block();
    BOOST_REQUIRE(head.ok());
    BOOST_REQUIRE(head->has_value());
    BOOST_TEST((**head == chain.back()));
    BOOST_TEST(raw_file(path).text("PRAGMA journal_mode") == "wal");
}

BOOST_AUTO_TEST_CASE(load_ranges) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    const auto chain = stored_chain(builder, path);
    auto store = open_store(path);

    auto middle = store->load(block_height(2), 2);
    BOOST_REQUIRE(middle.ok());
    BOOST_TEST((*middle == std::vector<shard_block>{chain[1], chain[2]}));
    auto past_the_end = store->load(block_height(4), 10);
    BOOST_REQUIRE(past_the_end.ok());
    BOOST_TEST((*past_the_end == std::vector<shard_block>{chain[3], chain[4]}));
    auto beyond = store->load(block_height(6), 1);
    BOOST_REQUIRE(beyond.ok());
    BOOST_TEST(beyond->empty());
    auto nothing_asked = store->load(block_height(1), 0);
    BOOST_REQUIRE(nothing_asked.ok());
    BOOST_TEST(nothing_asked->empty());
}

BOOST_AUTO_TEST_CASE(appending_continues_after_reopen) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    const auto chain = stored_chain(builder, path);
    const auto sixth = builder.block(block_height(6), chain.back().hash(), seq_range{13, 2});
    {
        auto store = open_store(path);
        BOOST_REQUIRE(store->append(sixth).ok());
        BOOST_TEST(store->block_count() == 6u);
    }
    auto store = open_store(path);
    BOOST_TEST(store->block_count() == 6u);
    BOOST_TEST(store->head()->last_seq.value == 14u);
    auto all = store->load_all();
    BOOST_REQUIRE(all.ok());
    BOOST_TEST((all->back() == sixth));
    BOOST_TEST(!verify_shard_chain(*all, builder.members()).has_value());
}

BOOST_AUTO_TEST_CASE(path_that_cannot_hold_a_wal_file) {
    auto in_memory = shard_chain_store::open(":memory:");
    BOOST_REQUIRE(!in_memory.ok());
    check_error(in_memory.failure(), shard_store_errc::not_wal, "journal mode is memory");

    temp_dir dir;
    auto missing_directory = shard_chain_store::open(dir.file("no/such/dir/chain.db"));
    BOOST_REQUIRE(!missing_directory.ok());
    check_error(missing_directory.failure(), shard_store_errc::sqlite_failed, "opening");
}

BOOST_AUTO_TEST_CASE(file_that_is_not_a_database) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    {
        std::ofstream garbage(path, std::ios::binary);
        garbage << std::string(8192, '\x5a');
    }
    auto store = shard_chain_store::open(path);
    BOOST_REQUIRE(!store.ok());
    check_error(store.failure(), shard_store_errc::sqlite_failed, "not a database");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refused_appends)

BOOST_AUTO_TEST_CASE(blocks_that_do_not_continue_the_chain_write_nothing) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    auto chain = builder.chain_with_counts(five_blocks);
    {
        auto store = open_store(path);
        check_refused(store->append(chain[1]), "block has height 2, expected 1");
        BOOST_REQUIRE(store->append(chain[0]).ok());
        const auto head_before = *store->head();

        check_refused(store->append(chain[2]), "block has height 3, expected 2");
        check_refused(store->append(chain[0]), "block has height 1, expected 2");

        auto wrong_parent = chain[1];
        wrong_parent.header.parent.data.fill(0x5a);
        builder.sign(wrong_parent);
        check_refused(store->append(wrong_parent), "is not the hash of block 1");

        chain_builder other(0xee);
        const auto foreign = other.block(block_height(2), chain[0].hash(), seq_range{3, 1});
        check_refused(store->append(foreign), "block of database " + other.database().hex());

        const auto skipping = builder.block(block_height(2), chain[0].hash(), seq_range{5, 1});
        check_refused(store->append(skipping), "sequence gap: first seq 5, expected 3");

        auto unsigned_block = chain[1];
        unsigned_block.signatures.clear();
        check_refused(store->append(unsigned_block), "would not decode when read back");

        auto miscounted = chain[1];
        miscounted.header.entry_count = 7;
        builder.sign(miscounted);
        check_refused(store->append(miscounted), "header counts 7 entries, block has 3");

        BOOST_TEST(store->block_count() == 1u);
        BOOST_TEST((*store->head() == head_before));
    }
    BOOST_TEST(raw_file(path).text("SELECT COUNT(*) FROM shard_block") == "1");
    auto store = open_store(path);
    auto all = store->load_all();
    BOOST_REQUIRE(all.ok());
    BOOST_TEST((*all == std::vector<shard_block>{chain[0]}));
    BOOST_TEST(store->append(chain[1]).ok());  // the right block is still welcome
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tampered_file)

BOOST_AUTO_TEST_CASE(every_altered_byte_of_a_stored_block_is_an_error) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    const auto chain = stored_chain(builder, path);
    auto store = open_store(path);
    raw_file file(path);
    const bytes original = file.column("encoded", 3);
    BOOST_TEST_MESSAGE("altering each of the " << original.size() << " bytes of block 3");

    std::size_t undetected = 0;
    for (std::size_t i = 0; i < original.size(); ++i) {
        bytes altered = original;
        altered[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
        file.set_column("encoded", 3, altered);
        auto loaded = store->load(block_height(3), 1);
        if (loaded.ok()) {
            ++undetected;
            BOOST_TEST_MESSAGE("byte " << i << " altered, not detected");
        } else if (loaded.failure().code != make_error_code(shard_store_errc::corrupt_block)) {
            BOOST_ERROR("byte " << i << ": " << loaded.failure().message());
        }
    }
    BOOST_TEST(undetected == 0u);

    file.set_column("encoded", 3, bytes(original.begin(), original.begin() + 40));
    auto truncated = store->load_all();
    BOOST_REQUIRE(!truncated.ok());
    check_error(truncated.failure(), shard_store_errc::corrupt_block,
                "block at height 3: does not decode");

    file.set_column("encoded", 3, bytes{});
    BOOST_TEST(!store->load_all().ok());

    file.set_column("encoded", 3, original);
    auto restored = store->load_all();
    BOOST_REQUIRE(restored.ok());
    BOOST_TEST((*restored == chain));
}

BOOST_AUTO_TEST_CASE(altered_byte_reported_when_loading_the_whole_chain) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    {
        raw_file file(path);
        bytes altered = file.column("encoded", 3);
        altered[altered.size() / 2] ^= 0x10;
        file.set_column("encoded", 3, altered);
    }
    auto store = open_store(path);  // the head, block 5, is intact
    auto all = store->load_all();
    BOOST_REQUIRE(!all.ok());
    check_error(all.failure(), shard_store_errc::corrupt_block, "block at height 3");
    BOOST_TEST(store->load(block_height(1), 2).ok());
    BOOST_TEST(store->load(block_height(4), 2).ok());
}

BOOST_AUTO_TEST_CASE(altered_head_fails_open) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    {
        raw_file file(path);
        bytes altered = file.column("encoded", 5);
        altered[altered.size() - 3] ^= 0x01;
        file.set_column("encoded", 5, altered);
    }
    auto store = shard_chain_store::open(path);
    BOOST_REQUIRE(!store.ok());
    check_error(store.failure(), shard_store_errc::corrupt_block, "block at height 5");
}

BOOST_AUTO_TEST_CASE(altered_hash_column) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    {
        raw_file file(path);
        bytes hash = file.column("hash", 2);
        hash[0] ^= 0x01;
        file.set_column("hash", 2, hash);
    }
    auto all = open_store(path)->load_all();
    BOOST_REQUIRE(!all.ok());
    check_error(all.failure(), shard_store_errc::corrupt_block,
                "block at height 2: stored hash differs");
}

BOOST_AUTO_TEST_CASE(swapped_blocks) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    {
        raw_file file(path);
        const bytes second = file.column("encoded", 2);
        file.set_column("encoded", 2, file.column("encoded", 3));
        file.set_column("encoded", 3, second);
    }
    auto all = open_store(path)->load_all();
    BOOST_REQUIRE(!all.ok());
    check_error(all.failure(), shard_store_errc::corrupt_block,
                "block at height 2: holds the block of height 3");
}

BOOST_AUTO_TEST_CASE(valid_block_of_another_fork) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    // Another history of the same database, signed by the same quorum: its block 3 is a
    // valid block on its own, but it does not follow the stored block 2.
    chain_builder fork_builder;
    fork_builder.committed_entry(1);  // a batch the stored chain never had: all later ones differ
    const auto fork = fork_builder.chain({{1, 1}, {2, 4}, {6, 1}});
    {
        raw_file file(path);
        file.set_column("encoded", 3, encode(fork[2]));
        file.set_column("hash", 3, fork[2].hash().view().to_bytes());
    }
    auto store = open_store(path);
    BOOST_TEST(store->load(block_height(3), 1).ok());  // alone, it is a well-formed block
    auto all = store->load_all();
    BOOST_REQUIRE(!all.ok());
    check_error(all.failure(), shard_store_errc::corrupt_block, "block at height 3: parent");
}

BOOST_AUTO_TEST_CASE(deleted_row_fails_open) {
    temp_dir dir;
    const auto path = dir.file("chain.db");
    chain_builder builder;
    stored_chain(builder, path);
    raw_file(path).run("DELETE FROM shard_block WHERE height = 3");
    auto store = shard_chain_store::open(path);
    BOOST_REQUIRE(!store.ok());
    check_error(store.failure(), shard_store_errc::corrupt_chain,
                "4 blocks stored with heights 1..5");
}

BOOST_AUTO_TEST_SUITE_END()
