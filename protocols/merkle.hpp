// Merkle trees over digests: batches commit to their requests, results roots to each
// request's outcome, blocks to their entries and transactions.
//
// Leaf = hash(0x00 || item digest), node = hash(0x01 || left || right): the prefixes keep
// a leaf from posing as a node. A level with an odd count promotes its last node
// unchanged (no duplication). The root is hash(0x02 || count as u32 || top node): it
// commits to the number of items, so a path proves an item at one position of a list of
// exactly that length, and two different lists never share a root.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/ids.hpp"

namespace covenant::protocols {

digest merkle_root(const std::vector<digest>& items);

/// Sibling digests from the leaf of items[index] up to the root.
std::vector<digest> merkle_path(const std::vector<digest>& items, std::size_t index);

/// merkle_path of every item, building the tree once: O(n log n) where n calls of
/// merkle_path cost O(n^2) (a leader answering every client of a batch).
std::vector<std::vector<digest>> merkle_paths(const std::vector<digest>& items);

/// The root implied by an item, its index, the item count and a path; nullopt if the path
/// has the wrong length for that position or the index is out of range.
std::optional<digest> merkle_root_from_path(const digest& item, std::size_t index,
                                            std::size_t count, const std::vector<digest>& path);

}  // namespace covenant::protocols
