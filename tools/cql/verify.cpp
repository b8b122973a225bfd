// `cql verify DB`: checks a database's history by itself, trusting neither the members nor the
// gateway that relays what they say (DESIGN.md section 4 "Shard chain"):
//
//  1. the main chain, re-verified from the genesis (its blocks from the gateway's store, each
//     checked as a follower checks it: main_chain::database_audit), which gives the database's
//     groups by view and the shard checkpoints recorded for it; with --skip-main-chain the
//     gateway's own account of those is taken instead (its followed chain);
//  2. each member's shard chain from height 1 (blocks the gateway relays from the member),
//     against those groups, the members against each other, and every checkpoint against the
//     blocks at its height (protocols::shard_chain_audit).
//
// It reports every member's result and the first fault (member, height, reason); the exit
// status is 1 when anything failed. With --json the report is one JSON object on stdout, also
// when it failed.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "answer_fields.hpp"
#include "arguments.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "protocols/client/inspection_json.hpp"
#include "protocols/codec.hpp"
#include "protocols/limits.hpp"
#include "protocols/main_chain/database_audit.hpp"
#include "protocols/main_chain/miner_assignments.hpp"
#include "protocols/shard_chain_audit.hpp"
#include "storage/genesis_file.hpp"
#include "storage/shard_chain_store.hpp"

