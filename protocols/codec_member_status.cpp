// Codec of the member-status query and its signed answer (protocols/member_status_messages.hpp).
#include "protocols/codec.hpp"
#include "protocols/codec_support.hpp"
#include "schema/member_status.capnp.h"

namespace covenant::protocols {
namespace codec {
namespace {

member_status_query read_member_status_query(wire::MemberStatusQuery::Reader in) {
    member_status_query m;
    m.database = read_fixed<database_id>(in.getDatabase(), "memberStatusQuery.database");
    m.challenge = read_fixed<digest>(in.getChallenge(), "memberStatusQuery.challenge");
    return m;
}

member_status read_member_status(wire::MemberStatus::Reader in) {
    member_status m;
    m.database = read_fixed<database_id>(in.getDatabase(), "memberStatus.database");
    m.challenge = read_fixed<digest>(in.getChallenge(), "memberStatus.challenge");
    m.member = read_fixed<public_key>(in.getMember(), "memberStatus.member");
    m.progress.view = view_number(in.getView());
    m.progress.last_committed = sequence_number(in.getLastCommitted());
    m.progress.last_executed = sequence_number(in.getLastExecuted());
    m.progress.state_digest = read_fixed<digest>(in.getStateDigest(), "memberStatus.stateDigest");
    m.progress.shard_height = block_height(in.getShardHeight());
    m.progress.shard_head = read_fixed<digest>(in.getShardHead(), "memberStatus.shardHead");
    require((m.progress.shard_height.value == 0) == m.progress.shard_head.is_zero(),
            protocol_errc::inconsistent,
            "memberStatus: a shard head hash exactly when the shard height is above 0");
    m.timestamp_ms = in.getTimestampMs();
    require(m.timestamp_ms >= 0, protocol_errc::invalid_value, "memberStatus.timestampMs negative");
    m.member_signature = read_fixed<signature>(in.getSignature(), "memberStatus.signature");
    charge_signature_check("memberStatus: member signature");
    if (!m.signature_valid())
        reject(protocol_errc::bad_signature, "memberStatus: member signature");
    return m;
}

}  // namespace
}  // namespace codec

using namespace codec;

bytes encode(const member_status_query& m) {
    return encode_root<wire::MemberStatusQuery>([&](wire::MemberStatusQuery::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setChallenge(as_data(m.challenge));
    });
}
result<member_status_query> decode_member_status_query(byte_view wire) {
    return decode_root<wire::MemberStatusQuery>(wire, read_member_status_query);
}

bytes encode(const member_status& m) {
    return encode_root<wire::MemberStatus>([&](wire::MemberStatus::Builder root) {
        root.setDatabase(as_data(m.database));
        root.setChallenge(as_data(m.challenge));
        root.setMember(as_data(m.member));
        root.setView(m.progress.view.value);
        root.setLastCommitted(m.progress.last_committed.value);
        root.setLastExecuted(m.progress.last_executed.value);
        root.setStateDigest(as_data(m.progress.state_digest));
        root.setShardHeight(m.progress.shard_height.value);
        root.setShardHead(as_data(m.progress.shard_head));
        root.setTimestampMs(m.timestamp_ms);
        root.setSignature(as_data(m.member_signature));
    });
}
result<member_status> decode_member_status(byte_view wire) {
    return decode_root<wire::MemberStatus>(wire, read_member_status);
}

}  // namespace covenant::protocols
