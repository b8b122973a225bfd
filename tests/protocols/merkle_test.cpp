// Merkle roots and paths: every index of trees of every size up to 40 proves its item,
// and no path proves a wrong item, index or count; merkle_paths gives merkle_path of every
// index.
#include <boost/test/unit_test.hpp>

#include "crypto/hash.hpp"
#include "protocols/merkle.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {
std::vector<digest> items(std::size_t n) {
    std::vector<digest> out;
    for (std::size_t i = 0; i < n; ++i) {
        const std::string text = "item " + std::to_string(i);
        out.push_back(crypto::hash(byte_view(text)));
    }
    return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(merkle)

BOOST_AUTO_TEST_CASE(empty_and_single) {
    BOOST_TEST(merkle_root({}) != merkle_root(items(1)));
    const auto one = items(1);
    BOOST_TEST(!merkle_root(one).is_zero());
    BOOST_TEST(merkle_root(one) != one[0]);  // the leaf is prefixed, never the item itself
    BOOST_TEST(merkle_path(one, 0).empty());
}

BOOST_AUTO_TEST_CASE(every_path_proves_its_item_and_nothing_else) {
    for (std::size_t n = 1; n <= 40; ++n) {
        const auto list = items(n);
        const digest root = merkle_root(list);
        for (std::size_t i = 0; i < n; ++i) {
            const auto path = merkle_path(list, i);
            BOOST_TEST(path.size() <= 6u);
            auto proved = merkle_root_from_path(list[i], i, n, path);
            BOOST_REQUIRE(proved.has_value());
            BOOST_TEST(*proved == root);
            // Wrong item, wrong index, wrong count, truncated path: no proof of this root.
            auto wrong_item = merkle_root_from_path(list[(i + 1) % n], i, n, path);
            if (n > 1) BOOST_TEST((!wrong_item || *wrong_item != root));
            if (n > 1) {
                auto wrong_index = merkle_root_from_path(list[i], (i + 1) % n, n, path);
                BOOST_TEST((!wrong_index || *wrong_index != root));
            }
            auto wrong_count = merkle_root_from_path(list[i], i, n + 1, path);
            BOOST_TEST((!wrong_count || *wrong_count != root));
            if (!path.empty()) {
                auto shorter = path;
                shorter.pop_back();
                BOOST_TEST(!merkle_root_from_path(list[i], i, n, shorter).has_value());
            }
        }
        BOOST_TEST(!merkle_root_from_path(list[0], n, n, {}).has_value());
    }
}

BOOST_AUTO_TEST_CASE(different_lists_have_different_roots) {
    const auto list = items(5);
    auto longer = list;
    longer.push_back(list.back());  // duplicating the last item must change the root
    BOOST_TEST(merkle_root(list) != merkle_root(longer));
    auto swapped = list;
    std::swap(swapped[0], swapped[1]);
    BOOST_TEST(merkle_root(list) != merkle_root(swapped));
}

BOOST_AUTO_TEST_CASE(all_paths_at_once_equal_each_path) {
    BOOST_TEST(merkle_paths({}).empty());
    for (std::size_t n = 1; n <= 40; ++n) {
        const auto list = items(n);
        const auto paths = merkle_paths(list);
        BOOST_REQUIRE_EQUAL(paths.size(), n);
        for (std::size_t i = 0; i < n; ++i) {
            BOOST_TEST((paths[i] == merkle_path(list, i)), "n " << n << " index " << i);
            BOOST_TEST((merkle_root_from_path(list[i], i, n, paths[i]) == merkle_root(list)));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
