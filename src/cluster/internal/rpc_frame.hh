// rpc_frame: the cluster RPC's framing on an RPC stream of the server port (after the mux
// preamble "MSTR" 0x02). Several requests share one connection; replies may come in any order.
//   frame   = length:u32le | id:u64le | type:u8 | payload
//   length  = 9 + payload bytes (what follows the length field), at most 9 + max_payload
//   type    = a request type (MessageType), or a request's type | reply_bit for its reply
// A frame that breaks these rules ends the connection; nothing else in the bytes is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hh"

namespace muster::cluster::internal {

enum class MessageType : uint8_t {
    hello = 1,    // JSON Hello both ways
    apply = 2,    // the command's bytes; reply JSON ApplyReply
    barrier = 3,  // empty; reply JSON BarrierReply
    join = 4,     // JSON JoinRequest; reply JSON Ack
    remove = 5,   // JSON RemoveRequest; reply JSON Ack
    // A client agent's change feed (feed_messages.hh). The server answers a feed request with
    // any number of feed|reply_bit frames of that request's id, each a binary FeedMessage.
    feed = 6,
    heartbeat = 7,  // JSON HeartbeatRequest; reply JSON HeartbeatReply
    submit = 8,     // a client's command's bytes, accepted by any server; reply JSON ApplyReply
    report = 9,     // JSON MemberReport from a server to the leader; reply JSON Ack
    // A client's barrier (?consistent), accepted by any server: empty; reply JSON BarrierReply
    // with the server's applied index once everything the leader committed is applied there.
    read_barrier = 10,
};
inline constexpr uint8_t reply_bit = 0x80;
inline constexpr size_t frame_length_bytes = 4;
inline constexpr size_t frame_header_bytes = frame_length_bytes + 8 + 1;

bool is_request_type(uint8_t type);
const char* message_type_name(uint8_t type);

struct Frame {
    uint64_t id = 0;
    uint8_t type = 0;
    std::vector<uint8_t> payload;
    bool operator==(const Frame&) const = default;
};

// Appends one frame to `out`. The payload must be at most the receiver's max_payload.
void append_frame(std::vector<uint8_t>& out, uint64_t id, uint8_t type,
                  std::span<const uint8_t> payload);
std::vector<uint8_t> encode_frame(uint64_t id, uint8_t type, std::span<const uint8_t> payload);

// Splits a byte stream into frames. Once it reports an error it stays failed.
class FrameDecoder {
  public:
    explicit FrameDecoder(size_t max_payload) : max_payload_(max_payload) {}

    // Takes the next bytes; whole frames go to `out`. Error: not a valid frame stream.
    Result<void> feed(std::span<const uint8_t> bytes, std::vector<Frame>& out);
    bool failed() const { return !error_.empty(); }
    size_t buffered() const { return buf_.size() - pos_; }

  private:
    size_t max_payload_;
    std::vector<uint8_t> buf_;
    size_t pos_ = 0;  // first byte not consumed yet
    std::string error_;
};

}  // namespace muster::cluster::internal
