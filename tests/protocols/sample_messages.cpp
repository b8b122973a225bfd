// Builds the sample messages declared in sample_messages.hpp.
#include "sample_messages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "crypto/node_id.hpp"
#include "protocols/merkle.hpp"

namespace covenant::test {

using namespace protocols;

crypto::key_pair test_key(std::uint8_t index) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(index);
    return crypto::key_pair::from_seed(crypto::secret_seed(seed));
}

std::vector<crypto::key_pair> sorted_members(std::size_t n) {
    std::vector<crypto::key_pair> keys;
    for (std::size_t i = 1; i <= n; ++i) keys.push_back(test_key(static_cast<std::uint8_t>(i)));
    std::sort(keys.begin(), keys.end(),
              [](const auto& a, const auto& b) { return a.public_key() < b.public_key(); });
    return keys;
}

database_id sample_database() {
    database_id id;
    id.data.fill(0xdb);
    return id;
}

namespace {
digest filled(std::uint8_t b) {
    digest d;
    d.data.fill(b);
    return d;
}
}  // namespace

client_request sample_request(std::uint64_t sequence) {
    const auto client = test_key(100);
    client_request r;
    r.database = sample_database();
    r.client = client.public_key();
    r.sequence = client_sequence(sequence);
    r.timestamp_ms = 1'790'000'000'000;
    r.kind = query_kind::write;
    r.statements.push_back(
        {"INSERT INTO t(a, b, c, d, e) VALUES (?, ?, ?, ?, ?)",
         {{"", sql_value::null()},
          {"", sql_value::integer(std::numeric_limits<std::int64_t>::min())},
          {"", sql_value::real(-0.0)},
          {"", sql_value::text(std::string("h\xc3\xa9llo\0w", 8))},
          {"", sql_value::blob({0, 1, 2, 255})}}});
    r.statements.push_back({"UPDATE t SET a = :a WHERE b = @b",
                            {{":a", sql_value::real(3.5)}, {"@b", sql_value::integer(7)}}});
    r.sign(client);
    return r;
}

client_request sample_request_with_parameter_sets(std::uint64_t sequence) {
    const auto client = test_key(100);
    client_request r = sample_request(sequence);
    r.statements[0] = {"INSERT INTO t(k, v) VALUES (?, :v)", {}};
    r.statements[0].parameter_sets = {
        {{"", sql_value::integer(1)}, {":v", sql_value::text("one")}},
        {{"", sql_value::integer(2)}, {":v", sql_value::blob({0, 255})}},
        {{"", sql_value::integer(3)}, {":v", sql_value::null()}},
    };
    r.sign(client);
    return r;
}

batch sample_batch(std::uint64_t seq, std::size_t requests) {
    batch b;
    b.header.database = sample_database();
    b.header.seq = sequence_number(seq);
    b.header.parent = filled(static_cast<std::uint8_t>(seq - 1));
    b.header.timestamp_ms = 1'790'000'000'123;
    for (std::size_t i = 0; i < requests; ++i) b.requests.push_back(sample_request(seq * 100 + i));
    b.seal_header();
    return b;
}

certificate sample_certificate(const batch& b, vote_phase phase, std::size_t signers) {
    certificate c;
    c.phase = phase;
    c.database = b.header.database;
    c.view = view_number(2);
    c.seq = b.header.seq;
    c.batch_hash = b.hash();
    for (const auto& key : sorted_members(signers)) c.votes.push_back(sign_certificate_vote(c, key));
    return c;
}

