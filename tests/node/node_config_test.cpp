// covenant-node's config file: a full config reads with every value, defaults fill what is
// left out, relative paths are the file's, flags override; every kind of bad value is
// refused with an error naming its key. Peers and the node's own nonce settle against the
// genesis.
#define BOOST_TEST_MODULE node_config
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "crypto/node_id.hpp"
#include "node_config.hpp"
#include "sample_messages.hpp"

using namespace covenant;
using namespace covenant::node;
using covenant::test::test_key;

namespace {

const std::string minimal = R"(
role = "producer"
key_file = "keys/p0.key"
listen = "127.0.0.1:7001"
data_dir = "data/p0"
genesis = "genesis.json"
)";

template <class R>
std::string why(const R& r) {
    return r.ok() ? std::string() : r.failure().message();
}

result<node_config> parse(const std::string& text, const config_overrides& o = {}) {
    return parse_node_config(text, "/etc/covenant", "node.toml", o);
}

void expect_refused(const std::string& text, const std::string& mentions,
                    const config_overrides& o = {}) {
    auto parsed = parse(text, o);
    BOOST_TEST_REQUIRE(!parsed.ok(), "accepted: " << text);
    BOOST_TEST(parsed.failure().detail.find(mentions) != std::string::npos,
               "\"" << parsed.failure().detail << "\" should mention \"" << mentions << "\"");
    BOOST_TEST(parsed.failure().detail.rfind("node.toml: ", 0) == 0,
               parsed.failure().detail << " should start with the file's name");
}

storage::genesis_document genesis_of(unsigned difficulty, std::uint8_t producers) {
    storage::genesis_document doc;
    doc.network = "covenant-test";
    doc.genesis.parameters.node_id_difficulty = difficulty;
    for (std::uint8_t i = 0; i < producers; ++i) {
        const auto key = test_key(static_cast<std::uint8_t>(10 + i)).public_key();
        auto mined = crypto::mine_node_id(key, difficulty, 0, 1u << 20);
        BOOST_TEST_REQUIRE(mined.has_value());
        doc.genesis.initial_producers.push_back(key);
        doc.producer_node_nonces[key] = mined->nonce;
    }
    return doc;
}

}  // namespace

BOOST_AUTO_TEST_CASE(minimal_config_takes_defaults_and_resolves_paths) {
    auto c = parse(minimal);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(role_name(c->role) == "producer");
    BOOST_TEST(c->key_file == "/etc/covenant/keys/p0.key");
    BOOST_TEST(c->data_dir == "/etc/covenant/data/p0");
    BOOST_TEST(c->genesis == "/etc/covenant/genesis.json");
    BOOST_TEST(c->passphrase_file.empty());
    BOOST_TEST(!c->node_id_nonce.has_value());
    BOOST_TEST(c->listen.host == "127.0.0.1");
    BOOST_TEST(c->listen.port == 7001);
    BOOST_TEST(c->log.level == "info");
    BOOST_TEST(c->log.file.empty());
    BOOST_TEST(c->status_interval_ms == 1000);
    BOOST_TEST(c->peers.empty());
    const main_chain::producer_config defaults;
    BOOST_TEST(c->producer.consensus.block_interval_ms == defaults.block_interval_ms);
    BOOST_TEST(c->producer.tick_ms == 50);
    BOOST_TEST(c->miner.follow_interval_ms == 200);
    BOOST_TEST(c->network.reconnect_min_ms == 200);
}

