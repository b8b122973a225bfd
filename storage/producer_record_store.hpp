// A block producer's own records (main_chain::producer_record: its prevotes, precommits and
// proposals, and the polkas it took) at the height it is deciding, persisted in SQLite so
// that a restarted producer never signs two different messages for one slot (see "Restart"
// in protocols/main_chain/producer.hpp).
//
// The table `producer_record` lives in the producer's store file, next to main_chain_store's
// `main_block` (a connection of its own; WAL with synchronous=FULL, so a save is on disk
// when it returns). Schema (STRICT):
//   producer_record(height INTEGER, round INTEGER, kind INTEGER, encoded BLOB,
//                   PRIMARY KEY (height, round, kind))
// kind is producer_record::kind (0 prevote, 1 precommit, 2 proposal, 3 polka); encoded is
// the Cap'n Proto encoding of the vote (protocols::encode(block_vote)) or the proposal
// (encode(block_proposal)); for a polka, the length-prefixed (u32, big-endian) encoding of
// its block (encode(main_block), no finality signatures), then the u32 count of its
// prevotes and each one's length-prefixed encoding.
//
// The caller (the producer actor) saves each output's records before it sends any of the
// output's messages, keeping only the height being decided: save(records, deciding) also
// deletes every record of a height below `deciding`. At start it loads the records of the
// height it decides (its store's head + 1). Everything read back is decoded (which checks
// every signature), must re-encode to the exact stored bytes and must be the record its
// row's height, round and kind say; damage gives an error value (corrupt_record), never a
// crash. A record of a height above the one asked for is damage too: a producer only
// records at the height after its stored head. What this cannot see is a row deleted behind
// its back: the producer would then not know it signed it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "protocols/main_chain/producer.hpp"
#include "storage/main_chain_store.hpp"

struct sqlite3;

namespace covenant::storage {

class producer_record_store {
  public:
    /// Opens (creating if needed) the table in the SQLite file at `path`. Errors are
    /// main_store_errc (sqlite_failed, not_wal).
    static result<std::unique_ptr<producer_record_store>> open(const std::string& path);

    ~producer_record_store();
    producer_record_store(const producer_record_store&) = delete;
    producer_record_store& operator=(const producer_record_store&) = delete;

    /// In one transaction: stores the records of heights >= `deciding` (those below are
    /// dropped: their height is final) and deletes every stored record of a height below
    /// `deciding`. A record whose slot (height, round, kind) holds the same bytes already is
    /// taken as stored; one whose slot holds another record is refused (conflicting_record)
    /// and nothing is written.
    result<nothing> save(const std::vector<main_chain::producer_record>& records,
                         block_height deciding);
    /// The records of `height`, by round and kind. corrupt_record if a row does not read
    /// back as the record it says, or if any record of a height above `height` is stored.
    result<std::vector<main_chain::producer_record>> load(block_height height) const;
    /// Every stored record, by height, round and kind (for inspection and tests).
    result<std::vector<main_chain::producer_record>> load_all() const;

    /// The bytes a record is stored as, and the record back from a row's columns (the
    /// checks above). Exposed for tests that alter a file.
    static bytes encode(const main_chain::producer_record& record);
    static result<main_chain::producer_record> decode(std::uint64_t height, std::uint64_t round,
                                                      std::uint64_t kind, byte_view encoded);

  private:
    explicit producer_record_store(std::unique_ptr<sqlite3, main_chain_store::sqlite_closer> db);
    result<std::vector<main_chain::producer_record>> read(const char* sql,
                                                          std::uint64_t height) const;

    std::unique_ptr<sqlite3, main_chain_store::sqlite_closer> db_;
};

}  // namespace covenant::storage
