// The database commands: `cql create` (a database served by N miners the chain picks, strong or
// eventual), `cql drop DB`, `cql databases` (those this key owns or holds a role on) and
// `cql info DB` (the chain's record, and each member's own signed account of how far it is,
// checked here: the member's signature over the challenge cql chose).
#include <memory>
#include <string>

#include "answer_fields.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "crypto/signing.hpp"
#include "output.hpp"
#include "protocols/client/inspection_json.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"

namespace cql {
namespace {

using nlohmann::json;

std::string short_key(const std::string& hex) {
    return hex.substr(0, 16);
}

// ---- create -------------------------------------------------------------------------------

struct create_options {
    unsigned miners = 0;
    std::string mode = "strong";
    std::uint64_t advance_payment = 0;
    bool json = false;
};

void run_create(const create_options& o, const connection_options& connection) {
    const gateway_client gateway(connection);
    const json answer = gateway.post(
        "/v1/databases",
        json{{"miners", o.miners}, {"mode", o.mode}, {"advance_payment", o.advance_payment}});
    if (o.json) return print_json(answer);
    print_line("created database " + text_field(answer, "database") + " (" +
               text_field(answer, "mode") + ", " +
               std::to_string(array_field(answer, "members").size()) + " miners, leader " +
               short_key(text_field(answer, "leader")) + ") at height " +
               std::to_string(count_field(answer, "height")));
}

// ---- drop ---------------------------------------------------------------------------------

struct database_options {
    std::string database;
    bool json = false;
};

void run_drop(const database_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    const gateway_client gateway(connection);
    const json answer = gateway.del("/v1/databases/" + id.hex());
    if (o.json) return print_json(answer);
    print_line("dropped database " + id.hex() + " at height " +
               std::to_string(count_field(answer, "height")));
}

// ---- databases ----------------------------------------------------------------------------

struct list_options {
    bool json = false;
};

void run_databases(const list_options& o, const connection_options& connection) {
    const gateway_client gateway(connection);
    const json answer = gateway.get("/v1/databases");
    if (o.json) return print_json(answer);
    const auto& list = array_field(answer, "databases");
    std::string text = std::to_string(list.size()) + " database(s) at chain height " +
                       std::to_string(count_field(answer, "chain_height"));
    for (const auto& d : list) {
        const auto& role = field(d, "role");
        text += "\n" + text_field(d, "database") + "  " + text_field(d, "mode") + "  view " +
                std::to_string(count_field(d, "view")) + "  " +
                std::to_string(array_field(d, "members").size()) + " members  role " +
                (role.is_string() ? role.get<std::string>() : "none");
    }
    print_line(text);
}

// ---- info ---------------------------------------------------------------------------------

/// A member's answer as cql shows it: the gateway's listing checked against the member's own
/// signed bytes, which must be for this database, this member and the challenge cql sent.
json checked_member(const json& listed, const covenant::database_id& database,
                    const covenant::digest& challenge) {
    const std::string member = text_field(listed, "member");
    json out{{"member", member},
             {"node_id", text_field(listed, "node_id")},
             {"leader", flag_field(listed, "leader")},
             {"answered", false},
             {"verified", false}};
    if (!flag_field(listed, "answered")) {
        out["problem"] = text_field(listed, "problem");
        return out;
    }
    const auto raw = hex_bytes_field(listed, "signed");
    auto status = covenant::protocols::decode_member_status(raw);
    std::string problem;
    if (!status)
        problem = "its answer does not decode: " + status.failure().message();
    else if (status->member.hex() != member)
        problem = "the answer is signed by another key (" + short_key(status->member.hex()) + ")";
    else if (status->database != database)
        problem = "the answer is about another database";
    else if (status->challenge != challenge)
        problem = "the answer is not to this query (another challenge): a replay";
    if (!problem.empty()) {
        out["problem"] = problem;
        return out;
    }
    out["answered"] = true;
    out["verified"] = true;
    out.update(covenant::client::member_status_json(*status));  // what the member signed
    return out;
}

struct info_options {
    std::string database;
    std::int64_t wait_ms = 3000;
    bool json = false;
};

void run_info(const info_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    const gateway_client gateway(connection);
    const auto challenge = covenant::digest::from_view(
        covenant::byte_view(covenant::crypto::secret_seed::random().bytes().data(), 32));
    const json answer = gateway.get("/v1/databases/" + id.hex() + "/members?timeout_ms=" +
                                    std::to_string(o.wait_ms) + "&challenge=" + challenge->hex());
    json members = json::array();
    std::size_t answered = 0;
    for (const auto& m : array_field(answer, "members")) {
        members.push_back(checked_member(m, id, *challenge));
        if (members.back()["verified"].get<bool>()) ++answered;
    }
    // Members that executed the same sequence must hold the same state (DESIGN.md guarantee 4).
    json divergent = json::array();
    for (std::size_t i = 0; i < members.size(); ++i)
        for (std::size_t j = i + 1; j < members.size(); ++j) {
            const auto& a = members[i];
            const auto& b = members[j];
            if (!a["verified"].get<bool>() || !b["verified"].get<bool>()) continue;
            if (a["last_executed"] == b["last_executed"] && a["state_digest"] != b["state_digest"])
                divergent.push_back(json{{"members", {a["member"], b["member"]}},
                                         {"last_executed", a["last_executed"]}});
        }
    json out{{"database", id.hex()},
             {"owner", text_field(answer, "owner")},
             {"mode", text_field(answer, "mode")},
             {"view", count_field(answer, "view")},
             {"leader", text_field(answer, "leader")},
             {"role", field(answer, "role")},
             {"advance_payment", count_field(answer, "advance_payment")},
             {"out_of_funds", flag_field(answer, "out_of_funds")},
             {"chain_height", count_field(answer, "chain_height")},
             {"members", members},
             {"answered", answered},
             {"divergent", divergent}};
    if (o.json) return print_json(out);
    std::string text = "database " + id.hex() + "\n  mode " + out["mode"].get<std::string>() +
                       ", view " + std::to_string(out["view"].get<std::uint64_t>()) + ", leader " +
                       short_key(out["leader"].get<std::string>()) + "\n  owner " +
                       out["owner"].get<std::string>() + "\n  advance payment " +
                       std::to_string(out["advance_payment"].get<std::uint64_t>()) +
                       (out["out_of_funds"].get<bool>() ? " (out of funds)" : "") +
                       "\n  members (" + std::to_string(answered) + " of " +
                       std::to_string(members.size()) + " answered, signed):";
    for (const auto& m : members) {
        text += "\n    " + short_key(m["member"].get<std::string>()) +
                (m["leader"].get<bool>() ? " leader  " : "         ");
        if (!m["verified"].get<bool>()) {
            text += "no answer: " + m["problem"].get<std::string>();
            continue;
        }
        text += "view " + std::to_string(m["view"].get<std::uint64_t>()) + ", committed " +
                std::to_string(m["last_committed"].get<std::uint64_t>()) + ", executed " +
                std::to_string(m["last_executed"].get<std::uint64_t>()) + ", state " +
                m["state_digest"].get<std::string>().substr(0, 16) + ", shard height " +
                std::to_string(m["shard_height"].get<std::uint64_t>());
    }
    for (const auto& d : divergent)
        text += "\n  DIVERGENT: members " + short_key(d["members"][0].get<std::string>()) +
                " and " + short_key(d["members"][1].get<std::string>()) +
                " hold different states after seq " +
                std::to_string(d["last_executed"].get<std::uint64_t>());
    print_line(text);
}

}  // namespace

std::vector<command> add_database_commands(CLI::App& root, const connection_options& connection) {
    std::vector<command> out;
    {
        auto o = std::make_shared<create_options>();
        CLI::App* app = root.add_subcommand(
            "create", "Create a database served by N miners the main chain picks");
        app->add_option("--miners", o->miners, "How many miners replicate it")
            ->required()
            ->check(CLI::Range(
                1u, static_cast<unsigned>(covenant::protocols::limits::database_miners_max)));
        app->add_option("--mode", o->mode, "strong (commit before answering) or eventual")
            ->capture_default_str()
            ->check(CLI::IsMember({"strong", "eventual"}));
        app->add_option("--advance-payment", o->advance_payment,
                        "Tokens paid in advance for the miners' work")
            ->capture_default_str();
        app->add_flag(
            "--json", o->json,
            "Print {\"database\", \"members\", \"view\", \"leader\", \"mode\", \"height\", "
            "\"transaction\", \"nonce\"}");
        out.push_back(command{app, [o, &connection] { run_create(*o, connection); }});
    }
    {
        auto o = std::make_shared<database_options>();
        CLI::App* app = root.add_subcommand("drop", "Drop a database (an admin's transaction)");
        app->add_option("DB", o->database, "The database id")->required();
        app->add_flag("--json", o->json,
                      "Print {\"database\", \"dropped\", \"height\", \"transaction\", \"nonce\"}");
        out.push_back(command{app, [o, &connection] { run_drop(*o, connection); }});
    }
    {
        auto o = std::make_shared<list_options>();
        CLI::App* app =
            root.add_subcommand("databases", "List the databases this key owns or holds a role on");
        app->add_flag("--json", o->json, "Print {\"databases\": [...], \"chain_height\"}");
        out.push_back(command{app, [o, &connection] { run_databases(*o, connection); }});
    }
    {
        auto o = std::make_shared<info_options>();
        CLI::App* app = root.add_subcommand(
            "info", "Show a database: its record on the chain, and each member's signed status");
        app->add_option("DB", o->database, "The database id")->required();
        app->add_option("--wait-ms", o->wait_ms, "How long the gateway waits for the members")
            ->capture_default_str()
            ->check(CLI::Range(std::int64_t{1}, std::int64_t{60'000}));
        app->add_flag(
            "--json", o->json,
            "Print {\"database\", \"owner\", \"mode\", \"view\", \"leader\", \"role\", "
            "\"advance_payment\", \"out_of_funds\", \"chain_height\", \"members\": "
            "[{\"member\", \"node_id\", \"leader\", \"answered\", \"verified\", \"view\", "
            "\"last_committed\", \"last_executed\", \"state_digest\", \"shard_height\", "
            "\"shard_head\", \"problem\"}], \"answered\", \"divergent\"}");
        out.push_back(command{app, [o, &connection] { run_info(*o, connection); }});
    }
    return out;
}

}  // namespace cql
