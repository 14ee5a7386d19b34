// libFuzzer target: the change feed's payloads (feed_messages.hh) as a server or a client agent
// receives them: feed and heartbeat requests, heartbeat replies, pushed FeedMessages, and a
// submit's ApplyReply, and the liveness report a server sends the leader. The first byte picks
// nothing: every decoder sees every input.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cluster/internal/feed_messages.hh"
#include "cluster/internal/member_report.hh"
#include "cluster/internal/rpc_messages.hh"

namespace {

using namespace muster::cluster::internal;

// What decodes must re-encode to bytes that decode to the same encoding.
template <class Decode, class Encode>
void round_trip(std::span<const uint8_t> payload, Decode decode, Encode encode) {
    auto first = decode(payload);
    if (!first.ok()) {
        if (first.error().message.empty())
            __builtin_trap();  // every error says what was wrong
        return;
    }
    std::vector<uint8_t> bytes = encode(*first);
    auto second = decode(bytes);
    if (!second.ok() || encode(*second) != bytes)
        __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> in(data, size);
    round_trip(in, decode_feed_request, encode_feed_request);
    round_trip(in, decode_heartbeat, encode_heartbeat);
    round_trip(in, decode_heartbeat_reply, encode_heartbeat_reply);
    round_trip(in, decode_feed_message, encode_feed_message);
    round_trip(in, decode_apply_reply, encode_apply_reply);
    round_trip(in, decode_report, encode_report);
    if (auto m = decode_feed_message(in);
        m.ok() && m->kind == FeedKind::snapshot &&
        (m->offset > m->total || m->bytes.size() > m->total - m->offset))
        __builtin_trap();  // a chunk must lie inside its snapshot
    return 0;
}
