// Where members' execution signatures go: to the leader, which answers clients and
// compares every member's results, and to a member that asks for them because a client of
// its own waits on the batch (kayak_execution_wanted). Real replicas, SQLite executors and
// the real codecs; every answer is checked as a client checks it.
#include <boost/test/unit_test.hpp>

#include <deque>
#include <functional>
#include <map>
#include <tuple>

#include "protocols/kayak/client_check.hpp"
#include "replica_group.hpp"

using namespace covenant;
using namespace covenant::protocols;

namespace {

using namespace covenant::test;

// Delivers what replicas send each other until quiet, counting each message by (kind,
// from, to) and keeping each member's client answers.
struct exchange {
    replica_group& g;
    std::function<bool(std::size_t, std::size_t, message_kind)> drop;
    std::map<std::tuple<message_kind, std::size_t, std::size_t>, std::size_t> sent;
    std::map<std::size_t, std::vector<kayak::client_reply>> replies;

    explicit exchange(replica_group& group) : g(group) {}

    std::size_t index_of(const public_key& k) const {
        for (std::size_t i = 0; i < g.members.size(); ++i)
            if (g.pk(i) == k) return i;
        return g.members.size();
    }
    std::size_t count(message_kind kind) const {
        std::size_t n = 0;
        for (const auto& [key, c] : sent)
            if (std::get<0>(key) == kind) n += c;
        return n;
    }
    std::size_t count(message_kind kind, std::size_t from, std::size_t to) const {
        auto it = sent.find({kind, from, to});
        return it == sent.end() ? 0 : it->second;
    }
    void deliver(std::size_t from, kayak::replica_output out, std::int64_t now) {
        std::deque<std::pair<std::size_t, kayak::replica_output>> queue;
        queue.push_back({from, std::move(out)});
        while (!queue.empty()) {
            auto [f, o] = std::move(queue.front());
            queue.pop_front();
            for (auto& reply : o.replies) replies[f].push_back(std::move(reply));
            for (const auto& m : o.messages)
                for (const auto& k : m.to) {
                    const std::size_t to = index_of(k);
                    BOOST_REQUIRE(to < g.members.size());
                    ++sent[{m.kind, f, to}];
                    if (drop && drop(f, to, m.kind)) continue;
                    queue.push_back({to, hand_over(g.at(to), g.pk(f), m, now)});
                }
        }
    }
    // Member i's answer to `request`, signed and decoded as a client receives it, checked
    // as a client checks a write's answer.
    void expect_verified_answer(std::size_t i, const client_request& request) {
        const digest h = request.hash();
        std::size_t found = 0;
        for (auto& reply : replies[i]) {
            if (reply.request_hash != h) continue;
            ++found;
            client_response r = reply.response;
            sign_responses({&r}, g.members[i].key);
            auto decoded = decode_client_response(encode(r));
            BOOST_REQUIRE(decoded.ok());
            BOOST_REQUIRE(decoded->receipt.has_value());
            BOOST_TEST(decoded->receipt->executions.size() >= g.members_group.one_honest());
            const auto fault = kayak::write_response_fault(*decoded, h, g.members_group);
            BOOST_TEST(!fault.has_value(), "member " << i << "'s answer: " << fault.value_or(""));
        }
        BOOST_TEST(found == 1u, "member " << i << " answered " << found << " times");
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(execution_routing)

BOOST_AUTO_TEST_CASE(followers_send_their_executions_to_the_leader_only) {
    replica_group g(4);
    exchange x(g);
    const auto request = g.request(100, 1, "CREATE TABLE t(v)");
    x.deliver(0, g.at(0).on_client_request(request, t0), t0);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(g.at(i).last_executed().value == 1u);
    // Three executions, one from each follower to the leader; none between followers, none
    // from the leader (nobody asked), no asking.
    BOOST_TEST(x.count(message_kind::kayak_execution) == 3u);
    for (std::size_t f = 1; f < 4; ++f) BOOST_TEST(x.count(message_kind::kayak_execution, f, 0) == 1u);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 0u);
    x.expect_verified_answer(0, request);
    // The followers had no client of their own to answer.
    for (std::size_t f = 1; f < 4; ++f) BOOST_TEST(x.replies[f].empty());
}

BOOST_AUTO_TEST_CASE(a_follower_with_a_client_waiting_asks_the_others_for_theirs) {
    replica_group g(4);
    exchange x(g);
    const auto request = g.request(100, 1, "CREATE TABLE t(v)");
    // The client writes to member 2, which forwards to the leader and answers it itself.
    x.deliver(2, g.at(2).on_client_request(request, t0), t0);
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(g.at(i).last_executed().value == 1u);
    // Member 2 asked everyone once; each member that had executed sent its execution back.
    for (std::size_t i : {0u, 1u, 3u}) BOOST_TEST(x.count(message_kind::kayak_execution_wanted, 2, i) == 1u);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 3u);
    BOOST_TEST(x.count(message_kind::kayak_execution, 1, 3) == 0u);
    BOOST_TEST(x.count(message_kind::kayak_execution, 3, 1) == 0u);
    x.expect_verified_answer(2, request);
    BOOST_TEST(x.replies[0].empty());  // a forwarded request is the forwarder's to answer
}

BOOST_AUTO_TEST_CASE(a_member_asked_before_it_executes_answers_when_it_does) {
    replica_group g(4);
    g.execute_in_own_step = true;
    for (std::size_t i = 0; i < 4; ++i) g.start(i);
    exchange x(g);
    const auto request = g.request(100, 1, "CREATE TABLE t(v)");
    x.deliver(2, g.at(2).on_client_request(request, t0), t0);
    // Everyone committed; nobody executed yet. Member 2 executes first and asks.
    for (std::size_t i = 0; i < 4; ++i) BOOST_TEST(g.at(i).execution_due());
    x.deliver(2, g.at(2).on_execution_due(t0 + 1), t0 + 1);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 3u);
    BOOST_TEST(x.count(message_kind::kayak_execution) == 0u);  // nobody had executed
    BOOST_TEST(x.replies[2].empty());
    // Member 3 executes: its execution goes to the leader and to member 2, who asked.
    x.deliver(3, g.at(3).on_execution_due(t0 + 2), t0 + 2);
    BOOST_TEST(x.count(message_kind::kayak_execution, 3, 0) == 1u);
    BOOST_TEST(x.count(message_kind::kayak_execution, 3, 2) == 1u);
    BOOST_TEST(x.count(message_kind::kayak_execution, 3, 1) == 0u);
    x.expect_verified_answer(2, request);
}

