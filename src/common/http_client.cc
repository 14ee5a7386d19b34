// Blocking HTTP/1.1 client over plain sockets: getaddrinfo, non-blocking connect with poll for
// the timeouts, write the request, read to the end of the response.
#include "common/http_client.hh"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "common/ascii.hh"
#include "common/fd.hh"
#include "common/http_response.hh"
#include "common/tls_stream.hh"

namespace muster::http {
namespace {

using Clock = std::chrono::steady_clock;

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char ch : s)
        if (ch < '0' || ch > '9')
            return false;
    return true;
}

Error bad_url(std::string_view text, std::string_view why) {
    return make_error(
        "expected an agent address like \"http://127.0.0.1:8500\" or "
        "\"127.0.0.1:8500\" (got \"" +
        std::string(text) + "\": " + std::string(why) + ")");
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout (errno = ETIMEDOUT).
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{.fd = fd, .events = events, .revents = 0};
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0)
            return true;
        if (n == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR)
            return false;
    }
}

std::string errno_text(int err) {
    return err == ETIMEDOUT ? std::string("timed out") : std::string(std::strerror(err));
}

// A connected non-blocking socket to one of the host's addresses, or the last error.
Result<Fd> connect_to(const AgentUrl& url, std::chrono::milliseconds timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string port = std::to_string(url.port);
    if (int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &list); rc != 0)
        return make_error(url.host + ": " + ::gai_strerror(rc));
    std::string last = "no address";
    const auto deadline = Clock::now() + timeout;
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       ai->ai_protocol));
        if (!fd.valid()) {
            last = errno_text(errno);
            continue;
        }
        int rc = ::connect(fd.get(), ai->ai_addr, ai->ai_addrlen);
        int err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            if (!wait_for(fd.get(), POLLOUT, deadline)) {
                err = errno;
            } else {
                socklen_t len = sizeof err;
                if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                    err = errno;
            }
        }
        if (err == 0) {
            ::freeaddrinfo(list);
            return fd;
        }
        last = errno_text(err);
    }
    ::freeaddrinfo(list);
    return make_error("connect: " + last);
}

Result<void> write_all(int fd, std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(fd, POLLOUT, deadline))
                return make_error("send: " + errno_text(errno));
            continue;
        }
        return make_error("send: " + errno_text(errno));
    }
    return {};
}

ResponseReader reader_for(const ClientRequest& request) {
    return ResponseReader({.head_request = request.method == "HEAD",
                           .max_body_kept = std::numeric_limits<size_t>::max()});
}

// The reader's Error, worded as the command line has always reported it.
Error malformed(const Error& e) {
    return make_error("malformed response: " + e.message);
}

ClientResponse response_of(const ResponseReader& reader) {
    return ClientResponse{.status = reader.status(), .body = reader.body()};
}

// Some bytes from a plain socket; 0 when the peer closed it.
Result<size_t> read_some(int fd, char* buf, size_t size, Clock::time_point deadline) {
    for (;;) {
        ssize_t n = ::recv(fd, buf, size, 0);
        if (n >= 0)
            return static_cast<size_t>(n);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!wait_for(fd, POLLIN, deadline))
                return make_error("reading the response: " + errno_text(errno));
            continue;
        }
        return make_error("reading the response: " + errno_text(errno));
    }
}

using ReadSome = std::function<Result<size_t>(char*, size_t)>;

// Hands a 2xx body read so far to a streaming caller.
void pass_body(ResponseReader& reader, const BodySink* sink) {
    if (sink != nullptr && reader.status() >= 200 && reader.status() <= 299 &&
        !reader.body().empty())
        (*sink)(reader.drain_body());
}

// Reads until the response is complete (its length known from its fields, or a last chunk) or
// the peer closes the connection. With a sink, a 2xx body goes there as it arrives.
Result<ClientResponse> read_response(const ReadSome& read, ResponseReader reader,
                                     const BodySink* sink = nullptr) {
    char buf[16384];
    for (;;) {
        auto n = read(buf, sizeof buf);
        if (!n)
            return n.error();
        if (*n == 0) {
            auto done = reader.finish();
            pass_body(reader, sink);
            if (!done)
                return malformed(done.error());
            return response_of(reader);
        }
        auto fed = reader.feed(std::string_view(buf, *n));
        pass_body(reader, sink);
        if (!fed)
            return malformed(fed.error());
        if (reader.complete())
            return response_of(reader);
    }
}

