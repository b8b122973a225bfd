// Codec of the chains' messages: shard-chain blocks, main-chain transactions and blocks.
#include <algorithm>
#include <tuple>

#include "crypto/node_id.hpp"
#include "protocols/codec.hpp"
#include "protocols/codec_main_chain.hpp"
#include "protocols/merkle.hpp"
#include "protocols/wire_codec.hpp"
#include "schema/main_chain.capnp.h"
#include "schema/shard_chain.capnp.h"

namespace covenant::protocols {
namespace codec {
namespace {

// ---- shard chain ------------------------------------------------------------------

void write_shard_block(wire::ShardBlock::Builder out, const shard_block& b) {
    auto h = out.initHeader();
    h.setDatabase(as_data(b.header.database));
    h.setHeight(b.header.height.value);
    h.setParent(as_data(b.header.parent));
    h.setTimestampMs(b.header.timestamp_ms);
    h.setFirstSeq(b.header.first_seq.value);
    h.setEntryCount(b.header.entry_count);
    h.setEntriesRoot(as_data(b.header.entries_root));
    h.setStateDigest(as_data(b.header.state_digest));
    auto entries = out.initEntries(static_cast<unsigned>(b.entries.size()));
    for (unsigned i = 0; i < b.entries.size(); ++i) {
        const auto& e = b.entries[i];
        entries[i].setView(e.view.value);
        entries[i].setSeq(e.seq.value);
        entries[i].setBatchHash(as_data(e.batch_hash));
        entries[i].setResultsRoot(as_data(e.results_root));
        entries[i].setStateDigest(as_data(e.state_digest));
        write_certificate(entries[i].initCommitCertificate(), e.commit_certificate);
    }
    write_signer_list(out.initSignatures(static_cast<unsigned>(b.signatures.size())), b.signatures);
}

shard_block read_shard_block(wire::ShardBlock::Reader in) {
    shard_block b;
    auto h = in.getHeader();
    b.header.database = read_fixed<database_id>(h.getDatabase(), "shardBlock.database");
    b.header.height = block_height(h.getHeight());
    require(b.header.height.value >= 1, protocol_errc::invalid_value, "shardBlock.height must be >= 1");
    b.header.parent = read_fixed<digest>(h.getParent(), "shardBlock.parent");
    b.header.timestamp_ms = h.getTimestampMs();
    require(b.header.timestamp_ms >= 0, protocol_errc::invalid_value, "shardBlock.timestampMs negative");
    if (b.header.height.value == 1)
        require(b.header.parent.is_zero(), protocol_errc::inconsistent,
                "shardBlock: the first block has no parent");
    b.header.first_seq = sequence_number(h.getFirstSeq());
    b.header.entry_count = h.getEntryCount();
    require(b.header.first_seq.value >= 1 &&
                b.header.first_seq.value <= UINT64_MAX - b.header.entry_count,
            protocol_errc::invalid_value, "shardBlock: sequence range out of bounds");
    b.header.entries_root = read_fixed<digest>(h.getEntriesRoot(), "shardBlock.entriesRoot");
    b.header.state_digest = read_fixed<digest>(h.getStateDigest(), "shardBlock.stateDigest");

    auto entries = in.getEntries();
    check_count(entries, 1, limits::shard_entries_per_block_max, "shardBlock.entries");
    require(entries.size() == b.header.entry_count, protocol_errc::inconsistent,
            "shardBlock: entry count differs from header");
    std::vector<digest> hashes;
    hashes.reserve(entries.size());
    sequence_number expected = b.header.first_seq;
    for (auto e : entries) {
        shard_entry entry;
        entry.view = view_number(e.getView());
        entry.seq = sequence_number(e.getSeq());
        require(entry.seq == expected, protocol_errc::inconsistent,
                "shardBlock: entries are not consecutive from firstSeq");
        expected = expected.next();  // no overflow: the range was checked above
        entry.batch_hash = read_fixed<digest>(e.getBatchHash(), "shardEntry.batchHash");
        entry.results_root = read_fixed<digest>(e.getResultsRoot(), "shardEntry.resultsRoot");
        entry.state_digest = read_fixed<digest>(e.getStateDigest(), "shardEntry.stateDigest");
        entry.commit_certificate = read_certificate(e.getCommitCertificate(), vote_phase::commit,
                                                    "shardEntry.commitCertificate");
        const auto& cert = entry.commit_certificate;
        require(cert.database == b.header.database && cert.view == entry.view &&
                    cert.seq == entry.seq && cert.batch_hash == entry.batch_hash,
                protocol_errc::inconsistent, "shardEntry: certificate is for another batch");
        hashes.push_back(entry.hash());
        b.entries.push_back(std::move(entry));
    }
    require(merkle_root(hashes) == b.header.entries_root, protocol_errc::inconsistent,
            "shardBlock: entries root differs from header");
    require(b.entries.back().state_digest == b.header.state_digest, protocol_errc::inconsistent,
            "shardBlock: state digest differs from the last entry's");
    b.signatures = read_signer_list(in.getSignatures(), 1, "shardBlock.signatures",
                                    crypto::sign_domain::shard_block, b.signing_bytes());
    return b;
}

shard_block_vote read_shard_block_vote(wire::ShardBlockVote::Reader in) {
    shard_block_vote v;
    v.database = read_fixed<database_id>(in.getDatabase(), "shardBlockVote.database");
    v.height = block_height(in.getHeight());
    require(v.height.value >= 1, protocol_errc::invalid_value, "shardBlockVote.height must be >= 1");
    v.block_hash = read_fixed<digest>(in.getBlockHash(), "shardBlockVote.blockHash");
    v.signer = read_fixed<public_key>(in.getSigner(), "shardBlockVote.signer");
    v.signer_signature = read_fixed<signature>(in.getSignature(), "shardBlockVote.signature");
    charge_signature_check("shardBlockVote: signer");
    if (!v.signature_valid()) reject(protocol_errc::bad_signature, "shardBlockVote: signer");
    // Checked by the receiver against the checkpoint it computed: the bytes are not here.
    if (in.getCheckpointSignature().size() != 0)
        v.checkpoint_signature =
            read_fixed<signature>(in.getCheckpointSignature(), "shardBlockVote.checkpointSignature");
    return v;
}

shard_block_fetch read_shard_block_fetch(wire::ShardBlockFetch::Reader in) {
    shard_block_fetch m;
    m.database = read_fixed<database_id>(in.getDatabase(), "shardBlockFetch.database");
    m.from_height = block_height(in.getFromHeight());
    require(m.from_height.value >= 1, protocol_errc::invalid_value,
            "shardBlockFetch.fromHeight must be >= 1");
    m.count = in.getCount();
    require(m.count >= 1 && m.count <= limits::shard_blocks_per_fetch_max,
            protocol_errc::invalid_value, "shardBlockFetch.count out of range");
    return m;
}

shard_block_fetch_reply read_shard_block_fetch_reply(wire::ShardBlockFetchReply::Reader in) {
    shard_block_fetch_reply m;
    m.database = read_fixed<database_id>(in.getDatabase(), "shardBlockFetchReply.database");
    m.head_height = block_height(in.getHeadHeight());
    auto list = in.getBlocks();
    check_count(list, 0, limits::shard_blocks_per_fetch_max, "shardBlockFetchReply.blocks");
    m.blocks.reserve(list.size());
    for (auto entry : list) {
        shard_block b = read_shard_block(entry);
        require(b.header.database == m.database, protocol_errc::inconsistent,
                "shardBlockFetchReply: a block of another database");
        if (!m.blocks.empty()) {
            const auto& below = m.blocks.back();
            require(below.header.height.value != block_height::max_value &&
                        b.header.height == below.header.height.next() &&
                        b.header.parent == below.hash() &&
                        b.header.first_seq == below.entries.back().seq.next(),
                    protocol_errc::inconsistent, "shardBlockFetchReply: blocks are not a chain");
        }
        m.blocks.push_back(std::move(b));
    }
    if (!m.blocks.empty())
        require(m.blocks.back().header.height <= m.head_height, protocol_errc::inconsistent,
                "shardBlockFetchReply: a block above the server's head height");
    return m;
}

// ---- main chain transactions ------------------------------------------------------

void write_evidence(wire::Evidence::Builder g, const tx::evidence& body) {
    if (const auto* v = std::get_if<tx::conflicting_votes>(&body.proof)) {
        auto c = g.initConflictingVotes();
        write_vote(c.initFirst(), v->first);
        write_vote(c.initSecond(), v->second);
    } else if (const auto* p = std::get_if<tx::conflicting_proposals>(&body.proof)) {
        auto c = g.initConflictingProposals();
        write_proposal(c.initFirst(), p->first);
        write_proposal(c.initSecond(), p->second);
    } else {
        const auto& e = std::get<tx::conflicting_executions>(body.proof);
        auto c = g.initConflictingExecutions();
        write_execution(c.initFirst(), e.first);
        write_execution(c.initSecond(), e.second);
    }
}

void write_transaction(wire::Transaction::Builder out, const transaction& t) {
    out.setSender(as_data(t.sender));
    out.setNonce(t.nonce.value);
    out.setFee(t.fee);
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, tx::transfer>) {
                auto g = out.initTransfer();
                g.setTo(as_data(body.to));
                g.setAmount(body.amount);
            } else if constexpr (std::is_same_v<T, tx::stake>) {
                out.initStake().setAmount(body.amount);
            } else if constexpr (std::is_same_v<T, tx::unstake>) {
                out.initUnstake().setAmount(body.amount);
            } else if constexpr (std::is_same_v<T, tx::vote_producers>) {
                auto list = out.initVoteProducers().initCandidates(
                    static_cast<unsigned>(body.candidates.size()));
                for (unsigned i = 0; i < body.candidates.size(); ++i)
                    list.set(i, as_data(body.candidates[i]));
            } else if constexpr (std::is_same_v<T, tx::register_miner>) {
                auto g = out.initRegisterMiner();
                g.setPowNonce(body.pow_nonce);
                g.setDeposit(body.deposit);
                g.setCapacity(body.capacity);
                g.setPricePerStatement(body.price_per_statement);
                g.setEndpoint(as_text(body.endpoint));
            } else if constexpr (std::is_same_v<T, tx::miner_exit>) {
                out.setMinerExit();
            } else if constexpr (std::is_same_v<T, tx::create_database>) {
                auto g = out.initCreateDatabase();
                g.setMinerCount(body.miner_count);
                g.setMode(static_cast<wire::ConsistencyMode>(body.mode));
                g.setAdvancePayment(body.advance_payment);
            } else if constexpr (std::is_same_v<T, tx::drop_database>) {
                out.initDropDatabase().setDatabase(as_data(body.database));
            } else if constexpr (std::is_same_v<T, tx::grant_role>) {
                auto g = out.initGrantRole();
                g.setDatabase(as_data(body.database));
                g.setUser(as_data(body.user));
                g.setRole(static_cast<wire::Role>(body.granted));
            } else if constexpr (std::is_same_v<T, tx::revoke_role>) {
                auto g = out.initRevokeRole();
                g.setDatabase(as_data(body.database));
                g.setUser(as_data(body.user));
            } else if constexpr (std::is_same_v<T, tx::suspect_leader>) {
                write_suspect(out.initSuspectLeader(), body.suspicion);
            } else if constexpr (std::is_same_v<T, tx::shard_checkpoint>) {
                auto g = out.initShardCheckpoint();
                g.setDatabase(as_data(body.database));
                g.setHeight(body.height.value);
                g.setHeadHash(as_data(body.head_hash));
                g.setStateDigest(as_data(body.state_digest));
                auto lines = g.initBilling(static_cast<unsigned>(body.billing.size()));
                for (unsigned i = 0; i < body.billing.size(); ++i) {
                    lines[i].setUser(as_data(body.billing[i].user));
                    lines[i].setStatements(body.billing[i].statements);
                    lines[i].setCost(body.billing[i].cost);
                }
                write_signer_list(g.initSignatures(static_cast<unsigned>(body.signatures.size())),
                                  body.signatures);
            } else {
                static_assert(std::is_same_v<T, tx::evidence>);
                write_evidence(out.initEvidence(), body);
            }
        },
        t.body);
    out.setSignature(as_data(t.sender_signature));
}

