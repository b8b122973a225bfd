// Codec of Kayak's messages.
#include <algorithm>

#include "protocols/codec.hpp"
#include "protocols/merkle.hpp"
#include "protocols/wire_codec.hpp"

namespace covenant::protocols {
namespace codec {

void write_batch(wire::Batch::Builder out, const batch& b) {
    auto h = out.initHeader();
    h.setDatabase(as_data(b.header.database));
    h.setSeq(b.header.seq.value);
    h.setParent(as_data(b.header.parent));
    h.setTimestampMs(b.header.timestamp_ms);
    h.setRequestsRoot(as_data(b.header.requests_root));
    h.setRequestCount(b.header.request_count);
    h.setSealsBlock(b.header.seals_block);
    auto requests = out.initRequests(static_cast<unsigned>(b.requests.size()));
    for (unsigned i = 0; i < b.requests.size(); ++i) write_request(requests[i], b.requests[i]);
}

batch read_batch(wire::Batch::Reader in) {
    batch b;
    auto h = in.getHeader();
    b.header.database = read_fixed<database_id>(h.getDatabase(), "batch.database");
    b.header.seq = sequence_number(h.getSeq());
    require(b.header.seq.value >= 1, protocol_errc::invalid_value, "batch.seq must be >= 1");
    b.header.parent = read_fixed<digest>(h.getParent(), "batch.parent");
    b.header.timestamp_ms = h.getTimestampMs();
    require(b.header.timestamp_ms >= 0, protocol_errc::invalid_value, "batch.timestampMs negative");
    b.header.requests_root = read_fixed<digest>(h.getRequestsRoot(), "batch.requestsRoot");
    b.header.request_count = h.getRequestCount();
    b.header.seals_block = h.getSealsBlock();
    if (b.header.seq.value == 1)
        require(b.header.parent.is_zero(), protocol_errc::inconsistent,
                "batch: the first batch has no parent");
    auto requests = in.getRequests();
    check_count(requests, 1, limits::requests_per_batch_max, "batch.requests");
    require(requests.size() == b.header.request_count, protocol_errc::inconsistent,
            "batch: request count differs from header");
    b.requests.reserve(requests.size());
    std::vector<digest> hashes;
    hashes.reserve(requests.size());
    for (auto r : requests) {
        digest hash;
        b.requests.push_back(read_request(r, hash));
        require(b.requests.back().database == b.header.database, protocol_errc::inconsistent,
                "batch: request for another database");
        hashes.push_back(hash);
    }
    require(merkle_root(hashes) == b.header.requests_root, protocol_errc::inconsistent,
            "batch: requests root differs from header");
    b.request_hashes = hashes;
    // The same request twice would execute twice.
    std::sort(hashes.begin(), hashes.end());
    require(std::adjacent_find(hashes.begin(), hashes.end()) == hashes.end(),
            protocol_errc::inconsistent, "batch: a request appears twice");
    return b;
}

void write_vote(wire::Vote::Builder out, const vote& v) {
    out.setPhase(static_cast<wire::VotePhase>(v.phase));
    out.setDatabase(as_data(v.database));
    out.setView(v.view.value);
    out.setSeq(v.seq.value);
    out.setBatchHash(as_data(v.batch_hash));
    out.setVoter(as_data(v.voter));
    out.setSignature(as_data(v.voter_signature));
}

vote read_vote(wire::Vote::Reader in) {
    vote v;
    v.phase = static_cast<vote_phase>(check_enum(in.getPhase(), 2, "vote.phase"));
    v.database = read_fixed<database_id>(in.getDatabase(), "vote.database");
    v.view = view_number(in.getView());
    v.seq = sequence_number(in.getSeq());
    require(v.seq.value >= 1, protocol_errc::invalid_value, "vote.seq must be >= 1");
    v.batch_hash = read_fixed<digest>(in.getBatchHash(), "vote.batchHash");
    v.voter = read_fixed<public_key>(in.getVoter(), "vote.voter");
    v.voter_signature = read_fixed<signature>(in.getSignature(), "vote.signature");
    charge_signature_check("vote: voter signature");
    if (!v.signature_valid()) reject(protocol_errc::bad_signature, "vote: voter signature");
    return v;
}

void write_proposal(wire::Proposal::Builder out, const proposal& p) {
    out.setDatabase(as_data(p.database));
    out.setView(p.view.value);
    out.setSeq(p.seq.value);
    out.setBatchHash(as_data(p.batch_hash));
    out.setLeader(as_data(p.leader));
    out.setSignature(as_data(p.leader_signature));
}

proposal read_proposal(wire::Proposal::Reader in) {
    proposal p;
    p.database = read_fixed<database_id>(in.getDatabase(), "proposal.database");
    p.view = view_number(in.getView());
    p.seq = sequence_number(in.getSeq());
    require(p.seq.value >= 1, protocol_errc::invalid_value, "proposal.seq must be >= 1");
    p.batch_hash = read_fixed<digest>(in.getBatchHash(), "proposal.batchHash");
    p.leader = read_fixed<public_key>(in.getLeader(), "proposal.leader");
    p.leader_signature = read_fixed<signature>(in.getSignature(), "proposal.signature");
    charge_signature_check("proposal: leader signature");
    if (!p.signature_valid()) reject(protocol_errc::bad_signature, "proposal: leader signature");
    return p;
}

void write_execution(wire::Execution::Builder out, const execution_message& e) {
    out.setDatabase(as_data(e.database));
    out.setView(e.view.value);
    out.setSeq(e.seq.value);
    out.setBatchHash(as_data(e.batch_hash));
    out.setResultsRoot(as_data(e.results_root));
    out.setStateDigest(as_data(e.state_digest));
    out.setSigner(as_data(e.signer));
    out.setSignature(as_data(e.signer_signature));
}

execution_message read_execution(wire::Execution::Reader in) {
    execution_message e;
    e.database = read_fixed<database_id>(in.getDatabase(), "execution.database");
    e.view = view_number(in.getView());
    e.seq = sequence_number(in.getSeq());
    require(e.seq.value >= 1, protocol_errc::invalid_value, "execution.seq must be >= 1");
    e.batch_hash = read_fixed<digest>(in.getBatchHash(), "execution.batchHash");
    e.results_root = read_fixed<digest>(in.getResultsRoot(), "execution.resultsRoot");
    e.state_digest = read_fixed<digest>(in.getStateDigest(), "execution.stateDigest");
    e.signer = read_fixed<public_key>(in.getSigner(), "execution.signer");
    e.signer_signature = read_fixed<signature>(in.getSignature(), "execution.signature");
    charge_signature_check("execution: signer");
    if (!e.signature_valid()) reject(protocol_errc::bad_signature, "execution: signer");
    return e;
}

void write_suspect(wire::Suspect::Builder out, const suspect_message& s) {
    out.setDatabase(as_data(s.database));
    out.setView(s.view.value);
    out.setLastCommitted(s.last_committed.value);
    out.setMember(as_data(s.member));
    out.setSignature(as_data(s.member_signature));
}

suspect_message read_suspect(wire::Suspect::Reader in) {
    suspect_message s;
    s.database = read_fixed<database_id>(in.getDatabase(), "suspect.database");
    s.view = view_number(in.getView());
    s.last_committed = sequence_number(in.getLastCommitted());
    s.member = read_fixed<public_key>(in.getMember(), "suspect.member");
    s.member_signature = read_fixed<signature>(in.getSignature(), "suspect.signature");
    charge_signature_check("suspect: member signature");
    if (!s.signature_valid()) reject(protocol_errc::bad_signature, "suspect: member signature");
    return s;
}

namespace {

void require_certifies(const certificate& cert, const batch& b, const char* what) {
    require(cert.database == b.header.database && cert.seq == b.header.seq &&
                cert.batch_hash == b.hash(),
            protocol_errc::inconsistent, what);
}

prepare_message read_prepare(wire::Prepare::Reader in) {
    prepare_message m;
    m.proposed = read_proposal(in.getProposal());
    m.batch = read_batch(in.getBatch());
    const auto& h = m.batch.header;
    require(m.proposed.database == h.database && m.proposed.seq == h.seq &&
                m.proposed.batch_hash == m.batch.hash(),
            protocol_errc::inconsistent, "prepare: proposal is not for this batch");
    if (in.getHasLastCommit()) {
        m.last_commit = read_certificate(in.getLastCommit(), vote_phase::commit, "prepare.lastCommit");
        require(m.last_commit->database == h.database && m.last_commit->seq < h.seq,
                protocol_errc::inconsistent, "prepare: piggybacked commit is not for an earlier batch");
    } else {
        require(!in.hasLastCommit(), protocol_errc::not_canonical,
                "prepare: lastCommit present but hasLastCommit is false");
    }
    if (in.getHasJustification()) {
        m.justification = read_certificate(in.getJustification(), vote_phase::prepare,
                                           "prepare.justification");
        require(m.justification->database == h.database && m.justification->seq == h.seq &&
                    m.justification->batch_hash == m.batch.hash() &&
                    m.justification->view < m.proposed.view,
                protocol_errc::inconsistent,
                "prepare: justification is not an earlier certificate of this batch");
    } else {
        require(!in.hasJustification(), protocol_errc::not_canonical,
                "prepare: justification present but hasJustification is false");
    }
    return m;
}

new_view_message read_new_view(wire::NewView::Reader in) {
    new_view_message m;
    m.database = read_fixed<database_id>(in.getDatabase(), "newView.database");
    m.new_view = view_number(in.getNewView());
    require(m.new_view.value >= 1, protocol_errc::invalid_value, "newView: view must be >= 1");
    m.last_committed = sequence_number(in.getLastCommitted());
    m.member = read_fixed<public_key>(in.getMember(), "newView.member");
    auto list = in.getPrepared();
    check_count(list, 0, limits::pipeline_depth_max, "newView.prepared");
    for (auto p : list) {
        prepared_batch prepared;
        prepared.batch = read_batch(p.getBatch());
        prepared.prepare_certificate =
            read_certificate(p.getCertificate(), vote_phase::prepare, "newView.certificate");
        require_certifies(prepared.prepare_certificate, prepared.batch,
                          "newView: certificate is not for the batch");
        require(prepared.batch.header.database == m.database &&
                    prepared.prepare_certificate.view < m.new_view,
                protocol_errc::inconsistent, "newView: prepared batch from a later view");
        require(prepared.batch.header.seq > m.last_committed &&
                    (m.prepared.empty() || prepared.batch.header.seq > m.prepared.back().batch.header.seq),
                protocol_errc::inconsistent,
                "newView: prepared batches not ascending above the last committed");
        m.prepared.push_back(std::move(prepared));
    }
    m.member_signature = read_fixed<signature>(in.getSignature(), "newView.signature");
    charge_signature_check("newView: member signature");
    if (!m.signature_valid()) reject(protocol_errc::bad_signature, "newView: member signature");
    return m;
}

fetch_reply read_fetch_reply(wire::FetchReply::Reader in) {
    fetch_reply m;
    m.database = read_fixed<database_id>(in.getDatabase(), "fetchReply.database");
    auto list = in.getBatches();
    check_count(list, 0, limits::fetch_batches_max, "fetchReply.batches");
    for (auto entry : list) {
        committed_batch c;
        c.batch = read_batch(entry.getBatch());
        c.commit_certificate = read_certificate(entry.getCommitCertificate(), vote_phase::commit,
                                                "fetchReply.commitCertificate");
        require_certifies(c.commit_certificate, c.batch,
                          "fetchReply: certificate is not for the batch");
        require(c.batch.header.database == m.database, protocol_errc::inconsistent,
                "fetchReply: batch of another database");
        if (!m.batches.empty())
            require(m.batches.back().batch.header.seq.value != UINT64_MAX &&
                        c.batch.header.seq == m.batches.back().batch.header.seq.next() &&
                        c.batch.header.parent == m.batches.back().batch.hash(),
                    protocol_errc::inconsistent, "fetchReply: batches are not a chain");
        m.batches.push_back(std::move(c));
    }
    return m;
}

}  // namespace
}  // namespace codec

using namespace codec;

bytes encode(const prepare_message& m) {
    return encode_root<wire::Prepare>([&](wire::Prepare::Builder root) {
        write_proposal(root.initProposal(), m.proposed);
        write_batch(root.initBatch(), m.batch);
        root.setHasLastCommit(m.last_commit.has_value());
        if (m.last_commit) write_certificate(root.initLastCommit(), *m.last_commit);
        root.setHasJustification(m.justification.has_value());
        if (m.justification) write_certificate(root.initJustification(), *m.justification);
    });
}
result<prepare_message> decode_prepare(byte_view wire) {
    return decode_root<wire::Prepare>(wire, read_prepare);
}

bytes encode(const batch& m) {
    return encode_root<wire::Batch>([&](auto root) { write_batch(root, m); });
}
result<batch> decode_batch(byte_view wire) { return decode_root<wire::Batch>(wire, read_batch); }

bytes encode(const vote& m) {
    return encode_root<wire::Vote>([&](auto root) { write_vote(root, m); });
}
result<vote> decode_vote(byte_view wire) { return decode_root<wire::Vote>(wire, read_vote); }

bytes encode(const commit_message& m) {
    return encode_root<wire::Commit>([&](wire::Commit::Builder root) {
        write_certificate(root.initPrepareCertificate(), m.prepare_certificate);
    });
}
result<commit_message> decode_commit(byte_view wire) {
    return decode_root<wire::Commit>(wire, [](wire::Commit::Reader in) {
        return commit_message{
            read_certificate(in.getPrepareCertificate(), vote_phase::prepare, "commit.certificate")};
    });
}

bytes encode(const certificate& m) {
    return encode_root<wire::Certificate>([&](auto root) { write_certificate(root, m); });
}
result<certificate> decode_commit_certificate(byte_view wire) {
    return decode_certificate(wire, vote_phase::commit);
}
result<certificate> decode_certificate(byte_view wire, vote_phase phase) {
    return decode_root<wire::Certificate>(wire, [phase](wire::Certificate::Reader in) {
        return read_certificate(in, phase, "certificate");
    });
}

bytes encode(const execution_message& m) {
    return encode_root<wire::Execution>([&](auto root) { write_execution(root, m); });
}
result<execution_message> decode_execution(byte_view wire) {
    return decode_root<wire::Execution>(wire, read_execution);
}

bytes encode(const suspect_message& m) {
    return encode_root<wire::Suspect>([&](auto root) { write_suspect(root, m); });
}
result<suspect_message> decode_suspect(byte_view wire) {
    return decode_root<wire::Suspect>(wire, read_suspect);
}

bytes encode(const new_view_message& m) {
    return encode_root<wire::NewView>([&](wire::NewView::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setNewView(m.new_view.value);
        root.setLastCommitted(m.last_committed.value);
        root.setMember(as_data(m.member));
        auto list = root.initPrepared(static_cast<unsigned>(m.prepared.size()));
        for (unsigned i = 0; i < m.prepared.size(); ++i) {
            write_certificate(list[i].initCertificate(), m.prepared[i].prepare_certificate);
            write_batch(list[i].initBatch(), m.prepared[i].batch);
        }
        root.setSignature(as_data(m.member_signature));
    });
}
result<new_view_message> decode_new_view(byte_view wire) {
    return decode_root<wire::NewView>(wire, read_new_view);
}

bytes encode(const fetch_batches& m) {
    return encode_root<wire::FetchBatches>([&](wire::FetchBatches::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setFromSeq(m.from_seq.value);
        root.setCount(m.count);
    });
}
result<fetch_batches> decode_fetch_batches(byte_view wire) {
    return decode_root<wire::FetchBatches>(wire, [](wire::FetchBatches::Reader in) {
        fetch_batches m;
        m.database = read_fixed<database_id>(in.getDatabase(), "fetch.database");
        m.from_seq = sequence_number(in.getFromSeq());
        require(m.from_seq.value >= 1, protocol_errc::invalid_value, "fetch.fromSeq must be >= 1");
        m.count = in.getCount();
        require(m.count >= 1 && m.count <= limits::fetch_batches_max, protocol_errc::invalid_value,
                "fetch.count out of range");
        return m;
    });
}

bytes encode(const fetch_reply& m) {
    return encode_root<wire::FetchReply>([&](wire::FetchReply::Builder root) {
        root.setDatabase(as_data(m.database));
        auto list = root.initBatches(static_cast<unsigned>(m.batches.size()));
        for (unsigned i = 0; i < m.batches.size(); ++i) {
            write_batch(list[i].initBatch(), m.batches[i].batch);
            write_certificate(list[i].initCommitCertificate(), m.batches[i].commit_certificate);
        }
    });
}
result<fetch_reply> decode_fetch_reply(byte_view wire) {
    return decode_root<wire::FetchReply>(wire, read_fetch_reply);
}

}  // namespace covenant::protocols
