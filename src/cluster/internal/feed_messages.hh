// feed_messages: the payloads of the change feed a client agent subscribes to on the cluster RPC
// (rpc_frame.hh). The requests (feed, heartbeat) and the heartbeat reply are small JSON objects;
// what the server pushes on a feed is a binary FeedMessage, since entries and snapshot chunks
// carry raw bytes. Every decoder takes untrusted bytes and returns an Error, never throws, never
// reads past the span.
//   FeedMessage = kind:u8 | body
//     entry    (1): index:u64le | the entry's bytes as libraft applied them (entry_codec)
//     snapshot (2): index:u64le | total:u64le | offset:u64le | this chunk's bytes
//     servers  (3): leader:str | count:u16le | count times str    (str = length:u16le | bytes)
//     refused  (4): the reason, text
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hh"

namespace muster::cluster::internal {

// The client's frame limit: a feed frame (an entry, a snapshot chunk) is at most this big.
inline constexpr size_t feed_max_payload = (size_t{16} << 20) + 64 * 1024;
// The bytes of snapshot a chunk carries (far below feed_max_payload).
inline constexpr size_t feed_chunk_bytes = size_t{1} << 20;
// The largest snapshot a client accepts to reassemble.
inline constexpr uint64_t feed_max_snapshot = uint64_t{16} << 30;

// A client subscribes: from_index is its StateMachine::applied_index().
struct FeedRequest {
    std::string node;
    std::string address;
    uint64_t from_index = 0;
    bool operator==(const FeedRequest&) const = default;
};
std::vector<uint8_t> encode_feed_request(const FeedRequest& r);
Result<FeedRequest> decode_feed_request(std::span<const uint8_t> bytes);

struct HeartbeatRequest {
    std::string node;
    uint64_t applied = 0;
    bool operator==(const HeartbeatRequest&) const = default;
};
std::vector<uint8_t> encode_heartbeat(const HeartbeatRequest& r);
Result<HeartbeatRequest> decode_heartbeat(std::span<const uint8_t> bytes);

struct HeartbeatReply {
    std::string leader_address;        // "" when the server knows none
    std::vector<std::string> servers;  // the voters' addresses
    uint64_t last_applied = 0;         // the server's
    bool operator==(const HeartbeatReply&) const = default;
};
std::vector<uint8_t> encode_heartbeat_reply(const HeartbeatReply& r);
Result<HeartbeatReply> decode_heartbeat_reply(std::span<const uint8_t> bytes);

enum class FeedKind : uint8_t { entry = 1, snapshot = 2, servers = 3, refused = 4 };

// One pushed message; the fields its kind does not use stay empty.
struct FeedMessage {
    FeedKind kind = FeedKind::entry;
    uint64_t index = 0;                // entry, snapshot: the Raft index
    uint64_t total = 0;                // snapshot: the whole snapshot's size
    uint64_t offset = 0;               // snapshot: where this chunk goes
    std::vector<uint8_t> bytes;        // entry: the entry; snapshot: the chunk
    std::string leader_address;        // servers
    std::vector<std::string> servers;  // servers: the voters' addresses
    std::string error;                 // refused
    bool operator==(const FeedMessage&) const = default;
};
std::vector<uint8_t> encode_feed_entry(uint64_t index, std::span<const uint8_t> entry);
std::vector<uint8_t> encode_feed_snapshot(uint64_t index, uint64_t total, uint64_t offset,
                                          std::span<const uint8_t> chunk);
std::vector<uint8_t> encode_feed_servers(const std::string& leader_address,
                                         const std::vector<std::string>& servers);
std::vector<uint8_t> encode_feed_refused(const std::string& error);
std::vector<uint8_t> encode_feed_message(const FeedMessage& m);
Result<FeedMessage> decode_feed_message(std::span<const uint8_t> bytes);

}  // namespace muster::cluster::internal
