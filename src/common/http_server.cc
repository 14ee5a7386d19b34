// RAII over evhttp: the only file that includes libevent's HTTP headers.
#include "common/http_server.hh"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/ascii.hh"
#include "common/fd.hh"
#include "common/tls.hh"

namespace muster::http {

struct HttpServer::Live {
    bool open = true;
};

namespace {

Method to_method(evhttp_cmd_type cmd) {
    switch (cmd) {
        case EVHTTP_REQ_GET:
            return Method::get;
        case EVHTTP_REQ_HEAD:
            return Method::head;
        case EVHTTP_REQ_PUT:
            return Method::put;
        case EVHTTP_REQ_POST:
            return Method::post;
        case EVHTTP_REQ_DELETE:
            return Method::del;
        default:
            return Method::other;
    }
}

const char* reason_phrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 413:
            return "Payload Too Large";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

// Percent-decoding as Go's url.QueryUnescape (plus_is_space) or PathUnescape; a malformed
// escape is kept literally.
std::string unescape(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%' && i + 2 < s.size()) {
            int hi = ascii::hex_digit_value(s[i + 1]);
            int lo = ascii::hex_digit_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view q) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!q.empty()) {
        size_t amp = q.find('&');
        std::string_view part = q.substr(0, amp);
        q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
        if (part.empty())
            continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos)
            out.emplace_back(unescape(part, true), std::string{});
        else
            out.emplace_back(unescape(part.substr(0, eq), true),
                             unescape(part.substr(eq + 1), true));
    }
    return out;
}

void add_headers(evhttp_request* req, const Response& response) {
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", response.content_type.c_str());
    for (const auto& [name, value] : response.headers)
        evhttp_add_header(out, name.c_str(), value.c_str());
}

// A chunked reply over evhttp. evhttp frees the request itself when the server closes; when the
// client goes away first it only detaches it (the reply is unfinished) and leaves freeing it
// to us.
class EvStream final : public Stream {
  public:
    EvStream(evhttp_request* req, const Response& head, std::chrono::seconds write_timeout,
             std::function<void()> on_close)
        : req_(req), on_close_(std::move(on_close)) {
        add_headers(req_, head);
        evhttp_send_reply_start(req_, head.status, reason_phrase(head.status));
        evhttp_connection* conn = evhttp_request_get_connection(req_);
        evhttp_connection_set_closecb(conn, &EvStream::on_connection_closed, this);
        // The client sends nothing while it listens: no read timeout, or the idle timeout would
        // end every quiet stream. A client that stops reading still times out on writes.
        timeval write_tv{static_cast<time_t>(write_timeout.count()), 0};
        bufferevent_set_timeouts(evhttp_connection_get_bufferevent(conn), nullptr, &write_tv);
    }
    ~EvStream() override {
        if (req_ == nullptr)
            return;
        evhttp_connection_set_closecb(evhttp_request_get_connection(req_), nullptr, nullptr);
        evhttp_send_reply_end(req_);  // the last chunk; evhttp owns the request from here
    }
    EvStream(const EvStream&) = delete;
    EvStream& operator=(const EvStream&) = delete;

    void write(std::string_view data, std::function<void()> written) override {
        if (req_ == nullptr)
            return;
        written_ = std::move(written);
        evbuffer* chunk = evbuffer_new();
        evbuffer_add(chunk, data.data(), data.size());
        evhttp_send_reply_chunk_with_cb(req_, chunk, &EvStream::on_written, this);
        evbuffer_free(chunk);
    }
    bool closed() const override { return req_ == nullptr; }

  private:
    static void on_written(evhttp_connection*, void* arg) {
        auto* self = static_cast<EvStream*>(arg);
        auto written = std::move(self->written_);
        self->written_ = nullptr;
        if (written)
            written();  // may destroy self
    }
    static void on_connection_closed(evhttp_connection*, void* arg) {
        auto* self = static_cast<EvStream*>(arg);
        // Detached (the client went away): ours to free. Attached: evhttp frees it next.
        if (evhttp_request_get_connection(self->req_) == nullptr)
            evhttp_request_free(self->req_);
        self->req_ = nullptr;
        self->written_ = nullptr;
        auto on_close = std::move(self->on_close_);
        if (on_close)
            on_close();  // may destroy self
    }

    evhttp_request* req_;
    std::function<void()> on_close_;
    std::function<void()> written_;
};

class EvExchange final : public Exchange {
  public:
    EvExchange(evhttp_request* req, std::shared_ptr<HttpServer::Live> live, Request request,
               std::chrono::seconds write_timeout)
        : req_(req),
          live_(std::move(live)),
          request_(std::move(request)),
          write_timeout_(write_timeout) {}
    ~EvExchange() override {
        // A handler that dropped its exchange would leave the client waiting forever.
        if (!replied_)
            reply(Response{.status = 500, .body = "request dropped without a reply\n"});
    }
    const Request& request() const override { return request_; }
    bool replied() const override { return replied_; }

    void reply(Response response) override {
        if (replied_)
            return;
        replied_ = true;
        if (!live_->open)
            return;  // the server closed: evhttp has freed the request
        add_headers(req_, response);
        evbuffer* body = evbuffer_new();
        evbuffer_add(body, response.body.data(), response.body.size());
        evhttp_send_reply(req_, response.status, reason_phrase(response.status), body);
        evbuffer_free(body);
    }

