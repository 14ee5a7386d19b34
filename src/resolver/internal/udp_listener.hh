// UdpListener: one UDP socket of a worker (RFC 1035 §4.2.1); reads queries in recvmmsg
// batches, hands them to the sink and sends the answers ready at once in one sendmmsg.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <memory>
#include <span>

#include "common/event_loop.hh"
#include "common/fd.hh"
#include "resolver/internal/context_pool.hh"
#include "resolver/internal/query_sink.hh"

namespace muster::resolver::internal {

class UdpListener {
  public:
    // wildcard: bound to 0.0.0.0 or ::, so answers must leave from the address each query was
    // sent to (the socket must have IP_PKTINFO / IPV6_RECVPKTINFO on).
    enum class Binding { address, wildcard };

    // Takes fd (any datagram socket: tests use a socketpair); starts reading at once. Every
    // query carries the listener's tag (QueryContext::listener, listener_recursion).
    UdpListener(EventLoop& loop, Fd fd, Binding binding, QuerySink& sink,
                ListenerTag listener = {});
    UdpListener(const UdpListener&) = delete;
    UdpListener& operator=(const UdpListener&) = delete;

    // Stops reading (draining); the socket stays open for the pending answers.
    void stop_reading();
    // Sends the answers of queries that were pending (UDP, length > 0), each on the socket it
    // came in on: one sendmmsg per run of answers on the same socket, at most late_batch.
    static constexpr size_t late_batch = 32;
    static void send_late(std::span<QueryContext* const> ctxs);

  private:
    static constexpr size_t batch = 32;
    static constexpr size_t ctrl_size = 64;  // room for one in_pktinfo or in6_pktinfo cmsg

    void on_readable();
    // One recvmmsg batch; the number of datagrams read (< batch: the socket is empty).
    size_t read_batch();
    void prepare_receive();
    // Runs the query of datagram i; true when its answer joins the batch's sendmmsg.
    bool handle(size_t i, size_t slot);
    void send_batch(size_t ready);

    Fd fd_;  // declared before the watcher: the watcher goes first
    bool wildcard_;
    ListenerTag listener_;
    QuerySink& sink_;
    std::unique_ptr<IoWatcher> watcher_;

    // recvmmsg/sendmmsg batches, allocated once.
    std::array<std::array<uint8_t, udp_buf_size>, batch> rx_bufs_{};
    std::array<sockaddr_storage, batch> rx_addrs_{};
    std::array<std::array<uint8_t, ctrl_size>, batch> rx_ctrl_{};
    std::array<std::array<uint8_t, ctrl_size>, batch> tx_ctrl_{};
    std::array<mmsghdr, batch> rx_msgs_{};
    std::array<iovec, batch> rx_iov_{};
    std::array<mmsghdr, batch> tx_msgs_{};
    std::array<iovec, batch> tx_iov_{};
    std::array<QueryContext*, batch> ready_{};
};

}  // namespace muster::resolver::internal
