// libFuzzer target: what a peer sends on a cluster RPC stream of the server port (frames, and
// the JSON payloads in them). The first byte also picks how the stream is cut into reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cluster/internal/rpc_frame.hh"
#include "cluster/internal/rpc_messages.hh"

namespace {

using namespace muster::cluster::internal;
constexpr size_t max_payload = 64 * 1024;

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
    const size_t step = size > 0 ? in[0] % 16 + 1 : 1;
    FrameDecoder split(max_payload);
    std::vector<Frame> frames;
    for (size_t pos = 0; pos < in.size() && !split.failed(); pos += step)
        (void)split.feed(in.subspan(pos, std::min(step, in.size() - pos)), frames);
    FrameDecoder whole(max_payload);
    std::vector<Frame> again;
    (void)whole.feed(in, again);
    if (frames != again || split.failed() != whole.failed())
        __builtin_trap();  // how the bytes arrive must not matter
    for (const Frame& f : frames) {
        if (f.payload.size() > max_payload)
            __builtin_trap();
        round_trip(f.payload, decode_hello, encode_hello);
        round_trip(f.payload, decode_apply_reply, encode_apply_reply);
        round_trip(f.payload, decode_barrier_reply, encode_barrier_reply);
        round_trip(f.payload, decode_join, encode_join);
        round_trip(f.payload, decode_remove, encode_remove);
        round_trip(f.payload, decode_ack, encode_ack);
    }
    return 0;
}
