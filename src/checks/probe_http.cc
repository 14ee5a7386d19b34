// HTTP probes: one HTTP/1.1 request per run over a Stream (plain or verified TLS), with
// redirects followed as Go's http.Client does for Consul, and the whole run bounded by the
// check's timeout.
#include <array>
#include <cctype>
#include <string_view>

#include "checks/internal/dialer.hh"
#include "checks/internal/tls_contexts.hh"
#include "checks/internal/url.hh"
#include "checks/probe.hh"
#include "common/ascii.hh"
#include "common/duration.hh"
#include "common/http_response.hh"

namespace muster::checks {
namespace {

using internal::Url;

// The probe's own timer bounds the whole run and names the timeout in the output; the stream's
// connect timer only backs it up.
constexpr std::chrono::milliseconds backstop{1000};

constexpr int max_redirects = 10;  // Go's http.Client default, which Consul keeps

bool has_header(const std::map<std::string, std::vector<std::string>>& headers,
                std::string_view name) {
    for (const auto& [key, values] : headers)
        if (ascii::iequals(key, name) && !values.empty())
            return true;
    return false;
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Consul's mapping (agent/checks/check.go, CheckHTTP).
catalog::Status status_for(int code) {
    if (code >= 200 && code <= 299)
        return catalog::Status::passing;
    if (code == 429)
        return catalog::Status::warning;
    return catalog::Status::critical;
}

class HttpProbe final : public Probe {
  public:
    HttpProbe(EventLoop& loop, HttpOptions options)
        : loop_(loop),
          options_(std::move(options)),
          url_(internal::parse_url(options_.url)),
          timeout_timer_(loop, [this] { on_timeout(); }),
          finish_timer_(loop, [this] { deliver(); }) {}

    void run(std::function<void(Outcome)> done) override {
        if (done_)
            MUSTER_PANIC("http probe: run() while a run is in flight");
        done_ = std::move(done);
        if (!url_) {
            fail(url_.error().message);
            return;
        }
        method_ = options_.method.empty() ? "GET" : options_.method;
        body_ = options_.body;
        header_ = options_.header;
        redirects_ = 0;
        timeout_timer_.arm(options_.timeout);
        start(*url_);
    }

  private:
    void start(const Url& url) {
        current_ = url;
        TlsClientContext* tls = nullptr;
        if (url.scheme == internal::Scheme::https) {
            auto context = tls_context();
            if (!context) {
                fail(context.error().message);
                return;
            }
            tls = *context;
        }
        reader_ = http::ResponseReader(
            {.head_request = method_ == "HEAD", .max_body_kept = max_output_bytes});
        dialer_ = std::make_unique<internal::Dialer>(
            loop_,
            internal::DialOptions{
                .host = url.host,
                .port = url.port,
                .kind = tls != nullptr ? StreamKind::tls : StreamKind::tcp,
                .tls_name = options_.tls_server_name.empty() ? url.host : options_.tls_server_name,
                .tls = tls,
                .connect_timeout = options_.timeout + backstop,
            },
            internal::DialCallbacks{
                .on_connected = [this] { send_request(); },
                .on_readable = [this](StreamInput& input) { on_readable(input); },
                .on_failed = [this](const std::string& reason) { fail(reason); },
                .on_closed = [this](StreamEnd end,
                                    const std::string& reason) { on_closed(end, reason); },
            });
    }

    Result<TlsClientContext*> tls_context() {
        if (tls_ == nullptr) {
            auto shared = internal::shared_tls_context(
                {.ca_file = options_.ca_file,
                 .verify = options_.tls_skip_verify ? TlsVerify::none : TlsVerify::peer});
            if (!shared)
                return shared.error();
            tls_ = std::move(*shared);
        }
        return tls_.get();
    }

    // RFC 9112 §3: the request line, then the fields Go's client sends for Consul's check.
    void send_request() {
        std::string req = method_ + " " + current_.target + " HTTP/1.1\r\n";
        auto add = [&req](std::string_view name, std::string_view value) {
            req.append(name).append(": ").append(value).append("\r\n");
        };
        std::string host = current_.authority();
        for (const auto& [name, values] : header_)
            if (ascii::iequals(name, "Host") && !values.empty())
                host = values.front();  // Go sends a Host header as the request's host
        add("Host", host);
        if (!has_header(header_, "User-Agent"))
            add("User-Agent", "Consul Health Check");
        if (!has_header(header_, "Accept"))
            add("Accept", "text/plain, text/*, */*");
        for (const auto& [name, values] : header_) {
            // Framing is ours to set (Go ignores these in Request.Header too).
            if (ascii::iequals(name, "Host") || ascii::iequals(name, "Content-Length") ||
                ascii::iequals(name, "Transfer-Encoding") || ascii::iequals(name, "Connection"))
                continue;
            for (const auto& value : values)
                add(name, value);
        }
        if (!body_.empty() || method_ == "POST" || method_ == "PUT" || method_ == "PATCH")
            add("Content-Length", std::to_string(body_.size()));
        add("Connection", "close");
        req += "\r\n";
        req += body_;
        dialer_->write({reinterpret_cast<const uint8_t*>(req.data()), req.size()});
    }

    void on_readable(StreamInput& input) {
        std::array<uint8_t, 16384> buf;
        while (input.size() > 0 && !reader_.complete()) {
            size_t n = input.peek(buf);
            input.drain(n);
            auto fed = reader_.feed({reinterpret_cast<const char*>(buf.data()), n});
            if (!fed) {
                fail("malformed response: " + fed.error().message);
                return;
            }
        }
        if (reader_.complete())
            on_response();
    }

    void on_closed(StreamEnd end, const std::string& reason) {
        if (end != StreamEnd::eof) {
            fail(reason);
            return;
        }
        auto finished = reader_.finish();
        if (!finished) {
            fail(finished.error().message);
            return;
        }
        on_response();
    }

    void on_response() {
        int code = reader_.status();
        auto location = reader_.header("Location");
        if (is_redirect(code) && location && !options_.disable_redirects) {
            follow(code, *location);
            return;
        }
        std::string status_text = std::to_string(code);
        if (!reader_.reason().empty())
            status_text += " " + reader_.reason();
        finish({.status = status_for(code),
                .output = prefix() + status_text + " Output: " + reader_.body()});
    }

    // As Go's http.Client: 301/302/303 turn the request into a body-less GET (HEAD stays
    // HEAD), 307/308 repeat it as it was; credentials are not sent to another host.
    void follow(int code, const std::string& location) {
        if (++redirects_ > max_redirects) {
            fail("stopped after " + std::to_string(max_redirects) + " redirects");
            return;
        }
        auto next = internal::resolve_reference(current_, location);
        if (!next) {
            fail("bad redirect Location: " + next.error().message);
            return;
        }
        if (code != 307 && code != 308) {
            if (method_ != "HEAD")
                method_ = "GET";
            body_.clear();
        }
        if (next->host != current_.host)
            for (auto it = header_.begin(); it != header_.end();)
                it = ascii::iequals(it->first, "Authorization") ||
                             ascii::iequals(it->first, "Cookie") ||
                             ascii::iequals(it->first, "Www-Authenticate") ||
                             ascii::iequals(it->first, "Cookie2")
                         ? header_.erase(it)
                         : std::next(it);
        // Inside a callback of the old stream: start() replaces (destroys) it, which Stream
        // allows as long as nothing touches it afterwards.
        start(*next);
    }

    void on_timeout() {
        finish({.status = catalog::Status::critical,
                .output = prefix() + "timed out after " + go_duration_text(options_.timeout),
                .timed_out = true});
    }

    std::string prefix() const { return "HTTP " + method_of_run() + " " + options_.url + ": "; }
    // Consul names the configured method and URL, whatever redirects did.
    std::string method_of_run() const { return options_.method.empty() ? "GET" : options_.method; }

    void fail(const std::string& reason) {
        finish({.status = catalog::Status::critical, .output = prefix() + reason});
    }

    void finish(Outcome outcome) {
        timeout_timer_.cancel();
        dialer_.reset();
        result_ = std::move(outcome);
        finish_timer_.arm(Duration::zero());
    }

    void deliver() {
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(result_));  // last: the owner may destroy or re-run the probe in here
    }

    EventLoop& loop_;
    HttpOptions options_;
    Result<Url> url_;
    std::function<void(Outcome)> done_;
    std::shared_ptr<TlsClientContext> tls_;
    Timer timeout_timer_;
    Timer finish_timer_;
    std::string method_;
    std::string body_;
    std::map<std::string, std::vector<std::string>> header_;
    int redirects_ = 0;
    Url current_;
    http::ResponseReader reader_;
    Outcome result_;
    std::unique_ptr<internal::Dialer> dialer_;  // last: destroyed before tls_ and the timers
};

}  // namespace

std::unique_ptr<Probe> make_http_probe(EventLoop& loop, HttpOptions options) {
    return std::make_unique<HttpProbe>(loop, std::move(options));
}

}  // namespace muster::checks
