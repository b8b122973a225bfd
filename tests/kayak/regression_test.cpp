// Regression tests from a review of the replica: each drives real replicas (SQLite
// executors, in-memory logs, messages through the real decoders) through a scenario that
// once broke one of Kayak's guarantees, and checks the guarantee holds.
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include "replica_group.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {

using namespace covenant::test;

// Delivers what replicas send to each other (through the real decoders) until quiet.
struct pump {
    replica_group& g;
    std::vector<bool> alive;
    std::function<bool(std::size_t, std::size_t, message_kind)> drop;
    std::map<std::size_t, std::size_t> suspicions;
    explicit pump(replica_group& group) : g(group), alive(group.members.size(), true) {}

    std::size_t index_of(const public_key& k) const {
        for (std::size_t i = 0; i < g.members.size(); ++i)
            if (g.pk(i) == k) return i;
        return g.members.size();
    }
    kayak::replica_output handle(std::size_t from, std::size_t to, const kayak::outbound_message& m,
                                 std::int64_t now) {
        return hand_over(g.at(to), g.pk(from), m, now);
    }
    void deliver(std::size_t from, kayak::replica_output out, std::int64_t now) {
        suspicions[from] += out.suspicions.size();
        std::deque<std::pair<std::size_t, kayak::outbound_message>> queue;
        for (auto& m : out.messages) queue.push_back({from, std::move(m)});
        while (!queue.empty()) {
            auto [f, m] = std::move(queue.front());
            queue.pop_front();
            for (const auto& k : m.to) {
                const std::size_t to = index_of(k);
                if (to >= g.members.size() || !alive[to] || (drop && drop(f, to, m.kind))) continue;
                auto next = handle(f, to, m, now);
                suspicions[to] += next.suspicions.size();
                for (auto& n : next.messages) queue.push_back({to, std::move(n)});
            }
        }
    }
    void tick_all(std::int64_t now) {
        for (std::size_t i = 0; i < g.members.size(); ++i)
            if (alive[i]) deliver(i, g.at(i).on_tick(now), now);
    }
};

digest committed_hash(member_under_test& m, std::uint64_t seq) {
    auto c = m.log->load_committed(sequence_number(seq), 1);
    BOOST_REQUIRE(!c.empty());
    return c[0].batch.hash();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(regressions)

// Agreement. A new leader that restarts while gathering NEW-VIEWs forgets that it must
// re-propose (view_change_pending_ is not persisted) and proposes a fresh batch at the
// committed seq, overriding its own lock; with one Byzantine voter (member 3) a different
// batch commits at seq 1.
BOOST_AUTO_TEST_CASE(restarted_new_leader_commits_a_different_batch_at_a_committed_seq) {
    replica_group g(4);
    // View 0, leader 0: batch A at seq 1.
    const auto prepare_a = one_of<prepare_message>(
        g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0),
        message_kind::kayak_prepare, decode_prepare);
    const digest hash_a = prepare_a.batch.hash();
    const auto v1 = one_of<vote>(g.at(1).on_prepare(prepare_a, t0), message_kind::kayak_vote, decode_vote);
    const auto v2 = one_of<vote>(g.at(2).on_prepare(prepare_a, t0), message_kind::kayak_vote, decode_vote);
    g.at(0).on_vote(v1, t0);
    const auto commit_a = one_of<commit_message>(g.at(0).on_vote(v2, t0), message_kind::kayak_commit, decode_commit);
    // Member 1 locks A; member 2 never gets the COMMIT. Byzantine member 3 votes commit too.
    const auto cv1 = one_of<vote>(g.at(1).on_commit(commit_a, t0), message_kind::kayak_vote, decode_vote);
    g.at(0).on_vote(cv1, t0);
    g.at(0).on_vote(g.signed_vote(3, vote_phase::commit, 0, 1, hash_a), t0);
    BOOST_REQUIRE_EQUAL(g.at(0).last_committed().value, 1u);  // A committed at member 0
    // (The commit certificate broadcast is lost; member 0 then goes down.)

    // The main chain moves to view 1 (leader: member 1).
    g.at(1).on_view_change(view_number(1), t0 + 10);
    g.at(2).on_view_change(view_number(1), t0 + 10);  // its NEW-VIEW is still on its way
    // Member 1 crashes and restarts before the NEW-VIEWs arrive.
    g.start(1);
    BOOST_REQUIRE_EQUAL(g.at(1).view().value, 1u);

    // A client writes to member 1: it must not propose before the view has started.
    const auto out = g.at(1).on_client_request(g.request(101, 1, "CREATE TABLE b(v)"), t0 + 20);
    BOOST_TEST(messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare).empty(),
               "a restarted new leader proposed before gathering NEW-VIEWs");
    // The members re-send their NEW-VIEWs; the locked batch A is what it re-proposes at seq 1.
    kayak::replica_output lead = g.at(1).on_new_view(
        one_of<new_view_message>(g.at(2).on_tick(t0 + 2000), message_kind::kayak_new_view, decode_new_view),
        t0 + 2000);
    new_view_message from_3;
    from_3.database = g.database;
    from_3.new_view = view_number(1);
    from_3.last_committed = sequence_number(0);
    from_3.member = g.pk(3);
    from_3.sign(g.members[3].key);
    lead.append(g.at(1).on_new_view(*decode_new_view(encode(from_3)), t0 + 2000));
    const auto reproposed = messages_of<prepare_message>(lead, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE(!reproposed.empty());
    BOOST_TEST(reproposed[0].batch.header.seq.value == 1u);
    BOOST_TEST((reproposed[0].batch.hash() == hash_a), "the new leader proposed over its own lock");
    BOOST_TEST((committed_hash(g.members[0], 1) == hash_a));
}

