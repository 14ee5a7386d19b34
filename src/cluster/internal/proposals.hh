// Proposals: group commit on the leader. Commands wait in a queue; each new Raft entry packs
// all that fit; the results the state machine gives for an entry go to its commands' Dones.
// Raft thread only (RaftServer hands commands over from other threads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cluster/internal/entry_codec.hh"
#include "cluster/internal/fsm_adapter.hh"
#include "cluster/types.hh"

namespace muster::cluster::internal {

class Proposals final : public ResultSink {
  public:
    using Done = CommandDone;

    // `session` tags this proposer's entries (random per RaftServer instance).
    Proposals(uint64_t session, size_t max_entry_bytes, unsigned max_in_flight);
    ~Proposals() override;  // Dones still pending get Fate::unknown or Fate::not_leader
    Proposals(const Proposals&) = delete;
    Proposals& operator=(const Proposals&) = delete;

    void enqueue(std::vector<uint8_t> command, Done done);

    size_t queued() const { return queue_.size(); }
    size_t in_flight() const { return in_flight_.size(); }
    // Commands wait and fewer than max_in_flight entries are in flight.
    bool ready() const { return !queue_.empty() && in_flight_.size() < max_in_flight_; }

    struct Entry {
        uint64_t seq = 0;
        std::vector<uint8_t> bytes;
        size_t commands = 0;
    };
    // Packs the oldest queued commands (at least one, up to max_entry_bytes) into a new entry,
    // in flight from now on. Requires ready().
    Entry take_entry();

    // raft_apply took the entry: it is at `index` (checked against the applied one).
    void appended(uint64_t seq, uint64_t index);
    // libraft completed the request (`status` 0: applied): its Dones run now, with the results
    // on_applied saw; without them (leadership lost first) Fate::unknown with `why`.
    void completed(uint64_t seq, int status, const std::string& why);
    // raft_apply failed before appending: every command gets `fate` and the error `why`.
    void not_appended(uint64_t seq, Fate fate, const std::string& why);

    void fail_queued(Fate fate, const std::string& why);
    // Hands back the commands not yet packed into an entry (leadership moved: they go to the
    // new leader instead), oldest first.
    std::vector<std::pair<std::vector<uint8_t>, Done>> take_queued();
    void fail_in_flight(const std::string& why);  // Fate::unknown

    void on_applied(EntryTag tag, uint64_t index, std::vector<Result<uint64_t>> results) override;

    uint64_t entries_proposed() const { return next_seq_ - 1; }
    // Commands ever queued, and those that left the queue (packed into an entry, failed or
    // handed back): a barrier goes into the log once the commands queued before it left.
    uint64_t commands_enqueued() const { return enqueued_; }
    uint64_t commands_dequeued() const { return enqueued_ - queue_.size(); }

  private:
    struct Queued {
        std::vector<uint8_t> command;
        Done done;
    };
    struct Batch {
        std::vector<Done> dones;
        uint64_t index = 0;  // 0 until appended
        bool applied = false;
        uint64_t applied_index = 0;
        std::vector<Result<uint64_t>> results;
    };
    static void run(Done& done, Fate fate, Result<uint64_t> result);
    static void fail(std::vector<Done>& dones, Fate fate, const std::string& why);

    uint64_t session_;
    size_t max_entry_bytes_;
    size_t max_in_flight_;
    uint64_t next_seq_ = 1;
    uint64_t enqueued_ = 0;
    std::deque<Queued> queue_;
    std::map<uint64_t, Batch> in_flight_;  // by seq
};

}  // namespace muster::cluster::internal
