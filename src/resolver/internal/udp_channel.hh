// UdpChannel: DNS over UDP, one connected socket per query, with the TCP retry on TC (RFC 7766 §5).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/fd.hh"
#include "common/stream.hh"
#include "resolver/internal/channel_base.hh"
#include "resolver/internal/question.hh"
#include "resolver/internal/recycling_map.hh"
#include "resolver/internal/slot_table.hh"

namespace muster::resolver::internal {

class UdpChannel final : public ChannelBase {
  public:
    UdpChannel(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
               const ChannelOptions& options);
    ~UdpChannel() override;

    void send(uint64_t token, std::span<const uint8_t> query) override;
    void cancel(uint64_t token) override;

  private:
    // One query's record. Records are reused (SlotTable), frame buffer and watcher included:
    // only the socket is new for each query (RFC 5452 §9.2 wants a fresh source port).
    struct Query {
        std::vector<uint8_t> frame;  // length prefix + query: UDP sends frame[2..], TCP all
        Question question;
        TimePoint deadline;
        uint64_t token = 0;   // 0 once finished
        uint64_t handle = 0;  // in queries_
        uint16_t id = 0;
        Fd fd;  // declared before the watcher, so the watcher is unregistered before the close
        std::unique_ptr<IoWatcher> watcher;  // made with the record, then set_fd per query
        std::unique_ptr<Stream> tcp;
    };

    void on_deadline(uint64_t token, TimePoint deadline) override;
    // Forgets the query; its socket or TCP stream is closed and its record reused on the next
    // loop turn (recycle()), as we may be inside one of its callbacks.
    void finish(Query& q);
    void recycle() override;
    void on_udp_readable(Query& q);
    // False when the listener destroyed the channel.
    bool retry_over_tcp(uint64_t token, Query& q);
    bool live(uint64_t token, const Query* q);
    void on_tcp_readable(Query& q, StreamInput& in);

    SlotTable<Query> queries_;
    RecyclingMap<uint64_t, Query*> by_token_;  // the queries not finished
    std::vector<uint64_t> finished_;           // handles for recycle()
    std::vector<uint8_t> rx_;                  // one receive buffer for every socket
};

}  // namespace muster::resolver::internal