client_response sample_response_with_receipt() {
    const batch b = sample_batch(5, 3);
    std::vector<request_outcome> outcomes;
    for (const auto& r : b.requests) {
        request_outcome o;
        o.request_hash = r.hash();
        statement_result inserted;
        inserted.affected_rows = 1;
        inserted.last_insert_id = 42;
        statement_result selected;
        selected.columns = {"a", "b"};
        selected.rows = {{sql_value::integer(1), sql_value::text("x")},
                         {sql_value::null(), sql_value::blob({9, 9})}};
        o.body = std::vector<statement_result>{inserted, selected};
        outcomes.push_back(std::move(o));
    }
    outcomes[2].body = sql_failure{1, 19, "UNIQUE constraint failed: t.a"};
    std::vector<digest> leaves;
    for (const auto& o : outcomes) leaves.push_back(o.hash());

    const auto members = sorted_members(4);
    client_response m;
    m.database = b.header.database;
    m.request_hash = outcomes[1].request_hash;
    m.responder = members[0].public_key();
    m.state_seq = b.header.seq;
    m.state_digest = filled(0x5d);
    m.body = outcomes[1];
    write_receipt w;
    w.view = view_number(2);
    w.seq = b.header.seq;
    w.batch_hash = b.hash();
    w.commit_certificate = sample_certificate(b, vote_phase::commit, 3);
    w.results_root = merkle_root(leaves);
    w.state_digest = m.state_digest;
    w.leaf_index = 1;
    w.leaf_count = 3;
    w.path = merkle_path(leaves, 1);
    const bytes executed = execution_signing_bytes(m.database, w.view, w.seq, w.batch_hash,
                                                   w.results_root, w.state_digest);
    for (std::size_t i = 0; i < 2; ++i)
        w.executions.push_back({members[i].public_key(),
                                members[i].sign(crypto::sign_domain::kayak_execution, executed)});
    m.receipt = std::move(w);
    m.sign(members[0]);
    return m;
}

client_response sample_rejection() {
    const auto members = sorted_members(4);
    client_response m;
    m.database = sample_database();
    m.request_hash = sample_request().hash();
    m.responder = members[1].public_key();
    m.state_seq = sequence_number(9);
    m.state_digest = filled(0x77);
    m.body = rejection{rejection_reason::not_leader, "ask the leader", members[2].public_key()};
    m.sign(members[1]);
    return m;
}

prepare_message sample_prepare() {
    const auto leader = sorted_members(4)[2];
    prepare_message m;
    m.batch = sample_batch(7, 2);
    m.proposed.database = m.batch.header.database;
    m.proposed.view = view_number(2);
    m.proposed.seq = m.batch.header.seq;
    m.proposed.batch_hash = m.batch.hash();
    m.proposed.leader = leader.public_key();
    m.proposed.sign(leader);
    m.last_commit = sample_certificate(sample_batch(6, 1), vote_phase::commit, 3);
    m.justification = sample_certificate(m.batch, vote_phase::prepare, 3);
    m.justification->view = view_number(1);
    m.justification->votes.clear();
    for (const auto& key : sorted_members(3))
        m.justification->votes.push_back(sign_certificate_vote(*m.justification, key));
    return m;
}

vote sample_vote(vote_phase phase) {
    const auto voter = test_key(3);
    const batch b = sample_batch(4, 1);
    vote v;
    v.phase = phase;
    v.database = b.header.database;
    v.view = view_number(2);
    v.seq = b.header.seq;
    v.batch_hash = b.hash();
    v.voter = voter.public_key();
    v.sign(voter);
    return v;
}

commit_message sample_commit() {
    return commit_message{sample_certificate(sample_batch(3, 1), vote_phase::prepare, 3)};
}

execution_message sample_execution() {
    const auto signer = test_key(2);
    execution_message e;
    e.database = sample_database();
    e.view = view_number(1);
    e.seq = sequence_number(11);
    e.batch_hash = filled(0x11);
    e.results_root = filled(0x22);
    e.state_digest = filled(0x33);
    e.signer = signer.public_key();
    e.sign(signer);
    return e;
}

suspect_message sample_suspect() {
    const auto member = test_key(4);
    suspect_message s;
    s.database = sample_database();
    s.view = view_number(3);
    s.last_committed = sequence_number(17);
    s.member = member.public_key();
    s.sign(member);
    return s;
}

