// The account commands, all through the gateway's key: `cql balance` (the account on the
// followed chain), `cql transfer --to ADDRESS --amount N` and `cql grant DB --user ADDRESS
// --role admin|write|read|none` (none revokes). Transactions are answered once final.
#include <memory>
#include <string>

#include "answer_fields.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"

namespace cql {
namespace {

using nlohmann::json;

struct balance_options {
    bool json = false;
};

void run_balance(const balance_options& o, const connection_options& connection) {
    const gateway_client gateway(connection);
    const json answer = gateway.get("/v1/account");
    if (o.json) return print_json(answer);
    print_line("address " + text_field(answer, "address") + "\nbalance " +
               std::to_string(count_field(answer, "balance")) + "\nstaked " +
               std::to_string(count_field(answer, "staked")) + "\nnext nonce " +
               std::to_string(count_field(answer, "nonce")) + "\nchain height " +
               std::to_string(count_field(answer, "chain_height")));
}

struct transfer_options {
    std::string to;
    std::uint64_t amount = 0;
    bool json = false;
};

void run_transfer(const transfer_options& o, const connection_options& connection) {
    const auto to = parse_fixed_argument<covenant::account_address>(o.to, "--to (an address)");
    const gateway_client gateway(connection);
    const json answer = gateway.post("/v1/transfer", json{{"to", to.hex()}, {"amount", o.amount}});
    if (o.json) return print_json(answer);
    print_line("transferred " + std::to_string(o.amount) + " to " + to.hex() + " at height " +
               std::to_string(count_field(answer, "height")));
}

struct grant_options {
    std::string database;
    std::string user;
    std::string public_key;
    std::string role;
    bool json = false;
};

void run_grant(const grant_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    json body{{"database", id.hex()}, {"role", o.role}};
    if (!o.user.empty())
        body["user"] = parse_fixed_argument<covenant::account_address>(o.user, "--user").hex();
    else if (!o.public_key.empty())
        body["public_key"] =
            parse_fixed_argument<covenant::public_key>(o.public_key, "--public-key").hex();
    else
        throw usage_failure("--user ADDRESS or --public-key KEY is required");
    const gateway_client gateway(connection);
    const json answer = gateway.post("/v1/grant", body);
    if (o.json) return print_json(answer);
    const std::string user = text_field(answer, "user");
    print_line(
        (o.role == "none" ? "revoked the role of " + user : "granted " + o.role + " to " + user) +
        " on " + id.hex() + " at height " + std::to_string(count_field(answer, "height")));
}

}  // namespace

std::vector<command> add_account_commands(CLI::App& root, const connection_options& connection) {
    std::vector<command> out;
    {
        auto o = std::make_shared<balance_options>();
        CLI::App* app = root.add_subcommand("balance", "Show the gateway key's account");
        app->add_flag("--json", o->json,
                      "Print {\"address\", \"public_key\", \"balance\", \"nonce\", \"staked\", "
                      "\"chain_height\"}");
        out.push_back(command{app, [o, &connection] { run_balance(*o, connection); }});
    }
    {
        auto o = std::make_shared<transfer_options>();
        CLI::App* app = root.add_subcommand("transfer", "Send tokens to an account");
        app->add_option("--to", o->to, "The receiving account's address (64 hex digits)")
            ->required();
        app->add_option("--amount", o->amount, "How many tokens")
            ->required()
            ->check(CLI::Range(std::uint64_t{1}, static_cast<std::uint64_t>(
                                                     std::numeric_limits<std::int64_t>::max())));
        app->add_flag("--json", o->json,
                      "Print {\"to\", \"amount\", \"height\", \"transaction\", \"nonce\"}");
        out.push_back(command{app, [o, &connection] { run_transfer(*o, connection); }});
    }
    {
        auto o = std::make_shared<grant_options>();
        CLI::App* app = root.add_subcommand(
            "grant", "Give a user a role on a database (an admin's transaction); none revokes");
        app->add_option("DB", o->database, "The database id")->required();
        auto* user = app->add_option("--user", o->user, "The user's account address");
        app->add_option("--public-key", o->public_key, "The user's public key, instead of --user")
            ->excludes(user);
        app->add_option("--role", o->role, "admin, write, read, or none (revoke)")
            ->required()
            ->check(CLI::IsMember({"admin", "write", "read", "none"}));
        app->add_flag("--json", o->json,
                      "Print {\"database\", \"user\", \"role\", \"height\", \"transaction\", "
                      "\"nonce\"}");
        out.push_back(command{app, [o, &connection] { run_grant(*o, connection); }});
    }
    return out;
}

}  // namespace cql