namespace cql {
namespace {

using nlohmann::json;
using namespace covenant;

struct verify_options {
    std::string database;
    std::vector<std::string> members;
    std::string chain_file;  // a member's stored chain, read directly
    bool skip_main_chain = false;
    std::string genesis;
    std::int64_t member_timeout_ms = 5000;
    bool json = false;
};

std::string short_key(const public_key& k) {
    return k.hex().substr(0, 16);
}

// ---- what the main chain says -------------------------------------------------------------

struct chain_facts {
    json main_chain;  // the report's "main_chain" part
    std::map<std::uint64_t, std::vector<public_key>> membership;
    std::vector<protocols::recorded_checkpoint> checkpoints;
    bool checkpoints_complete = true;
    bool dropped = false;
    std::optional<std::string> fault;  // the main chain's: nothing further can be trusted
    std::string fault_kind = "main_chain";
};

/// Main-chain blocks per request: the gateway serves at most this many at once.
constexpr std::size_t main_blocks_per_call = protocols::limits::main_blocks_per_fetch_max;

chain_facts replay_main_chain(const gateway_client& gateway, const database_id& database,
                              const verify_options& o) {
    chain_facts facts;
    const json answer = gateway.get("/v1/chain/genesis");
    auto doc = storage::parse_genesis(field(answer, "genesis").dump());
    if (!doc) bad_answer("genesis", doc.failure().detail);
    const std::string genesis_hash = doc->hash().hex();
    facts.main_chain = json{{"verified", false},
                            {"skipped", false},
                            {"network", doc->network},
                            {"genesis_hash", genesis_hash},
                            {"height", 0},
                            {"head", nullptr},
                            {"fault", nullptr}};
    auto fail = [&](std::uint64_t height, const std::string& reason) {
        facts.main_chain["fault"] = json{{"height", height}, {"reason", reason}};
        facts.fault = "main chain, height " + std::to_string(height) + ": " + reason;
    };
    if (!o.genesis.empty()) {
        auto own = storage::read_genesis_file(o.genesis);
        if (!own) throw usage_failure("--genesis: " + own.failure().detail);
        if (own->hash() != doc->hash()) {
            fail(0, "the gateway's genesis (" + genesis_hash.substr(0, 16) + ") is not " +
                        o.genesis + " (" + own->hash().hex().substr(0, 16) + ")");
            return facts;
        }
    }
    auto audit = main_chain::database_audit::start(doc->genesis, database);
    if (!audit) {
        fail(0, audit.failure().detail);
        return facts;
    }
    for (;;) {
        const std::uint64_t from = audit->height().value + 1;
        const json page = gateway.get("/v1/chain/blocks?from=" + std::to_string(from) +
                                      "&count=" + std::to_string(main_blocks_per_call));
        std::vector<protocols::main_block> blocks;
        std::uint64_t height = from;
        for (const auto& hex : array_field(page, "blocks")) {
            auto raw = hex.is_string() ? from_hex(hex.get<std::string>()) : std::nullopt;
            if (!raw) bad_answer("blocks", "expected hex strings");
            auto block = protocols::decode_main_block(*raw);
            if (!block) {
                if (!audit->on_blocks(blocks))
                    fail(audit->fault()->height.value, audit->fault()->reason);
                else
                    fail(height, "the block does not decode: " + block.failure().message());
                return facts;
            }
            blocks.push_back(std::move(block).value());
            ++height;
        }
        if (blocks.empty()) break;
        if (!audit->on_blocks(blocks)) {
            fail(audit->fault()->height.value, audit->fault()->reason);
            return facts;
        }
        if (audit->height().value < from) {  // old blocks only: asking again would loop
            fail(from, "the gateway serves no block at this height, only earlier ones");
            return facts;
        }
    }
    facts.main_chain["verified"] = true;
    facts.main_chain["height"] = audit->height().value;
    if (auto head = audit->head_hash()) facts.main_chain["head"] = head->hex();
    if (!audit->record()) {  // the chain is fine; the database is not on it
        facts.fault = "the verified main chain (height " + std::to_string(audit->height().value) +
                      ") never listed database " + database.hex();
        facts.fault_kind = "unknown_database";
        return facts;
    }
    facts.membership = audit->record()->membership;
    facts.checkpoints = audit->checkpoints();
    facts.dropped = audit->dropped();
    return facts;
}

chain_facts gateway_facts(const gateway_client& gateway, const database_id& database) {
    chain_facts facts;
    const json answer = gateway.get("/v1/databases/" + database.hex() + "/checkpoints");
    facts.main_chain = json{{"verified", false},
                            {"skipped", true},
                            {"height", count_field(answer, "chain_height")},
                            {"fault", nullptr}};
    auto membership = client::membership_from_json(field(answer, "membership"));
    if (!membership) bad_answer("membership", membership.failure().detail);
    facts.membership = std::move(membership).value();
    facts.checkpoints_complete = flag_field(answer, "complete");
    for (const auto& c : array_field(answer, "checkpoints")) {
        // The whole transaction, decoded (and its signatures checked) here.
        auto t = protocols::decode_transaction(hex_bytes_field(c, "encoded"));
        const auto* body = t ? std::get_if<protocols::tx::shard_checkpoint>(&t->body) : nullptr;
        if (body == nullptr || body->database != database)
            bad_answer("checkpoints", "an entry that is not a checkpoint of this database");
        facts.checkpoints.push_back(protocols::recorded_checkpoint{
            block_height(count_field(c, "main_height")), t->hash(), *body});
    }
    return facts;
}

// ---- the members' shard chains ------------------------------------------------------------

struct fetched {
    std::optional<std::string> unreachable;  // why there is no answer
    std::vector<protocols::shard_block> blocks;
    block_height head;
};

fetched fetch_blocks(const gateway_client& gateway, const database_id& database,
                     const public_key& member, block_height from, std::size_t count,
                     std::int64_t timeout_ms) {
    const std::string path =
        "/v1/databases/" + database.hex() + "/shard_chain?member=" + member.hex() +
        "&from=" + std::to_string(from.value) + "&count=" + std::to_string(count) +
        "&timeout_ms=" + std::to_string(timeout_ms);
    fetched out;
    json page;
    // One retry: a relayed fetch can be lost like any message.
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            page = gateway.get(path);
            out.unreachable.reset();
            break;
        } catch (const gateway_refusal& e) {
            out.unreachable = std::string(e.what());
            if (e.code() != "unavailable" && e.code() != "timed_out") break;
        }
    }
    if (out.unreachable) return out;
    out.head = block_height(count_field(page, "head_height"));
    for (const auto& hex : array_field(page, "blocks")) {
        auto raw = hex.is_string() ? from_hex(hex.get<std::string>()) : std::nullopt;
        if (!raw) bad_answer("blocks", "expected hex strings");
        auto block = protocols::decode_shard_block(*raw);
        if (!block) {
            out.unreachable =
                "the gateway relayed a block that does not decode: " + block.failure().message();
            return out;
        }
        out.blocks.push_back(std::move(block).value());
    }
    return out;
}

/// A member's chain read from its own store file instead of over the network: a stopped
/// miner's `db-<id>.chain`, or a copy. Each block is read back and checked by the store (which
/// names what is wrong with one whose bytes were altered), then audited like a served one.
void audit_chain_file(const std::string& path, protocols::shard_chain_audit& audit) {
    const public_key member = audit.members().front().member;
    auto store = storage::shard_chain_store::open(path);
    if (!store) {
        audit.on_unreachable(member, path + ": " + store.failure().message());
        return;
    }
    const block_height head((*store)->block_count());
    while (auto next = audit.next_height(member)) {
        if (*next > head) {
            audit.on_blocks(member, {}, head);
            break;
        }
        auto block = (*store)->load(*next, 1);
        if (!block) {
            audit.on_unreadable(member, block.failure().message());
            break;
        }
        audit.on_blocks(member, block.value(), head);
    }
    audit.finish();
}

