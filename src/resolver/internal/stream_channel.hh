// StreamChannel: DNS over one persistent, pipelined TCP or TLS connection (RFC 7766, RFC 7858).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/stream.hh"
#include "common/tls.hh"
#include "resolver/internal/channel_base.hh"
#include "resolver/internal/question.hh"
#include "resolver/internal/recycling_map.hh"

namespace muster::resolver::internal {

class StreamChannel final : public ChannelBase {
  public:
    StreamChannel(EventLoop& loop, const UpstreamSpec& spec, TlsClientContext* tls,
                  UpstreamListener& listener, const ChannelOptions& options);
    ~StreamChannel() override;

    void send(uint64_t token, std::span<const uint8_t> query) override;
    void cancel(uint64_t token) override;

  private:
    enum class State { idle, connecting, connected, backoff };

    struct Pending {
        std::vector<uint8_t> frame;  // length prefix + query, ID at frame[2..3]
        Question question;
        TimePoint deadline;
        uint16_t id = 0;
        bool written = false;
    };

    void on_deadline(uint64_t token, TimePoint deadline) override;
    void connect();
    void write_waiting();
    uint16_t unused_id();
    void remove(uint64_t token);
    // Every query fails with `why` (through the failure queue) and is forgotten.
    void fail_all(UpstreamFailure why);
    void arm_idle_if_unused();
    void on_idle();
    void on_connected();
    void on_readable(StreamInput& in);
    // False when the listener destroyed the channel.
    bool on_frame(std::span<const uint8_t> msg);
    void on_closed(StreamEnd end, const std::string& reason);
    void log_connect_failure(StreamEnd end, const std::string& reason);

    TlsClientContext* tls_;
    // Declared before stream_: streams refer to it until they are freed.
    TlsSessionSlot session_;
    State state_ = State::idle;
    std::unique_ptr<Stream> stream_;
    // Both indexes reuse their nodes: no allocation per query once warm.
    RecyclingMap<uint64_t, Pending> queries_;     // by token: written or waiting
    std::deque<uint64_t> waiting_;                // tokens not written yet, in order
    RecyclingMap<uint16_t, uint64_t> in_flight_;  // ID → token, written on stream_
    unsigned max_in_flight_;
    std::chrono::milliseconds backoff_;
    Timer idle_timer_;
    Timer backoff_timer_;
    Timer flush_timer_;         // writes what send() queued, once per loop iteration
    std::vector<uint8_t> out_;  // the frames of one write, together
    LogLimiter tls_log_limit_;
    LogLimiter connect_log_limit_;
};

}  // namespace muster::resolver::internal