BOOST_AUTO_TEST_CASE(full_config_reads_every_value) {
    const std::string text = R"(
role = "miner"
key_file = "/abs/m.key"
passphrase_file = "m.pass"
node_id_nonce = 77
listen = "[::1]:0"
data_dir = "m"
genesis = "../g.json"
status_interval_ms = 250

[log]
level = "debug"
file = "logs/m.log"

[network]
reconnect_min_ms = 50
reconnect_max_ms = 800
connect_timeout_ms = 3000
ban_ms = 0
heartbeat_ms = 500
connection_timeout_ms = 4000
scheduler_threads = 1

[producer]
tick_ms = 20
block_interval_ms = 300
propose_timeout_ms = 1500
prevote_timeout_ms = 700
precommit_timeout_ms = 600
timeout_step_ms = 100
resend_interval_ms = 900
transactions_per_block_max = 10
mempool_max = 100
fetch_timeout_ms = 400
catch_up_delay_ms = 200
fetch_blocks_max = 16

[miner]
follow_interval_ms = 100
resend_interval_ms = 500
replica_tick_ms = 5
transaction_fee = 3
batch_requests_max = 32
pipeline_depth = 2
batch_delay_ms = 1
progress_timeout_ms = 2500
fetch_retry_ms = 300
retransmit_ms = 150
seal_every_batches = 8
seal_every_ms = 1000
clock_skew_max_ms = 30000

[[peers]]
node_id = "00aa000000000000000000000000000000000000000000000000000000000001"
address = "10.0.0.2:7002"

[[peers]]
key = "ff00000000000000000000000000000000000000000000000000000000000002"
node_id_nonce = 5
address = "node3.example:7003"
)";
    auto c = parse(text);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(role_name(c->role) == "miner");
    BOOST_TEST(c->key_file == "/abs/m.key");
    BOOST_TEST(c->passphrase_file == "/etc/covenant/m.pass");
    BOOST_TEST(c->genesis == "/etc/g.json");
    BOOST_TEST(c->node_id_nonce.value_or(0) == 77u);
    BOOST_TEST(c->listen.host == "::1");
    BOOST_TEST(c->listen.port == 0);
    BOOST_TEST(c->listen.text() == "[::1]:0");
    BOOST_TEST(c->status_interval_ms == 250);
    BOOST_TEST(c->log.level == "debug");
    BOOST_TEST(c->log.file == "/etc/covenant/logs/m.log");
    BOOST_TEST(c->network.reconnect_min_ms == 50);
    BOOST_TEST(c->network.reconnect_max_ms == 800);
    BOOST_TEST(c->network.connect_timeout_ms == 3000);
    BOOST_TEST(c->network.ban_ms == 0);
    BOOST_TEST(c->network.heartbeat_ms == 500);
    BOOST_TEST(c->network.connection_timeout_ms == 4000);
    BOOST_TEST(c->network.scheduler_threads == 1u);
    const auto& p = c->producer;
    BOOST_TEST(p.tick_ms == 20);
    BOOST_TEST(p.consensus.block_interval_ms == 300);
    BOOST_TEST(p.consensus.propose_timeout_ms == 1500);
    BOOST_TEST(p.consensus.prevote_timeout_ms == 700);
    BOOST_TEST(p.consensus.precommit_timeout_ms == 600);
    BOOST_TEST(p.consensus.timeout_step_ms == 100);
    BOOST_TEST(p.consensus.resend_interval_ms == 900);
    BOOST_TEST(p.consensus.transactions_per_block_max == 10u);
    BOOST_TEST(p.consensus.mempool_max == 100u);
    BOOST_TEST(p.fetch_timeout_ms == 400);
    BOOST_TEST(p.catch_up_delay_ms == 200);
    BOOST_TEST(p.fetch_blocks_max == 16u);
    const auto& m = c->miner;
    BOOST_TEST(m.follow_interval_ms == 100);
    BOOST_TEST(m.resend_interval_ms == 500);
    BOOST_TEST(m.replica_tick_ms == 5);
    BOOST_TEST(m.transaction_fee == 3u);
    BOOST_TEST(m.replica.batch_requests_max == 32u);
    BOOST_TEST(m.replica.pipeline_depth == 2u);
    BOOST_TEST(m.replica.batch_delay_ms == 1);
    BOOST_TEST(m.replica.progress_timeout_ms == 2500);
    BOOST_TEST(m.replica.fetch_retry_ms == 300);
    BOOST_TEST(m.replica.retransmit_ms == 150);
    BOOST_TEST(m.replica.seal_every_batches == 8u);
    BOOST_TEST(m.replica.seal_every_ms == 1000);
    BOOST_TEST(m.replica.clock_skew_max_ms == 30000);
    BOOST_TEST_REQUIRE(c->peers.size() == 2u);
    BOOST_TEST(c->peers[0].id.has_value());
    BOOST_TEST(c->peers[0].address.text() == "10.0.0.2:7002");
    BOOST_TEST(c->peers[1].key.has_value());
    BOOST_TEST(c->peers[1].node_id_nonce.value_or(0) == 5u);
    BOOST_TEST(c->peers[1].address.host == "node3.example");
    BOOST_TEST(c->peers[1].name == "peers[1]");
}

