// Membership: how this server becomes and stays part of a cluster. Forming one (bootstrap_expect
// servers say hello to each other and bootstrap together), joining one (asking the leader until
// the configuration names this server a voter), and the configuration changes the leader runs
// one at a time (join, remove, leave). Discovery (options.discover) runs on a thread of its own;
// everything else on the Raft loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/change.hh"
#include "cluster/internal/formation.hh"
#include "cluster/internal/leader_forwarding.hh"
#include "cluster/internal/rpc_client.hh"
#include "cluster/types.hh"

struct raft;

namespace muster::cluster::internal {

class Membership {
  public:
    // What membership needs from the Raft loop it runs on.
    class Host : public LoopState {
      public:
        virtual void refresh_status() = 0;
        virtual void set_waiting_for(std::string what) = 0;
        // libraft: nullptr until it is set up (and after it closed).
        virtual ::raft* raft() = 0;
        virtual bool raft_started() const = 0;
        // "" or why not.
        virtual std::string start_raft() = 0;
        virtual std::string bootstrap(const std::vector<Peer>& voters) = 0;
        // The state is broken: stop the loop with this reason.
        virtual void fail(const std::string& reason) = 0;
        // Not the leader (any more): a change goes to the leader, with what else was queued.
        virtual void leadership_lost() = 0;
        virtual void to_leader(Change change) = 0;
        virtual void observe_transitions() = 0;
        // From the discovery thread: false once the loop is stopping.
        virtual bool deliver_discovered(std::vector<std::string> found) = 0;

      protected:
        ~Host() = default;
    };

    struct Options {
        uint64_t id = 0;
        std::string address;
        bool bootstrapped = false;  // started with an explicit voter list
        unsigned bootstrap_expect = 0;
        std::function<std::vector<std::string>()> discover;
        std::chrono::milliseconds retry_interval{1000};
        std::chrono::milliseconds forward_timeout{5000};
        std::chrono::milliseconds election_timeout{1000};
    };

    Membership(Host& host, RpcCalls& rpc, Options options);
    ~Membership();  // stops the discovery thread
    Membership(const Membership&) = delete;
    Membership& operator=(const Membership&) = delete;

    // ---- forming and joining
    // No Raft state, no voter list, bootstrap_expect >= 2: wait for the others before Raft
    // starts.
    void begin_forming();
    bool forming() const { return forming_; }
    // Formation and joining retry on a timer; discovery feeds them addresses.
    bool wants_retries() const { return forming_ || static_cast<bool>(options_.discover); }
    void start_discovery();
    void stop_discovery();
    void retry();
    void discovered(std::vector<std::string> found);
    void update_join_wanted();
    void handle_hello(const std::vector<uint8_t>& payload, const Reply& reply);

    // ---- configuration changes
    // Asked here (leave, remove) or of this leader over the RPC.
    void request(Change c);
    void handle_change(MessageType type, const std::vector<uint8_t>& payload, Reply reply);
    // On the leader: queue it and take the next step.
    void run(Change c);
    void advance();
    // The changes not started yet (they go to the next leader).
    std::vector<Change> take_unstarted();
    // Stopping: the queued changes fail; `in_flight_too` also the one libraft is running.
    void fail(const std::string& reason, bool in_flight_too);

  private:
    enum class Step { started, done, failed, later };

    void discover_loop();
    void request_discovery();
    Hello my_hello() const;
    void hello_all();
    void send_hello(const std::string& address);
    void on_hello(const Hello& h);
    void evaluate();
    void bootstrap_now(const std::vector<Peer>& voters);
    void try_join(const std::string& target);
    bool is_voter() const;
    void finish_change(Result<void> result);
    Step next_change_step(Change& c, std::string& why);
    Step join_step(const Change& c, uint64_t tag, int& rv, std::string& why);
    Step remove_step(const Change& c, uint64_t tag, int& rv, std::string& why);
    static void on_change_done(void* arg, uint64_t tag, int status);
    static void on_transfer_done(void* arg, uint64_t tag, int status);
    void change_ended(uint64_t tag, int status, bool transfer);

    Host& host_;
    RpcCalls& rpc_;
    const Options options_;

    Formation formation_;
    bool forming_ = false;      // no state, bootstrap_expect > 1, raft not started
    bool join_wanted_ = false;  // started with `discover` but not a voter (yet)
    bool join_in_flight_ = false;
    bool left_ = false;  // asked to leave (or be removed): never join again in this run
    std::set<std::string> addresses_;  // to say hello to: discovered, and who said hello
    std::set<std::string> hellos_in_flight_;

    std::deque<Change> changes_;  // the front one runs
    bool change_in_flight_ = false;
    uint64_t change_tag_ = 0;

    std::thread discover_thread_;
    std::mutex discover_mu_;
    std::condition_variable discover_cv_;
    bool discover_wanted_ = false;
    bool discover_stop_ = false;
};

}  // namespace muster::cluster::internal
