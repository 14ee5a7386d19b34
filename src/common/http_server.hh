// HttpServer: RAII over libevent's evhttp: listeners, one routing callback, deferred replies.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/address.hh"
#include "common/event_loop.hh"
#include "common/result.hh"

struct evhttp;
struct evhttp_request;
struct bufferevent;
struct event_base;

namespace muster {
class TlsServerContext;
}

namespace muster::http {

enum class Method { get, head, put, post, del, other };

std::string_view method_name(Method m);  // "GET", "PUT", ...

using Header = std::pair<std::string, std::string>;

// What the client sent; transport-independent so handlers test without sockets.
struct Request {
    Method method = Method::get;
    std::string path;                                        // percent-decoded, without the query
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
    std::vector<Header> headers;
    std::string body;

    bool has_param(std::string_view name) const;
    // The first value of a query parameter (present without a value: "").
    std::optional<std::string> param(std::string_view name) const;
    std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

struct Response {
    int status = 200;
    std::vector<Header> headers{};
    std::string body{};
    std::string content_type = "text/plain; charset=utf-8";
};

// The body of a streamed reply (chunked transfer coding), open until the client goes away, the
// server closes, or this is destroyed (which sends the last chunk). On the server's loop only.
class Stream {
  public:
    virtual ~Stream() = default;
    // Sends `data` as one chunk; `written` runs on the loop once it has left the connection's
    // buffer (never when the client went away first). One write at a time: wait for
    // `written` before the next, so a slow client holds one chunk, not an unbounded buffer.
    virtual void write(std::string_view data, std::function<void()> written) = 0;
    // The client went away or the server closed: writes are dropped.
    virtual bool closed() const = 0;
};

// One request awaiting its reply. Reply exactly once, now or later (blocking queries); a reply
// after the server has closed, or a second reply, is dropped.
class Exchange {
  public:
    virtual ~Exchange() = default;
    virtual const Request& request() const = 0;
    virtual void reply(Response response) = 0;
    virtual bool replied() const = 0;
    // Replies with head's status, headers and content type and a body sent in pieces through
    // the Stream (this counts as the reply). `on_close` runs on the loop when the client goes
    // away or the server closes while the Stream lives, and may destroy it. nullptr when the
    // server has closed or the exchange cannot stream (then it has replied 500).
    virtual std::unique_ptr<Stream> stream(Response head, std::function<void()> on_close);
};

using Handler = std::function<void(std::shared_ptr<Exchange>)>;

struct ServerOptions {
    size_t max_body_bytes = size_t{1} << 20;  // larger bodies get 413 before the handler runs
    // Paths (exact, percent-decoded) whose bodies may be larger, with their own limit (a
    // snapshot restore). libevent 2.1 cannot tell the path before it reads a body, so any
    // request may bring the largest limit's bytes; the others get 413 once read.
    std::vector<std::pair<std::string, size_t>> larger_bodies{};
    // Idle keep-alive connections are closed after this; it must outlast blocking queries.
    std::chrono::seconds idle_timeout{660};
};

class HttpServer {
  public:
    HttpServer(EventLoop& loop, ServerOptions options, Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Every listener opened after this speaks TLS with `tls` (which must outlive the server).
    // One server is either plain or TLS: serve both with two servers and one handler.
    void use_tls(const TlsServerContext& tls);
    // Binds and listens; port 0 picks a free port. Returns the bound address. The error names
    // the address.
    Result<SockAddr> listen(const SockAddr& addr);
    // Closes every listener and connection; pending exchanges can no longer reply.
    void close();

    struct Live;  // exchanges that may still reply (internal)

  private:
    static void on_request(evhttp_request* req, void* arg);
    size_t body_limit(const std::string& path) const;
    static bufferevent* on_tls_connection(event_base* base, void* arg);
    EventLoop& loop_;
    ServerOptions options_;
    Handler handler_;
    evhttp* http_ = nullptr;
    const TlsServerContext* tls_ = nullptr;
    std::shared_ptr<Live> live_;
};

}  // namespace muster::http
