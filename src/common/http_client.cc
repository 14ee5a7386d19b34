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
#include <optional>

#include "common/ascii.hh"

namespace muster::http {
namespace {

// A field value: OWS around it, and a CR a lenient peer left at the end of the line.
std::string_view trim_field(std::string_view s) {
    return ascii::trim(s, " \t\r");
}

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

// RFC 9112 §7.1: chunk-size [; ext] CRLF data CRLF ... 0 CRLF [trailers] CRLF.
Result<std::string> decode_chunked(std::string_view body) {
    std::string out;
    for (;;) {
        auto eol = body.find("\r\n");
        if (eol == std::string_view::npos)
            return make_error("malformed response: truncated chunked body");
        std::string_view size_text = body.substr(0, eol);
        if (auto semi = size_text.find(';'); semi != std::string_view::npos)
            size_text = size_text.substr(0, semi);
        size_text = trim_field(size_text);
        if (size_text.empty() || size_text.size() > 15)
            return make_error("malformed response: bad chunk size");
        size_t size = 0;
        for (char ch : size_text) {
            int digit = (ch >= '0' && ch <= '9')   ? ch - '0'
                        : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
                        : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                                   : -1;
            if (digit < 0)
                return make_error("malformed response: bad chunk size");
            size = size * 16 + static_cast<size_t>(digit);
        }
        body.remove_prefix(eol + 2);
        if (size == 0)
            return out;
        if (body.size() < size + 2)
            return make_error("malformed response: truncated chunked body");
        out.append(body.substr(0, size));
        body.remove_prefix(size + 2);
    }
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

class Socket {
  public:
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

std::string errno_text(int err) {
    return err == ETIMEDOUT ? std::string("timed out") : std::string(std::strerror(err));
}

// A connected non-blocking socket to one of the host's addresses, or the last error.
Result<int> connect_to(const AgentUrl& url, std::chrono::milliseconds timeout) {
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
        int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          ai->ai_protocol);
        if (fd < 0) {
            last = errno_text(errno);
            continue;
        }
        int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
        int err = rc == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            if (!wait_for(fd, POLLOUT, deadline)) {
                err = errno;
            } else {
                socklen_t len = sizeof err;
                if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                    err = errno;
            }
        }
        if (err == 0) {
            ::freeaddrinfo(list);
            return fd;
        }
        last = errno_text(err);
        ::close(fd);
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

// Whether `raw` already holds a whole response whose length is known from its headers.
bool complete(std::string_view raw) {
    auto end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return false;
    std::string_view headers = raw.substr(0, end);
    std::string_view body = raw.substr(end + 4);
    size_t pos = headers.find("\r\n");
    while (pos != std::string_view::npos) {
        size_t next = headers.find("\r\n", pos + 2);
        std::string_view line = headers.substr(
            pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
        auto colon = line.find(':');
        if (colon != std::string_view::npos &&
            ascii::iequals(trim_field(line.substr(0, colon)), "content-length")) {
            std::string_view value = trim_field(line.substr(colon + 1));
            return all_digits(value) && value.size() < 16 &&
                   body.size() >= std::stoull(std::string(value));
        }
        pos = next;
    }
    return false;  // chunked or until close: read to the end
}

Result<std::string> read_all(int fd, Clock::time_point deadline) {
    std::string raw;
    char buf[16384];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            raw.append(buf, static_cast<size_t>(n));
            if (complete(raw))
                return raw;
            continue;
        }
        if (n == 0)
            return raw;
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

}  // namespace

Result<AgentUrl> parse_agent_url(std::string_view text) {
    std::string_view rest = text;
    uint16_t port = 8500;
    if (auto scheme = rest.find("://"); scheme != std::string_view::npos) {
        std::string_view name = rest.substr(0, scheme);
        if (!ascii::iequals(name, "http"))
            return bad_url(text, "only http:// is supported");
        rest.remove_prefix(scheme + 3);
        port = 80;
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
    url.host = std::string(host);
    url.port = port;
    const bool v6 = url.host.find(':') != std::string::npos;
    url.text = "http://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(port);
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
    auto end = raw.find("\r\n\r\n");
    if (end == std::string_view::npos)
        return make_error(raw.empty() ? "malformed response: the connection closed without one"
                                      : "malformed response: incomplete headers");
    std::string_view head = raw.substr(0, end);
    std::string_view body = raw.substr(end + 4);
    auto eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // RFC 9112 §4: HTTP-version SP 3DIGIT SP [reason].
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ' ||
        !all_digits(status_line.substr(9, 3)))
        return make_error("malformed response: bad status line");
    ClientResponse response;
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    std::optional<size_t> length;
    bool chunked = false;
    std::string_view headers =
        eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    while (!headers.empty()) {
        auto next = headers.find("\r\n");
        std::string_view line = headers.substr(0, next);
        headers = next == std::string_view::npos ? std::string_view() : headers.substr(next + 2);
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return make_error("malformed response: bad header line");
        std::string_view name = trim_field(line.substr(0, colon));
        std::string_view value = trim_field(line.substr(colon + 1));
        if (ascii::iequals(name, "content-length")) {
            if (!all_digits(value) || value.size() > 15)
                return make_error("malformed response: bad Content-Length");
            length = static_cast<size_t>(std::stoull(std::string(value)));
        } else if (ascii::iequals(name, "transfer-encoding")) {
            chunked = ascii::iequals(value, "chunked");
        }
    }
    if (chunked) {
        auto decoded = decode_chunked(body);
        if (!decoded)
            return decoded.error();
        response.body = std::move(*decoded);
    } else if (length) {
        if (body.size() < *length)
            return make_error("malformed response: the body is shorter than its Content-Length");
        response.body = std::string(body.substr(0, *length));
    } else {
        response.body = std::string(body);
    }
    return response;
}

std::string escape_path_segment(std::string_view segment) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : segment) {
        auto c = static_cast<unsigned char>(ch);
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

Result<ClientResponse> send_request(const AgentUrl& url, const ClientRequest& request,
                                    const ClientOptions& options) {
    auto fd = connect_to(url, options.connect_timeout);
    if (!fd)
        return fd.error();
    Socket socket(*fd);
    const auto deadline = Clock::now() + options.read_timeout;
    if (auto sent = write_all(socket.fd(), format_request(url, request), deadline); !sent)
        return sent.error();
    auto raw = read_all(socket.fd(), deadline);
    if (!raw)
        return raw.error();
    return parse_response(*raw);
}

}  // namespace muster::http
