// Node::Impl: the Raft thread's state, shared by node.cc (lifecycle, group commit, status),
// node_forward.cc (work for the leader: a follower forwards it, the leader answers) and
// node_membership.cc (forming a cluster, joining it, leaving it).
#pragma once

#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/internal/formation.hh"
#include "cluster/internal/fsm_adapter.hh"
#include "cluster/internal/proposals.hh"
#include "cluster/internal/raft_shim.h"
#include "cluster/internal/rpc_client.hh"
#include "cluster/internal/rpc_messages.hh"
#include "cluster/internal/rpc_server.hh"
#include "cluster/node.hh"
#include "common/duration.hh"
#include "common/log.hh"

namespace muster::cluster {

using Clock = std::chrono::steady_clock;

namespace internal {
inline constexpr log::Logger node_logger("cluster");
}  // namespace internal

struct Node::Impl {
    using BarrierDone = std::function<void(Result<void>)>;
    struct Incoming {
        std::vector<uint8_t> command;
        Done done;
    };

    // A configuration change; the leader runs one at a time, in steps (add, assign, remove,
    // transfer), each committed before the next.
    struct Change {
        enum class Kind { join, remove };
        Kind kind = Kind::join;
        uint64_t server = 0;
        std::string address;  // join
        BarrierDone done;
        Clock::time_point deadline;
        unsigned steps = 0;
    };

    // Work only the leader can do, waiting (until its deadline) for a leader to be known.
    struct ToLeader {
        enum class Kind { command, barrier, change };
        Kind kind = Kind::command;
        Clock::time_point deadline;
        std::vector<uint8_t> command;  // command
        Done done;                     // command
        BarrierDone barrier_done;      // barrier
        Change change;                 // change
    };

    // A follower's barrier: the leader applied up to `index`; done once this server has too.
    struct AppliedWait {
        uint64_t index = 0;
        Clock::time_point deadline;
        BarrierDone done;
    };

    Impl(NodeOptions o, StateMachine& sm, uint64_t server_id);

    const NodeOptions options;
    StateMachine& state_machine;
    const uint64_t id;
    const uint64_t session;    // tags this instance's entries
    const size_t max_payload;  // of an RPC frame: a forwarded command must fit
    std::thread thread;
    std::thread::id raft_thread_id;

    // ---- Raft thread only.
    uv_loop_t loop{};
    uv_async_t async{};
    uv_timer_t timer{};
    uv_check_t check{};
    uv_timer_t retry_timer{};
    bool loop_ready = false;
    int handles_ready = 0;  // async, timer, check, retry_timer: initialised in that order
    muster_raft_node* raft_node = nullptr;
    raft* r = nullptr;
    bool raft_started = false;
    // Declared before the proposals: pending Dones reply through them, so they go last.
    std::unique_ptr<internal::RpcServer> rpc_server;
    std::unique_ptr<internal::RpcClient> rpc_client;
    std::unique_ptr<internal::FsmAdapter> adapter;
    std::unique_ptr<internal::Proposals> proposals;
    std::map<uint64_t, BarrierDone> barriers_in_flight;
    // Barriers on the leader behind commands still queued: (commands_enqueued then, done).
    std::deque<std::pair<uint64_t, BarrierDone>> barriers_waiting;
    uint64_t next_barrier = 1;
    bool closing = false;
    Status current;                      // the raft thread's copy of `status`
    Role seen_role = Role::unavailable;  // as observe_transitions last saw them
    uint64_t seen_leader = 0;
    uint64_t voters_committed = ~uint64_t{0};
    uint64_t voters_uncommitted = ~uint64_t{0};

    // Forwarding (node_forward.cc).
    std::deque<ToLeader> to_leader;
    size_t forwards_in_flight = 0;         // sent to the leader, no answer yet
    Clock::time_point forward_retry_at{};  // after a failed dial, wait a little
    std::vector<AppliedWait> applied_waits;

    // Configuration changes on the leader (node_membership.cc).
    std::deque<Change> changes;
    bool change_in_flight = false;
    uint64_t change_tag = 0;

