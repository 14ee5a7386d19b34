// cluster::RaftServer: one Raft server (libraft 0.22 with its libuv I/O and TCP transport) running
// on a thread of its own. Other threads submit commands through a queue; completions run on the
// Raft thread, so callers post them to their own loop. Commands queued while an entry is being
// appended are packed into the next entry (group commit).
//
// Raft and the cluster RPC share the server port (`address`): followers forward submit and
// barrier to the leader there, servers form a cluster (bootstrap_expect), join and leave it.
// While a server waits to form or join a cluster its Status says role unavailable and what it
// waits for (waiting_for).
//
// When the StateMachine fails a whole entry (or a snapshot restore, or throws), the state is
// broken: libraft never applies that entry or any later one here, and the RaftServer stops itself
// as ~RaftServer would (in-flight commands get Fate::unknown, queued ones Fate::not_leader), logs
// why, reports Role::unavailable and answers every later submit with Fate::not_leader and that
// reason. Restarting needs a repaired state machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/state_machine.hh"
#include "cluster/types.hh"
#include "common/result.hh"

namespace muster::cluster {

namespace internal {
class Core;
}  // namespace internal

struct RaftServerOptions {
    std::string dir;      // the Raft log, snapshots and the id file; created if missing
    std::string address;  // this server's "a.b.c.d:port", as the configuration and peers see it
    // Where the transport listens ("a.b.c.d:port", e.g. "0.0.0.0:8300"); "": at `address`.
    std::string bind;
    // Used only when `dir` has no Raft state yet: this server's ID is made (random, nonzero) and
    // kept in dir/id. A dir with state keeps the ID it has.
    // When `bootstrap` is non-empty and `dir` has no Raft state, the cluster is bootstrapped
    // with exactly these voters (which must include this server, with id 0 meaning "mine").
    std::vector<Peer> bootstrap;
    std::chrono::milliseconds election_timeout{1000};
    std::chrono::milliseconds heartbeat_timeout{100};
    unsigned snapshot_threshold = 16384;  // entries between snapshots (Consul's)
    unsigned snapshot_trailing = 10240;   // entries kept behind a snapshot (Consul's)
    unsigned max_in_flight = 1000;        // appended but not yet applied entries (libraft trap)
    size_t max_entry_bytes = size_t{1} << 20;  // group commit packs commands up to this size
    LinkSecurity security;  // the cluster key on the server port (all links, both directions)

    // ---- forming and joining a cluster (only while `dir` has no Raft state and `bootstrap` is
    // empty). The transport listens at once, so other servers can reach this one before it
    // is part of any cluster.
    // bootstrap_expect N > 1: contact the discovered servers; once N servers without Raft state
    // (this one included) know each other and none reports an existing cluster, every one of
    // them bootstraps with the same N voters (sorted by ID), exactly once. When a discovered
    // server already is in a cluster, join that cluster instead. 0: never bootstrap; join.
    unsigned bootstrap_expect = 0;
    // Server addresses ("a.b.c.d:port", the server port) to contact, asked again before every
    // attempt (retry_join resolved: IPs, DNS names, exec: output). Runs on a thread of its own,
    // never the Raft thread; may block briefly. Unset: no discovery (a bootstrapped server).
    std::function<std::vector<std::string>()> discover;
    std::chrono::milliseconds retry_interval{1000};  // between formation / join attempts
    // A follower forwards submit() and barrier() to the leader over the server port. Without a
    // known leader it waits up to this long for one, then fails (Fate::not_leader, "no leader").
    std::chrono::milliseconds forward_timeout{5000};

    // ---- the change feed for client agents (ReplicaClient). The entries applied last are kept
    // (raw) up to these bounds; a client resuming from an index older than what they hold gets
    // a whole snapshot first.
    size_t feed_ring_entries = 4096;
    size_t feed_ring_bytes = size_t{64} << 20;

    // ---- liveness (members())
    std::string node;          // this server's catalog node name
    std::string node_address;  // and its advertised IP
    // A member not heard from for this long is not alive; a new leader waits as long before it
    // decides anything. Must exceed a client's server_timeout plus a reconnect.
    std::chrono::milliseconds member_timeout{5000};
};

class RaftServer {
  public:
    // Opens (or creates) dir, takes the ID, bootstraps if asked and there is no state, starts the
    // Raft thread and the transport. Errors name the dir/address and what libraft said.
    // `fsm` must outlive the RaftServer.
    static Result<std::unique_ptr<RaftServer>> start(RaftServerOptions options, StateMachine& fsm);
    // The ID of the server whose state is in `dir` (dir/id, decimal text), made (random, nonzero,
    // written atomically) when dir has neither an ID nor Raft state yet: start() does the same.
    // Lets the voters of a new cluster be known before its servers start. Error when dir has
    // Raft state but no ID.
    static Result<uint64_t> server_id(const std::string& dir);
    // Stops Raft (no leadership transfer) and joins the thread. Pending Dones run first:
    // Fate::unknown for commands appended, Fate::not_leader for those still queued. Not from a
    // Done (the Raft thread).
    ~RaftServer();
    // As the destructor does, earlier: stops Raft and joins the thread; pending Dones run first.
    // Later calls of submit() and barrier() fail at once. Idempotent; not from a Done.
    void stop();
    RaftServer(const RaftServer&) = delete;
    RaftServer& operator=(const RaftServer&) = delete;

    using Done = CommandDone;
    // Any thread. `done` runs exactly once, on the Raft thread (or inline when the node is
    // stopping). For Fate::not_leader and Fate::unknown the result is an Error saying so.
    // On a follower the command is forwarded to the leader over the server port and `done`
    // gets the leader's outcome (a lost connection after sending: Fate::unknown).
    void submit(std::vector<uint8_t> command, Done done);

    // Any thread. `done` runs on the Raft thread once everything committed before the call is
    // applied here (a Raft barrier on the leader; on a follower: the leader's barrier, then
    // until this server has applied as far as the leader had). Error without a leader (after
    // forward_timeout).
    void barrier(std::function<void(Result<void>)> done);

    // Any thread. Leaves the cluster for good: a leader first transfers leadership; then the
    // leader removes this server from the configuration. `done` runs on the Raft thread once the
    // removal is committed, or with the Error that stopped it (bounded by forward_timeout).
    void leave(std::function<void(Result<void>)> done);

    // Any thread. Removes another server (by ID) from the configuration, through the leader
    // (operator use, or a dead server). `done` as for leave().
    void remove(uint64_t id, std::function<void(Result<void>)> done);

    // Any thread. The leader's decided view of which agents are alive: itself, every server
    // that reports to it, and every client agent attached to any server's feed. nullopt on a
    // follower, and on a leader for its first member_grace: every member gets a fresh grace
    // period after a leader change, so a failover marks nobody failed.
    std::optional<std::vector<MemberState>> members() const;

    // Any thread; a copy taken under a lock, refreshed by the Raft thread.
    Status status() const;
    uint64_t id() const;

  private:
    explicit RaftServer(std::unique_ptr<internal::Core> core);
    std::unique_ptr<internal::Core> core_;
};

}  // namespace muster::cluster