std::uint64_t positive(std::uint64_t amount, const char* field) {
    if (amount == 0) reject(protocol_errc::invalid_value, std::string(field) + " must be positive");
    return amount;
}

tx::evidence read_evidence(wire::Evidence::Reader in) {
    tx::evidence out;
    switch (in.which()) {
        case wire::Evidence::CONFLICTING_VOTES: {
            auto g = in.getConflictingVotes();
            tx::conflicting_votes c{read_vote(g.getFirst()), read_vote(g.getSecond())};
            require(c.first.voter == c.second.voter && c.first.phase == c.second.phase &&
                        c.first.database == c.second.database && c.first.view == c.second.view &&
                        c.first.seq == c.second.seq && c.first.batch_hash != c.second.batch_hash,
                    protocol_errc::inconsistent, "evidence: votes do not conflict");
            require(c.first.batch_hash < c.second.batch_hash, protocol_errc::not_canonical,
                    "evidence: votes not ordered by batch hash");
            out.proof = c;
            return out;
        }
        case wire::Evidence::CONFLICTING_PROPOSALS: {
            auto g = in.getConflictingProposals();
            tx::conflicting_proposals c{read_proposal(g.getFirst()), read_proposal(g.getSecond())};
            require(c.first.leader == c.second.leader && c.first.database == c.second.database &&
                        c.first.view == c.second.view && c.first.seq == c.second.seq &&
                        c.first.batch_hash != c.second.batch_hash,
                    protocol_errc::inconsistent, "evidence: proposals do not conflict");
            require(c.first.batch_hash < c.second.batch_hash, protocol_errc::not_canonical,
                    "evidence: proposals not ordered by batch hash");
            out.proof = c;
            return out;
        }
        case wire::Evidence::CONFLICTING_EXECUTIONS: {
            auto g = in.getConflictingExecutions();
            tx::conflicting_executions c{read_execution(g.getFirst()),
                                         read_execution(g.getSecond())};
            require(c.first.signer == c.second.signer && c.first.database == c.second.database &&
                        c.first.seq == c.second.seq && c.first.batch_hash == c.second.batch_hash &&
                        (c.first.results_root != c.second.results_root ||
                         c.first.state_digest != c.second.state_digest),
                    protocol_errc::inconsistent, "evidence: executions do not conflict");
            require(std::tie(c.first.results_root, c.first.state_digest) <
                        std::tie(c.second.results_root, c.second.state_digest),
                    protocol_errc::not_canonical, "evidence: executions not ordered");
            out.proof = c;
            return out;
        }
    }
    reject(protocol_errc::unknown_enum, "evidence: unknown kind");
}