void audit_members(const gateway_client& gateway, protocols::shard_chain_audit& audit,
                   const verify_options& o) {
    // In lockstep, a page from each member in turn: forks show while both chains are at hand.
    for (bool progress = true; progress;) {
        progress = false;
        for (const auto& m : audit.members()) {
            const public_key member = m.member;
            const auto next = audit.next_height(member);
            if (!next) continue;
            progress = true;
            auto page =
                fetch_blocks(gateway, audit.database(), member, *next,
                             protocols::limits::shard_blocks_per_fetch_max, o.member_timeout_ms);
            // A member serves nothing from a range that holds a block it cannot read back: ask
            // for the first block alone, so the fault is named at its height.
            if (!page.unreachable && page.blocks.empty() && page.head >= *next)
                page =
                    fetch_blocks(gateway, audit.database(), member, *next, 1, o.member_timeout_ms);
            if (page.unreachable)
                audit.on_unreachable(member, "no blocks from height " +
                                                 std::to_string(next->value) + ": " +
                                                 *page.unreachable);
            else
                audit.on_blocks(member, page.blocks, page.head);
        }
    }
    audit.finish();
}

// ---- the report ---------------------------------------------------------------------------

json fault_json(const std::optional<protocols::audit_fault>& f) {
    if (!f) return nullptr;
    json out{{"kind", std::string(protocols::audit_fault_name(f->kind))},
             {"member", f->member ? json(f->member->hex()) : json(nullptr)},
             {"height", f->height.value},
             {"reason", f->reason}};
    if (f->main_height) out["main_height"] = f->main_height->value;
    return out;
}

std::string fault_line(const protocols::audit_fault& f) {
    std::string where;
    if (f.member) where = "member " + short_key(*f.member) + ", ";
    where += "shard height " + std::to_string(f.height.value);
    if (f.main_height)
        where += " (checkpoint at main height " + std::to_string(f.main_height->value) + ")";
    return where + ": " + std::string(protocols::audit_fault_name(f.kind)) + ": " + f.reason;
}