Result<ClientResponse> exchange_tls(int fd, const AgentUrl& url, const ClientRequest& request,
                                    const ClientTls& tls, Clock::time_point deadline,
                                    const BodySink* sink = nullptr,
                                    std::chrono::milliseconds idle = {}) {
    auto ctx = TlsClientContext::create({.ca_file = tls.ca_file, .verify = tls.verify},
                                        {.cert_file = tls.cert_file, .key_file = tls.key_file});
    if (!ctx)
        return ctx.error();
    auto stream = TlsStream::connect(fd, **ctx, url.host, deadline);
    if (!stream)
        return stream.error();
    if (auto sent = stream->write_all(format_request(url, request), deadline); !sent)
        return sent.error();
    return read_response(
        [&](char* buf, size_t size) {
            // A stream has no deadline, only a bound on the silence between reads.
            return stream->read(buf, size, sink != nullptr ? Clock::now() + idle : deadline);
        },
        reader_for(request), sink);
}

const char* first_set(const Getenv& getenv, const char* muster_name, const char* consul_name,
                      std::string* which) {
    for (const char* name : {muster_name, consul_name}) {
        const char* value = getenv(name);
        if (value != nullptr && *value != '\0') {
            if (which != nullptr)
                *which = name;
            return value;
        }
    }
    return nullptr;
}

}  // namespace

Result<AgentUrl> parse_agent_url(std::string_view text) {
    std::string_view rest = text;
    uint16_t port = 8500;
    Scheme url_scheme = Scheme::http;
    if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
        std::string_view name = rest.substr(0, scheme);
        if (ascii::iequals(name, "http")) {
            port = 80;
        } else if (ascii::iequals(name, "https")) {
            url_scheme = Scheme::https;
            port = 443;
        } else {
            return bad_url(text, "only http:// and https:// are supported");
        }
        rest.remove_prefix(scheme + 3);
    }
    if (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos)
        return bad_url(text, "a path is not allowed");
    std::string_view host = rest;
    std::string_view port_text;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return bad_url(text, "unclosed '['");
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return bad_url(text, "expected ':' after ']'");
            port_text = after.substr(1);
            if (port_text.empty())
                return bad_url(text, "empty port");
        }
    } else if (auto colon = rest.find(':'); colon != std::string_view::npos) {
        if (rest.find(':', colon + 1) != std::string_view::npos)
            return bad_url(text, "an IPv6 address needs brackets");
        host = rest.substr(0, colon);
        port_text = rest.substr(colon + 1);
        if (port_text.empty())
            return bad_url(text, "empty port");
    }
    if (host.empty())
        return bad_url(text, "no host");
    if (!port_text.empty()) {
        if (!all_digits(port_text) || port_text.size() > 5 ||
            std::stoul(std::string(port_text)) == 0 || std::stoul(std::string(port_text)) > 65535)
            return bad_url(text, "the port must be 1..65535");
        port = static_cast<uint16_t>(std::stoul(std::string(port_text)));
    }
    AgentUrl url;
    url.scheme = url_scheme;
    url.host = std::string(host);
    url.port = port;
    const bool v6 = url.host.find(':') != std::string::npos;
    url.text = std::string(url_scheme == Scheme::https ? "https://" : "http://") +
               (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(port);
    return url;
}

std::string format_request(const AgentUrl& url, const ClientRequest& request) {
    const bool v6 = url.host.find(':') != std::string::npos;
    std::string out = request.method + " " + request.target + " HTTP/1.1\r\n";
    out +=
        "Host: " + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port) + "\r\n";
    out += "User-Agent: muster/" MUSTER_VERSION "\r\nAccept: application/json\r\n";
    out += "Connection: close\r\n";
    if (!request.body.empty() || request.method == "PUT" || request.method == "POST") {
        if (!request.content_type.empty())
            out += "Content-Type: " + request.content_type + "\r\n";
        out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    }
    out += "\r\n";
    out += request.body;
    return out;
}

