// FeedServer: a server's side of the change feed client agents subscribe to (feed_messages.hh).
// Keeps a bounded ring of the entries applied here, raw; a subscriber resuming at an index the
// ring still follows gets the ring from there, one further behind gets a snapshot of the state
// machine (in chunks, paced by what its connection has left unsent) and then the ring; after
// that every entry as it is applied. Also answers heartbeats (keeping when each attached client
// was last heard of, for liveness) and commands clients submit (through this server's own
// submit path: a follower forwards them to the leader). Raft loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cluster/internal/callbacks.hh"
#include "cluster/internal/feed_messages.hh"
#include "cluster/internal/fsm_adapter.hh"
#include "cluster/internal/rpc_frame.hh"
#include "cluster/state_machine.hh"

namespace muster::cluster::internal {

// A client agent attached to this server's feed, as the next slice's liveness will read it.
struct AttachedClient {
    std::string node;
    std::string address;
    uint64_t connection = 0;
    Clock::time_point subscribed;
    Clock::time_point last_heartbeat;  // subscribed, until the first heartbeat
    uint64_t applied = 0;              // as its last heartbeat (or its feed request) said
};

class FeedServer final : public AppliedObserver {
  public:
    struct Snapshot {
        uint64_t index = 0;  // the state machine's applied index when it was taken
        SnapshotData data;
    };
    // What the feed needs from the Raft loop it runs on.
    class Host : public LoopState {
      public:
        // Another frame for a feed request; false when the connection is gone or closing.
        virtual bool feed_push(uint64_t connection, uint64_t request,
                               std::span<const uint8_t> payload) = 0;
        // The answer to a request (the first frame of a feed counts as the answer).
        virtual void feed_reply(uint64_t connection, uint64_t request, MessageType type,
                                std::span<const uint8_t> payload) = 0;
        virtual void feed_close(uint64_t connection, const std::string& why) = 0;
        virtual size_t feed_unsent(uint64_t connection) const = 0;
        // The state machine's snapshot(), on the Raft thread, with its applied index.
        virtual Result<Snapshot> feed_snapshot() = 0;
        // A client's command into this server's submit path (forwarded when not the leader).
        virtual void feed_submit(std::vector<uint8_t> command, CommandDone done) = 0;
        // A barrier through this server's own path (a follower's goes through the leader);
        // `done` gets this server's applied index once it holds everything committed before.
        virtual void feed_barrier(std::function<void(Result<uint64_t>)> done) = 0;

      protected:
        ~Host() = default;
    };

    struct Limits {
        size_t ring_entries = 4096;
        size_t ring_bytes = size_t{64} << 20;
        size_t max_subscribers = 4096;
        size_t chunk_bytes = feed_chunk_bytes;
        // A snapshot transfer or a catch-up from the ring waits while its connection has this
        // much unsent.
        size_t pace_bytes = size_t{8} << 20;
    };

    // `floor`: the state machine's applied index when the feed starts.
    FeedServer(Host& host, Limits limits, uint64_t floor);
    FeedServer(const FeedServer&) = delete;
    FeedServer& operator=(const FeedServer&) = delete;

    // ---- AppliedObserver (FsmAdapter)
    void on_entry(uint64_t index, std::span<const uint8_t> entry) override;
    void on_restored(uint64_t applied_index) override;

    // ---- requests (a malformed one closes its connection)
    void handle_feed(uint64_t connection, uint64_t request, std::span<const uint8_t> payload);
    void handle_heartbeat(uint64_t connection, uint64_t request, std::span<const uint8_t> payload);
    void handle_submit(uint64_t connection, uint64_t request, std::vector<uint8_t> payload);
    void handle_read_barrier(uint64_t connection, uint64_t request);
    void closed(uint64_t connection);

    // Every loop turn: continues snapshot transfers, tells subscribers of a new leader or voters.
    void pump();

    std::vector<AttachedClient> attached() const;
    size_t subscribers() const { return subscribers_.size(); }
    // Every applied entry with an index in (floor, newest] is in the ring.
    uint64_t floor() const { return floor_; }
    uint64_t newest() const { return ring_.empty() ? floor_ : ring_.back().index; }
    size_t ring_size() const { return ring_.size(); }

  private:
    struct RingEntry {
        uint64_t index = 0;
        std::vector<uint8_t> bytes;  // the FeedMessage, encoded once for every subscriber
    };
    struct Transfer {
        uint64_t index = 0;
        SnapshotData data;
        uint64_t total = 0;
        uint64_t offset = 0;
        size_t part = 0;  // where `offset` is in data.parts
        size_t part_offset = 0;
    };
    struct Subscriber {
        AttachedClient client;
        uint64_t request = 0;
        uint64_t position = 0;  // the newest index it was sent
        bool live = false;      // sent everything up to newest(): gets each entry as it comes
        bool dropped = false;   // its connection is closing
        std::optional<Transfer> transfer;
    };

    struct PendingRead {
        uint64_t connection = 0;
        uint64_t request = 0;
        uint64_t index = 0;
    };

    void answer_reads();
    std::optional<std::string> refusal() const;
    void append(uint64_t index, std::span<const uint8_t> entry);
    void start_snapshot(Subscriber& s);
    void send_chunks(Subscriber& s);
    std::vector<uint8_t> next_chunk(Transfer& t) const;
    void catch_up(Subscriber& s);
    std::vector<uint8_t> servers_message() const;
    void update_servers();
    void drop(Subscriber& s, const std::string& why);

    Host& host_;
    const Limits limits_;
    std::deque<RingEntry> ring_;
    size_t ring_bytes_ = 0;
    uint64_t floor_ = 0;
    std::map<uint64_t, Subscriber> subscribers_;  // by connection
    std::vector<uint8_t> servers_sent_;           // the last servers message pushed
    std::vector<PendingRead> reads_;              // barriers done, waiting for a live feed
    // Barrier callbacks may outlive this object (the loop's shutdown): they check this first.
    std::shared_ptr<FeedServer*> alive_ = std::make_shared<FeedServer*>(this);
};

}  // namespace muster::cluster::internal