void run_verify(const verify_options& o, const connection_options& connection) {
    const auto id = parse_database_argument(o.database);
    std::vector<public_key> asked;
    for (const auto& m : o.members)
        asked.push_back(parse_fixed_argument<public_key>(m, "--member"));
    const gateway_client gateway(connection);

    chain_facts facts =
        o.skip_main_chain ? gateway_facts(gateway, id) : replay_main_chain(gateway, id, o);
    json report{{"database", id.hex()}, {"ok", false}, {"main_chain", facts.main_chain}};
    std::string text;
    const auto& mc = facts.main_chain;
    if (mc["skipped"].get<bool>())
        text +=
            "main chain: not re-verified (--skip-main-chain): the gateway's followed chain "
            "at height " +
            std::to_string(mc["height"].get<std::uint64_t>()) + "\n";
    else if (mc["verified"].get<bool>())
        text += "main chain: verified from the genesis (" +
                mc["genesis_hash"].get<std::string>().substr(0, 16) + ") to height " +
                std::to_string(mc["height"].get<std::uint64_t>()) + "\n";
    if (facts.fault) {
        report["fault"] = json{{"kind", facts.fault_kind}, {"reason", *facts.fault}};
        if (o.json)
            print_json(report);
        else
            print_line(text + "FAILED: " + *facts.fault);
        throw failure(*facts.fault);
    }
    if (facts.dropped) {
        const std::string why = "the database was dropped: its members no longer serve it";
        report["fault"] = json{{"kind", "dropped"}, {"reason", why}};
        if (o.json)
            print_json(report);
        else
            print_line(text + "FAILED: " + why);
        throw failure(why);
    }

    report["membership"] = client::membership_json(facts.membership);
    const auto groups = main_chain::groups_of(facts.membership);
    if (asked.empty()) {
        asked = groups.latest().members();
    } else {
        for (const auto& k : asked) {
            bool known = false;
            for (const auto& [view, g] : groups.changes()) known = known || g.contains(k);
            if (!known)
                throw usage_failure("--member " + k.hex() + ": never a member of the database");
        }
        auto sorted = asked;
        std::sort(sorted.begin(), sorted.end());
        if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
            throw usage_failure("--member: a member given twice");
    }

    if (!o.chain_file.empty() && asked.size() != 1)
        throw usage_failure("--chain-file: name its member with one --member KEY");
    protocols::shard_chain_audit audit(id, groups, asked, facts.checkpoints);
    if (o.chain_file.empty())
        audit_members(gateway, audit, o);
    else
        audit_chain_file(o.chain_file, audit);

    json members = json::array();
    text += "members: " + std::to_string(audit.members().size()) + " audited\n";
    for (const auto& m : audit.members()) {
        members.push_back(json{
            {"member", m.member.hex()},
            {"ok", !m.fault.has_value()},
            {"verified_height", m.verified.height.value},
            {"head_hash", m.verified.height.value ? json(m.verified.hash.hex()) : json(nullptr)},
            {"claimed_head", m.claimed_head ? json(m.claimed_head->value) : json(nullptr)},
            {"fault", fault_json(m.fault)}});
        text +=
            "  " + short_key(m.member) + "  " + std::to_string(m.verified.height.value) +
            " block(s) verified" +
            (m.verified.height.value ? " (head " + m.verified.hash.hex().substr(0, 16) + ")" : "") +
            (m.fault ? "  FAULT: " + fault_line(*m.fault) : "  ok") + "\n";
    }
    report["members"] = members;

    json checkpoints = json::array();
    std::size_t checked = 0;
    for (const auto& c : audit.checkpoints()) {
        json matched = json::array();
        for (const auto& k : c.matched_by) matched.push_back(k.hex());
        if (!c.fault) ++checked;
        checkpoints.push_back(json{{"main_height", c.recorded.main_height.value},
                                   {"transaction", c.recorded.transaction.hex()},
                                   {"shard_height", c.recorded.checkpoint.height.value},
                                   {"head_hash", c.recorded.checkpoint.head_hash.hex()},
                                   {"state_digest", c.recorded.checkpoint.state_digest.hex()},
                                   {"matched_by", matched},
                                   {"signatures_verified", c.signatures_verified},
                                   {"ok", !c.fault.has_value()},
                                   {"fault", fault_json(c.fault)}});
    }
    report["checkpoints"] = json{{"recorded", audit.checkpoints().size()},
                                 {"verified", checked},
                                 {"complete", facts.checkpoints_complete},
                                 {"list", checkpoints}};
    if (audit.checkpoints().empty())
        text +=
            "checkpoints: none recorded on the main chain for this database (nothing to "
            "check against)\n";
    else
        text += "checkpoints: " + std::to_string(checked) + " of " +
                std::to_string(audit.checkpoints().size()) +
                " recorded on the main chain match the members' blocks and carry a quorum\n";
    if (!facts.checkpoints_complete)
        text += "  (the gateway's index of checkpoints is incomplete: only those it kept)\n";

    json faults = json::array();
    for (const auto& f : audit.faults()) faults.push_back(fault_json(f));
    report["faults"] = faults;
    const auto first = audit.first_fault();
    report["fault"] = fault_json(first);
    report["ok"] = !first.has_value();
    if (o.json)
        print_json(report);
    else
        print_line(text + (first ? "FAILED: " + fault_line(*first) : std::string("OK")));
    if (first) throw failure(fault_line(*first));
}

}  // namespace

command add_verify_command(CLI::App& root, const connection_options& connection) {
    auto o = std::make_shared<verify_options>();
    CLI::App* app = root.add_subcommand(
        "verify",
        "Verify a database's shard chains and checkpoints against the main chain, by itself");
    app->add_option("DB", o->database, "The database id")->required();
    app->add_option("--member", o->members,
                    "Verify this member's chain (a public key; repeat; default: the current "
                    "members)");
    app->add_option("--chain-file", o->chain_file,
                    "Read the member's shard chain from its store file (db-<id>.chain of a "
                    "stopped miner, or a copy) instead of asking it; with one --member");
    app->add_flag("--skip-main-chain", o->skip_main_chain,
                  "Take the groups and checkpoints from the gateway's followed chain instead of "
                  "re-verifying the main chain from the genesis");
    app->add_option("--genesis", o->genesis,
                    "The network's genesis file: the gateway's must be this one");
    app->add_option("--member-timeout-ms", o->member_timeout_ms,
                    "How long the gateway waits for a member's blocks")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{60'000}));
    app->add_flag("--json", o->json,
                  "Print {\"database\", \"ok\", \"main_chain\", \"membership\", \"members\": "
                  "[{\"member\", \"ok\", \"verified_height\", \"head_hash\", \"claimed_head\", "
                  "\"fault\"}], \"checkpoints\", \"faults\", \"fault\"}, also when it fails");
    return command{app, [o, &connection] { run_verify(*o, connection); }};
}

}  // namespace cql