transaction read_transaction(wire::Transaction::Reader in) {
    transaction t;
    t.sender = read_fixed<public_key>(in.getSender(), "transaction.sender");
    t.nonce = account_nonce(in.getNonce());
    require(t.nonce.value >= 1, protocol_errc::invalid_value, "transaction.nonce must be >= 1");
    t.fee = in.getFee();
    using W = wire::Transaction;
    switch (in.which()) {
        case W::TRANSFER: {
            auto g = in.getTransfer();
            t.body = tx::transfer{read_fixed<account_address>(g.getTo(), "transfer.to"),
                                  positive(g.getAmount(), "transfer.amount")};
            break;
        }
        case W::STAKE: t.body = tx::stake{positive(in.getStake().getAmount(), "stake.amount")}; break;
        case W::UNSTAKE:
            t.body = tx::unstake{positive(in.getUnstake().getAmount(), "unstake.amount")};
            break;
        case W::VOTE_PRODUCERS: {
            auto list = in.getVoteProducers().getCandidates();
            check_count(list, 1, limits::producer_candidates_max, "voteProducers.candidates");
            tx::vote_producers body;
            for (auto c : list) {
                body.candidates.push_back(read_fixed<account_address>(c, "voteProducers.candidate"));
                if (body.candidates.size() > 1)
                    require(body.candidates[body.candidates.size() - 2] < body.candidates.back(),
                            protocol_errc::not_canonical,
                            "voteProducers: candidates not strictly ascending");
            }
            t.body = std::move(body);
            break;
        }
        case W::REGISTER_MINER: {
            auto g = in.getRegisterMiner();
            tx::register_miner body;
            body.pow_nonce = g.getPowNonce();
            body.deposit = positive(g.getDeposit(), "registerMiner.deposit");
            body.capacity = g.getCapacity();
            require(body.capacity >= 1, protocol_errc::invalid_value,
                    "registerMiner.capacity must be positive");
            body.price_per_statement = g.getPricePerStatement();
            body.endpoint = read_text(g.getEndpoint(), limits::endpoint_bytes_max, "registerMiner.endpoint");
            require(!body.endpoint.empty(), protocol_errc::invalid_value, "registerMiner.endpoint empty");
            t.body = std::move(body);
            break;
        }
        case W::MINER_EXIT: t.body = tx::miner_exit{}; break;
        case W::CREATE_DATABASE: {
            auto g = in.getCreateDatabase();
            tx::create_database body;
            body.miner_count = g.getMinerCount();
            require(body.miner_count >= 1 && body.miner_count <= limits::database_miners_max,
                    protocol_errc::invalid_value, "createDatabase.minerCount out of range");
            body.mode = static_cast<consistency_mode>(check_enum(g.getMode(), 2, "createDatabase.mode"));
            body.advance_payment = g.getAdvancePayment();
            t.body = body;
            break;
        }
        case W::DROP_DATABASE:
            t.body = tx::drop_database{
                read_fixed<database_id>(in.getDropDatabase().getDatabase(), "dropDatabase.database")};
            break;
        case W::GRANT_ROLE: {
            auto g = in.getGrantRole();
            t.body = tx::grant_role{read_fixed<database_id>(g.getDatabase(), "grantRole.database"),
                                    read_fixed<account_address>(g.getUser(), "grantRole.user"),
                                    static_cast<role>(check_enum(g.getRole(), 3, "grantRole.role"))};
            break;
        }
        case W::REVOKE_ROLE: {
            auto g = in.getRevokeRole();
            t.body = tx::revoke_role{read_fixed<database_id>(g.getDatabase(), "revokeRole.database"),
                                     read_fixed<account_address>(g.getUser(), "revokeRole.user")};
            break;
        }
        case W::SUSPECT_LEADER: t.body = tx::suspect_leader{read_suspect(in.getSuspectLeader())}; break;
        case W::SHARD_CHECKPOINT: {
            auto g = in.getShardCheckpoint();
            tx::shard_checkpoint body;
            body.database = read_fixed<database_id>(g.getDatabase(), "shardCheckpoint.database");
            body.height = block_height(g.getHeight());
            require(body.height.value >= 1, protocol_errc::invalid_value,
                    "shardCheckpoint.height must be >= 1");
            body.head_hash = read_fixed<digest>(g.getHeadHash(), "shardCheckpoint.headHash");
            body.state_digest = read_fixed<digest>(g.getStateDigest(), "shardCheckpoint.stateDigest");
            auto lines = g.getBilling();
            check_count(lines, 0, limits::billing_lines_max, "shardCheckpoint.billing");
            std::uint64_t total_cost = 0;
            for (auto line : lines) {
                body.billing.push_back({read_fixed<account_address>(line.getUser(), "billing.user"),
                                        line.getStatements(), line.getCost()});
                if (body.billing.size() > 1)
                    require(body.billing[body.billing.size() - 2].user < body.billing.back().user,
                            protocol_errc::not_canonical,
                            "shardCheckpoint.billing: users not strictly ascending");
                require(body.billing.back().cost <= UINT64_MAX - total_cost,
                        protocol_errc::invalid_value, "shardCheckpoint.billing: total cost overflows");
                total_cost += body.billing.back().cost;
            }
            const bytes signed_bytes = body.checkpoint_signing_bytes();
            body.signatures = read_signer_list(g.getSignatures(), 1, "shardCheckpoint.signatures",
                                               crypto::sign_domain::shard_checkpoint, signed_bytes);
            t.body = std::move(body);
            break;
        }
        case W::EVIDENCE: t.body = read_evidence(in.getEvidence()); break;
        default: reject(protocol_errc::unknown_enum, "transaction: unknown kind");
    }
    t.sender_signature = read_fixed<signature>(in.getSignature(), "transaction.signature");
    charge_signature_check("transaction: sender signature");
    if (!t.signature_valid()) reject(protocol_errc::bad_signature, "transaction: sender signature");
    return t;
}

