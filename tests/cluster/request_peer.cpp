// request_peer: a client that sends one signed SQL request straight to a database member
// over the real transport, as a client gateway does, and prints the member's answer as JSON.
// The cluster tests use it to send what no honest gateway would: a request whose client
// signature was altered after signing (--corrupt-signature), or one that claims another
// user's key but is signed with this key (--claim-key). The envelope around it is always
// valid (signed with this node's key, its node id meeting the genesis's difficulty), so
// the request reaches the member's replica, which must refuse it.
//
//   request_peer --genesis G --key-file K --passphrase-file P --node-id-nonce N
//                --to NODE_ID --address HOST:PORT --database ID --sequence S --sql SQL
//                [--read] [--corrupt-signature] [--claim-key HEX] [--wait-ms MS]
//
// Prints one JSON object: {"connected", "sent", "request_hash", "signature_valid" (as
// checked here before sending), "answered", and for an answer "responder", "answer"
// ("outcome" or "rejection"), "reason" and "message" of a rejection, "results" (rows
// affected per statement) or "failure" of an outcome}. Exit 0 when it ran (answered or not;
// the caller judges), 1 when it could not (files, the connection), 2 for usage errors.
#include <CLI/CLI.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "actors/net/transport.hpp"
#include "actors/router/router.hpp"
#include "crypto/key_file.hpp"
#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/envelope.hpp"
#include "storage/genesis_file.hpp"

using namespace covenant;
using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

const char* reason_name(protocols::rejection_reason r) {
    switch (r) {
        case protocols::rejection_reason::malformed:
            return "malformed";
        case protocols::rejection_reason::bad_signature:
            return "bad_signature";
        case protocols::rejection_reason::not_permitted:
            return "not_permitted";
        case protocols::rejection_reason::stale_sequence:
            return "stale_sequence";
        case protocols::rejection_reason::not_leader:
            return "not_leader";
        case protocols::rejection_reason::overloaded:
            return "overloaded";
        case protocols::rejection_reason::unknown_database:
            return "unknown_database";
        case protocols::rejection_reason::out_of_funds:
            return "out_of_funds";
        case protocols::rejection_reason::nondeterministic:
            return "nondeterministic";
        case protocols::rejection_reason::unavailable:
            return "unavailable";
    }
    return "unknown";
}

int fail(const std::string& message) {
    std::cerr << "request_peer: " << message << "\n";
    return 1;
}

std::int64_t unix_ms() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