// Byzantine evidence must never implicate an honest member. A leader that restarts in its
// view proposes a fresh batch at a seq it already proposed in that view: two signed
// proposals for one (view, seq), and followers record evidence against it.
BOOST_AUTO_TEST_CASE(a_restarted_leader_equivocates_in_its_own_view) {
    replica_group g(4);
    const auto prepare_a = one_of<prepare_message>(
        g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0),
        message_kind::kayak_prepare, decode_prepare);
    g.at(1).on_prepare(prepare_a, t0);
    g.start(0);  // crash and restart, same log
    // A new request never takes seq 1's place; it waits for seq 1 to be prepared (the
    // leader proposes a batch only once its predecessor is prepared).
    auto held = g.at(0).on_client_request(g.request(101, 1, "CREATE TABLE b(v)"), t0 + 5);
    BOOST_TEST(messages_of<prepare_message>(held, message_kind::kayak_prepare, decode_prepare).empty());
    // The old proposal is re-sent as it was: same signed content.
    const auto resent = messages_of<prepare_message>(g.at(0).on_tick(t0 + 500), message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE(!resent.empty());
    BOOST_TEST((resent[0].proposed == prepare_a.proposed));
    // The members vote for it (member 1 again: a repeated PREPARE gets its vote again).
    kayak::replica_output out;
    for (std::size_t i : {1u, 2u, 3u})
        for (const auto& v : messages_of<vote>(g.at(i).on_prepare(resent[0], t0 + 510),
                                               message_kind::kayak_vote, decode_vote))
            out.append(g.at(0).on_vote(v, t0 + 520));
    const auto prepares = messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE_EQUAL(prepares.size(), 1u);
    // The new batch goes after the one already proposed in this view, never in its place.
    BOOST_TEST(prepares[0].proposed.seq.value == prepare_a.proposed.seq.value + 1);
    BOOST_TEST((prepares[0].batch.header.parent == prepare_a.batch.hash()));
    auto follower = g.at(1).on_prepare(resent[0], t0 + 530);
    follower.append(g.at(1).on_prepare(prepares[0], t0 + 530));
    BOOST_TEST(follower.evidence.empty(), "an honest, restarted leader was reported as equivocating");
}

