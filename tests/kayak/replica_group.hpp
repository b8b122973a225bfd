// Real Kayak replicas driven step by step, with no actors, for the step and regression
// tests: each member has a real SQLite executor in a temporary directory, an in-memory log
// and shard chain; a test feeds one input at a time and inspects the outputs, decoded
// through the real codecs.
#pragma once

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>

#include "protocols/codec.hpp"
#include "protocols/kayak/memory_log_store.hpp"
#include "protocols/kayak/replica.hpp"
#include "sample_messages.hpp"
#include "storage/sql_batch_executor.hpp"

namespace covenant::test {

using namespace covenant::protocols;

constexpr std::int64_t t0 = 1'790'000'000'000;

class everyone_writes final : public kayak::permission_source {
public:
    std::optional<role> role_of(const account_address&) const override { return role::write; }
};

struct member_under_test {
    explicit member_under_test(crypto::key_pair k) : key(std::move(k)) {}
    crypto::key_pair key;
    std::shared_ptr<kayak::memory_log_store> log = std::make_shared<kayak::memory_log_store>();
    kayak::memory_block_store blocks;
    std::unique_ptr<storage::sql_batch_executor> executor;
    std::unique_ptr<kayak::replica> replica;
};

struct replica_group {
    std::string directory;
    everyone_writes permissions;
    std::vector<member_under_test> members;
    group members_group;
    database_id database;
    consistency_mode mode;
    std::size_t seal_every = 64;
    // Set, then start(i) again, for a test of these settings (the defaults: batch at once,
    // execute in the commit step).
    std::int64_t batch_delay_ms = 0;
    bool execute_in_own_step = false;
    std::size_t batch_requests_max = 256;
    bool pipeline_only_full_batches = false;

    explicit replica_group(std::size_t n, consistency_mode m = consistency_mode::strong,
                          std::size_t seal = 64)
        : mode(m), seal_every(seal) {
        char pattern[] = "/tmp/covenant-replicas-XXXXXX";
        directory = ::mkdtemp(pattern);
        database.data.fill(0xdb);
        std::vector<public_key> keys;
        for (std::size_t i = 0; i < n; ++i) {
            members.emplace_back(test::test_key(static_cast<std::uint8_t>(i + 1)));
            keys.push_back(members.back().key.public_key());
        }
        members_group = group(keys);
        for (std::size_t i = 0; i < n; ++i) start(i);
    }
    ~replica_group() {
        members.clear();
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
    // Crash (destroy) and start again on the same log and database file.
    void start(std::size_t i) {
        auto& m = members[i];
        m.replica.reset();
        m.executor.reset();
        auto sql = storage::sql_executor::open(directory + "/m" + std::to_string(i) + ".sqlite");
        BOOST_REQUIRE(sql.ok());
        m.executor = std::make_unique<storage::sql_batch_executor>(std::move(sql).value());
        kayak::replica_config config;
        config.database = database;
        config.groups = members_group;
        config.batch_delay_ms = batch_delay_ms;
        config.execute_in_own_step = execute_in_own_step;
        config.batch_requests_max = batch_requests_max;
        config.pipeline_only_full_batches = pipeline_only_full_batches;
        config.mode = mode;
        config.seal_every_batches = seal_every;
        m.replica = std::make_unique<kayak::replica>(config, m.key, *m.log, *m.executor, m.blocks,
                                                     permissions);
        m.replica->start(t0);
    }
    kayak::replica& at(std::size_t i) { return *members[i].replica; }
    const public_key& pk(std::size_t i) const { return members[i].key.public_key(); }

    client_request request(std::uint8_t client_index, std::uint64_t sequence, std::string sql) const {
        client_request r;
        r.database = database;
        const auto client = test::test_key(client_index);
        r.client = client.public_key();
        r.sequence = client_sequence(sequence);
        r.timestamp_ms = t0;
        r.kind = query_kind::write;
        r.statements = {{std::move(sql), {}}};
        r.sign(client);
        return r;
    }
    // A vote signed by member i (what a Byzantine member may send).
    vote signed_vote(std::size_t i, vote_phase phase, std::uint64_t view, std::uint64_t seq,
                     const digest& hash) const {
        vote v;
        v.phase = phase;
        v.database = database;
        v.view = view_number(view);
        v.seq = sequence_number(seq);
        v.batch_hash = hash;
        v.voter = members[i].key.public_key();
        v.sign(members[i].key);
        auto decoded = decode_vote(encode(v));  // what the actor would hand over
        BOOST_REQUIRE(decoded.ok());
        return *decoded;
    }
};

/// Hands member `from`'s message to replica `r`, decoded through the real codecs as the
/// replica actor would; a client request arrives as forwarded by a member.
inline kayak::replica_output hand_over(kayak::replica& r, const public_key& from,
                                       const kayak::outbound_message& m, std::int64_t now) {
    switch (m.kind) {
        case message_kind::client_request:
            return r.on_client_request(*decode_client_request(m.payload), now, true);
        case message_kind::kayak_prepare: return r.on_prepare(*decode_prepare(m.payload), now);
        case message_kind::kayak_vote: return r.on_vote(*decode_vote(m.payload), now);
        case message_kind::kayak_commit: return r.on_commit(*decode_commit(m.payload), now);
        case message_kind::kayak_commit_certificate:
            return r.on_commit_certificate(*decode_commit_certificate(m.payload), from, now);
        case message_kind::kayak_execution: return r.on_execution(*decode_execution(m.payload), now);
        case message_kind::kayak_execution_wanted:
            return r.on_execution_wanted(*decode_execution(m.payload), now);
        case message_kind::kayak_new_view: return r.on_new_view(*decode_new_view(m.payload), now);
        case message_kind::kayak_fetch: return r.on_fetch(*decode_fetch_batches(m.payload), from);
        case message_kind::kayak_fetch_reply:
            return r.on_fetch_reply(*decode_fetch_reply(m.payload), from, now);
        case message_kind::shard_block_vote:
            return r.on_shard_block_vote(*decode_shard_block_vote(m.payload), now);
        default: return {};
    }
}

template <class T, class Decode>
std::vector<T> messages_of(const kayak::replica_output& out, message_kind kind, Decode decode) {
    std::vector<T> found;
    for (const auto& m : out.messages) {
        if (m.kind != kind) continue;
        auto decoded = decode(m.payload);
        BOOST_REQUIRE_MESSAGE(decoded.ok(), "the replica sent a message that does not decode: "
                                                << (decoded.ok() ? "" : decoded.failure().message()));
        found.push_back(*decoded);
    }
    return found;
}

template <class T, class Decode>
T one_of(const kayak::replica_output& out, message_kind kind, Decode decode) {
    auto all = messages_of<T>(out, kind, decode);
    BOOST_REQUIRE_EQUAL(all.size(), 1u);
    return all[0];
}

}  // namespace covenant::test
