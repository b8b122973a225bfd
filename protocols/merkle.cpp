// Merkle roots and paths (see merkle.hpp for the tree's definition).
#include "protocols/merkle.hpp"

#include "common/assert.hpp"
#include "crypto/hash.hpp"

namespace covenant::protocols {
namespace {
digest leaf_hash(const digest& item) {
    crypto::hasher h;
    const std::uint8_t prefix = 0x00;
    h.update(byte_view(&prefix, 1)).update(item.view());
    return h.finish();
}
digest node_hash(const digest& left, const digest& right) {
    crypto::hasher h;
    const std::uint8_t prefix = 0x01;
    h.update(byte_view(&prefix, 1)).update(left.view()).update(right.view());
    return h.finish();
}

// The root commits to the item count too, so a path proves its item's position in a
// list of exactly that many items.
digest counted_root(const digest& top, std::size_t count) {
    crypto::hasher h;
    const std::uint8_t prefix[5] = {0x02, static_cast<std::uint8_t>(count >> 24),
                                    static_cast<std::uint8_t>(count >> 16),
                                    static_cast<std::uint8_t>(count >> 8),
                                    static_cast<std::uint8_t>(count)};
    h.update(byte_view(prefix, sizeof prefix)).update(top.view());
    return h.finish();
}
}  // namespace

digest merkle_root(const std::vector<digest>& items) {
    COVENANT_ASSERT(items.size() <= 0xffffffffu, "merkle tree too large");
    if (items.empty()) return counted_root(digest{}, 0);
    std::vector<digest> level;
    level.reserve(items.size());
    for (const auto& item : items) level.push_back(leaf_hash(item));
    while (level.size() > 1) {
        std::vector<digest> next;
        next.reserve((level.size() + 1) / 2);
        for (std::size_t i = 0; i + 1 < level.size(); i += 2)
            next.push_back(node_hash(level[i], level[i + 1]));
        if (level.size() % 2 == 1) next.push_back(level.back());
        level = std::move(next);
    }
    return counted_root(level.front(), items.size());
}

std::vector<digest> merkle_path(const std::vector<digest>& items, std::size_t index) {
    COVENANT_ASSERT(index < items.size(), "merkle_path index out of range");
    std::vector<digest> level;
    level.reserve(items.size());
    for (const auto& item : items) level.push_back(leaf_hash(item));
    std::vector<digest> path;
    while (level.size() > 1) {
        const std::size_t sibling = index ^ 1u;
        if (sibling < level.size()) path.push_back(level[sibling]);
        std::vector<digest> next;
        for (std::size_t i = 0; i + 1 < level.size(); i += 2)
            next.push_back(node_hash(level[i], level[i + 1]));
        if (level.size() % 2 == 1) next.push_back(level.back());
        level = std::move(next);
        index /= 2;
    }
    return path;
}

std::vector<std::vector<digest>> merkle_paths(const std::vector<digest>& items) {
    std::vector<std::vector<digest>> paths(items.size());
    std::vector<digest> level;
    level.reserve(items.size());
    for (const auto& item : items) level.push_back(leaf_hash(item));
    // positions[i]: where item i's ancestor sits in the current level.
    std::vector<std::size_t> positions(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) positions[i] = i;
    while (level.size() > 1) {
        for (std::size_t i = 0; i < items.size(); ++i) {
            const std::size_t sibling = positions[i] ^ 1u;
            if (sibling < level.size()) paths[i].push_back(level[sibling]);
            positions[i] /= 2;
        }
        std::vector<digest> next;
        for (std::size_t i = 0; i + 1 < level.size(); i += 2)
            next.push_back(node_hash(level[i], level[i + 1]));
        if (level.size() % 2 == 1) next.push_back(level.back());
        level = std::move(next);
    }
    return paths;
}

std::optional<digest> merkle_root_from_path(const digest& item, std::size_t index,
                                            std::size_t count, const std::vector<digest>& path) {
    if (index >= count || count > 0xffffffffu) return std::nullopt;
    const std::size_t item_count = count;
    digest current = leaf_hash(item);
    std::size_t used = 0;
    while (count > 1) {
        const std::size_t sibling = index ^ 1u;
        if (sibling < count) {
            if (used >= path.size()) return std::nullopt;
            current = (index % 2 == 0) ? node_hash(current, path[used]) : node_hash(path[used], current);
            ++used;
        }
        count = (count + 1) / 2;
        index /= 2;
    }
    if (used != path.size()) return std::nullopt;
    return counted_root(current, item_count);
}

}  // namespace covenant::protocols
