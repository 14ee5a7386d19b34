// The cluster's vocabulary, shared by the public RaftServer and its internal parts: a server of
// the configuration (Peer), what a server is doing (Role, Status), and what became of a command
// (Fate) with the callbacks that report it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/metrics.hh"
#include "common/result.hh"

namespace muster::cluster {

struct Peer {
    uint64_t id = 0;
    std::string address;  // "a.b.c.d:port" (libraft's TCP transport takes IPv4 literals)
    bool operator==(const Peer&) const = default;
};

// The largest single command a server takes (a catalog snapshot restore is one): it goes into
// an entry of its own, however large the entries of group commit are kept, and a follower
// forwards it to the leader, a client agent sends it over its feed. libraft writes entries into
// 8 MiB segment files; a command stays below that.
inline constexpr size_t max_command_bytes = size_t{6} << 20;

enum class Role { follower, candidate, leader, unavailable };

const char* role_name(Role role);

struct Status {
    uint64_t id = 0;
    Role role = Role::unavailable;
    uint64_t leader_id = 0;  // 0: no known leader
    std::string leader_address;
    uint64_t term = 0;
    uint64_t commit_index = 0;
    uint64_t last_applied = 0;
    std::vector<Peer> voters;    // the current configuration's voters
    std::vector<Peer> standbys;  // in the configuration, not (yet) voting: catching up
    // Forming: waiting for bootstrap_expect servers, or for a cluster to join; "" otherwise.
    std::string waiting_for;
    // When this server last heard from a leader (now, on the leader); time_point{} if never.
    std::chrono::steady_clock::time_point last_contact;
    // For the metrics, since this server started:
    uint64_t leader_changes = 0;  // times a new leader became known (this one included)
    uint64_t snapshots = 0;       // snapshots taken of the state machine
    double snapshot_seconds = 0;  // their total duration
    // On the leader: from appending an entry to its commit being applied here.
    metrics::HistogramSnapshot apply_latency;
};

// The cluster key (Consul's `encrypt`) on the server port. With a key, a link is TLS 1.3
// with a PSK derived from it (common/tls_link.hh), for Raft, RPC, feeds and forwarded writes
// alike. The two flags allow a rolling switch of a running cluster, as Consul's
// encrypt_verify_incoming / encrypt_verify_outgoing: first every agent gets the key with both
// off (accepts both, dials plaintext), then outgoing on (dials with TLS), then incoming on.
//
// Mutual TLS (tls.defaults): with a certificate, links are TLS 1.3 with certificates checked
// against ca_file (and, with a key too, each end proves the key inside the link). With
// server_name (verify_server_hostname), only a certificate naming it may act as a server:
// dials check it, and an accepted peer without it may feed and write as a client, nothing
// more (no Raft, no server RPC).
struct LinkSecurity {
    std::vector<uint8_t> key;     // 16, 24 or 32 bytes; empty: no key
    bool verify_incoming = true;  // with a key: refuse a peer that connects in plaintext
    bool verify_outgoing = true;  // with a key: dial with TLS (else plaintext)
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    bool tls_verify_incoming = false;  // refuse plaintext, require a client certificate
    bool tls_verify_outgoing = false;  // dial with TLS, checking the server's certificate
    std::string server_name;           // "server.<dc>.<domain>" with verify_server_hostname
    bool certificates() const { return !cert_file.empty(); }
    bool secure() const { return !key.empty() || certificates(); }
};

// An agent as the leader sees it: a server (through its reports, or the leader itself) or a
// client agent (through the feed of the server it is attached to).
struct MemberState {
    std::string node;     // its catalog node name
    std::string address;  // its advertised IP
    bool server = false;
    bool alive = false;  // heard from within the failure timeout
    bool operator==(const MemberState&) const = default;
};

// What became of a submitted command.
enum class Fate {
    applied,     // committed and applied: the result is the state machine's answer
    not_leader,  // never appended here (this server is not the leader): safe to send elsewhere
    unknown,     // appended, but leadership was lost or the node stopped before the outcome was
                 // known: it may or may not commit
};

// A command's outcome: for Fate::not_leader and Fate::unknown the result is an Error saying so.
using CommandDone = std::function<void(Fate fate, Result<uint64_t> result)>;
// A barrier's or a configuration change's outcome.
using BarrierDone = std::function<void(Result<void>)>;

}  // namespace muster::cluster
