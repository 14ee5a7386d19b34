// TCP probes: connect (and with use_tls, complete a verified TLS handshake) within the timeout.
#include "checks/internal/dialer.hh"
#include "checks/internal/tls_contexts.hh"
#include "checks/internal/url.hh"
#include "checks/probe.hh"
#include "common/duration.hh"

namespace muster::checks {
namespace {

// The probe's own timer bounds the whole run and names the timeout in the output; the stream's
// connect timer only backs it up.
constexpr std::chrono::milliseconds backstop{1000};

class TcpProbe final : public Probe {
  public:
    TcpProbe(EventLoop& loop, TcpOptions options)
        : loop_(loop),
          options_(std::move(options)),
          target_(internal::parse_host_port(options_.address)),
          timeout_timer_(loop,
                         [this] {
                             finish({.status = catalog::Status::critical,
                                     .output = prefix() + "timed out after " +
                                               go_duration_text(options_.timeout),
                                     .timed_out = true});
                         }),
          finish_timer_(loop, [this] { deliver(); }) {}

    void run(std::function<void(Outcome)> done) override {
        if (done_)
            MUSTER_PANIC("tcp probe: run() while a run is in flight");
        done_ = std::move(done);
        if (!target_) {
            fail(target_.error().message);
            return;
        }
        TlsClientContext* tls = nullptr;
        if (options_.use_tls) {
            if (tls_ == nullptr) {
                auto shared = internal::shared_tls_context(
                    {.ca_file = options_.ca_file,
                     .verify = options_.tls_skip_verify ? TlsVerify::none : TlsVerify::peer});
                if (!shared) {
                    fail(shared.error().message);
                    return;
                }
                tls_ = std::move(*shared);
            }
            tls = tls_.get();
        }
        timeout_timer_.arm(options_.timeout);
        dialer_ = std::make_unique<internal::Dialer>(
            loop_,
            internal::DialOptions{
                .host = target_->host,
                .port = target_->port,
                .kind = options_.use_tls ? StreamKind::tls : StreamKind::tcp,
                .tls_name =
                    options_.tls_server_name.empty() ? target_->host : options_.tls_server_name,
                .tls = tls,
                .connect_timeout = options_.timeout + backstop,
            },
            internal::DialCallbacks{
                .on_connected =
                    [this] {
                        // Consul's output (agent/checks/check.go, CheckTCP).
                        finish(
                            {.status = catalog::Status::passing, .output = prefix() + "Success"});
                    },
                .on_readable = [](StreamInput&) {},
                .on_failed = [this](const std::string& reason) { fail(reason); },
                .on_closed = [](StreamEnd, const std::string&) {},
            });
    }

  private:
    std::string prefix() const {
        return std::string(options_.use_tls ? "TCP+TLS" : "TCP") + " connect " + options_.address +
               ": ";
    }

    void fail(const std::string& reason) {
        finish({.status = catalog::Status::critical, .output = prefix() + reason});
    }

    // Called inside the dialer's callbacks too: destroying it there is allowed.
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
    TcpOptions options_;
    Result<internal::HostPort> target_;
    std::function<void(Outcome)> done_;
    std::shared_ptr<TlsClientContext> tls_;
    Timer timeout_timer_;
    Timer finish_timer_;
    Outcome result_;
    std::unique_ptr<internal::Dialer> dialer_;  // last: destroyed before tls_ and the timers
};

}  // namespace

std::unique_ptr<Probe> make_tcp_probe(EventLoop& loop, TcpOptions options) {
    return std::make_unique<TcpProbe>(loop, std::move(options));
}

}  // namespace muster::checks
