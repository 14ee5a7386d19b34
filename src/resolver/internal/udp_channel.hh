// UdpChannel: DNS over UDP, one connected socket per query, with the TCP retry on TC (RFC 7766 §5).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/stream.hh"
#include "resolver/internal/channel_base.hh"
#include "resolver/internal/question.hh"

namespace muster::resolver::internal {

class UdpChannel final : public ChannelBase {
  public:
    UdpChannel(EventLoop& loop, const UpstreamSpec& spec, UpstreamListener& listener,
               const ChannelOptions& options);
    ~UdpChannel() override;

    void send(uint64_t token, std::span<const uint8_t> query) override;
    void cancel(uint64_t token) override;

  private:
    struct Query;

    void on_deadline(uint64_t token, TimePoint deadline) override;
    // Removes the query; its socket or TCP stream is freed on the next loop turn.
    void finish(uint64_t token);
    void on_udp_readable(uint64_t token);
    // False when the listener destroyed the channel.
    bool retry_over_tcp(uint64_t token, Query& q);
    bool live(uint64_t token, const Query* q) const;
    void on_tcp_readable(uint64_t token, StreamInput& in);

    std::unordered_map<uint64_t, std::unique_ptr<Query>> queries_;
    std::vector<uint8_t> rx_;  // one receive buffer for every socket
};

}  // namespace muster::resolver::internal