// ---- main chain blocks ------------------------------------------------------------

void write_main_header(wire::BlockHeader::Builder h, const main_block_header& header) {
    h.setHeight(header.height.value);
    h.setParent(as_data(header.parent));
    h.setEpoch(header.epoch.value);
    h.setRound(header.round.value);
    h.setProposer(as_data(header.proposer));
    h.setTimestampMs(header.timestamp_ms);
    h.setTransactionsRoot(as_data(header.transactions_root));
    h.setTransactionCount(header.transaction_count);
    h.setStateRoot(as_data(header.state_root));
}

main_block_header read_main_header(wire::BlockHeader::Reader h) {
    main_block_header header;
    header.height = block_height(h.getHeight());
    header.parent = read_fixed<digest>(h.getParent(), "block.parent");
    header.epoch = epoch_number(h.getEpoch());
    header.round = view_number(h.getRound());
    header.proposer = read_fixed<public_key>(h.getProposer(), "block.proposer");
    header.timestamp_ms = h.getTimestampMs();
    require(header.timestamp_ms >= 0, protocol_errc::invalid_value, "block.timestampMs negative");
    header.transactions_root = read_fixed<digest>(h.getTransactionsRoot(), "block.transactionsRoot");
    header.transaction_count = h.getTransactionCount();
    header.state_root = read_fixed<digest>(h.getStateRoot(), "block.stateRoot");
    return header;
}

}  // namespace