    // Forming and joining (node_membership.cc).
    internal::Formation formation;
    bool forming = false;      // no state, bootstrap_expect > 1, raft not started
    bool join_wanted = false;  // started with `discover` but not a voter (yet)
    bool join_in_flight = false;
    bool left = false;  // asked to leave (or be removed): never join again in this run
    std::set<std::string> addresses;  // to say hello to: discovered, and who said hello
    std::set<std::string> hellos_in_flight;

    // The discovery thread (runs options.discover).
    std::thread discover_thread;
    std::mutex discover_mu;
    std::condition_variable discover_cv;
    bool discover_wanted = false;
    bool discover_stop = false;

    // ---- Other threads hand work over here (the raft thread closes `async` only once
    // `stopping`).
    std::mutex mu;
    std::vector<Incoming> incoming;
    std::vector<BarrierDone> barriers;
    std::vector<Change> change_requests;
    std::optional<std::vector<std::string>> discovered;
    bool stopping = false;
    std::string stop_reason = "the node is stopping";

    mutable std::mutex status_mu;
    Status status;

    // ---- node.cc
    void run(std::promise<std::string>& started);
    std::string setup();
    std::string setup_raft(bool has_state);
    std::string start_raft();
    void begin_close(const std::string& reason);
    void fail_everything(const std::string& reason);
    void drain();
    void wake();
    void propose_ready();
    void propose_one();
    void start_barrier(BarrierDone done);
    void append_barrier(BarrierDone done);
    void release_barriers();
    void refresh_status();
    void observe_transitions();
    void after_turn();
    uint64_t raft_last_applied() const;
    std::string not_leader_message() const;
    bool is_voter() const;

    static void on_async(uv_async_t* h);
    static void on_timer(uv_timer_t* h);
    static void on_check(uv_check_t* h);
    static void on_apply_done(void* arg, uint64_t seq, int status);
    static void on_barrier_done(void* arg, uint64_t tag, int status);
    static void on_raft_closed(void* arg);
    static void on_rpc_accept(void* data, uv_stream_t* stream);
    static void run_barrier(BarrierDone& done, Result<void> result);
    static void run_done(Done& done, Fate fate, Result<uint64_t> result);

    // ---- node_forward.cc
    void route_command(std::vector<uint8_t> command, Done done);
    void route_barrier(BarrierDone done);
    void route(ToLeader item);
    bool leader_elsewhere() const;
    void pump_to_leader();
    void dispatch_local(ToLeader item);
    void forward(ToLeader item);
    void forward_answered();
    void forward_command(ToLeader item);
    void forward_barrier(ToLeader item);
    void forward_change(ToLeader item);
    void requeue(ToLeader item, std::chrono::milliseconds backoff);
    void fail_item(ToLeader& item, const std::string& why);
    void leadership_lost();
    void expire();
    void check_applied_waits();
    void on_request(internal::RpcServer::Request req);
    void handle_apply(internal::RpcServer::Request& req);
    void handle_barrier(internal::RpcServer::Request& req);
    void handle_change(internal::RpcServer::Request& req);

    // ---- node_membership.cc
    void start_discovery_thread();
    void stop_discovery_thread();
    void discover_loop();
    void request_discovery();
    void on_discovered(std::vector<std::string> found);
    static void on_retry(uv_timer_t* h);
    void retry();
    internal::Hello my_hello() const;
    void hello_all();
    void send_hello(const std::string& address);
    void handle_hello(internal::RpcServer::Request& req);
    void on_hello(const internal::Hello& h);
    void evaluate();
    void bootstrap_now(const std::vector<Peer>& voters);
    void update_join_wanted();
    void try_join(const std::string& target);
    void set_waiting_for(std::string what);
    void post_change(Change::Kind kind, uint64_t server, BarrierDone done);
    void request_change(Change c);
    void advance_changes();
    void finish_change(Result<void> result);
    enum class Step { started, done, failed, later };
    Step next_change_step(Change& c, std::string& why);
    static void on_change_done(void* arg, uint64_t tag, int status);
    static void on_transfer_done(void* arg, uint64_t tag, int status);
};

}  // namespace muster::cluster
