// Core: one Raft server's loop. libraft (through raft_shim) on a libuv loop of its own thread,
// the group commit (Proposals), barriers, and the Status copy published after every turn. It
// owns the parts that talk to other servers and client agents, LeaderForwarding, Membership and
// FeedServer, and is the Host they run on. Other threads hand work over through a locked queue and
// uv_async_send.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/change.hh"
#include "cluster/internal/feed_server.hh"
#include "cluster/internal/fsm_adapter.hh"
#include "cluster/internal/leader_forwarding.hh"
#include "cluster/internal/member_reports.hh"
#include "cluster/internal/membership.hh"
#include "cluster/internal/proposals.hh"
#include "cluster/internal/raft_shim.h"
#include "cluster/internal/rpc_client.hh"
#include "cluster/internal/rpc_server.hh"
#include "cluster/internal/secure_link.hh"
#include "cluster/raft_server.hh"

namespace muster::cluster::internal {

class Core final : private LeaderForwarding::Host,
                   private Membership::Host,
                   private FeedServer::Host,
                   private MemberReports::Host {
  public:
    Core(RaftServerOptions options, StateMachine& fsm, uint64_t id);
    ~Core();
    Core(const Core&) = delete;
    Core& operator=(const Core&) = delete;

    // Starts the Raft thread; "" once it runs, or why it could not start (the thread is gone).
    std::string start();
    // Stops the loop (as begin_close) and joins the threads. Not from the Raft thread.
    void stop();

    // ---- any thread
    void submit(std::vector<uint8_t> command, CommandDone done);
    void barrier(BarrierDone done);
    void change(Change::Kind kind, uint64_t server, BarrierDone done);
    Status status_copy() const;
    std::optional<std::vector<MemberState>> members_copy() const;
    uint64_t id() const { return id_; }

  private:
    struct Incoming {
        std::vector<uint8_t> command;
        CommandDone done;
    };

    // ---- LeaderForwarding::Host and Membership::Host
    const Status& status() const override { return current_; }
    bool closing() const override { return closing_; }
    const std::string& stop_reason() const override { return stop_reason_; }
    std::string not_leader_message() const override;
    void propose(std::vector<uint8_t> command, CommandDone done) override;
    void barrier_here(BarrierDone done) override;
    void change_here(Change change) override;
    uint64_t applied_now() const override;
    void refresh_status() override;
    void set_waiting_for(std::string what) override;
    ::raft* raft() override { return r_; }
    bool raft_started() const override { return raft_started_; }
    std::string start_raft() override;
    std::string bootstrap(const std::vector<Peer>& voters) override;
    void fail(const std::string& reason) override { begin_close(reason); }
    void leadership_lost() override;
    void to_leader(Change change) override;
    void observe_transitions() override;
    bool deliver_discovered(std::vector<std::string> found) override;
    // ---- FeedServer::Host
    bool feed_push(uint64_t connection, uint64_t request,
                   std::span<const uint8_t> payload) override;
    void feed_reply(uint64_t connection, uint64_t request, MessageType type,
                    std::span<const uint8_t> payload) override;
    void feed_close(uint64_t connection, const std::string& why) override;
    size_t feed_unsent(uint64_t connection) const override;
    Result<FeedServer::Snapshot> feed_snapshot() override;
    void feed_submit(std::vector<uint8_t> command, CommandDone done) override;
    void feed_barrier(std::function<void(Result<uint64_t>)> done) override;

    // ---- MemberReports::Host
    std::vector<AttachedClient> feed_attached() const override { return feed_->attached(); }
    void publish_members(std::optional<std::vector<MemberState>> decided) override;

    // ---- the loop's life
    void run(std::promise<std::string>& started);
    std::string setup();
    std::string init_handles();
    std::string setup_raft(bool has_state);
    // 0, MUSTER_RAFT_CANTBOOTSTRAP (the dir has Raft state), or another code with `err`.
    int bootstrap_voters(const std::vector<Peer>& voters, std::string& err);
    void undo_setup(const std::string& err);
    void begin_close(const std::string& reason);
    void fail_everything(const std::string& reason);
    void drain();
    void wake();
    void after_turn();
    void on_request(RpcServer::Request req);

    // ---- group commit and barriers
    void propose_ready();
    void propose_one();
    void append_barrier(BarrierDone done);
    void release_barriers();
    void read_voters();

    static void on_async(uv_async_t* h);
    static void on_timer(uv_timer_t* h);
    static void on_check(uv_check_t* h);
    static void on_retry(uv_timer_t* h);
    static void on_apply_done(void* arg, uint64_t seq, int status);
    static void on_barrier_done(void* arg, uint64_t tag, int status);
    static void on_raft_closed(void* arg);
    static void on_rpc_accept(void* data, uv_stream_t* stream, const char* peer,
                              int peer_is_server);

    const RaftServerOptions options_;
    std::shared_ptr<LinkPolicy> link_policy_;  // made in start(), before the transport
    StateMachine& state_machine_;
    const uint64_t id_;
    const uint64_t session_;    // tags this instance's entries
    const size_t max_payload_;  // of an RPC frame: a forwarded command must fit
    std::thread thread_;
    std::thread::id raft_thread_id_;

    // ---- Raft thread only.
    uv_loop_t loop_{};
    uv_async_t async_{};
    uv_timer_t timer_{};
    uv_check_t check_{};
    uv_timer_t retry_timer_{};
    bool loop_ready_ = false;
    int handles_ready_ = 0;  // async, timer, check, retry_timer: initialised in that order
    muster_raft_node* raft_node_ = nullptr;
    ::raft* r_ = nullptr;
    bool raft_started_ = false;
    // Declared before the proposals: pending Dones reply through them, so they go last.
    std::unique_ptr<RpcServer> rpc_server_;
    std::unique_ptr<RpcClient> rpc_client_;
    std::unique_ptr<FsmAdapter> adapter_;
    std::unique_ptr<Proposals> proposals_;
    std::unique_ptr<LeaderForwarding> forwarding_;
    std::unique_ptr<Membership> membership_;
    std::unique_ptr<FeedServer> feed_;
    std::unique_ptr<MemberReports> reports_;
    std::map<uint64_t, BarrierDone> barriers_in_flight_;
    // Barriers on the leader behind commands still queued: (commands_enqueued then, done).
    std::deque<std::pair<uint64_t, BarrierDone>> barriers_waiting_;
    uint64_t next_barrier_ = 1;
    bool closing_ = false;
    Status current_;                                       // the raft thread's copy of `status_`
    std::map<uint64_t, Clock::time_point> apply_started_;  // by proposal seq, until done
    Role seen_role_ = Role::unavailable;                   // as observe_transitions last saw them
    uint64_t seen_leader_ = 0;
    uint64_t voters_committed_ = ~uint64_t{0};
    uint64_t voters_uncommitted_ = ~uint64_t{0};

    // ---- Other threads hand work over here (the raft thread closes `async_` only once
    // `stopping_`).
    std::mutex mu_;
    std::vector<Incoming> incoming_;
    std::vector<BarrierDone> barriers_;
    std::vector<Change> change_requests_;
    std::optional<std::vector<std::string>> discovered_;
    bool stopping_ = false;
    std::string stop_reason_ = "the node is stopping";

    mutable std::mutex status_mu_;
    Status status_;
    std::optional<std::vector<MemberState>> members_;  // as reports_ last published
};

}  // namespace muster::cluster::internal
