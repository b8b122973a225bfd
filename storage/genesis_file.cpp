// Reading and writing the genesis file (see the header), with nlohmann::json.
#include "storage/genesis_file.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "crypto/hash.hpp"
#include "protocols/canonical.hpp"

namespace covenant::storage {

namespace {

using json = nlohmann::json;
constexpr std::size_t genesis_file_bytes_max = 16u << 20;
constexpr std::size_t producers_max = 1024;
constexpr std::size_t network_name_max = 64;

error bad(const std::string& what) {
    return error{std::make_error_code(std::errc::invalid_argument), "genesis: " + what};
}

/// Refuses keys of `object` outside `allowed`.
std::optional<error> only_keys(const json& object, const std::set<std::string>& allowed,
                               const std::string& where) {
    for (const auto& item : object.items())
        if (allowed.count(item.key()) == 0) return bad(where + ": unknown key \"" + item.key() + "\"");
    return std::nullopt;
}

result<std::uint64_t> unsigned_field(const json& object, const std::string& key,
                                     const std::string& where) {
    auto at = object.find(key);
    if (at == object.end()) return bad(where + ": \"" + key + "\" is missing");
    if (!at->is_number_unsigned() && !(at->is_number_integer() && at->get<std::int64_t>() >= 0))
        return bad(where + ": \"" + key + "\" must be a non-negative integer");
    return at->get<std::uint64_t>();
}

template <class Fixed>
result<Fixed> hex_field(const json& object, const std::string& key, const std::string& where) {
    auto at = object.find(key);
    if (at == object.end()) return bad(where + ": \"" + key + "\" is missing");
    if (!at->is_string()) return bad(where + ": \"" + key + "\" must be a hex string");
    auto parsed = Fixed::from_hex_string(at->get<std::string>());
    if (!parsed)
        return bad(where + ": \"" + key + "\" must be " + std::to_string(Fixed::size() * 2) +
                   " hex digits");
    return *parsed;
}

result<main_chain::chain_parameters> parse_parameters(const json& p) {
    main_chain::chain_parameters out;
    if (!p.is_object()) return bad("\"parameters\" must be an object");
    if (auto e = only_keys(p, {"minimum_fee", "unstake_delay", "miner_exit_delay",
                               "minimum_miner_deposit", "node_id_difficulty", "epoch_length",
                               "producers_max", "producers_min"},
                           "parameters"))
        return *e;
    auto take = [&](const char* key, std::uint64_t& into, std::uint64_t max) -> std::optional<error> {
        if (!p.contains(key)) return std::nullopt;
        auto v = unsigned_field(p, key, "parameters");
        if (!v) return v.failure();
        if (v.value() > max) return bad(std::string("parameters: \"") + key + "\" above " + std::to_string(max));
        into = v.value();
        return std::nullopt;
    };
    std::uint64_t difficulty = out.node_id_difficulty, pmax = out.producers_max,
                  pmin = out.producers_min;
    for (auto e : {take("minimum_fee", out.minimum_fee, UINT64_MAX),
                   take("unstake_delay", out.unstake_delay, UINT64_MAX),
                   take("miner_exit_delay", out.miner_exit_delay, UINT64_MAX),
                   take("minimum_miner_deposit", out.minimum_miner_deposit, UINT64_MAX),
                   take("node_id_difficulty", difficulty, 64),
                   take("epoch_length", out.epoch_length, UINT64_MAX),
                   take("producers_max", pmax, producers_max),
                   take("producers_min", pmin, producers_max)})
        if (e) return *e;
    if (out.minimum_fee == 0) return bad("parameters: \"minimum_fee\" must be at least 1");
    if (pmax == 0 || pmin == 0 || pmin > pmax)
        return bad("parameters: need 1 <= producers_min <= producers_max");
    out.node_id_difficulty = static_cast<unsigned>(difficulty);
    out.producers_max = static_cast<std::uint32_t>(pmax);
    out.producers_min = static_cast<std::uint32_t>(pmin);
    return out;
}

}  // namespace

digest genesis_document::hash() const {
    protocols::canonical_writer out;
    out.text("covenant/v1/genesis").text(network);
    const auto& p = genesis.parameters;
    out.u64(p.minimum_fee).u64(p.unstake_delay).u64(p.miner_exit_delay);
    out.u64(p.minimum_miner_deposit).u32(p.node_id_difficulty).u64(p.epoch_length);
    out.u32(p.producers_max).u32(p.producers_min);
    out.u32(static_cast<std::uint32_t>(genesis.initial_producers.size()));
    for (const auto& k : genesis.initial_producers) {
        auto nonce = producer_node_nonces.find(k);
        out.fixed(k).u64(nonce == producer_node_nonces.end() ? 0 : nonce->second);
    }
    out.u64(genesis.allocations.size());
    for (const auto& [address, amount] : genesis.allocations) out.fixed(address).u64(amount);
    return crypto::hash(out.get());
}

result<genesis_document> parse_genesis(const std::string& json_text) {
    if (json_text.size() > genesis_file_bytes_max) return bad("larger than 16 MiB");
    json root;
    try {
        root = json::parse(json_text);
    } catch (const json::exception& e) {
        return bad(std::string("not valid JSON: ") + e.what());
    }
    if (!root.is_object()) return bad("the document must be a JSON object");
    if (auto e = only_keys(root, {"network", "parameters", "producers", "allocations"}, "top level"))
        return *e;

    genesis_document doc;
    auto network = root.find("network");
    if (network == root.end() || !network->is_string() || network->get<std::string>().empty() ||
        network->get<std::string>().size() > network_name_max)
        return bad("\"network\" must be a name of 1 to 64 characters");
    doc.network = network->get<std::string>();
    for (unsigned char c : doc.network)
        if (c < 0x21 || c > 0x7e) return bad("\"network\" must be printable ASCII without spaces");

    if (root.contains("parameters")) {
        auto params = parse_parameters(root["parameters"]);
        if (!params) return params.failure();
        doc.genesis.parameters = params.value();
    }

    auto producers = root.find("producers");
    if (producers == root.end() || !producers->is_array() || producers->empty() ||
        producers->size() > producers_max)
        return bad("\"producers\" must be a list of 1 to 1024 producers");
    for (std::size_t i = 0; i < producers->size(); ++i) {
        const auto& entry = (*producers)[i];
        const std::string where = "producers[" + std::to_string(i) + "]";
        if (!entry.is_object()) return bad(where + " must be an object");
        if (auto e = only_keys(entry, {"key", "node_id_nonce"}, where)) return *e;
        auto key = hex_field<public_key>(entry, "key", where);
        if (!key) return key.failure();
        auto nonce = unsigned_field(entry, "node_id_nonce", where);
        if (!nonce) return nonce.failure();
        if (doc.producer_node_nonces.count(key.value()) != 0)
            return bad(where + ": the same producer key twice");
        doc.genesis.initial_producers.push_back(key.value());
        doc.producer_node_nonces.emplace(key.value(), nonce.value());
    }

    auto allocations = root.find("allocations");
    if (allocations == root.end() || !allocations->is_array())
        return bad("\"allocations\" must be a list");
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < allocations->size(); ++i) {
        const auto& entry = (*allocations)[i];
        const std::string where = "allocations[" + std::to_string(i) + "]";
        if (!entry.is_object()) return bad(where + " must be an object");
        if (auto e = only_keys(entry, {"address", "amount"}, where)) return *e;
        auto address = hex_field<account_address>(entry, "address", where);
        if (!address) return address.failure();
        auto amount = unsigned_field(entry, "amount", where);
        if (!amount) return amount.failure();
        if (amount.value() == 0) return bad(where + ": \"amount\" must be above 0");
        if (amount.value() > UINT64_MAX - total) return bad("allocations sum past 2^64");
        total += amount.value();
        if (!doc.genesis.allocations.emplace(address.value(), amount.value()).second)
            return bad(where + ": the same address twice");
    }
    return doc;
}

