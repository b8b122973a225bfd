// covenant-bench's load client for the real network (`covenant-bench load-client ...`,
// run by process_bench.py): one client process with its own key and node id that keeps a
// window of signed SQL requests in flight straight to the database's members over the
// real transport (as a client gateway sends them: envelopes through a router and peer
// links), writes to the leader, reads spread over the members. Every answer passes the
// response decoder (which checks the member's signature and the signature lists inside).
// Prints one JSON object with its counts, rates and latencies.
#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "actors/net/scheduler_settings.hpp"
#include "actors/net/transport.hpp"
#include "actors/router/router.hpp"
#include "crypto/key_file.hpp"
#include "protocols/codec.hpp"
#include "storage/genesis_file.hpp"
#include "tools/covenant-bench/bench.hpp"

namespace covenant::bench {

using std::chrono::milliseconds;

namespace {
std::int64_t unix_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
}  // namespace

int load_client_main(int argc, char** argv) {
    CLI::App app{
        "covenant-bench load-client: signed requests straight to members (real transport)"};
    std::string genesis_path, key_path, passphrase_path, database_hex, workload = "single";
    std::vector<std::string> member_texts;      // NODE_ID@HOST:PORT, the leader first
    std::vector<std::string> member_key_texts;  // their public keys, in the same order
    std::uint64_t nonce = 0, first_sequence = 1;
    std::int64_t first_key = 1, read_keys = 1;
    double seconds = 5, rate = 0;
    std::size_t window = 16, rows = 100, total = 0;
    std::string latency_trace_path;
    app.add_option("--genesis", genesis_path)->required();
    app.add_option("--key-file", key_path)->required();
    app.add_option("--passphrase-file", passphrase_path)->required();
    app.add_option("--node-id-nonce", nonce)->required();
    app.add_option("--member", member_texts, "NODE_ID@HOST:PORT, the leader first")->required();
    app.add_option("--member-key", member_key_texts,
                   "Each --member's public key (follows leader hints)");
    app.add_option("--database", database_hex)->required();
    app.add_option("--workload", workload)
        ->check(CLI::IsMember({"single", "multirow", "read", "mix"}));
    app.add_option("--seconds", seconds, "How long to send");
    app.add_option("--total", total, "Stop after this many answered requests (0: by --seconds)");
    app.add_option("--rate", rate, "Requests per second offered (0: closed loop)");
    app.add_option("--window", window, "Requests in flight at most")->check(CLI::Range(1, 60));
    app.add_option("--rows", rows, "Rows per multi-row request")->check(CLI::Range(1, 256));
    app.add_option("--first-sequence", first_sequence, "This key's next client sequence");
    app.add_option("--first-key", first_key, "The first primary key this client inserts");
    app.add_option("--read-keys", read_keys, "Reads pick a key in 1..N");
    app.add_option("--latency-trace", latency_trace_path,
                   "Write one line per answered request to this file: ms since the start when "
                   "it was sent, its latency in ms, and w (write) or r (read)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    auto genesis = storage::read_genesis_file(genesis_path);
    if (!genesis) {
        std::cerr << "load-client: genesis: " << genesis.failure().message() << "\n";
        return 1;
    }
    std::string passphrase;
    {
        std::ifstream in(passphrase_path);
        std::getline(in, passphrase);
    }
    auto key = crypto::read_key_file(key_path, passphrase);
    const auto database = database_id::from_hex_string(database_hex);
    if (!key || !database) {
        std::cerr << "load-client: bad key file or database id\n";
        return 1;
    }

    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    actors::add_router_message_types(cfg);
    actors::add_transport_message_types(cfg);
    cfg.set("middleman.app-identifiers",
            std::vector<std::string>{"covenant-" + genesis->hash().hex().substr(0, 32)});
    cfg.set("logger.console", caf::atom("none"));
    actors::use_covenant_scheduler_settings(cfg);
    // One worker: the load clients share the cores with the nodes they load.
    cfg.set("scheduler.max-threads", std::size_t{1});
    caf::actor_system system{cfg};
    const unsigned difficulty = genesis->genesis.parameters.node_id_difficulty;
    auto router = actors::spawn_router(system, {*key, nonce, difficulty});
    auto gate = actors::spawn_gate(system, {router, difficulty, 60000});
    std::vector<node_id> members;
    std::vector<caf::actor> links;
    for (const auto& text : member_texts) {
        const auto at = text.find('@'), colon = text.rfind(':');
        auto id = node_id::from_hex_string(text.substr(0, at));
        if (at == std::string::npos || colon == std::string::npos || !id) {
            std::cerr << "load-client: --member takes NODE_ID@HOST:PORT\n";
            return 2;
        }
        members.push_back(*id);
        links.push_back(actors::spawn_peer_link(
            system, {*id, text.substr(at + 1, colon - at - 1),
                     static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1))), router, 100,
                     500, 2000, gate}));
    }
    std::map<public_key, std::size_t> member_index;
    for (std::size_t i = 0; i < member_key_texts.size() && i < members.size(); ++i)
        if (auto k = public_key::from_hex_string(member_key_texts[i])) member_index[*k] = i;
    std::size_t leader = 0;  // where writes go: the first --member until a member says otherwise
    caf::scoped_actor self{system};
    self->send(router, actors::subscribe_atom::value,
               static_cast<std::uint16_t>(protocols::message_kind::client_response),
               caf::actor{self});
    // Connected first: an envelope handed to a link that is not connected is dropped.
    // Asked through a scoped actor of its own: CAF 0.17 delivers each request's timeout to
    // the asker even after the answer came, and a blocking actor holding a message it skips
    // spins in every later receive (the load loop's below: a fifth of a load client's CPU in
    // a profile of the read phase).
    for (std::size_t i = 0; i < links.size(); ++i) {
        caf::scoped_actor asker{system};
        bool connected = false;
        const auto limit = bench_clock::now() + std::chrono::seconds(20);
        while (!connected && bench_clock::now() < limit) {
            asker->request(links[i], milliseconds(1000), actors::link_status_atom::value)
                .receive([&](const actors::link_status& s) { connected = s.connected; },
                         [](caf::error&) {});
            if (!connected) std::this_thread::sleep_for(milliseconds(50));
        }
        if (!connected) {
            std::cerr << "load-client: no connection to " << member_texts[i] << "\n";
            return 1;
        }
    }

    const std::string value(100, 'v');
    struct flight {
        bench_clock::time_point sent, last_sent;
        bool read;
        std::size_t rows;
        std::size_t member;
        bytes payload;
        std::size_t resends = 0;
    };
    std::map<digest, flight> pending;
    latencies write_latency, read_latency;
    std::size_t sent = 0, writes_ok = 0, reads_ok = 0, rows_ok = 0, rejected = 0, failed = 0,
                resent = 0, redirected = 0, stale_copies = 0, counter = 0, next_member = 0;
    std::map<std::string, std::size_t> rejections;
    // Where a tail comes from (a stall of the whole group, or queueing spread over the run)
    // shows in when its slow requests were sent: --latency-trace keeps every one.
    struct traced_answer {
        double sent_ms, latency_ms;
        bool read;
    };
    std::vector<traced_answer> trace;
    std::uint64_t sequence = first_sequence, rng = 0x2545f4914f6cdd1dull ^ nonce;
    std::int64_t next_key = first_key;
    auto send_payload = [&](std::size_t member, const bytes& payload) {
        self->send(router, actors::send_atom::value, members[member].view().to_bytes(),
                   static_cast<std::uint16_t>(protocols::message_kind::client_request),
                   database->view().to_bytes(), payload);
    };
    std::vector<std::pair<protocols::client_request, flight>> burst;
    std::set<digest> burst_hashes;
    auto send_one = [&] {
        protocols::client_request r;
        r.database = *database;
        r.client = key->public_key();
        r.timestamp_ms = unix_ms();
        const bool read = workload == "read" || (workload == "mix" && counter % 5 != 0);
        ++counter;
        std::size_t n = 0, member = 0;
        if (read) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            r.kind = protocols::query_kind::read;
            r.sequence = client_sequence(0);
            r.statements.push_back(
                {"SELECT v FROM bench WHERE k = ?",
                 {{"", protocols::sql_value::integer(
                           static_cast<std::int64_t>(rng % static_cast<std::uint64_t>(read_keys)) +
                           1)}}});
            // Every read of one refill goes to the same member, the next refill's to the
            // next one: the burst is signed once and checked once (by one member), and its
            // answers come back under one signature, instead of a quarter of it at each.
            member = next_member % members.size();
        } else {
            r.kind = protocols::query_kind::write;
            r.sequence = client_sequence(sequence++);
            member = leader;
            n = workload == "multirow" ? rows : 1;
            // A multi-row request is one INSERT with a parameter set per row: prepared once
            // and bound per row, as bare SQLite's figure runs it.
            protocols::sql_statement insert{"INSERT INTO bench(k, v) VALUES(?, ?)", {}};
            for (std::size_t i = 0; i < n; ++i) {
                std::vector<protocols::sql_parameter> row{
                    {"", protocols::sql_value::integer(next_key++)},
                    {"", protocols::sql_value::text(value)}};
                if (n == 1)
                    insert.parameters = std::move(row);
                else
                    insert.parameter_sets.push_back(std::move(row));
            }
            r.statements.push_back(std::move(insert));
        }
        const auto h = r.hash();
        // An equal read already in flight: its answer is shared.
        if (pending.count(h) || burst_hashes.count(h)) return;
        burst_hashes.insert(h);
        burst.push_back({std::move(r), flight{{}, {}, read, n, member, {}}});
    };
    // What a refill of the window made goes out signed at once: one signature over the
    // Merkle root of the burst (protocols::sign_requests), as any client with several
    // requests to send would.
    auto send_burst = [&] {
        if (burst.empty()) return;
        std::vector<protocols::client_request*> to_sign;
        for (auto& [r, f] : burst) to_sign.push_back(&r);
        protocols::sign_requests(std::move(to_sign), *key);
        // Handed to the router in one message per member: one by one, the router (on its
        // own thread) sealed the first few before the rest came, one signature each.
        std::map<std::size_t, std::vector<bytes>> by_member;
        for (auto& [r, f] : burst) {
            f.sent = f.last_sent = bench_clock::now();
            f.payload = protocols::encode(r);
            by_member[f.member].push_back(f.payload);
            pending.emplace(r.hash(), std::move(f));
            ++sent;
        }
        for (auto& [member, payloads] : by_member)
            self->send(router, actors::send_atom::value, members[member].view().to_bytes(),
                       static_cast<std::uint16_t>(protocols::message_kind::client_request),
                       database->view().to_bytes(), std::move(payloads));
        burst.clear();
        burst_hashes.clear();
        ++next_member;
    };
    const auto start = bench_clock::now();
    const auto deadline = start + std::chrono::duration_cast<bench_clock::duration>(
                                      std::chrono::duration<double>(seconds));
    const auto usage_before = usage_of(0);
    auto done_sending = [&] {
        if (total > 0) return sent >= total;
        return bench_clock::now() >= deadline;
    };
    const auto hard_limit = deadline + std::chrono::seconds(total > 0 ? 3600 : 30);
    double measured_seconds = 0;
    while (bench_clock::now() < hard_limit) {
        if (!done_sending()) {
            if (rate <= 0) {
                while (pending.size() + burst.size() < window && !done_sending() &&
                       (total == 0 || sent + burst.size() < total))
                    send_one();
            } else {
                const auto due = static_cast<std::size_t>(seconds_since(start) * rate);
                while (sent + burst.size() < due && pending.size() + burst.size() < window)
                    send_one();
            }
            send_burst();
        } else if (measured_seconds == 0) {
            measured_seconds = seconds_since(start);
        }
        if (done_sending() && pending.empty()) break;
        auto on_answer = [&](actors::deliver_atom, const actors::inbound_envelope& in) {
                auto response = protocols::decode_client_response(in.payload);
                if (!response) return;
                auto it = pending.find(response->request_hash);
                if (it == pending.end()) return;  // another member's copy of an answered request
                const double ms =
                    std::chrono::duration<double, std::milli>(bench_clock::now() - it->second.sent)
                        .count();
                const auto* rj = std::get_if<protocols::rejection>(&response->body);
                if (rj != nullptr && rj->reason == protocols::rejection_reason::not_leader &&
                    !it->second.read) {
                    // A view change: the same signed request goes to the leader the member
                    // names (its sequence was not used), as a gateway does.
                    if (rj->leader_hint && member_index.count(*rj->leader_hint))
                        leader = member_index[*rj->leader_hint];
                    it->second.member = leader;
                    it->second.last_sent = bench_clock::now();
                    send_payload(leader, it->second.payload);
                    ++redirected;
                    return;
                }
                if (rj != nullptr && rj->reason == protocols::rejection_reason::stale_sequence &&
                    it->second.resends > 0) {
                    // Our own copy sent again after the first was ordered: the first one's
                    // answer is the one to wait for.
                    ++stale_copies;
                    return;
                }
                if (rj != nullptr) {
                    ++rejected;
                    ++rejections[rj->message.substr(0, 60)];
                } else if (std::holds_alternative<protocols::sql_failure>(
                               std::get<protocols::request_outcome>(response->body).body)) {
                    ++failed;
                } else {
                    if (it->second.read) {
                        ++reads_ok;
                        read_latency.add(ms);
                    } else {
                        ++writes_ok;
                        rows_ok += it->second.rows;
                        write_latency.add(ms);
                    }
                    // The answers the latency summaries count, and only those.
                    if (!latency_trace_path.empty())
                        trace.push_back({std::chrono::duration<double, std::milli>(
                                             it->second.sent - start)
                                             .count(),
                                         ms, it->second.read});
                }
                pending.erase(it);
        };
        // One answer (or 5 ms), then every answer already here, so that the next refill
        // of the window is one burst.
        bool more = false;
        self->receive(on_answer, caf::after(milliseconds(5)) >> [] {});
        do {
            more = false;
            self->receive([&](actors::deliver_atom a, const actors::inbound_envelope& in) {
                              on_answer(a, in);
                              more = true;
                          },
                          caf::after(milliseconds(0)) >> [] {});
        } while (more);
        // A request lost with a connection is sent again, unchanged, after 5 s (well past
        // the latencies seen: a copy of a request still on its way is refused as stale).
        const auto now = bench_clock::now();
        for (auto& [h, f] : pending)
            if (now - f.last_sent > std::chrono::seconds(5)) {
                ++f.resends;
                if (!f.read) f.member = leader;
                send_payload(f.member, f.payload);
                f.last_sent = now;
                ++resent;
            }
    }
    const double elapsed = measured_seconds > 0 ? measured_seconds : seconds_since(start);
    // With --total the run ends when the last answer is in: count that time.
    const double rate_seconds = total > 0 ? seconds_since(start) : elapsed;
    const auto usage_after = usage_of(0);
    json out{{"workload", workload},
             {"seconds", rate_seconds},
             {"sent", sent},
             {"writes_ok", writes_ok},
             {"reads_ok", reads_ok},
             {"rows_written", rows_ok},
             {"rejected", rejected},
             {"sql_failures", failed},
             {"resent", resent},
             {"redirected_to_new_leader", redirected},
             {"stale_copies_ignored", stale_copies},
             {"leader_at_end", leader},
             {"unanswered_at_end", pending.size()},
             {"window", window},
             {"requests_per_s", static_cast<double>(writes_ok + reads_ok) / rate_seconds},
             {"writes_per_s", static_cast<double>(writes_ok) / rate_seconds},
             {"reads_per_s", static_cast<double>(reads_ok) / rate_seconds},
             {"rows_per_s", static_cast<double>(rows_ok) / rate_seconds},
             {"write_latency", write_latency.summary()},
             {"read_latency", read_latency.summary()},
             {"next_sequence", sequence},
             {"next_key", next_key},
             {"client_cpu_seconds", usage_after.cpu_seconds - usage_before.cpu_seconds},
             {"client_peak_rss_mb", usage_after.peak_rss_mb}};
    if (rate > 0) out["offered_rps"] = rate;
    if (!latency_trace_path.empty()) {
        std::ofstream file(latency_trace_path);
        file << std::fixed << std::setprecision(3);
        for (const auto& t : trace)
            file << t.sent_ms << ' ' << t.latency_ms << ' ' << (t.read ? 'r' : 'w') << '\n';
        if (!file) out["latency_trace_error"] = "cannot write " + latency_trace_path;
    }
    if (!rejections.empty()) out["rejections"] = rejections;
    std::cout << out.dump() << std::endl;
    for (auto& l : links) self->send_exit(l, caf::exit_reason::user_shutdown);
    self->send_exit(gate, caf::exit_reason::user_shutdown);
    self->send_exit(router, caf::exit_reason::user_shutdown);
    return 0;
}

}  // namespace covenant::bench