new_view_message sample_new_view() {
    const auto member = test_key(1);
    new_view_message m;
    m.database = sample_database();
    m.new_view = view_number(3);
    m.last_committed = sequence_number(7);
    m.member = member.public_key();
    batch eighth = sample_batch(8, 2);
    batch ninth = sample_batch(9, 1);
    ninth.header.parent = eighth.hash();
    ninth.header.seals_block = true;
    ninth.seal_header();
    for (const auto& b : {eighth, ninth})
        m.prepared.push_back({sample_certificate(b, vote_phase::prepare, 3), b});
    m.sign(member);
    return m;
}

fetch_batches sample_fetch() { return fetch_batches{sample_database(), sequence_number(12), 16}; }

fetch_reply sample_fetch_reply() {
    fetch_reply m;
    m.database = sample_database();
    batch first = sample_batch(20, 1);
    batch second = sample_batch(21, 2);
    second.header.parent = first.hash();
    second.seal_header();
    for (auto* b : {&first, &second})
        m.batches.push_back({*b, sample_certificate(*b, vote_phase::commit, 3)});
    return m;
}

namespace {
/// A block of batches first_seq .. end_seq - 1 (view 2, certified and signed by 3 members).
shard_block sample_block(block_height height, const digest& parent, std::int64_t timestamp_ms,
                         std::uint64_t first_seq, std::uint64_t end_seq, std::size_t requests) {
    shard_block block;
    block.header.database = sample_database();
    block.header.height = height;
    block.header.parent = parent;
    block.header.timestamp_ms = timestamp_ms;
    for (std::uint64_t seq = first_seq; seq < end_seq; ++seq) {
        batch b = sample_batch(seq, requests);
        shard_entry e;
        e.view = view_number(2);
        e.seq = b.header.seq;
        e.batch_hash = b.hash();
        e.results_root = filled(static_cast<std::uint8_t>(seq));
        e.state_digest = filled(static_cast<std::uint8_t>(seq + 100));
        e.commit_certificate = sample_certificate(b, vote_phase::commit, 3);
        block.entries.push_back(std::move(e));
    }
    block.seal_header();
    for (const auto& key : sorted_members(3)) block.add_signature(key);
    return block;
}
}  // namespace

shard_block sample_shard_block() {
    return sample_block(block_height(4), filled(0x44), 1'790'000'001'000, 30, 33, 1);
}

shard_block_fetch sample_shard_block_fetch() {
    return shard_block_fetch{sample_database(), block_height(4), 8};
}

