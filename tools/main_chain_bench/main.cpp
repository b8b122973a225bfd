// main_chain_bench: how many signed transfers per second the main chain finalizes when n
// block producers (protocols/main_chain/producer) run in one process on one thread. A
// genesis funds the accounts; each account signs transfers with its nonces in order from
// 1; they are submitted to the producers round-robin (each producer gossips them to the
// others), and a message pump delivers every output message, as the C++ struct (no codec),
// to the other producers while a virtual clock advances a few ms per step. Every
// transaction's signature is checked by every producer on arrival and again in every
// block it validates; every proposal, prevote and precommit (two vote phases,
// Tendermint-style: see producer.hpp) is signed and checked. The run ends once every
// transaction is final on every producer; the producers must then agree on the state root
// and still hold the genesis total. A first figure for the main chain;
// the real benchmark across processes comes with covenant-bench.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <deque>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "common/bytes.hpp"
#include "crypto/signing.hpp"
#include "protocols/main_chain/ledger.hpp"
#include "protocols/main_chain/producer.hpp"

using namespace covenant;
using namespace covenant::main_chain;

namespace {

crypto::key_pair key_for(std::uint8_t domain, std::uint64_t index) {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(domain);
    for (int b = 0; b < 8; ++b) seed[static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(index >> (8 * b));
    return crypto::key_pair::from_seed(crypto::secret_seed(seed));
}

// The producers, the queue of messages in flight, the virtual clock.
struct network {
    std::vector<producer> producers;
    std::vector<std::uint64_t> final_transactions;  // per producer
    std::vector<std::uint64_t> final_blocks;        // per producer
    std::uint64_t evidence = 0;
    std::uint64_t messages_delivered = 0;
    // Messages are shared between their recipients: a final block is not copied per peer.
    std::deque<std::pair<std::size_t, std::shared_ptr<const producer_message>>> queue;
    std::int64_t now = 0;

    void handle(std::size_t from, producer_output out) {
        for (const auto& b : out.finalized) {
            final_transactions[from] += b.transactions.size();
            ++final_blocks[from];
        }
        evidence += out.evidence.size();
        for (auto& m : out.messages) {
            auto shared = std::make_shared<const producer_message>(std::move(m));
            for (std::size_t to = 0; to < producers.size(); ++to)
                if (to != from) queue.emplace_back(to, shared);
        }
    }

    void pump() {
        while (!queue.empty()) {
            auto [to, m] = std::move(queue.front());
            queue.pop_front();
            ++messages_delivered;
            handle(to, producers[to].on_message(*m, now));
        }
    }

    void step(std::int64_t ms) {
        now += ms;
        for (std::size_t i = 0; i < producers.size(); ++i) handle(i, producers[i].on_tick(now));
        pump();
    }
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"In-process main chain throughput: signed transfers finalized per second", "main_chain_bench"};
    std::size_t producer_count = 4, transactions = 20'000, accounts = 1'000, block_transactions = 1024;
    std::int64_t block_interval_ms = 10, step_ms = 5;
    bool json = false;
    app.add_option("--producers", producer_count, "Block producers")->check(CLI::Range(1, 32));
    app.add_option("--transactions", transactions, "Signed transfers to finalize")->check(CLI::Range(1, 10'000'000));
    app.add_option("--accounts", accounts, "Funded accounts sending them (round-robin)")->check(CLI::Range(2, 1'000'000));
    app.add_option("--block-transactions", block_transactions, "Transactions per block at most")->check(CLI::Range(1, 1'000'000));
    app.add_option("--block-interval-ms", block_interval_ms, "Virtual ms between blocks (round 0)")->capture_default_str()->check(CLI::Range(1, 60'000));
    app.add_option("--step-ms", step_ms, "Virtual ms the clock advances per step")->capture_default_str()->check(CLI::Range(1, 1'000));
    app.add_flag("--json", json, "Print one JSON object");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    // Genesis: every account funded well beyond what it spends (amount 1 + fee 1 per transfer).
    const std::uint64_t per_account = transactions / accounts + 1;
    std::vector<crypto::key_pair> account_keys;
    account_keys.reserve(accounts);
    genesis g;
    for (std::size_t i = 0; i < accounts; ++i) {
        account_keys.push_back(key_for(0xa5, i));
        g.allocations[crypto::address_of(account_keys.back().public_key())] = 1'000'000 + 2 * per_account;
    }
    producer_config cfg;
    std::vector<crypto::key_pair> producer_keys;
    for (std::size_t i = 0; i < producer_count; ++i) {
        producer_keys.push_back(key_for(0x7e, i));
        g.initial_producers.push_back(producer_keys.back().public_key());
    }
    cfg.block_interval_ms = block_interval_ms;
    cfg.propose_timeout_ms = 1000;  // no producer fails here: timeouts never fire
    cfg.transactions_per_block_max = block_transactions;
    cfg.mempool_max = std::max<std::size_t>(cfg.mempool_max, transactions);
    auto genesis_ledger = ledger::from_genesis(g);
    if (!genesis_ledger.ok()) {
        std::cerr << "main_chain_bench: genesis refused: " << genesis_ledger.failure().message() << "\n";
        return 2;
    }
    const std::uint64_t genesis_tokens = genesis_ledger.value().total_tokens();

    // The transfers, signed before the clock starts (client work): transaction t is account
    // t mod accounts's nonce t / accounts + 1, to the next account.
    const auto signing_started = std::chrono::steady_clock::now();
    std::vector<protocols::transaction> txs;
    txs.reserve(transactions);
    for (std::size_t t = 0; t < transactions; ++t) {
        const std::size_t from = t % accounts;
        protocols::transaction tx;
        tx.sender = account_keys[from].public_key();
        tx.nonce = account_nonce{t / accounts + 1};
        tx.fee = 1;
        tx.body = protocols::tx::transfer{crypto::address_of(account_keys[(from + 1) % accounts].public_key()), 1};
        tx.sign(account_keys[from]);
        txs.push_back(std::move(tx));
    }
    const double signing_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - signing_started).count();

    network net;
    for (const auto& k : producer_keys) net.producers.emplace_back(k, cfg, genesis_ledger.value());
    net.final_transactions.assign(producer_count, 0);
    net.final_blocks.assign(producer_count, 0);

    const auto started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < producer_count; ++i) net.handle(i, net.producers[i].start(net.now));
    net.pump();
    // Submitted round-robin, in nonce order; each producer gossips what it receives.
    for (std::size_t t = 0; t < transactions; ++t)
        net.handle(t % producer_count, net.producers[t % producer_count].on_transaction(txs[t], net.now));
    net.pump();
    const double submit_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    auto all_final = [&] {
        for (auto n : net.final_transactions)
            if (n < transactions) return false;
        return true;
    };
    // Gives up after 60 virtual seconds without a new final transaction anywhere.
    std::uint64_t progress = 0;
    std::int64_t last_progress_ms = net.now;
    while (!all_final() && net.now - last_progress_ms < 60'000) {
        net.step(step_ms);
        std::uint64_t sum = 0;
        for (auto n : net.final_transactions) sum += n;
        if (sum != progress) {
            progress = sum;
            last_progress_ms = net.now;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // Checks: everything final everywhere, one state root, the genesis total everywhere.
    std::vector<std::string> failures;
    std::uint64_t finalized = net.final_transactions[0];
    for (std::size_t i = 0; i < producer_count; ++i) {
        const auto& p = net.producers[i];
        finalized = std::min(finalized, net.final_transactions[i]);
        if (net.final_transactions[i] != transactions)
            failures.push_back("producer " + std::to_string(i) + " finalized " +
                               std::to_string(net.final_transactions[i]) + " transactions of " +
                               std::to_string(transactions));
        if (!(p.state().state_root() == net.producers[0].state().state_root()))
            failures.push_back("producer " + std::to_string(i) + " ends with another state root");
        if (p.state().total_tokens() != genesis_tokens)
            failures.push_back("producer " + std::to_string(i) + " holds " +
                               std::to_string(p.state().total_tokens()) + " tokens, genesis " +
                               std::to_string(genesis_tokens));
        if (net.final_blocks[i] != net.final_blocks[0])
            failures.push_back("producer " + std::to_string(i) + " finalized another number of blocks");
    }
    if (net.evidence != 0) failures.push_back(std::to_string(net.evidence) + " evidence reports");
    std::uint64_t refused = 0, round_changes = 0;
    for (const auto& p : net.producers) {
        refused += p.stats().transactions_refused;
        round_changes += p.stats().round_changes;
    }
    const double rate = static_cast<double>(finalized) / seconds;
    const std::uint64_t blocks = net.final_blocks[0];
    const std::string root = to_hex(net.producers[0].state().state_root().view());

    if (json) {
        std::cout << nlohmann::json{{"producers", producer_count},
                                    {"accounts", accounts},
                                    {"block_transactions_max", block_transactions},
                                    {"transactions", transactions},
                                    {"transactions_finalized", finalized},
                                    {"wall_seconds", seconds},
                                    {"submit_seconds", submit_seconds},
                                    {"signing_seconds", signing_seconds},
                                    {"transactions_per_second", rate},
                                    {"blocks_finalized", blocks},
                                    {"round_changes", round_changes},
                                    {"transactions_refused", refused},
                                    {"messages_delivered", net.messages_delivered},
                                    {"simulated_ms", net.now},
                                    {"state_root", root},
                                    {"total_tokens", net.producers[0].state().total_tokens()},
                                    {"genesis_tokens", genesis_tokens},
                                    {"ok", failures.empty()},
                                    {"failures", failures}}
                         .dump()
                  << "\n";
    } else {
        std::cout << "main_chain_bench: " << producer_count << " producers, " << transactions
                  << " signed transfers from " << accounts << " accounts, at most "
                  << block_transactions << " per block\n"
                  << "  finalized " << finalized << " on every producer in " << seconds
                  << " s wall (" << submit_seconds << " s of it submitting): " << rate
                  << " transactions/s on one thread\n"
                  << "  blocks finalized " << blocks << ", round changes " << round_changes
                  << ", simulated time " << net.now << " ms, messages delivered "
                  << net.messages_delivered << " (signing beforehand: " << signing_seconds << " s)\n"
                  << "  state root " << root << " on all, total tokens "
                  << net.producers[0].state().total_tokens() << " (genesis " << genesis_tokens << ")\n";
        for (const auto& f : failures) std::cout << "  FAILED: " << f << "\n";
    }
    return failures.empty() ? 0 : 1;
}
