// FeedClient: what ReplicaClient runs (replica_client.hh). A libuv loop on a thread of its own
// holds at most one RpcConnection to a server's feed: it subscribes from the state machine's
// applied index, applies the entries (and snapshots, reassembled) the server pushes, heartbeats,
// sends the commands queued by submit(), and when the connection ends or goes quiet for
// server_timeout moves on to another server: those learned from the feed first, then discover().
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/feed_messages.hh"
#include "cluster/internal/rpc_connection.hh"
#include "cluster/replica_client.hh"

namespace muster::cluster::internal {

class FeedClient final : private RpcConnection::Owner {
  public:
    // A command larger than this is refused at once (the server's frame limit).
    static constexpr size_t max_command_bytes = size_t{1} << 20;

    FeedClient(ReplicaOptions options, StateMachine& fsm);
    // Stops the loop and joins the threads; pending commands are answered first.
    ~FeedClient();
    FeedClient(const FeedClient&) = delete;
    FeedClient& operator=(const FeedClient&) = delete;

    // Starts the loop thread; "" once it runs, or why not.
    std::string start();
    // ---- any thread
    void submit(std::vector<uint8_t> command, CommandDone done);
    void join(std::vector<std::string> servers, std::function<void(Result<void>)> done);
    void barrier(std::function<void(Result<void>)> done);
    ReplicaStatus status() const;
    // Closes the connection, answers pending commands and joins the threads. Idempotent.
    void stop();

  private:
    struct Waiting {
        std::vector<uint8_t> command;
        CommandDone done;
        Clock::time_point deadline;
        bool read = false;  // a read barrier (no command): done gets Fate::applied, 0
    };
    struct Join {
        std::vector<std::string> servers;
        std::function<void(Result<void>)> done;
        Clock::time_point deadline;
    };
    struct Sent {
        CommandDone done;
        Clock::time_point deadline;
    };
    struct Assembly {  // a snapshot arriving in chunks
        uint64_t index = 0;
        uint64_t total = 0;
        std::vector<uint8_t> bytes;
    };

    // ---- the loop's life
    void run(std::promise<std::string>& started);
    void begin_stop();
    void drain();
    void tick();
    static void on_async(uv_async_t* h);
    static void on_timer(uv_timer_t* h);

    // ---- finding a server
    void begin_round();
    void next_server();
    void round_failed();
    void start_discovery();
    void discovered(std::vector<std::string> found);
    void dial(const std::string& address);
    void on_closed(RpcConnection& c) override;

    // ---- the feed
    void on_frame(RpcConnection& c, Frame f) override;
    Result<void> on_feed(std::span<const uint8_t> payload);
    Result<void> apply_entry(const FeedMessage& m);
    Result<void> add_chunk(const FeedMessage& m);
    Result<void> on_heartbeat_reply(std::span<const uint8_t> payload);
    Result<void> on_submit_reply(uint64_t id, std::span<const uint8_t> payload);
    Result<void> on_read_reply(uint64_t id, std::span<const uint8_t> payload);
    CommandDone take_sent(uint64_t id);
    void subscribed();
    void learn(const std::string& leader, const std::vector<std::string>& servers);
    void send_heartbeat();

    // ---- commands
    void send_waiting();
    void expire(Clock::time_point now);
    void fail_sent(const std::string& why);
    void take_joins(std::vector<Join> joins);
    void answer_joins(bool all, const Result<void>& r);
    void publish();

    const ReplicaOptions options_;
    std::shared_ptr<LinkPolicy> link_policy_;  // made in start()
    StateMachine& fsm_;
    std::thread thread_;
    std::thread discovery_;

    // ---- loop thread only
    uv_loop_t loop_{};
    uv_async_t async_{};
    uv_timer_t timer_{};
    bool closing_ = false;
    std::unique_ptr<RpcConnection> conn_;
    uint64_t next_connection_ = 1;
    uint64_t next_request_ = 1;
    uint64_t feed_request_ = 0;
    std::string server_;  // the server dialled or connected to
    bool subscribed_ = false;
    bool backoff_ = false;  // the connection ended on a local failure: wait before the next
    uint64_t sessions_ = 0;
    Clock::time_point dialled_;
    Clock::time_point last_contact_{};
    Clock::time_point next_heartbeat_{};
    std::optional<Assembly> assembly_;
    std::string leader_address_;
    uint64_t server_applied_ = 0;       // the last heartbeat reply's
    std::vector<std::string> learned_;  // sorted
    std::vector<std::string> joined_;   // from join(): tried first in every round
    // Each client tries the servers in an order of its own, so clients spread over the
    // servers (at start, and when their server dies) instead of all taking the first.
    std::minstd_rand shuffle_{std::random_device{}()};
    std::vector<Join> joins_;        // join() calls waiting for a subscription
    std::deque<std::string> round_;  // still to try in this round
    std::vector<std::pair<std::string, std::string>> tried_;  // (address, why) in this round
    bool discovering_ = false;
    bool round_active_ = false;
    std::optional<Clock::time_point> retry_at_;
    unsigned failed_rounds_ = 0;
    bool gave_up_ = false;
    std::string last_error_;
    std::deque<Waiting> waiting_;
    std::map<uint64_t, Sent> sent_;

    // ---- other threads hand work over here (`async_` closes only once `stopping_`)
    mutable std::mutex mu_;
    std::vector<Waiting> incoming_;
    std::vector<Join> incoming_joins_;
    std::optional<std::vector<std::string>> found_;
    bool stopping_ = false;
    ReplicaStatus status_;
};

}  // namespace muster::cluster::internal