json describe(const protocols::client_response& r) {
    json out{{"answered", true}, {"responder", r.responder.hex()}};
    if (const auto* rejected = std::get_if<protocols::rejection>(&r.body)) {
        out["answer"] = "rejection";
        out["reason"] = reason_name(rejected->reason);
        out["message"] = rejected->message;
        return out;
    }
    const auto& outcome = std::get<protocols::request_outcome>(r.body);
    out["answer"] = "outcome";
    if (const auto* failed = std::get_if<protocols::sql_failure>(&outcome.body)) {
        out["failure"] = json{{"statement_index", failed->statement_index},
                              {"code", failed->code},
                              {"message", failed->message}};
    } else {
        json results = json::array();
        for (const auto& s : std::get<std::vector<protocols::statement_result>>(outcome.body))
            results.push_back(s.affected_rows);
        out["results"] = results;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"request_peer: sends one signed SQL request to a database member (tests)"};
    std::string genesis_path, key_path, passphrase_path, to_hex_text, address, database_hex, sql;
    std::string claim_key_hex;
    std::uint64_t nonce = 0, sequence = 0;
    std::int64_t wait_ms = 5000;
    bool read = false, corrupt = false;
    app.add_option("--genesis", genesis_path, "The network's genesis file")->required();
    app.add_option("--key-file", key_path, "The client's key file")->required();
    app.add_option("--passphrase-file", passphrase_path, "Its passphrase (first line)")->required();
    app.add_option("--node-id-nonce", nonce, "The key's node-id nonce (cql idminer)")->required();
    app.add_option("--to", to_hex_text, "The member's node id")->required();
    app.add_option("--address", address, "The member's listen address, 127.0.0.1:PORT")->required();
    app.add_option("--database", database_hex, "The database id")->required();
    app.add_option("--sequence", sequence, "The request's client sequence")->required();
    app.add_option("--sql", sql, "The statement")->required();
    app.add_flag("--read", read, "Send a read (default: a write)");
    app.add_flag("--corrupt-signature", corrupt,
                 "Flip a bit of the client signature after signing");
    app.add_option("--claim-key", claim_key_hex,
                   "Name this public key as the request's client (signed with --key-file's key)");
    app.add_option("--wait-ms", wait_ms, "How long to wait for the connection, then an answer");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    const auto target = node_id::from_hex_string(to_hex_text);
    const auto database = database_id::from_hex_string(database_hex);
    const auto colon = address.rfind(':');
    if (!target || !database || colon == std::string::npos) {
        std::cerr << "request_peer: --to and --database take 64 hex digits, --address HOST:PORT\n";
        return 2;
    }
    std::optional<public_key> claimed;
    if (!claim_key_hex.empty()) {
        claimed = public_key::from_hex_string(claim_key_hex);
        if (!claimed) {
            std::cerr << "request_peer: --claim-key takes 64 hex digits\n";
            return 2;
        }
    }

    auto genesis = storage::read_genesis_file(genesis_path);
    if (!genesis) return fail("genesis " + genesis_path + ": " + genesis.failure().message());
    std::string passphrase;
    {
        std::ifstream in(passphrase_path);
        if (!in || !std::getline(in, passphrase)) return fail("cannot read " + passphrase_path);
    }
    auto key = crypto::read_key_file(key_path, passphrase);
    if (!key) return fail("key_file " + key_path + ": " + key.failure().message());

    protocols::client_request request;
    request.database = *database;
    request.client = claimed ? *claimed : key->public_key();
    request.sequence = client_sequence(sequence);
    request.timestamp_ms = unix_ms();
    request.kind = read ? protocols::query_kind::read : protocols::query_kind::write;
    request.statements.push_back(protocols::sql_statement{sql, {}});
    // With a claimed key: the same signature a client makes, but by a key that is not the
    // request's client (what sign() asserts against for honest code).
    request.client_signature =
        key->sign(crypto::sign_domain::client_request, request.signing_bytes());
    if (corrupt) request.client_signature.data[17] ^= 0x04;
    const bytes payload = protocols::encode(request);

    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    actors::add_router_message_types(cfg);
    actors::add_transport_message_types(cfg);
    cfg.set("middleman.app-identifiers",
            std::vector<std::string>{"covenant-" + genesis->hash().hex().substr(0, 32)});
    cfg.set("logger.console", caf::atom("none"));
    caf::actor_system system{cfg};
    const unsigned difficulty = genesis->genesis.parameters.node_id_difficulty;
    auto router = actors::spawn_router(system, {*key, nonce, difficulty});
    auto gate = actors::spawn_gate(system, {router, difficulty, 60000});
    actors::peer_link_config link_config{
        *target,
        address.substr(0, colon),
        static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))),
        router,
        100,
        500,
        2000,
        gate};
    auto link = actors::spawn_peer_link(system, link_config);
    caf::scoped_actor self{system};
    self->send(router, actors::subscribe_atom::value,
               static_cast<std::uint16_t>(protocols::message_kind::client_response),
               caf::actor{self});

    json out{{"request_hash", request.hash().hex()},
             {"signature_valid", request.signature_valid()},
             {"connected", false},
             {"sent", 0},
             {"answered", false}};
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(wait_ms);
    // Connected first (an envelope handed to a link that is not connected is dropped).
    while (std::chrono::steady_clock::now() < deadline && !out["connected"].get<bool>()) {
        self->request(link, milliseconds(1000), actors::link_status_atom::value)
            .receive([&](const actors::link_status& s) { out["connected"] = s.connected; },
                     [&](caf::error&) {});
        if (!out["connected"].get<bool>()) std::this_thread::sleep_for(milliseconds(50));
    }
    int status = 0;
    if (!out["connected"].get<bool>()) {
        std::cerr << "request_peer: no connection to " << address << " within " << wait_ms
                  << " ms\n";
        status = 1;
    }
    auto last_sent = std::chrono::steady_clock::time_point{};
    while (status == 0 && !out["answered"].get<bool>() &&
           std::chrono::steady_clock::now() < deadline) {
        // Again every second while unanswered: a copy lost with a connection costs a resend.
        if (std::chrono::steady_clock::now() - last_sent >= milliseconds(1000)) {
            self->send(router, actors::send_atom::value, target->view().to_bytes(),
                       static_cast<std::uint16_t>(protocols::message_kind::client_request),
                       database->view().to_bytes(), payload);
            out["sent"] = out["sent"].get<int>() + 1;
            last_sent = std::chrono::steady_clock::now();
        }
        self->receive(
            [&](actors::deliver_atom, const actors::inbound_envelope& in) {
                if (in.sender_node_id != target->view().to_bytes()) return;
                auto response = protocols::decode_client_response(in.payload);
                if (!response || response->request_hash != request.hash()) return;
                out.update(describe(*response));
            },
            caf::after(milliseconds(100)) >> [] {});
    }
    std::cout << out.dump() << std::endl;
    for (auto& a : {link, gate, router}) self->send_exit(a, caf::exit_reason::user_shutdown);
    return status;
}
