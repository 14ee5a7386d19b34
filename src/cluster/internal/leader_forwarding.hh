// LeaderForwarding: work only the leader can do (commands, barriers, configuration changes). On
// the leader it goes straight to the Raft loop; a follower sends it over the cluster RPC to the
// leader its Status names, and without a known leader it waits (up to the timeout) for one.
// Also the leader's side of the RPC: forwarded commands join its group commit like local ones.
// Raft loop only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/change.hh"
#include "cluster/internal/rpc_client.hh"
#include "cluster/types.hh"

namespace muster::cluster::internal {

// A reply to the request being handled, sent on the connection it came from.
using Reply = std::function<void(std::vector<uint8_t> payload)>;

class LeaderForwarding {
  public:
    // What forwarding needs from the Raft loop it runs on.
    class Host : public LoopState {
      public:
        virtual std::string not_leader_message() const = 0;
        // On the leader: into the group commit; a barrier behind the commands queued before it;
        // a configuration change into the leader's queue.
        virtual void propose(std::vector<uint8_t> command, CommandDone done) = 0;
        virtual void barrier_here(BarrierDone done) = 0;
        virtual void change_here(Change change) = 0;
        // The index libraft has applied right now (the Status copy may be a turn older).
        virtual uint64_t applied_now() const = 0;

      protected:
        ~Host() = default;
    };

    struct Limits {
        std::chrono::milliseconds timeout{5000};  // to find a leader and hear from it
        size_t max_payload = size_t{1} << 20;     // of a forwarded request
        size_t max_in_flight = 4096;              // forwarded, no answer yet
    };

    LeaderForwarding(Host& host, RpcCalls& rpc, Limits limits);
    LeaderForwarding(const LeaderForwarding&) = delete;
    LeaderForwarding& operator=(const LeaderForwarding&) = delete;

    // `done` runs once, with the leader's outcome (on the loop; inline for a refusal).
    void command(std::vector<uint8_t> command, CommandDone done);
    // Done once everything the leader committed before it is applied here.
    void barrier(BarrierDone done);
    // A configuration change for the leader to run.
    void change(Change change);

    // Sends what waits when a leader is known (or runs it here, on the leader).
    void pump();
    // Fails what waited past its deadline.
    void expire();
    // Barriers waiting for this server to apply as far as the leader had.
    void applied(uint64_t last_applied);
    // Fails everything waiting (Fate::not_leader: never reached a leader).
    void fail_all(const std::string& reason);

    // The leader's side. A forwarded command is never forwarded again: a server that does not
    // lead says so, and the follower finds the leader itself.
    void handle_apply(std::vector<uint8_t> payload, Reply reply);
    void handle_barrier(Reply reply);

    size_t waiting() const { return to_leader_.size(); }
    size_t in_flight() const { return in_flight_; }

  private:
    struct Item {
        enum class Kind { command, barrier, change };
        Kind kind = Kind::command;
        Clock::time_point deadline;
        std::vector<uint8_t> command;  // command
        CommandDone done;              // command
        BarrierDone barrier_done;      // barrier
        Change change;                 // change
    };
    // A follower's barrier: the leader applied up to `index`; done once this server has too.
    struct AppliedWait {
        uint64_t index = 0;
        Clock::time_point deadline;
        BarrierDone done;
    };

    static Item waiting(Item::Kind kind, Clock::time_point deadline);
    void route(Item item);
    bool leader_elsewhere() const;
    void run_here(Item item);
    void forward(Item item);
    void answered();
    void forward_command(Item item);
    void forward_barrier(Item item);
    void forward_change(Item item);
    void requeue(Item item, std::chrono::milliseconds backoff);
    static void fail(Item& item, const std::string& why);
    std::string no_leader_text() const;

    Host& host_;
    RpcCalls& rpc_;
    const Limits limits_;
    std::deque<Item> to_leader_;
    size_t in_flight_ = 0;
    Clock::time_point retry_at_{};  // after a failed dial, wait a little
    std::vector<AppliedWait> applied_waits_;
};

}  // namespace muster::cluster::internal