// Not file-local: the catch-up messages carry blocks too (codec_main_chain.hpp).
void write_main_block(wire::Block::Builder out, const main_block& b) {
    write_main_header(out.initHeader(), b.header);
    out.setProposerSignature(as_data(b.proposer_signature));
    auto list = out.initTransactions(static_cast<unsigned>(b.transactions.size()));
    for (unsigned i = 0; i < b.transactions.size(); ++i) write_transaction(list[i], b.transactions[i]);
    write_signer_list(out.initFinality(static_cast<unsigned>(b.finality.size())), b.finality);
    out.setFinalityRound(b.finality_round.value);
}

main_block read_main_block(wire::Block::Reader in) {
    main_block b;
    b.header = read_main_header(in.getHeader());
    const digest block_hash = b.header.hash();
    b.proposer_signature = read_fixed<signature>(in.getProposerSignature(), "block.proposerSignature");
    if (!verify_counted(b.header.proposer, crypto::sign_domain::main_block_proposal,
                        block_hash.view(), b.proposer_signature, "block.proposerSignature"))
        reject(protocol_errc::bad_signature, "block: proposer signature");
    auto list = in.getTransactions();
    check_count(list, 0, limits::transactions_per_block_max, "block.transactions");
    require(list.size() == b.header.transaction_count, protocol_errc::inconsistent,
            "block: transaction count differs from header");
    std::vector<digest> hashes;
    hashes.reserve(list.size());
    for (auto t : list) {
        b.transactions.push_back(read_transaction(t));
        hashes.push_back(b.transactions.back().hash());
    }
    require(merkle_root(hashes) == b.header.transactions_root, protocol_errc::inconsistent,
            "block: transactions root differs from header");
    std::sort(hashes.begin(), hashes.end());
    require(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end(),
            protocol_errc::inconsistent, "block: a transaction appears twice");
    // A block travels before it is final too (in a proposal), so finality signatures may
    // be absent; then the finality round is 0, so that one block has one encoding.
    b.finality_round = view_number(in.getFinalityRound());
    // Read once: every get of a list is charged against the traversal limit, which is the
    // message's own size (a reply of many blocks has no slack for a second reading).
    const auto finality = in.getFinality();
    if (finality.size() == 0)
        require(b.finality_round.value == 0, protocol_errc::not_canonical,
                "block: finalityRound without finality signatures");
    else
        require(b.finality_round >= b.header.round, protocol_errc::inconsistent,
                "block: finalityRound before the block's own round");
    b.finality = read_signer_list(finality, 0, "block.finality",
                                  crypto::sign_domain::main_precommit, b.finality_signing_bytes());
    return b;
}

