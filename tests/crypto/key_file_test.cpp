// Encrypted key files: round trip, and every way a file can be wrong (wrong passphrase,
// each truncation, each flipped bit, trailing bytes, hostile KDF parameters, unknown
// versions) gives its error and never a key.
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "crypto/errors.hpp"
#include "crypto/key_file.hpp"

using namespace covenant;
using crypto::crypto_errc;

namespace {
// Cheap Argon2id parameters so the suite can open a file a thousand times.
crypto::kdf_parameters cheap() { return {64, 1, 1}; }

bool fails_with(const result<crypto::key_pair>& r, crypto_errc expected) {
    return !r.ok() && r.failure().code == make_error_code(expected);
}

std::string temp_path(const std::string& name) {
    return "/tmp/covenant_key_file_test_" + std::to_string(::getpid()) + "_" + name;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(key_files)

BOOST_AUTO_TEST_CASE(round_trip) {
    const auto pair = crypto::key_pair::generate();
    auto sealed = crypto::seal_key(pair, "correct horse", cheap());
    BOOST_REQUIRE(sealed.ok());
    BOOST_TEST(sealed->size() == crypto::key_file_size);
    auto opened = crypto::open_key(*sealed, "correct horse");
    BOOST_REQUIRE(opened.ok());
    BOOST_TEST(opened->public_key() == pair.public_key());
    BOOST_TEST(opened->seed().bytes() == pair.seed().bytes());
    auto peeked = crypto::peek_public_key(*sealed);
    BOOST_REQUIRE(peeked.ok());
    BOOST_TEST(*peeked == pair.public_key());
}

BOOST_AUTO_TEST_CASE(fresh_salt_and_nonce_every_time) {
    const auto pair = crypto::key_pair::generate();
    auto a = crypto::seal_key(pair, "pass", cheap());
    auto b = crypto::seal_key(pair, "pass", cheap());
    BOOST_REQUIRE(a.ok() && b.ok());
    BOOST_TEST(*a != *b);
}

BOOST_AUTO_TEST_CASE(fixed_salt_and_nonce_are_deterministic) {
    const auto pair = crypto::key_pair::from_seed(crypto::secret_seed(std::array<std::uint8_t, 32>{}));
    const bytes salt(16, 0x11), nonce(24, 0x22);
    const bytes a = crypto::seal_key_with(pair, "pass", cheap(), salt, nonce);
    const bytes b = crypto::seal_key_with(pair, "pass", cheap(), salt, nonce);
    BOOST_TEST(a == b);
    BOOST_TEST(to_hex(byte_view(a.data(), 6)) == "43564b460101");  // "CVKF", v1, Argon2id
}

BOOST_AUTO_TEST_CASE(wrong_passphrase) {
    const auto pair = crypto::key_pair::generate();
    auto sealed = crypto::seal_key(pair, "right", cheap());
    BOOST_REQUIRE(sealed.ok());
    BOOST_TEST(fails_with(crypto::open_key(*sealed, "wrong"),
                          crypto_errc::key_file_wrong_passphrase_or_altered));
    BOOST_TEST(fails_with(crypto::open_key(*sealed, ""),
                          crypto_errc::key_file_wrong_passphrase_or_altered));
    BOOST_TEST(fails_with(crypto::open_key(*sealed, "right "),
                          crypto_errc::key_file_wrong_passphrase_or_altered));
}

BOOST_AUTO_TEST_CASE(empty_passphrase_is_refused_when_sealing) {
    auto sealed = crypto::seal_key(crypto::key_pair::generate(), "", cheap());
    BOOST_REQUIRE(!sealed.ok());
    BOOST_TEST(sealed.failure().code == make_error_code(crypto_errc::empty_passphrase));
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error) {
    auto sealed = crypto::seal_key(crypto::key_pair::generate(), "p", cheap());
    BOOST_REQUIRE(sealed.ok());
    for (std::size_t length = 0; length < sealed->size(); ++length) {
        auto opened = crypto::open_key(byte_view(sealed->data(), length), "p");
        BOOST_TEST(!opened.ok(), "truncated to " << length << " bytes was accepted");
        if (length >= 5) BOOST_TEST(fails_with(opened, crypto_errc::key_file_truncated));
    }
    bytes longer = *sealed;
    longer.push_back(0);
    BOOST_TEST(fails_with(crypto::open_key(longer, "p"), crypto_errc::key_file_too_long));
}

BOOST_AUTO_TEST_CASE(every_flipped_bit_is_an_error) {
    auto sealed = crypto::seal_key(crypto::key_pair::generate(), "p", cheap());
    BOOST_REQUIRE(sealed.ok());
    std::size_t rejected = 0;
    for (std::size_t i = 0; i < sealed->size(); ++i) {
        for (std::uint8_t bit : {0x01, 0x80}) {
            bytes altered = *sealed;
            altered[i] ^= bit;
            auto opened = crypto::open_key(altered, "p");
            BOOST_TEST(!opened.ok(), "flip at byte " << i << " was accepted");
            rejected += opened.ok() ? 0 : 1;
        }
    }
    BOOST_TEST(rejected == 2 * crypto::key_file_size);
}

BOOST_AUTO_TEST_CASE(hostile_parameters_are_refused_before_any_work) {
    auto sealed = crypto::seal_key(crypto::key_pair::generate(), "p", cheap());
    BOOST_REQUIRE(sealed.ok());
    bytes huge_memory = *sealed;  // memory_kib = 0xffffffff would ask for 4 TiB
    for (int i = 6; i < 10; ++i) huge_memory[static_cast<std::size_t>(i)] = 0xff;
    BOOST_TEST(fails_with(crypto::open_key(huge_memory, "p"), crypto_errc::key_file_bad_parameters));
    bytes zero_iterations = *sealed;
    for (int i = 10; i < 14; ++i) zero_iterations[static_cast<std::size_t>(i)] = 0;
    BOOST_TEST(
        fails_with(crypto::open_key(zero_iterations, "p"), crypto_errc::key_file_bad_parameters));
    bytes too_much_work = *sealed;  // 256 MiB x 16 passes: within each bound, not together
    const std::uint8_t memory_256_mib[4] = {0x00, 0x04, 0x00, 0x00};
    const std::uint8_t sixteen[4] = {0, 0, 0, 16};
    std::copy(memory_256_mib, memory_256_mib + 4, too_much_work.begin() + 6);
    std::copy(sixteen, sixteen + 4, too_much_work.begin() + 10);
    BOOST_TEST(fails_with(crypto::open_key(too_much_work, "p"), crypto_errc::key_file_bad_parameters));
    bytes version_two = *sealed;
    version_two[4] = 2;
    BOOST_TEST(fails_with(crypto::open_key(version_two, "p"),
                          crypto_errc::key_file_unsupported_version));
    bytes not_ours = *sealed;
    not_ours[0] = 'X';
    BOOST_TEST(fails_with(crypto::open_key(not_ours, "p"), crypto_errc::key_file_not_covenant));
}

BOOST_AUTO_TEST_CASE(files_are_private_never_overwritten_and_read_back) {
    const std::string path = temp_path("write");
    std::remove(path.c_str());
    const auto pair = crypto::key_pair::generate();
    auto written = crypto::write_key_file(path, pair, "pw", cheap());
    BOOST_REQUIRE(written.ok());
    struct stat info {};
    BOOST_REQUIRE(::stat(path.c_str(), &info) == 0);
    BOOST_TEST((info.st_mode & 0777) == 0600u);

    auto again = crypto::write_key_file(path, crypto::key_pair::generate(), "pw", cheap());
    BOOST_REQUIRE(!again.ok());
    BOOST_TEST(again.failure().code == make_error_code(crypto_errc::file_exists));

    auto read = crypto::read_key_file(path, "pw");
    BOOST_REQUIRE(read.ok());
    BOOST_TEST(read->public_key() == pair.public_key());  // the first key survived
    BOOST_TEST(fails_with(crypto::read_key_file(path, "nope"),
                          crypto_errc::key_file_wrong_passphrase_or_altered));
    std::remove(path.c_str());
    BOOST_TEST(fails_with(crypto::read_key_file(path, "pw"), crypto_errc::file_unreadable));
}

BOOST_AUTO_TEST_CASE(a_fifo_is_refused_without_blocking) {
    const std::string path = temp_path("fifo");
    std::remove(path.c_str());
    BOOST_REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    BOOST_TEST(fails_with(crypto::read_key_file(path, "pw"), crypto_errc::file_unreadable));
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(a_large_file_is_rejected_without_reading_it_all) {
    const std::string path = temp_path("large");
    {
        std::ofstream out(path, std::ios::binary);
        const std::string block(1 << 20, 'C');
        out << "CVKF" << block;
    }
    auto read = crypto::read_key_file(path, "pw");
    BOOST_TEST(!read.ok());
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_SUITE_END()