// Liveness. One Byzantine member's NEW-VIEW claiming a far-ahead last commit makes every
// new leader fetch from it forever instead of starting the view.
BOOST_AUTO_TEST_CASE(a_byzantine_new_view_with_an_inflated_last_commit_stalls_the_view) {
    replica_group g(4);
    // Member 0 is Byzantine; view 1 (leader 1).
    new_view_message lie;
    lie.database = g.database;
    lie.new_view = view_number(1);
    lie.last_committed = sequence_number(1000);
    lie.member = g.pk(0);
    lie.sign(g.members[0].key);
    auto decoded = decode_new_view(encode(lie));
    BOOST_REQUIRE(decoded.ok());

    g.at(1).on_view_change(view_number(1), t0);
    const auto nv2 = one_of<new_view_message>(g.at(2).on_view_change(view_number(1), t0),
                                              message_kind::kayak_new_view, decode_new_view);
    const auto nv3 = one_of<new_view_message>(g.at(3).on_view_change(view_number(1), t0),
                                              message_kind::kayak_new_view, decode_new_view);
    g.at(1).on_new_view(*decoded, t0);
    g.at(1).on_new_view(nv2, t0);
    g.at(1).on_new_view(nv3, t0);
    std::size_t prepares = 0, fetches_to_byzantine = 0, fetches_to_others = 0;
    auto count = [&](const kayak::replica_output& out) {
        prepares += messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare).size();
        for (const auto& m : out.messages)
            if (m.kind == message_kind::kayak_fetch)
                (m.to.at(0) == g.pk(0) ? fetches_to_byzantine : fetches_to_others) += 1;
    };
    count(g.at(1).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0 + 1));
    fetch_reply empty;
    empty.database = g.database;
    std::size_t suspicions_by_followers = 0;
    for (std::int64_t t = t0 + 50; t < t0 + 60'000; t += 50) {
        count(g.at(1).on_fetch_reply(empty, g.pk(0), t));  // the liar answers with nothing
        count(g.at(1).on_tick(t));
        suspicions_by_followers += g.at(2).on_tick(t).suspicions.size() + g.at(3).on_tick(t).suspicions.size();
    }
    BOOST_TEST_MESSAGE("fetches to the liar: " << fetches_to_byzantine << ", to others: " << fetches_to_others
                                               << ", follower suspicions: " << suspicions_by_followers);
    BOOST_TEST(prepares > 0u, "the new leader never started view 1 in 60 s");
    BOOST_TEST(suspicions_by_followers > 0u, "and no follower ever suspects it");
}

// Durability / crashes: an eventual-mode leader that crashes after proposing (it executes
// at once) and before the commit cannot start again.
BOOST_AUTO_TEST_CASE(an_eventual_leader_that_crashes_before_the_commit_cannot_restart) {
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGABRT, SIG_DFL);
        {
            replica_group g(4, consistency_mode::eventual);
            g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);
            g.start(0);  // crash + restart
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0),
               "the restarted eventual-mode leader aborted in start()");
}

// Liveness / validity: a request proposed in a view that failed stays in the leader's
// in_flight_ set; when that member leads again, the client's resend is silently dropped.
BOOST_AUTO_TEST_CASE(a_returning_leader_drops_a_request_it_proposed_in_a_failed_view) {
    replica_group g(4);
    const auto r = g.request(100, 1, "CREATE TABLE t(v)");
    g.at(0).on_client_request(r, t0);  // proposed in view 0, never prepared
    // Views 1..3 fail; view 4 is member 0's again.
    g.at(0).on_view_change(view_number(4), t0 + 100);
    for (std::size_t i : {1u, 2u})
        g.at(0).on_new_view(one_of<new_view_message>(g.at(i).on_view_change(view_number(4), t0 + 100),
                                                     message_kind::kayak_new_view, decode_new_view),
                            t0 + 100);
    BOOST_REQUIRE(g.at(0).is_leader());
    const auto out = g.at(0).on_client_request(r, t0 + 200);  // the client resends
    const auto later = g.at(0).on_tick(t0 + 300);
    const auto prepares = messages_of<prepare_message>(out, message_kind::kayak_prepare, decode_prepare).size() +
                          messages_of<prepare_message>(later, message_kind::kayak_prepare, decode_prepare).size();
    BOOST_TEST(prepares == 1u, "the resent request was not proposed");
}