namespace {

// ---- block producers' messages ----------------------------------------------------

void write_block_vote(wire::BlockVote::Builder out, const main_chain::block_vote& v) {
    out.setHeight(v.height.value);
    out.setRound(v.round.value);
    out.setKind(static_cast<wire::BlockVote::Kind>(v.what));
    if (v.block_hash) out.getTarget().setBlock(as_data(*v.block_hash));
    else out.getTarget().setNil();
    out.setSigner(as_data(v.signer));
    out.setSignature(as_data(v.sig));
}

// The vote's fields; the signature is left to the caller (evidence charges and checks two).
main_chain::block_vote read_block_vote_fields(wire::BlockVote::Reader in) {
    using V = main_chain::block_vote;
    V v;
    v.height = block_height(in.getHeight());
    require(v.height.value >= 1, protocol_errc::invalid_value, "blockVote.height must be >= 1");
    v.round = view_number(in.getRound());
    v.what = static_cast<V::kind>(check_enum(in.getKind(), 2, "blockVote.kind"));
    auto target = in.getTarget();
    switch (target.which()) {
        case wire::BlockVote::Target::NIL: break;
        case wire::BlockVote::Target::BLOCK:
            v.block_hash = read_fixed<digest>(target.getBlock(), "blockVote.target.block");
            break;
        default: reject(protocol_errc::unknown_enum, "blockVote.target: unknown kind");
    }
    v.signer = read_fixed<public_key>(in.getSigner(), "blockVote.signer");
    v.sig = read_fixed<signature>(in.getSignature(), "blockVote.signature");
    return v;
}

main_chain::block_vote read_block_vote(wire::BlockVote::Reader in) {
    auto v = read_block_vote_fields(in);
    charge_signature_check("blockVote: signer");
    if (!v.signature_valid()) reject(protocol_errc::bad_signature, "blockVote: signer");
    return v;
}

void write_block_proposal(wire::BlockProposal::Builder out, const main_chain::block_proposal& p) {
    out.setRound(p.round.value);
    if (p.valid_round) out.getValidRound().setRound(p.valid_round->value);
    else out.getValidRound().setNone();
    write_main_block(out.initBlock(), p.block);
    out.setProposer(as_data(p.proposer));
    out.setSignature(as_data(p.sig));
}

main_chain::block_proposal read_block_proposal(wire::BlockProposal::Reader in) {
    main_chain::block_proposal p;
    p.round = view_number(in.getRound());
    auto valid_round = in.getValidRound();
    switch (valid_round.which()) {
        case wire::BlockProposal::ValidRound::NONE: break;
        case wire::BlockProposal::ValidRound::ROUND:
            p.valid_round = view_number(valid_round.getRound());
            break;
        default: reject(protocol_errc::unknown_enum, "blockProposal.validRound: unknown kind");
    }
    p.block = read_main_block(in.getBlock());
    require(p.block.header.height.value >= 1, protocol_errc::invalid_value,
            "blockProposal: block height must be >= 1");
    p.proposer = read_fixed<public_key>(in.getProposer(), "blockProposal.proposer");
    p.sig = read_fixed<signature>(in.getSignature(), "blockProposal.signature");
    if (auto fault = p.shape_fault())
        reject(protocol_errc::inconsistent, "blockProposal: " + *fault);
    charge_signature_check("blockProposal: proposer");
    if (!p.signature_valid()) reject(protocol_errc::bad_signature, "blockProposal: proposer");
    return p;
}

void write_producer_evidence(wire::ProducerEvidence::Builder out,
                             const main_chain::producer_evidence& e) {
    using E = main_chain::producer_evidence;
    if (const auto* p = std::get_if<E::proposals>(&e.proof)) {
        auto g = out.initProposals();
        write_main_header(g.initFirst(), p->first);
        g.setFirstSignature(as_data(p->first_signature));
        write_main_header(g.initSecond(), p->second);
        g.setSecondSignature(as_data(p->second_signature));
    } else {
        const auto& v = std::get<E::votes>(e.proof);
        auto g = out.initVotes();
        write_block_vote(g.initFirst(), v.first);
        write_block_vote(g.initSecond(), v.second);
    }
}

main_chain::producer_evidence read_producer_evidence(wire::ProducerEvidence::Reader in) {
    using E = main_chain::producer_evidence;
    E e;
    switch (in.which()) {
        case wire::ProducerEvidence::PROPOSALS: {
            auto g = in.getProposals();
            E::proposals p;
            p.first = read_main_header(g.getFirst());
            p.first_signature =
                read_fixed<signature>(g.getFirstSignature(), "producerEvidence.firstSignature");
            p.second = read_main_header(g.getSecond());
            p.second_signature =
                read_fixed<signature>(g.getSecondSignature(), "producerEvidence.secondSignature");
            e.proof = std::move(p);
            break;
        }
        case wire::ProducerEvidence::VOTES: {
            auto g = in.getVotes();
            e.proof = E::votes{read_block_vote_fields(g.getFirst()),
                               read_block_vote_fields(g.getSecond())};
            break;
        }
        default: reject(protocol_errc::unknown_enum, "producerEvidence: unknown kind");
    }
    if (auto fault = e.shape_fault())
        reject(protocol_errc::inconsistent, "producerEvidence: " + *fault);
    require(e.canonical(), protocol_errc::not_canonical,
            "producerEvidence: the pair is not in canonical order");
    charge_signature_check("producerEvidence: first signature");
    charge_signature_check("producerEvidence: second signature");
    if (!e.valid()) reject(protocol_errc::bad_signature, "producerEvidence: signatures");
    return e;
}

}  // namespace
}  // namespace codec