BOOST_AUTO_TEST_CASE(flags_override_the_file) {
    config_overrides o;
    o.role = "miner";
    o.listen = "0.0.0.0:9000";
    o.data_dir = "/var/lib/covenant";
    o.log_level = "warn";
    o.log_file = "/var/log/covenant.log";
    o.genesis = "/srv/genesis.json";
    o.key_file = "/srv/k.key";
    o.passphrase_file = "/srv/k.pass";
    auto c = parse(minimal, o);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(role_name(c->role) == "miner");
    BOOST_TEST(c->listen.text() == "0.0.0.0:9000");
    BOOST_TEST(c->data_dir == "/var/lib/covenant");
    BOOST_TEST(c->log.level == "warn");
    BOOST_TEST(c->log.file == "/var/log/covenant.log");
    BOOST_TEST(c->genesis == "/srv/genesis.json");
    BOOST_TEST(c->key_file == "/srv/k.key");
    BOOST_TEST(c->passphrase_file == "/srv/k.pass");

    // A relative path on the command line is the working directory's.
    config_overrides relative;
    relative.data_dir = "here";
    auto r = parse(minimal, relative);
    BOOST_TEST_REQUIRE(r.ok(), why(r));
    BOOST_TEST(r->data_dir == (std::filesystem::current_path() / "here").string());

    // Flags can supply what the file leaves out.
    config_overrides everything = o;
    auto bare = parse("", everything);
    BOOST_TEST_REQUIRE(bare.ok(), why(bare));
    BOOST_TEST(bare->listen.port == 9000);
}

BOOST_AUTO_TEST_CASE(bad_flags_are_refused_naming_the_flag) {
    config_overrides role;
    role.role = "validator";
    expect_refused(minimal, "--role", role);
    config_overrides listen;
    listen.listen = "nowhere";
    expect_refused(minimal, "--listen", listen);
    config_overrides level;
    level.log_level = "loud";
    expect_refused(minimal, "--log-level", level);
    config_overrides empty_dir;
    empty_dir.data_dir = "";
    expect_refused(minimal, "--data-dir", empty_dir);
}

