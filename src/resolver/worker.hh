// Worker: one thread, one event loop, its own SO_REUSEPORT UDP and TCP sockets on every
// listen address, its own pipeline and upstream connections. Workers share only the cache.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event_loop.hh"
#include "common/result.hh"
#include "resolver/cache.hh"
#include "resolver/catalog_zone.hh"
#include "resolver/forwarder.hh"
#include "resolver/local_zone.hh"
#include "resolver/options.hh"
#include "resolver/stage.hh"

namespace muster {
class TlsClientContext;
}

namespace muster::resolver {

struct WorkerStats {
    std::atomic<uint64_t> queries{0}, formerr{0}, dropped{0}, refused{0}, tcp_rejected{0};
};

class Worker {
  public:
    Worker(const Options& options, Cache& cache, TlsClientContext* tls, unsigned index);
    ~Worker();

    // Binds this worker's sockets (called before the thread starts, so errors reach main).
    Result<void> open();
    // Runs the loop on the calling thread until stopped.
    void run();
    // From any thread: stop accepting, finish in-flight queries (bounded by `grace`), return.
    void drain_and_stop(Duration grace);
    // From any thread: swap local data and upstreams.
    void reconfigure(std::shared_ptr<const LocalZone> zone, const Zones& zones);

    const WorkerStats& stats() const { return stats_; }

  private:
    struct UdpSocket {
        int fd = -1;
        bool wildcard = false;  // bound to 0.0.0.0 or ::: replies need the destination address
        std::unique_ptr<IoWatcher> watcher;
    };
    struct TcpListener {
        int fd = -1;
        std::unique_ptr<IoWatcher> watcher;
    };
    struct TcpConn;

    static constexpr size_t udp_batch = 32;
    static constexpr size_t udp_buf_size = 4096;

    void on_udp_readable(UdpSocket& s);
    void on_accept(TcpListener& l);
    void on_tcp_readable(TcpConn& c);
    void on_tcp_writable(TcpConn& c);
    void tcp_send(TcpConn& c, const uint8_t* data, size_t len);
    void close_conn(uint64_t id);
    void arm_idle(TcpConn& c);

    QueryContext* acquire(ClientTransport t);
    void release(QueryContext& ctx);
    enum class Outcome { send, pending, none };
    // Parses and runs the pipeline: send = ctx holds the answer now; pending = a stage keeps
    // ctx and hands it to complete() later; none = nothing to send (ctx is free to release).
    Outcome process(QueryContext& ctx, std::span<const uint8_t> msg);
    void complete(QueryContext& ctx);  // a pending query's answer is ready
    void check_drained();

    Options options_;
    Cache& cache_;
    unsigned index_;
    EventLoop loop_;
    std::shared_ptr<const LocalZone> zone_;
    std::unique_ptr<CatalogZone> catalog_;  // null when there is no catalog source
    Forwarder forwarder_;
    std::vector<std::unique_ptr<Stage>> stages_;

    std::vector<UdpSocket> udp_;
    std::vector<TcpListener> tcp_listeners_;
    std::unordered_map<uint64_t, std::unique_ptr<TcpConn>> conns_;
    uint64_t next_conn_id_ = 1;
    unsigned max_conns_ = 1;

    std::vector<std::unique_ptr<QueryContext>> contexts_;
    std::vector<QueryContext*> free_;
    size_t pending_ = 0;

    // recvmmsg/sendmmsg batches, allocated once.
    std::array<std::array<uint8_t, udp_buf_size>, udp_batch> rx_bufs_{};
    std::array<sockaddr_storage, udp_batch> rx_addrs_{};
    static constexpr size_t ctrl_size = 64;  // room for one in_pktinfo or in6_pktinfo cmsg
    std::array<std::array<uint8_t, ctrl_size>, udp_batch> rx_ctrl_{};
    std::array<std::array<uint8_t, ctrl_size>, udp_batch> tx_ctrl_{};

    bool draining_ = false;
    TimePoint drain_deadline_{};
    std::unique_ptr<Timer> drain_timer_;
    WorkerStats stats_;
};

}  // namespace muster::resolver