using namespace codec;

bytes encode(const shard_block& m) {
    return encode_root<wire::ShardBlock>([&](auto root) { write_shard_block(root, m); });
}
result<shard_block> decode_shard_block(byte_view wire) {
    return decode_root<wire::ShardBlock>(wire, read_shard_block);
}
bytes encode(const shard_block_vote& m) {
    return encode_root<wire::ShardBlockVote>([&](wire::ShardBlockVote::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setHeight(m.height.value);
        root.setBlockHash(as_data(m.block_hash));
        root.setSigner(as_data(m.signer));
        root.setSignature(as_data(m.signer_signature));
        if (m.checkpoint_signature) root.setCheckpointSignature(as_data(*m.checkpoint_signature));
    });
}
result<shard_block_vote> decode_shard_block_vote(byte_view wire) {
    return decode_root<wire::ShardBlockVote>(wire, read_shard_block_vote);
}
bytes encode(const shard_block_fetch& m) {
    return encode_root<wire::ShardBlockFetch>([&](wire::ShardBlockFetch::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setFromHeight(m.from_height.value);
        root.setCount(m.count);
    });
}
result<shard_block_fetch> decode_shard_block_fetch(byte_view wire) {
    return decode_root<wire::ShardBlockFetch>(wire, read_shard_block_fetch);
}
bytes encode(const shard_block_fetch_reply& m) {
    return encode_root<wire::ShardBlockFetchReply>([&](wire::ShardBlockFetchReply::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setHeadHeight(m.head_height.value);
        auto list = root.initBlocks(static_cast<unsigned>(m.blocks.size()));
        for (unsigned i = 0; i < m.blocks.size(); ++i) write_shard_block(list[i], m.blocks[i]);
    });
}
result<shard_block_fetch_reply> decode_shard_block_fetch_reply(byte_view wire) {
    return decode_root<wire::ShardBlockFetchReply>(wire, read_shard_block_fetch_reply);
}
bytes encode(const tx::evidence& m) {
    return encode_root<wire::Evidence>([&](auto root) { write_evidence(root, m); });
}
result<tx::evidence> decode_evidence(byte_view wire) {
    return decode_root<wire::Evidence>(wire, read_evidence);
}
bytes encode(const transaction& m) {
    return encode_root<wire::Transaction>([&](auto root) { write_transaction(root, m); });
}
result<transaction> decode_transaction(byte_view wire) {
    return decode_root<wire::Transaction>(wire, read_transaction);
}
bytes encode(const main_block& m) {
    return encode_root<wire::Block>([&](auto root) { write_main_block(root, m); });
}
result<main_block> decode_main_block(byte_view wire) {
    return decode_root<wire::Block>(wire, read_main_block);
}

bytes encode(const main_chain::block_proposal& m) {
    return encode_root<wire::BlockProposal>([&](auto root) { write_block_proposal(root, m); });
}
result<main_chain::block_proposal> decode_block_proposal(byte_view wire) {
    return decode_root<wire::BlockProposal>(wire, read_block_proposal);
}
bytes encode(const main_chain::block_vote& m) {
    return encode_root<wire::BlockVote>([&](auto root) { write_block_vote(root, m); });
}
result<main_chain::block_vote> decode_block_vote(byte_view wire) {
    return decode_root<wire::BlockVote>(wire, read_block_vote);
}
bytes encode(const main_chain::producer_evidence& m) {
    return encode_root<wire::ProducerEvidence>([&](auto root) { write_producer_evidence(root, m); });
}
result<main_chain::producer_evidence> decode_producer_evidence(byte_view wire) {
    return decode_root<wire::ProducerEvidence>(wire, read_producer_evidence);
}

}  // namespace covenant::protocols