BOOST_AUTO_TEST_CASE(missing_required_values_are_named) {
    expect_refused("key_file = \"k\"\nlisten = \"h:1\"\ndata_dir = \"d\"\ngenesis = \"g\"\n",
                   "role: missing");
    expect_refused("role = \"producer\"\nlisten = \"h:1\"\ndata_dir = \"d\"\ngenesis = \"g\"\n",
                   "key_file: missing");
    expect_refused("role = \"producer\"\nkey_file = \"k\"\ndata_dir = \"d\"\ngenesis = \"g\"\n",
                   "listen: missing");
    expect_refused("role = \"producer\"\nkey_file = \"k\"\nlisten = \"h:1\"\ngenesis = \"g\"\n",
                   "data_dir: missing");
    expect_refused("role = \"producer\"\nkey_file = \"k\"\nlisten = \"h:1\"\ndata_dir = \"d\"\n",
                   "genesis: missing");
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_naming_the_key) {
    expect_refused(minimal + "bogus = 1\n", "bogus (line 7): unknown key");
    expect_refused("role = \"validator\"\n" + minimal.substr(minimal.find("key_file")), "role");
    expect_refused(minimal + "status_interval_ms = \"fast\"\n",
                   "status_interval_ms (line 7): expected an integer, found a string");
    expect_refused(minimal + "status_interval_ms = 1.5\n", "status_interval_ms");
    expect_refused(minimal + "status_interval_ms = 1\n",
                   "status_interval_ms (line 7): must be at least 10");
    expect_refused(minimal + "node_id_nonce = -1\n", "node_id_nonce");
    expect_refused(minimal + "passphrase_file = \"\"\n", "passphrase_file");
    expect_refused(minimal + "[log]\nlevel = \"loud\"\n", "log.level");
    expect_refused(minimal + "[log]\ncolour = true\n", "log.colour");
    expect_refused(minimal + "log = 3\n", "log");
    expect_refused(minimal + "[producer]\ntick_ms = 0\n", "producer.tick_ms");
    expect_refused(minimal + "[producer]\nfetch_blocks_max = 65\n",
                   "producer.fetch_blocks_max (line 8): must be at most 64");
    expect_refused(minimal + "[producer]\ntransactions_per_block_max = 0\n",
                   "producer.transactions_per_block_max");
    expect_refused(minimal + "[producer]\nblock_interval = 5\n", "producer.block_interval");
    expect_refused(minimal + "[miner]\nfollow_interval_ms = -5\n", "miner.follow_interval_ms");
    expect_refused(minimal + "[miner]\nprogress_timeout_ms = 99999999999\n",
                   "miner.progress_timeout_ms");
    expect_refused(minimal + "[network]\nreconnect_min_ms = 500\nreconnect_max_ms = 100\n",
                   "network.reconnect_max_ms");
    expect_refused(minimal + "[network]\nban = 5\n", "network.ban");
}

BOOST_AUTO_TEST_CASE(bad_addresses_are_refused) {
    const std::string base = minimal.substr(0, minimal.find("listen"));
    const std::string rest = minimal.substr(minimal.find("data_dir"));
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":7001", "127.0.0.1:70000", "127.0.0.1:7x",
                            "::1:7001", "[::1]7001", "a b:1"}) {
        expect_refused(base + "listen = \"" + bad + "\"\n" + rest, "listen");
    }
    auto zero = parse(base + "listen = \"127.0.0.1:0\"\n" + rest);
    BOOST_TEST(zero.ok(), why(zero));

    const std::string id = "00aa000000000000000000000000000000000000000000000000000000000001";
    expect_refused(minimal + "[[peers]]\nnode_id = \"" + id + "\"\naddress = \"h:0\"\n",
                   "peers[0].address (line 9): port 0 is not a peer's port");
    expect_refused(minimal + "[[peers]]\nnode_id = \"" + id + "\"\n", "peers[0].address");
    expect_refused(minimal + "[[peers]]\nnode_id = \"abc\"\naddress = \"h:1\"\n",
                   "peers[0].node_id (line 8): expected 64 hex digits");
    expect_refused(minimal + "[[peers]]\nkey = \"" + id + "zz\"\naddress = \"h:1\"\n",
                   "peers[0].key");
    expect_refused(minimal + "[[peers]]\naddress = \"h:1\"\n", "peers[0]");
    expect_refused(
        minimal + "[[peers]]\nnode_id = \"" + id + "\"\nkey = \"" + id + "\"\naddress = \"h:1\"\n",
        "peers[0]");
    expect_refused(
        minimal + "[[peers]]\nnode_id = \"" + id + "\"\nnode_id_nonce = 3\naddress = \"h:1\"\n",
        "peers[0].node_id_nonce");
    expect_refused(minimal + "[[peers]]\nnode_id = \"" + id + "\"\naddress = \"h:1\"\nport = 3\n",
                   "peers[0].port");
    expect_refused(minimal + "peers = [\"h:1\"]\n", "peers");
}

BOOST_AUTO_TEST_CASE(malformed_toml_is_refused_with_its_line) {
    expect_refused(minimal + "[producer\n", "not valid TOML (line 7");
    expect_refused(minimal + "role = \"miner\"\n", "not valid TOML (line 7");
}

