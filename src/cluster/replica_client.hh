// cluster::ReplicaClient: a client agent's side of the change feed. It is never a Raft member: it
// holds one connection to one server's server port (the feed), keeps a local StateMachine in step
// with the cluster (resume from its applied index, a whole snapshot when the server no longer
// holds what follows it, then every entry as the server applies it), heartbeats on that
// connection, and sends commands to the cluster through it (the server forwards them to the
// leader). When the server dies, stops answering or is partitioned away, the client moves to
// another server: those it learned from the feed first, then the join list.
//
// Runs on a libuv loop of its own thread. The StateMachine is only touched from that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/state_machine.hh"
#include "cluster/types.hh"
#include "common/result.hh"

namespace muster::cluster {

namespace internal {
class FeedClient;
}  // namespace internal

struct ReplicaOptions {
    std::string node;     // this client's node name (servers use it for liveness)
    std::string address;  // this client's advertised address ("a.b.c.d")
    // Server addresses ("a.b.c.d:port", the server port) to join through, asked again before
    // every round that has no learned server left (retry_join resolved). Called on a thread of
    // its own, never the feed's loop; may block briefly.
    std::function<std::vector<std::string>()> discover;
    std::chrono::milliseconds retry_interval{1000};  // between rounds that reached no server
    // A round tries every known server once. After this many rounds in a row that reached none,
    // the client gives up: status().gave_up is set and on_give_up runs (once). 0: never.
    unsigned retry_max = 0;
    // Runs on the client's thread: it must not destroy the ReplicaClient (nor must a CommandDone).
    std::function<void(const std::string& why)> on_give_up;
    std::chrono::milliseconds heartbeat_interval{1000};
    // Nothing heard from the server (feed, heartbeat reply) for this long: the connection is
    // dead, move to another server.
    std::chrono::milliseconds server_timeout{3000};
    std::chrono::milliseconds submit_timeout{5000};  // a command without an outcome by then
    LinkSecurity security;  // the cluster key: how this client dials its servers
};

struct ReplicaStatus {
    bool connected = false;  // subscribed to a server's feed right now
    std::string server;      // that server's address, "" when not connected
    uint64_t sessions = 0;   // feed subscriptions that succeeded since start (a reconnect adds 1)
    std::string leader_address;        // as the server last said; "" when it knows none
    std::vector<std::string> servers;  // every server address learned (voters), sorted
    uint64_t applied = 0;              // the state machine's applied index
    uint64_t server_applied = 0;       // its server's applied index, as it last said
    // When a server last said something on the feed; time_point{} if never.
    std::chrono::steady_clock::time_point last_contact;
    bool gave_up = false;    // retry_max rounds reached no server
    std::string last_error;  // why the last connection attempt or connection ended
};

class ReplicaClient {
  public:
    // Starts the loop thread, which begins joining at once. `fsm` must outlive the client.
    static Result<std::unique_ptr<ReplicaClient>> start(ReplicaOptions options, StateMachine& fsm);
    // Closes the connection and joins the thread. Pending commands get Fate::unknown (sent) or
    // Fate::not_leader (never sent).
    ~ReplicaClient();
    // As the destructor does, earlier: closes the connection, answers pending commands and
    // joins the thread. Later submits fail at once. Idempotent.
    void stop();
    ReplicaClient(const ReplicaClient&) = delete;
    ReplicaClient& operator=(const ReplicaClient&) = delete;

    // Any thread. Sends the command over the feed connection; the server submits it (forwarded
    // to the leader) and `done` gets the outcome, on the client's thread: Fate::applied with the
    // state machine's value on the leader. Without a connection the command waits for one up to
    // submit_timeout, then fails with Fate::not_leader ("no server reachable").
    void submit(std::vector<uint8_t> command, CommandDone done);

    // Any thread. Adds servers ("a.b.c.d:port") to those the client knows, first in line when
    // it next looks for one (now, when it has no connection). `done` runs on the client's
    // thread once the client is subscribed to some server's feed (at once when it already
    // is), or after submit_timeout with the Error of its last attempt.
    void join(std::vector<std::string> servers, std::function<void(Result<void>)> done);

    // Any thread. A read barrier (?consistent): `done` runs on the client's thread once this
    // replica holds everything the leader committed before the call (the server the client is
    // attached to runs a barrier through the leader and answers after pushing it all), or with
    // the Error (no server within submit_timeout, no leader, the connection lost).
    void barrier(std::function<void(Result<void>)> done);

    // Any thread; a copy taken under a lock.
    ReplicaStatus status() const;

  private:
    explicit ReplicaClient(std::unique_ptr<internal::FeedClient> impl);
    std::unique_ptr<internal::FeedClient> impl_;
};

}  // namespace muster::cluster