// Liveness / validity: a follower keeps slots it accepted in an old view that the new view
// never replaced: it refuses the client's resend as a replay (though it never executed)
// and suspects a healthy, idle leader forever.
BOOST_AUTO_TEST_CASE(stale_old_view_slots_refuse_a_resend_and_suspect_an_idle_leader) {
    replica_group g(4);
    const auto r = g.request(100, 1, "CREATE TABLE t(v)");
    const auto prepare = one_of<prepare_message>(g.at(0).on_client_request(r, t0),
                                                 message_kind::kayak_prepare, decode_prepare);
    g.at(2).on_prepare(prepare, t0);  // accepted, never prepared; leader 0 dies
    g.at(1).on_view_change(view_number(1), t0 + 10);
    kayak::replica_output lead;
    for (std::size_t i : {2u, 3u})
        lead.append(g.at(1).on_new_view(one_of<new_view_message>(g.at(i).on_view_change(view_number(1), t0 + 10),
                                                                 message_kind::kayak_new_view, decode_new_view),
                                        t0 + 10));
    // The leader announces the started view to the members.
    for (const auto& nv : messages_of<new_view_message>(lead, message_kind::kayak_new_view, decode_new_view))
        g.at(2).on_new_view(nv, t0 + 15);
    // An idle, correct leader: member 2 has nothing outstanding and never suspects it.
    std::size_t suspicions = 0;
    for (std::int64_t t = t0 + 100; t < t0 + 30'000; t += 50) suspicions += g.at(2).on_tick(t).suspicions.size();
    BOOST_TEST(suspicions == 0u);
    // The client resends r to member 2: it never executed, so it is not a replay.
    const auto out = g.at(2).on_client_request(r, t0 + 30'000);
    for (const auto& reply : out.replies)
        BOOST_TEST(!std::holds_alternative<rejection>(reply.response.body),
                   "member 2 rejected a never-executed request: "
                       << std::get<rejection>(reply.response.body).message);
    const auto forwarded = messages_of<client_request>(out, message_kind::client_request, decode_client_request);
    BOOST_REQUIRE_EQUAL(forwarded.size(), 1u);
    BOOST_TEST((out.messages[0].to == std::vector<public_key>{g.pk(1)}));
}

// Liveness / bad client input: a permitted client sends writes with far-future sequence
// numbers to the followers. They sit in awaited_requests_ forever (the leader refuses
// them), so every follower suspects the healthy leader every timeout: f+1 suspicions,
// view change after view change, caused by a client.
BOOST_AUTO_TEST_CASE(a_client_with_future_sequences_makes_followers_suspect_forever) {
    replica_group g(4);
    const auto bogus = g.request(100, 1'000'000, "CREATE TABLE t(v)");
    for (std::size_t i : {1u, 2u, 3u}) g.at(i).on_client_request(bogus, t0);
    std::set<std::size_t> suspecting;
    for (std::int64_t t = t0 + 100; t < t0 + 20'000; t += 50)
        for (std::size_t i : {1u, 2u, 3u})
            if (!g.at(i).on_tick(t).suspicions.empty()) suspecting.insert(i);
    BOOST_TEST(suspecting.size() < g.members_group.one_honest(),
               suspecting.size() << " members suspect a correct leader because of one client");
}

// Liveness: a NEW-VIEW lost on the way is never sent again; with idle followers nobody but
// the new leader suspects, so the group never leaves the stuck view.
BOOST_AUTO_TEST_CASE(a_lost_new_view_leaves_the_group_stuck) {
    replica_group g(4);  // member 0 (leader of view 0) is down
    g.at(1).on_view_change(view_number(1), t0);
    g.at(2).on_view_change(view_number(1), t0);  // its NEW-VIEW is lost
    g.at(1).on_new_view(one_of<new_view_message>(g.at(3).on_view_change(view_number(1), t0),
                                                 message_kind::kayak_new_view, decode_new_view),
                        t0);
    g.at(1).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0 + 1);
    std::set<std::size_t> suspecting;
    std::size_t resent_new_views = 0;
    for (std::int64_t t = t0 + 50; t < t0 + 60'000; t += 50)
        for (std::size_t i : {1u, 2u, 3u}) {
            const auto out = g.at(i).on_tick(t);
            if (!out.suspicions.empty()) suspecting.insert(i);
            for (const auto& m : out.messages) resent_new_views += m.kind == message_kind::kayak_new_view;
        }
    BOOST_TEST(resent_new_views > 0u, "no NEW-VIEW is ever sent again");
    BOOST_TEST(suspecting.size() >= g.members_group.one_honest(),
               "only " << suspecting.size() << " member(s) suspect: the view never changes");
}

// Shard chain: a batch committed by the old leader with one commit certificate and by the
// others, after a view change, with another, gives different shard entries; the old
// leader's block never gathers q signatures and its shard chain stops for good.
BOOST_AUTO_TEST_CASE(different_commit_certificates_fork_the_shard_chain) {
    replica_group g(4, consistency_mode::strong, /*seal every batch*/ 1);
    const auto prepare_a = one_of<prepare_message>(
        g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0),
        message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE(prepare_a.batch.header.seals_block);
    std::vector<vote> votes;
    for (std::size_t i : {1u, 2u, 3u})
        votes.push_back(one_of<vote>(g.at(i).on_prepare(prepare_a, t0), message_kind::kayak_vote, decode_vote));
    g.at(0).on_vote(votes[0], t0);
    const auto commit_a = one_of<commit_message>(g.at(0).on_vote(votes[1], t0), message_kind::kayak_commit, decode_commit);
    std::vector<vote> commit_votes;
    for (std::size_t i : {1u, 2u, 3u})
        commit_votes.push_back(one_of<vote>(g.at(i).on_commit(commit_a, t0), message_kind::kayak_vote, decode_vote));
    g.at(0).on_vote(commit_votes[0], t0);
    g.at(0).on_vote(commit_votes[1], t0);  // committed at member 0 with certificate C0 (lost)
    BOOST_REQUIRE_EQUAL(g.at(0).last_committed().value, 1u);

    // View 1 without member 0's NEW-VIEW: A is re-proposed and commits with certificate C1.
    g.at(1).on_view_change(view_number(1), t0 + 10);
    kayak::replica_output lead;
    for (std::size_t i : {2u, 3u})
        lead.append(g.at(1).on_new_view(one_of<new_view_message>(g.at(i).on_view_change(view_number(1), t0 + 10),
                                                                 message_kind::kayak_new_view, decode_new_view),
                                        t0 + 10));
    const auto re = one_of<prepare_message>(lead, message_kind::kayak_prepare, decode_prepare);
    BOOST_REQUIRE(re.batch.hash() == prepare_a.batch.hash());
    kayak::replica_output all;  // everything the members send each other from here on
    auto deliver_votes = [&](const kayak::replica_output& out) {
        for (const auto& v : messages_of<vote>(out, message_kind::kayak_vote, decode_vote)) all.append(g.at(1).on_vote(v, t0 + 10));
    };
    deliver_votes(g.at(2).on_prepare(re, t0 + 10));
    deliver_votes(g.at(3).on_prepare(re, t0 + 10));
    for (const auto& c : messages_of<commit_message>(all, message_kind::kayak_commit, decode_commit)) {
        deliver_votes(g.at(2).on_commit(c, t0 + 10));
        deliver_votes(g.at(3).on_commit(c, t0 + 10));
    }
    for (const auto& c : messages_of<certificate>(all, message_kind::kayak_commit_certificate, decode_commit_certificate)) {
        all.append(g.at(2).on_commit_certificate(c, g.pk(1), t0 + 10));
        all.append(g.at(3).on_commit_certificate(c, g.pk(1), t0 + 10));
        all.append(g.at(0).on_commit_certificate(c, g.pk(1), t0 + 10));
    }
    // Everyone's shard-block votes reach everyone (also those of member 0).
    for (int round = 0; round < 3; ++round) {
        kayak::replica_output next;
        for (std::size_t i = 0; i < 4; ++i) next.append(g.at(i).on_tick(t0 + 2000 + round * 2000));
        for (const auto& v : messages_of<shard_block_vote>(next, message_kind::shard_block_vote, decode_shard_block_vote))
            for (std::size_t i = 0; i < 4; ++i)
                if (v.signer != g.pk(i)) g.at(i).on_shard_block_vote(v, t0 + 2000 + round * 2000);
    }
    for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST_MESSAGE("member " << i << " committed " << g.at(i).last_committed().value
                                     << ", shard blocks stored " << g.at(i).stats().shard_blocks_stored);
    BOOST_REQUIRE_EQUAL(g.at(1).stats().shard_blocks_stored, 1u);
    BOOST_TEST(g.at(0).stats().shard_blocks_stored == 1u, "member 0's shard chain is stuck");
}

// Liveness: the leader announces its started view once. A member that misses the
// announcement (lost, or it learned of the view late) re-sends NEW-VIEW, which the started
// leader ignores; in an idle group that member suspects a correct leader forever. With one
// Byzantine member suspecting too, that is f+1 suspicions, view after view.
BOOST_AUTO_TEST_CASE(a_missed_view_announcement_is_never_repeated) {
    replica_group g(4);
    pump n(g);
    n.alive[0] = false;  // the old leader is down
    n.drop = [&](std::size_t from, std::size_t to, message_kind k) {
        return from == 1 && to == 3 && k == message_kind::kayak_new_view;  // announcement lost
    };
    for (std::size_t i : {1u, 2u, 3u}) n.deliver(i, g.at(i).on_view_change(view_number(1), t0), t0);
    n.drop = nullptr;  // messages flow again
    for (std::int64_t t = t0 + 50; t < t0 + 60'000; t += 50) n.tick_all(t);
    BOOST_TEST(n.suspicions[3] == 0u, "member 3 suspected the idle, correct leader "
                                          << n.suspicions[3] << " times in 60 s");
}

// Liveness / client input: a request counts against the leader if any awaited request of
// its client has the sequence just before it, due or not. A client that skips seq 1 and
// sends 2 and 3 to every follower makes them all suspect a correct, idle leader.
BOOST_AUTO_TEST_CASE(a_client_gap_pair_makes_followers_suspect) {
    replica_group g(4);
    pump n(g);
    for (std::size_t i : {1u, 2u, 3u}) {
        n.deliver(i, g.at(i).on_client_request(g.request(100, 2, "CREATE TABLE a(v)"), t0), t0);
        n.deliver(i, g.at(i).on_client_request(g.request(100, 3, "CREATE TABLE b(v)"), t0), t0);
    }
    for (std::int64_t t = t0 + 50; t < t0 + 20'000; t += 50) n.tick_all(t);
    std::size_t suspecting = 0;
    for (std::size_t i : {1u, 2u, 3u}) suspecting += n.suspicions[i] > 0;
    BOOST_TEST(suspecting < g.members_group.one_honest(),
               suspecting << " followers suspect a correct leader because of one client");
}

// Liveness / client input: a client sends two different writes with one sequence, one to
// the leader and one to the followers. The leader commits the first; the followers keep
// the second as "next due" (nothing removes it when its sequence is used up) and suspect.
BOOST_AUTO_TEST_CASE(a_client_equivocating_on_a_sequence_makes_followers_suspect) {
    replica_group g(4);
    pump n(g);
    const auto r_a = g.request(100, 1, "CREATE TABLE a(v)");
    const auto r_b = g.request(100, 1, "CREATE TABLE b(v)");
    auto o2 = g.at(2).on_client_request(r_b, t0);
    auto o3 = g.at(3).on_client_request(r_b, t0);
    n.deliver(0, g.at(0).on_client_request(r_a, t0), t0);
    BOOST_REQUIRE_EQUAL(g.at(2).last_committed().value, 1u);
    n.deliver(2, std::move(o2), t0);  // the forwards reach the leader late: stale there
    n.deliver(3, std::move(o3), t0);
    for (std::int64_t t = t0 + 50; t < t0 + 20'000; t += 50) n.tick_all(t);
    std::size_t suspecting = 0;
    for (std::size_t i : {1u, 2u, 3u}) suspecting += n.suspicions[i] > 0;
    BOOST_TEST(suspecting < g.members_group.one_honest(),
               suspecting << " followers suspect a correct leader because of one client");
}

// Validity after restart: a follower drops old-view unlocked slots at a view change only in
// memory; a restart brings them back from the log, and it refuses the client's resend of a
// never-executed write as a replay.
BOOST_AUTO_TEST_CASE(a_restart_brings_back_stale_old_view_slots) {
    replica_group g(4);
    pump n(g);
    const auto r = g.request(100, 1, "CREATE TABLE t(v)");
    const auto prepare = one_of<prepare_message>(g.at(0).on_client_request(r, t0),
                                                 message_kind::kayak_prepare, decode_prepare);
    g.at(2).on_prepare(prepare, t0);  // accepted, never prepared; leader 0 dies
    n.alive[0] = false;
    for (std::size_t i : {1u, 2u, 3u}) n.deliver(i, g.at(i).on_view_change(view_number(1), t0 + 10), t0 + 10);
    g.start(2);  // member 2 restarts in view 1
    const auto out = g.at(2).on_client_request(r, t0 + 1000);
    for (const auto& reply : out.replies)
        BOOST_TEST(!std::holds_alternative<rejection>(reply.response.body),
                   "member 2 rejected a never-executed request: "
                       << std::get<rejection>(reply.response.body).message);
}

// Liveness / crash window: the new leader logs "view started" before it logs its
// re-proposals. A crash in between leaves it, after restart, in a started view with its
// old-view lock at next_seq_: propose_ready_batches refuses to propose over it and nothing
// re-proposes it, so the leader never proposes again in its view.
BOOST_AUTO_TEST_CASE(a_leader_crashing_between_view_start_and_reproposal_never_proposes) {
    replica_group g(4);
    pump n(g);
    const auto prepare_a = one_of<prepare_message>(
        g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE a(v)"), t0),
        message_kind::kayak_prepare, decode_prepare);
    const auto v1 = one_of<vote>(g.at(1).on_prepare(prepare_a, t0), message_kind::kayak_vote, decode_vote);
    const auto v2 = one_of<vote>(g.at(2).on_prepare(prepare_a, t0), message_kind::kayak_vote, decode_vote);
    g.at(0).on_vote(v1, t0);
    const auto commit_a = one_of<commit_message>(g.at(0).on_vote(v2, t0), message_kind::kayak_commit, decode_commit);
    g.at(1).on_commit(commit_a, t0);  // member 1 locks A (commit votes lost); leader 0 dies
    g.at(2).on_commit(commit_a, t0);
    n.alive[0] = false;
    // View 1: member 1 starts it, logs "started", and crashes before its re-proposal of A
    // is logged or sent.
    n.drop = [](std::size_t from, std::size_t, message_kind k) {
        return from == 1 && (k == message_kind::kayak_prepare || k == message_kind::kayak_new_view);
    };
    for (std::size_t i : {1u, 2u, 3u}) n.deliver(i, g.at(i).on_view_change(view_number(1), t0 + 10), t0 + 10);
    g.members[1].log->save_accepted(view_number(0), prepare_a.batch);  // undo the re-proposal's record
    g.start(1);
    n.drop = nullptr;
    n.deliver(1, g.at(1).on_client_request(g.request(101, 1, "CREATE TABLE b(v)"), t0 + 20), t0 + 20);
    for (std::int64_t t = t0 + 50; t < t0 + 30'000; t += 50) n.tick_all(t);
    BOOST_TEST(g.at(1).last_committed().value >= 1u, "the restarted leader of view 1 never proposed");
}

// Shard chain / restart: an eventual-mode leader that restarts after executing a proposed
// batch must still seal that batch into its shard chain once it commits (its speculative
// execution is in its log).
BOOST_AUTO_TEST_CASE(a_restarted_eventual_leader_never_stores_another_shard_block) {
    replica_group g(4, consistency_mode::eventual, /*seal every batch*/ 1);
    pump n(g);
    g.at(0).on_client_request(g.request(100, 1, "CREATE TABLE t(v)"), t0);  // executed; PREPARE lost
    g.start(0);
    for (std::int64_t t = t0 + 50; t < t0 + 10'000; t += 50) n.tick_all(t);
    n.deliver(0, g.at(0).on_client_request(g.request(100, 2, "INSERT INTO t VALUES (1)"), t0 + 10'000), t0 + 10'000);
    for (std::int64_t t = t0 + 10'050; t < t0 + 20'000; t += 50) n.tick_all(t);
    for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST_MESSAGE("member " << i << " committed " << g.at(i).last_committed().value << ", blocks "
                                     << g.at(i).stats().shard_blocks_stored);
    BOOST_REQUIRE_EQUAL(g.at(1).stats().shard_blocks_stored, 2u);
    BOOST_TEST(g.at(0).stats().shard_blocks_stored == 2u, "the restarted leader's shard chain is stuck");
}

BOOST_AUTO_TEST_SUITE_END()