const std::string client_minimal = R"(
role = "client"
key_file = "keys/c.key"
node_id_nonce = 7
data_dir = "data/c"
genesis = "genesis.json"
)";

BOOST_AUTO_TEST_CASE(client_role_needs_no_listen_address_and_takes_gateway_defaults) {
    auto c = parse(client_minimal);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(role_name(c->role) == "client");
    BOOST_TEST(!c->has_listen);
    BOOST_TEST(c->client.http_listen.text() == "127.0.0.1:7800");
    BOOST_TEST(!c->client.http_allow_remote);
    BOOST_TEST(c->client.request_timeout_ms == 30'000);
    BOOST_TEST(c->client.request_resend_ms == 1000);
    BOOST_TEST(c->client.transaction_timeout_ms == 30'000);
    BOOST_TEST(c->client.http_threads == 8u);
    BOOST_TEST(c->client.calls_max == 1024u);
    expect_refused("role = \"client\"\n", "key_file");
    expect_refused("role = \"client\"\nkey_file = \"k\"\n", "data_dir");
}

BOOST_AUTO_TEST_CASE(client_table_reads_every_key_and_flags_override) {
    auto c = parse(client_minimal + R"(listen = "127.0.0.1:7300"
[client]
http_listen = "127.0.0.1:8001"
http_threads = 3
http_body_bytes_max = 65536
request_timeout_ms = 5000
request_resend_ms = 300
transaction_timeout_ms = 9000
follow_interval_ms = 150
resend_interval_ms = 700
transaction_fee = 2
calls_max = 10
links_max = 5
)");
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(c->has_listen);
    BOOST_TEST(c->client.http_listen.port == 8001);
    BOOST_TEST(c->client.http_threads == 3u);
    BOOST_TEST(c->client.http_body_bytes_max == 65536u);
    BOOST_TEST(c->client.request_timeout_ms == 5000);
    BOOST_TEST(c->client.request_resend_ms == 300);
    BOOST_TEST(c->client.transaction_timeout_ms == 9000);
    BOOST_TEST(c->client.follow_interval_ms == 150);
    BOOST_TEST(c->client.resend_interval_ms == 700);
    BOOST_TEST(c->client.transaction_fee == 2u);
    BOOST_TEST(c->client.calls_max == 10u);
    BOOST_TEST(c->client.links_max == 5u);
    config_overrides o;
    o.http_listen = "127.0.0.1:9009";
    o.request_timeout_ms = 1234;
    auto flagged = parse(client_minimal, o);
    BOOST_TEST_REQUIRE(flagged.ok(), why(flagged));
    BOOST_TEST(flagged->client.http_listen.port == 9009);
    BOOST_TEST(flagged->client.request_timeout_ms == 1234);

    expect_refused(client_minimal + "[client]\nhttp_port = 1\n", "client.http_port (line 8): unknown key");
    expect_refused(client_minimal + "[client]\nrequest_timeout_ms = \"soon\"\n",
                   "client.request_timeout_ms (line 8): expected an integer");
    expect_refused(client_minimal + "[client]\nhttp_listen = \"nowhere\"\n", "client.http_listen");
    expect_refused(client_minimal + "[client]\nhttp_threads = 0\n", "at least 1");
    // Off loopback only when asked for: the gateway signs for whoever reaches it.
    expect_refused(client_minimal + "[client]\nhttp_listen = \"0.0.0.0:8000\"\n", "not a loopback");
    auto remote = parse(client_minimal + "[client]\nhttp_listen = \"0.0.0.0:8000\"\nhttp_allow_remote = true\n");
    BOOST_TEST(remote.ok(), why(remote));
    config_overrides bad;
    bad.http_listen = "10.1.2.3:80";
    expect_refused(client_minimal, "not a loopback", bad);
    config_overrides zero;
    zero.request_timeout_ms = 0;
    expect_refused(client_minimal, "--request-timeout-ms", zero);
}

BOOST_AUTO_TEST_CASE(miner_registration_table_is_read_strictly) {
    auto c = parse(minimal + "[miner.registration]\ndeposit = 5000\ncapacity = 2\nprice_per_statement = 3\n"
                             "endpoint = \"127.0.0.1:7101\"\n");
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST_REQUIRE(c->miner.registration.has_value());
    BOOST_TEST(c->miner.registration->deposit == 5000u);
    BOOST_TEST(c->miner.registration->capacity == 2u);
    BOOST_TEST(c->miner.registration->price_per_statement == 3u);
    BOOST_TEST(c->miner.registration->endpoint == "127.0.0.1:7101");
    auto defaults = parse(minimal + "[miner.registration]\ndeposit = 1\n");
    BOOST_TEST_REQUIRE(defaults.ok(), why(defaults));
    BOOST_TEST(defaults->miner.registration->capacity == 1u);
    BOOST_TEST(defaults->miner.registration->endpoint.empty());
    BOOST_TEST(!parse(minimal)->miner.registration.has_value());
    expect_refused(minimal + "[miner.registration]\ncapacity = 2\n", "miner.registration.deposit");
    expect_refused(minimal + "[miner.registration]\ndeposit = 1\nstake = 2\n",
                   "miner.registration.stake (line 9): unknown key");
    expect_refused(minimal + "[miner.registration]\ndeposit = 1\nendpoint = \"h\"\n",
                   "miner.registration.endpoint");
}

BOOST_AUTO_TEST_CASE(reading_a_file_resolves_paths_against_its_directory) {
    const auto dir = std::filesystem::temp_directory_path() / "covenant-node-config-test";
    std::filesystem::create_directories(dir);
    const auto path = (dir / "node.toml").string();
    {
        std::ofstream out(path);
        out << minimal;
    }
    auto c = read_node_config(path);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    BOOST_TEST(c->key_file == (dir / "keys/p0.key").string());
    BOOST_TEST(c->source == path);
    auto missing = read_node_config((dir / "absent.toml").string());
    BOOST_TEST_REQUIRE(!missing.ok());
    BOOST_TEST(missing.failure().detail.find("absent.toml") != std::string::npos);
    std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(peers_settle_against_the_genesis) {
    const auto genesis = genesis_of(4, 3);
    const auto& keys = genesis.genesis.initial_producers;
    const node_id own = crypto::compute_node_id(keys[0], genesis.producer_node_nonces.at(keys[0]));
    const node_id second =
        crypto::compute_node_id(keys[1], genesis.producer_node_nonces.at(keys[1]));
    const node_id third =
        crypto::compute_node_id(keys[2], genesis.producer_node_nonces.at(keys[2]));
    // Every producer listed, this node too (a shared list): by key, nonce from the genesis,
    // or by node id.
    const std::string text =
        minimal + "[[peers]]\nkey = \"" + keys[0].hex() + "\"\naddress = \"127.0.0.1:7001\"\n" +
        "[[peers]]\nkey = \"" + keys[1].hex() + "\"\naddress = \"127.0.0.1:7002\"\n" +
        "[[peers]]\nnode_id = \"" + third.hex() + "\"\naddress = \"127.0.0.1:7003\"\n";
    auto c = parse(text);
    BOOST_TEST_REQUIRE(c.ok(), why(c));
    auto peers = resolve_peers(*c, genesis, own);
    BOOST_TEST_REQUIRE(peers.ok(), why(peers));
    BOOST_TEST_REQUIRE(peers->size() == 2u);
    BOOST_TEST((*peers)[0].id == second);
    BOOST_TEST((*peers)[0].address.port == 7002);
    BOOST_TEST((*peers)[1].id == third);

    // A key that is no genesis producer's needs its nonce.
    const auto stranger = test_key(99).public_key();
    auto no_nonce =
        parse(minimal + "[[peers]]\nkey = \"" + stranger.hex() + "\"\naddress = \"h:1\"\n");
    BOOST_TEST_REQUIRE(no_nonce.ok());
    auto refused = resolve_peers(*no_nonce, genesis, own);
    BOOST_TEST_REQUIRE(!refused.ok());
    BOOST_TEST(
        refused.failure().detail.find("peers[0]: node_id_nonce missing") != std::string::npos,
        refused.failure().detail);

    // A node id below the network's difficulty.
    node_id weak;
    weak.data[0] = 0xff;
    auto weak_config =
        parse(minimal + "[[peers]]\nnode_id = \"" + weak.hex() + "\"\naddress = \"h:1\"\n");
    BOOST_TEST_REQUIRE(weak_config.ok());
    auto weak_refused = resolve_peers(*weak_config, genesis, own);
    BOOST_TEST_REQUIRE(!weak_refused.ok());
    BOOST_TEST(weak_refused.failure().detail.find("leading zero bits") != std::string::npos);

    // The same node twice, or two peers on one address.
    auto twice = parse(minimal + "[[peers]]\nnode_id = \"" + third.hex() +
                       "\"\naddress = \"h:1\"\n[[peers]]\nkey = \"" + keys[2].hex() +
                       "\"\naddress = \"h:2\"\n");
    BOOST_TEST_REQUIRE(twice.ok());
    auto twice_refused = resolve_peers(*twice, genesis, own);
    BOOST_TEST_REQUIRE(!twice_refused.ok());
    BOOST_TEST(twice_refused.failure().detail.find("peers[1]: the same node id as peers[0]") !=
                   std::string::npos,
               twice_refused.failure().detail);
    auto same_address = parse(minimal + "[[peers]]\nnode_id = \"" + third.hex() +
                              "\"\naddress = \"h:1\"\n[[peers]]\nnode_id = \"" + second.hex() +
                              "\"\naddress = \"h:1\"\n");
    BOOST_TEST_REQUIRE(same_address.ok());
    BOOST_TEST(!resolve_peers(*same_address, genesis, own).ok());
}

BOOST_AUTO_TEST_CASE(own_nonce_comes_from_the_config_or_the_genesis) {
    const auto genesis = genesis_of(4, 2);
    const auto& producer = genesis.genesis.initial_producers[0];
    auto c = parse(minimal);
    BOOST_TEST_REQUIRE(c.ok());
    auto from_genesis = own_node_id_nonce(*c, genesis, producer);
    BOOST_TEST_REQUIRE(from_genesis.ok(), why(from_genesis));
    BOOST_TEST(*from_genesis == genesis.producer_node_nonces.at(producer));

    const auto miner = test_key(50).public_key();
    auto missing = own_node_id_nonce(*c, genesis, miner);
    BOOST_TEST_REQUIRE(!missing.ok());
    BOOST_TEST(missing.failure().detail.find("node_id_nonce: missing") != std::string::npos);
    BOOST_TEST(missing.failure().detail.find("cql idminer") != std::string::npos);

    auto mined = crypto::mine_node_id(miner, 4, 0, 1u << 20);
    BOOST_TEST_REQUIRE(mined.has_value());
    auto with_nonce = parse(minimal + "node_id_nonce = " + std::to_string(mined->nonce) + "\n");
    BOOST_TEST_REQUIRE(with_nonce.ok());
    auto good = own_node_id_nonce(*with_nonce, genesis, miner);
    BOOST_TEST_REQUIRE(good.ok(), why(good));
    BOOST_TEST(*good == mined->nonce);

    // A nonce that does not meet the difficulty (find one) is refused.
    std::uint64_t bad = 0;
    while (crypto::node_id_meets_difficulty(miner, bad, 4)) ++bad;
    auto weak = parse(minimal + "node_id_nonce = " + std::to_string(bad) + "\n");
    BOOST_TEST_REQUIRE(weak.ok());
    auto weak_refused = own_node_id_nonce(*weak, genesis, miner);
    BOOST_TEST_REQUIRE(!weak_refused.ok());
    BOOST_TEST(weak_refused.failure().detail.find("node_id_nonce: " + std::to_string(bad)) !=
                   std::string::npos,
               weak_refused.failure().detail);
}