result<genesis_document> read_genesis_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error{std::make_error_code(std::errc::no_such_file_or_directory),
                          "genesis: cannot open " + path};
    std::string text;
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > genesis_file_bytes_max) return bad(path + " is larger than 16 MiB");
    }
    if (in.bad()) return error{std::make_error_code(std::errc::io_error), "genesis: reading " + path};
    return parse_genesis(text);
}

std::string genesis_to_json(const genesis_document& doc) {
    const auto& p = doc.genesis.parameters;
    json root;
    root["network"] = doc.network;
    root["parameters"] = {{"minimum_fee", p.minimum_fee},
                          {"unstake_delay", p.unstake_delay},
                          {"miner_exit_delay", p.miner_exit_delay},
                          {"minimum_miner_deposit", p.minimum_miner_deposit},
                          {"node_id_difficulty", p.node_id_difficulty},
                          {"epoch_length", p.epoch_length},
                          {"producers_max", p.producers_max},
                          {"producers_min", p.producers_min}};
    root["producers"] = json::array();
    for (const auto& k : doc.genesis.initial_producers) {
        auto nonce = doc.producer_node_nonces.find(k);
        root["producers"].push_back(
            {{"key", k.hex()}, {"node_id_nonce", nonce == doc.producer_node_nonces.end() ? 0 : nonce->second}});
    }
    root["allocations"] = json::array();
    for (const auto& [address, amount] : doc.genesis.allocations)
        root["allocations"].push_back({{"address", address.hex()}, {"amount", amount}});
    return root.dump(2) + "\n";
}

}  // namespace covenant::storage