shard_block_fetch_reply sample_shard_block_fetch_reply() {
    shard_block_fetch_reply m;
    m.database = sample_database();
    m.head_height = block_height(7);
    const shard_block first = sample_shard_block();  // height 4, seqs 30..32
    const shard_block second = sample_block(first.header.height.next(), first.hash(),
                                            first.header.timestamp_ms + 1'000, 33, 35, 2);
    m.blocks = {first, second};
    return m;
}

shard_block_vote sample_shard_block_vote() {
    const auto block = sample_shard_block();
    const auto member = sorted_members(3)[1];
    shard_block_vote v{block.header.database, block.header.height, block.hash(),
                       member.public_key(), {}, std::nullopt};
    v.sign(member);
    tx::shard_checkpoint checkpoint;
    checkpoint.database = block.header.database;
    checkpoint.height = block.header.height;
    checkpoint.head_hash = block.hash();
    checkpoint.state_digest = block.header.state_digest;
    v.checkpoint_signature =
        member.sign(crypto::sign_domain::shard_checkpoint, checkpoint.checkpoint_signing_bytes());
    return v;
}

std::vector<transaction> sample_transactions() {
    const auto sender = test_key(50);
    const auto members = sorted_members(3);
    std::vector<transaction> out;
    auto add = [&](auto body) {
        transaction t;
        t.sender = sender.public_key();
        t.nonce = account_nonce(out.size() + 1);
        t.fee = 10;
        t.body = std::move(body);
        t.sign(sender);
        out.push_back(std::move(t));
    };
    add(tx::transfer{crypto::address_of(test_key(51).public_key()), 1000});
    add(tx::stake{500});
    add(tx::unstake{100});
    std::vector<account_address> candidates;
    for (const auto& m : members) candidates.push_back(crypto::address_of(m.public_key()));
    std::sort(candidates.begin(), candidates.end());
    add(tx::vote_producers{candidates});
    add(tx::register_miner{77, 5000, 8, 3, "127.0.0.1:4661"});
    add(tx::miner_exit{});
    add(tx::create_database{4, consistency_mode::eventual, 100000});
    add(tx::drop_database{sample_database()});
    add(tx::grant_role{sample_database(), crypto::address_of(test_key(52).public_key()), role::admin});
    add(tx::revoke_role{sample_database(), crypto::address_of(test_key(52).public_key())});
    add(tx::suspect_leader{sample_suspect()});
    tx::shard_checkpoint checkpoint;
    checkpoint.database = sample_database();
    checkpoint.height = block_height(4);
    checkpoint.head_hash = sample_shard_block().hash();
    checkpoint.state_digest = filled(0x99);
    checkpoint.billing = {{crypto::address_of(test_key(53).public_key()), 12, 36}};
    const bytes signed_bytes = checkpoint.checkpoint_signing_bytes();
    for (const auto& m : members)
        checkpoint.signatures.push_back(
            {m.public_key(), m.sign(crypto::sign_domain::shard_checkpoint, signed_bytes)});
    add(checkpoint);
    vote first = sample_vote();
    vote second = first;
    second.batch_hash = filled(0xee);
    second.sign(test_key(3));
    if (second.batch_hash < first.batch_hash) std::swap(first, second);  // canonical order
    add(tx::evidence{tx::conflicting_votes{first, second}});
    const auto leader = test_key(5);
    proposal p1;
    p1.database = sample_database();
    p1.view = view_number(1);
    p1.seq = sequence_number(3);
    p1.batch_hash = filled(1);
    p1.leader = leader.public_key();
    p1.sign(leader);
    proposal p2 = p1;
    p2.batch_hash = filled(2);
    p2.sign(leader);
    add(tx::evidence{tx::conflicting_proposals{p1, p2}});
    execution_message e1 = sample_execution();
    execution_message e2 = e1;
    e2.results_root = filled(0x23);
    e2.sign(test_key(2));
    add(tx::evidence{tx::conflicting_executions{e1, e2}});
    return out;
}

main_block sample_main_block() {
    const auto producers = sorted_members(4);
    main_block b;
    b.header.height = block_height(10);
    b.header.parent = filled(0xab);
    b.header.epoch = epoch_number(2);
    b.header.round = view_number(1);
    b.header.proposer = producers[1].public_key();
    b.header.timestamp_ms = 1'790'000'002'000;
    b.header.state_root = filled(0xcd);
    b.transactions = sample_transactions();
    b.seal_header();
    b.sign_proposal(producers[1]);
    b.finality_round = view_number(2);
    for (std::size_t i = 0; i < 3; ++i) b.add_finality_vote(producers[i]);
    return b;
}

main_chain::block_vote sample_block_vote(main_chain::block_vote::kind what) {
    const auto block = sample_main_block();
    main_chain::block_vote v{block.header.height, block.finality_round, what, block.hash(), {}, {}};
    v.sign(sorted_members(4)[2]);
    return v;
}

main_chain::block_vote sample_nil_vote() {
    main_chain::block_vote v{block_height(10), view_number(3), main_chain::block_vote::kind::prevote,
                             std::nullopt, {}, {}};
    v.sign(sorted_members(4)[3]);
    return v;
}

main_chain::block_proposal sample_block_proposal(bool again) {
    const auto producers = sorted_members(4);
    main_chain::block_proposal p;
    p.block = sample_main_block();
    p.block.finality.clear();
    p.block.finality_round = view_number(0);
    if (again) {
        p.round = view_number(4);
        p.valid_round = view_number(2);
        p.sign(producers[2]);
    } else {
        p.round = p.block.header.round;
        p.sign(producers[1]);  // the block's proposer
    }
    return p;
}

main_chain::producer_evidence sample_producer_evidence(main_chain::producer_evidence::kind what) {
    using E = main_chain::producer_evidence;
    const auto producers = sorted_members(4);
    E e;
    if (what == E::kind::proposal) {
        const auto& offender = producers[1];
        E::proposals p;
        p.first = sample_main_block().header;  // proposed by producers[1]
        p.second = p.first;
        p.second.timestamp_ms += 1;
        p.second.state_root = filled(0xce);
        p.first_signature = offender.sign(crypto::sign_domain::main_block_proposal, p.first.hash().view());
        p.second_signature = offender.sign(crypto::sign_domain::main_block_proposal, p.second.hash().view());
        e.proof = p;
    } else {
        const auto& offender = producers[3];
        auto first = sample_block_vote(main_chain::block_vote::kind::precommit);
        first.sign(offender);
        auto second = first;
        second.block_hash.reset();
        second.sign(offender);
        e.proof = E::votes{first, second};
    }
    e.canonicalize();
    return e;
}

main_chain::block_fetch sample_block_fetch() { return {block_height(5), 16}; }

main_chain::block_fetch_reply sample_block_fetch_reply() {
    const auto producers = sorted_members(4);
    const auto transactions = sample_transactions();
    main_chain::block_fetch_reply m;
    m.head_height = block_height(9);
    digest parent = filled(0x5a);
    for (std::uint64_t h = 5; h <= 6; ++h) {
        const auto& proposer = producers[h % 4];
        main_block b;
        b.header.height = block_height(h);
        b.header.parent = parent;
        b.header.proposer = proposer.public_key();
        b.header.timestamp_ms = 1'790'000'003'000 + static_cast<std::int64_t>(h);
        b.header.state_root = filled(static_cast<std::uint8_t>(0x60 + h));
        b.transactions.assign(transactions.begin() + static_cast<std::ptrdiff_t>(h - 5),
                              transactions.begin() + static_cast<std::ptrdiff_t>(2 * h - 8));
        b.seal_header();
        b.sign_proposal(proposer);
        for (std::size_t i = 0; i < 3; ++i) b.add_finality_vote(producers[i]);
        parent = b.hash();
        m.blocks.push_back(std::move(b));
    }
    return m;
}

envelope sample_envelope(unsigned difficulty, bool on_channel) {
    const auto sender = test_key(9);
    const auto mined = crypto::mine_node_id(sender.public_key(), difficulty, 0, 1u << 20);
    COVENANT_ASSERT(mined.has_value(), "sample envelope: no node id found");
    const auto vote = sample_vote();
    return seal_envelope(sender, mined->nonce, message_kind::kayak_vote, encode(vote),
                         on_channel ? vote.database.view().to_bytes() : bytes{});
}

member_status_query sample_member_status_query() {
    return member_status_query{sample_database(), filled(0xc1)};
}

member_status sample_member_status(bool with_shard_head) {
    member_progress progress;
    progress.view = view_number(2);
    progress.last_committed = sequence_number(41);
    progress.last_executed = sequence_number(41);
    progress.state_digest = filled(0x5d);
    if (with_shard_head) {
        progress.shard_height = block_height(6);
        progress.shard_head = filled(0x6e);
    }
    return member_status::answer(sample_member_status_query(), progress, 1'790'000'004'000,
                                 sorted_members(3)[2]);
}

}  // namespace covenant::test
