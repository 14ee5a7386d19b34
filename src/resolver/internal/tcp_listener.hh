// TcpListener: a worker's DNS-over-TCP front end (RFC 7766): accepts connections, splits the
// stream into length-prefixed messages, answers pipelined queries in whatever order they are
// ready, closes idle connections and stops reading while draining.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/address.hh"
#include "common/clock.hh"
#include "common/event_loop.hh"
#include "common/fd.hh"
#include "resolver/internal/query_sink.hh"

namespace muster::resolver::internal {

class TcpListener {
  public:
    struct Limits {
        unsigned max_connections = 1;  // beyond this, new connections are closed at once
        Duration idle_timeout{};       // a connection with nothing pending closes after this
    };

    TcpListener(EventLoop& loop, QuerySink& sink, Limits limits);
    ~TcpListener();
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    // Accepts connections on a listening socket; their queries carry the listener's tag
    // (QueryContext::listener, listener_recursion).
    void listen(Fd fd, ListenerTag listener = {});
    // Serves one connected stream socket (accepted here, or one end of a socketpair in tests).
    void adopt(Fd fd, const SockAddr& peer, ListenerTag listener = {});
    // A pending query is done: sends its answer (if any) on its connection, if still open.
    void complete(const QueryContext& ctx);

    // Draining: closes the listening sockets and stops reading from the connections.
    void stop_reading();
    // True when every connection has written out what it holds.
    bool flushed() const;
    void close_all();
    size_t connections() const { return conns_.size(); }

  private:
    struct Conn;
    struct Listening {
        Fd fd;  // declared before the watcher: the watcher goes first
        std::unique_ptr<IoWatcher> watcher;
        ListenerTag listener;
    };

    void on_accept(Listening& l);
    void on_readable(Conn& c);
    // Runs every complete message in c's input; false when that closed c.
    bool run_messages(Conn& c);
    bool run_message(Conn& c, std::span<const uint8_t> msg);
    void on_writable(Conn& c);
    // Writes one framed answer, keeping what the kernel does not take; false when the
    // write failed and closed c.
    bool send(Conn& c, const uint8_t* data, size_t len);
    void on_idle(uint64_t id);
    void arm_idle(Conn& c);
    void close_conn(uint64_t id);

    EventLoop& loop_;
    QuerySink& sink_;
    Limits limits_;
    bool draining_ = false;
    std::vector<std::unique_ptr<Listening>> listening_;
    std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
    uint64_t next_conn_id_ = 1;
};

}  // namespace muster::resolver::internal