BOOST_AUTO_TEST_CASE(a_leader_whose_executions_did_not_come_asks_at_a_tick) {
    replica_group g(4);
    exchange x(g);
    // The followers' executions are lost on their way to the leader.
    x.drop = [](std::size_t, std::size_t to, message_kind kind) {
        return to == 0 && kind == message_kind::kayak_execution;
    };
    const auto request = g.request(100, 1, "CREATE TABLE t(v)");
    x.deliver(0, g.at(0).on_client_request(request, t0), t0);
    BOOST_TEST(g.at(0).last_executed().value == 1u);
    BOOST_TEST(x.replies[0].empty());
    // Not yet at the retransmit pace; then the leader asks, and the answers come.
    x.deliver(0, g.at(0).on_tick(t0 + 50), t0 + 50);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 0u);
    x.drop = nullptr;
    const std::int64_t later = t0 + g.at(0).config().retransmit_ms;
    x.deliver(0, g.at(0).on_tick(later), later);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 3u);
    x.expect_verified_answer(0, request);
    // Answered: no more asking.
    x.deliver(0, g.at(0).on_tick(later + 1000), later + 1000);
    BOOST_TEST(x.count(message_kind::kayak_execution_wanted) == 3u);
}

BOOST_AUTO_TEST_CASE(a_follower_about_to_answer_a_write_does_not_call_its_resend_stale) {
    replica_group g(4);
    exchange x(g);
    // The executions that answer member 2's asking are lost at first.
    x.drop = [](std::size_t, std::size_t to, message_kind kind) {
        return to == 2 && kind == message_kind::kayak_execution;
    };
    const auto request = g.request(100, 1, "CREATE TABLE t(v)");
    x.deliver(2, g.at(2).on_client_request(request, t0), t0);
    BOOST_TEST(g.at(2).last_executed().value == 1u);
    BOOST_TEST(x.replies[2].empty());
    // The client asks again: member 2 says nothing while it waits for the executions; a
    // member that never had this client calls the sequence used.
    x.deliver(2, g.at(2).on_client_request(request, t0 + 10), t0 + 10);
    BOOST_TEST(x.replies[2].empty());
    x.deliver(3, g.at(3).on_client_request(request, t0 + 10), t0 + 10);
    BOOST_REQUIRE_EQUAL(x.replies[3].size(), 1u);
    const auto* refused = std::get_if<rejection>(&x.replies[3][0].response.body);
    BOOST_REQUIRE(refused != nullptr);
    BOOST_TEST((refused->reason == rejection_reason::stale_sequence));
    // At the retransmit pace member 2 asks again, and answers.
    x.drop = nullptr;
    const std::int64_t later = t0 + g.at(2).config().retransmit_ms;
    x.deliver(2, g.at(2).on_tick(later), later);
    x.expect_verified_answer(2, request);
}

BOOST_AUTO_TEST_SUITE_END()
