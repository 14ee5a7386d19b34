// rpc_messages: the payloads of the cluster RPC frames (rpc_frame.hh). Control messages are
// small JSON objects; an apply request is the command's bytes as they are. Every decoder takes
// untrusted bytes: it checks types, bounds and addresses and returns an Error, never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cluster/types.hh"
#include "common/result.hh"

namespace muster::cluster::internal {

inline constexpr size_t max_control_payload = 64 * 1024;
inline constexpr size_t max_view = 1024;
inline constexpr size_t max_error_text = 1024;

// "a.b.c.d:port", the only server address form (libraft's transport takes IPv4 literals).
bool is_server_address(const std::string& address);

// Who a server is and where it stands, sent both ways while servers form or join a cluster.
struct Hello {
    uint64_t id = 0;
    std::string address;
    bool fresh = false;          // no Raft state and not started: it may still bootstrap
    bool in_cluster = false;     // started with a configuration: a cluster to join through it
    std::string leader_address;  // "" when none is known
    unsigned bootstrap_expect = 0;
    std::vector<uint64_t> view;  // while fresh: the fresh servers it knows (itself too), sorted
    // While in a cluster: its configuration's voters. A fresh server among them was one of the
    // servers that bootstrapped together (it heard the last hello a moment too late) and
    // bootstraps with exactly these voters instead of joining.
    std::vector<Peer> voters;
    bool operator==(const Hello&) const = default;
};
std::vector<uint8_t> encode_hello(const Hello& h);
Result<Hello> decode_hello(std::span<const uint8_t> bytes);

// What became of a forwarded command on the leader.
struct ApplyReply {
    Fate fate = Fate::unknown;
    uint64_t value = 0;  // Fate::applied with a value
    std::string error;   // otherwise why (also an applied command the state machine refused)
    bool operator==(const ApplyReply&) const = default;
};
std::vector<uint8_t> encode_apply_reply(const ApplyReply& r);
Result<ApplyReply> decode_apply_reply(std::span<const uint8_t> bytes);

// The leader's last_applied once its barrier applied, or why not.
struct BarrierReply {
    uint64_t index = 0;
    std::string error;        // "" on success
    bool not_leader = false;  // the receiver does not lead: try the leader again later
    bool operator==(const BarrierReply&) const = default;
};
std::vector<uint8_t> encode_barrier_reply(const BarrierReply& r);
Result<BarrierReply> decode_barrier_reply(std::span<const uint8_t> bytes);

struct JoinRequest {
    uint64_t id = 0;
    std::string address;
    bool operator==(const JoinRequest&) const = default;
};
std::vector<uint8_t> encode_join(const JoinRequest& r);
Result<JoinRequest> decode_join(std::span<const uint8_t> bytes);

struct RemoveRequest {
    uint64_t id = 0;
    bool operator==(const RemoveRequest&) const = default;
};
std::vector<uint8_t> encode_remove(const RemoveRequest& r);
Result<RemoveRequest> decode_remove(std::span<const uint8_t> bytes);

// The reply to join and remove (and to a request nobody understood).
struct Ack {
    std::string error;  // "" when done
    bool not_leader = false;
    bool operator==(const Ack&) const = default;
};
std::vector<uint8_t> encode_ack(const Ack& r);
Result<Ack> decode_ack(std::span<const uint8_t> bytes);

}  // namespace muster::cluster::internal