Result<ClientResponse> parse_response(std::string_view raw) {
    ResponseReader reader = reader_for(ClientRequest{});
    if (auto fed = reader.feed(raw); !fed)
        return malformed(fed.error());
    if (auto done = reader.finish(); !done)
        return malformed(done.error());
    return response_of(reader);
}

std::string escape_path_segment(std::string_view segment) {
    std::string out;
    for (char ch : segment) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += ascii::hex_digit_upper(c >> 4);
            out += ascii::hex_digit_upper(c & 15);
        }
    }
    return out;
}

Result<ClientResponse> send_request(const AgentUrl& url, const ClientRequest& request,
                                    const ClientOptions& options) {
    auto fd = connect_to(url, options.connect_timeout);
    if (!fd)
        return fd.error();
    const Fd socket = std::move(*fd);
    const auto deadline = Clock::now() + options.read_timeout;
    if (url.scheme == Scheme::https)
        return exchange_tls(socket.get(), url, request, options.tls, deadline);
    if (auto sent = write_all(socket.get(), format_request(url, request), deadline); !sent)
        return sent.error();
    return read_response(
        [&](char* buf, size_t size) { return read_some(socket.get(), buf, size, deadline); },
        reader_for(request));
}

Result<ClientResponse> stream_request(const AgentUrl& url, const ClientRequest& request,
                                      const ClientOptions& options, const BodySink& sink) {
    auto fd = connect_to(url, options.connect_timeout);
    if (!fd)
        return fd.error();
    const Fd socket = std::move(*fd);
    const auto deadline = Clock::now() + options.connect_timeout;
    if (url.scheme == Scheme::https)
        return exchange_tls(socket.get(), url, request, options.tls, deadline, &sink,
                            options.read_timeout);
    if (auto sent = write_all(socket.get(), format_request(url, request), deadline); !sent)
        return sent.error();
    return read_response(
        [&](char* buf, size_t size) {
            return read_some(socket.get(), buf, size, Clock::now() + options.read_timeout);
        },
        reader_for(request), &sink);
}

Result<AgentEnv> agent_env(const Getenv& getenv) {
    AgentEnv env;
    std::string addr_var;
    const char* addr = first_set(getenv, "MUSTER_HTTP_ADDR", "CONSUL_HTTP_ADDR", &addr_var);
    auto url = parse_agent_url(addr != nullptr ? std::string_view(addr) : default_agent_address);
    if (!url)
        return make_error((addr_var.empty() ? "MUSTER_HTTP_ADDR" : addr_var) + ": " +
                          url.error().message);
    env.url = std::move(*url);
    if (const char* v = first_set(getenv, "MUSTER_CACERT", "CONSUL_CACERT", &env.ca_var))
        env.tls.ca_file = v;
    if (const char* v =
            first_set(getenv, "MUSTER_CLIENT_CERT", "CONSUL_CLIENT_CERT", &env.cert_var))
        env.tls.cert_file = v;
    if (const char* v = first_set(getenv, "MUSTER_CLIENT_KEY", "CONSUL_CLIENT_KEY", &env.key_var))
        env.tls.key_file = v;
    if (env.tls.cert_file.empty() != env.tls.key_file.empty())
        return make_error(env.cert_var.empty()
                              ? env.key_var + " is set without MUSTER_CLIENT_CERT"
                              : env.cert_var + " is set without MUSTER_CLIENT_KEY");
    std::string verify_var;
    if (const char* v =
            first_set(getenv, "MUSTER_HTTP_SSL_VERIFY", "CONSUL_HTTP_SSL_VERIFY", &verify_var)) {
        // Consul parses it with Go's strconv.ParseBool.
        std::string_view text = v;
        if (text == "0" || ascii::iequals(text, "false") || text == "f" || text == "F")
            env.tls.verify = TlsVerify::none;
        else if (!(text == "1" || ascii::iequals(text, "true") || text == "t" || text == "T"))
            return make_error(verify_var + ": expected true or false (got \"" + std::string(text) +
                              "\")");
    }
    return env;
}

}  // namespace muster::http