    std::unique_ptr<Stream> stream(Response head, std::function<void()> on_close) override {
        if (replied_ || !live_->open) {
            replied_ = true;
            return nullptr;
        }
        replied_ = true;
        return std::make_unique<EvStream>(req_, head, write_timeout_, std::move(on_close));
    }

  private:
    evhttp_request* req_;
    std::shared_ptr<HttpServer::Live> live_;
    Request request_;
    std::chrono::seconds write_timeout_;
    bool replied_ = false;
};

Request read_request(evhttp_request* req) {
    Request r;
    r.method = to_method(evhttp_request_get_command(req));
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* path = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
    r.path = unescape(path != nullptr && *path != '\0' ? path : "/", false);
    const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
    if (query != nullptr)
        r.query = parse_query(query);
    evkeyvalq* in = evhttp_request_get_input_headers(req);
    for (evkeyval* h = in->tqh_first; h != nullptr; h = h->next.tqe_next)
        r.headers.emplace_back(h->key, h->value);
    evbuffer* body = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(body);
    r.body.resize(n);
    if (n > 0)
        evbuffer_copyout(body, r.body.data(), n);
    return r;
}

}  // namespace

std::unique_ptr<Stream> Exchange::stream(Response, std::function<void()>) {
    reply(Response{.status = 500, .body = "this server cannot stream a reply\n"});
    return nullptr;
}

std::string_view method_name(Method m) {
    switch (m) {
        case Method::get:
            return "GET";
        case Method::head:
            return "HEAD";
        case Method::put:
            return "PUT";
        case Method::post:
            return "POST";
        case Method::del:
            return "DELETE";
        case Method::other:
            return "OTHER";
    }
    return "OTHER";
}

bool Request::has_param(std::string_view name) const {
    for (const auto& [k, v] : query)
        if (k == name)
            return true;
    return false;
}

std::optional<std::string> Request::param(std::string_view name) const {
    for (const auto& [k, v] : query)
        if (k == name)
            return v;
    return std::nullopt;
}

std::optional<std::string> Request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0)
            return v;
    return std::nullopt;
}

HttpServer::HttpServer(EventLoop& loop, ServerOptions options, Handler handler)
    : loop_(loop),
      options_(options),
      handler_(std::move(handler)),
      live_(std::make_shared<Live>()) {
    http_ = evhttp_new(loop_.raw());
    if (http_ == nullptr)
        MUSTER_PANIC("evhttp_new failed");
    size_t largest = options_.max_body_bytes;
    for (const auto& [path, limit] : options_.larger_bodies)
        largest = std::max(largest, limit);
    evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(largest));

    // Let every method reach the handler, which answers 405 for those a path does not take.
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                          EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                          EVHTTP_REQ_PATCH);
    timeval idle{static_cast<time_t>(options_.idle_timeout.count()), 0};
    evhttp_set_timeout_tv(http_, &idle);
    // Read the rest of an oversized body before closing so the client sees the 413.
    evhttp_set_flags(http_, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_gencb(http_, &HttpServer::on_request, this);
}

HttpServer::~HttpServer() {
    close();
}

void HttpServer::close() {
    if (http_ == nullptr)
        return;
    live_->open = false;
    evhttp_free(http_);
    http_ = nullptr;
}

void HttpServer::use_tls(const TlsServerContext& tls) {
    tls_ = &tls;
    if (http_ != nullptr)
        evhttp_set_bevcb(http_, &HttpServer::on_tls_connection, this);
}

bufferevent* HttpServer::on_tls_connection(event_base* base, void* arg) {
    auto* self = static_cast<HttpServer*>(arg);
    ssl_st* ssl = self->tls_->new_connection();
    if (ssl == nullptr)
        return nullptr;  // evhttp closes the connection
    // The bufferevent owns the SSL (freed with it); evhttp sets the socket on it.
    return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

Result<SockAddr> HttpServer::listen(const SockAddr& addr) {
    std::string where = (tls_ != nullptr ? "HTTPS listener " : "HTTP listener ") + addr.to_string();
    if (http_ == nullptr)
        return make_error(where + ": server is closed");
    Fd owned(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!owned.valid())
        return make_error(where + ": socket: " + std::strerror(errno));
    const int fd = owned.get();
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr.family() == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (::bind(fd, addr.get(), addr.len()) != 0 || ::listen(fd, 128) != 0)
        return make_error(where + ": " + std::strerror(errno));
    if (evhttp_accept_socket_with_handle(http_, fd) == nullptr)
        return make_error(where + ": evhttp cannot accept on it");
    // evhttp's listener owns the socket now and closes it when the server is freed.
    owned.release();
    SockAddr bound;
    *bound.len_ptr() = bound.capacity();
    if (getsockname(fd, bound.get(), bound.len_ptr()) != 0)
        return make_error(where + ": getsockname: " + std::strerror(errno));
    return bound;
}

size_t HttpServer::body_limit(const std::string& path) const {
    for (const auto& [p, limit] : options_.larger_bodies)
        if (p == path)
            return limit;
    return options_.max_body_bytes;
}

void HttpServer::on_request(evhttp_request* req, void* arg) {
    auto* self = static_cast<HttpServer*>(arg);
    auto exchange = std::make_shared<EvExchange>(req, self->live_, read_request(req),
                                                 self->options_.idle_timeout);
    const Request& r = exchange->request();
    if (size_t limit = self->body_limit(r.path); r.body.size() > limit) {
        exchange->reply(
            Response{.status = 413,
                     .body = "request body larger than " + std::to_string(limit) + " bytes\n"});
        return;
    }
    self->handler_(std::move(exchange));
}

}  // namespace muster::http
