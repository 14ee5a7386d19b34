// Resolve-then-connect for the http and tcp probes.
#include "checks/internal/dialer.hh"

namespace muster::checks::internal {

Dialer::Dialer(EventLoop& loop, DialOptions options, DialCallbacks callbacks)
    : loop_(loop), options_(std::move(options)), callbacks_(std::move(callbacks)) {
    lookup_ = HostLookup::start(
        loop_, options_.host, options_.port,
        [this](Result<std::vector<SockAddr>> addrs) { on_resolved(std::move(addrs)); });
}

Dialer::~Dialer() = default;

void Dialer::write(std::span<const uint8_t> data) {
    if (stream_ != nullptr)
        stream_->write(data);
}

void Dialer::on_resolved(Result<std::vector<SockAddr>> addrs) {
    if (!addrs) {
        callbacks_.on_failed(addrs.error().message);
        return;
    }
    addrs_ = std::move(*addrs);
    try_next("no address to connect to");
}

// Connects to the next address; when none is left, the last failure is the reason.
void Dialer::try_next(std::string last_reason) {
    while (next_ < addrs_.size()) {
        StreamOptions stream_options{
            .kind = options_.kind,
            .addr = addrs_[next_++],
            .tls_name = options_.tls_name,
            .tls = options_.tls,
            .connect_timeout = options_.connect_timeout,
        };
        StreamCallbacks stream_callbacks{
            .on_connected = [this] { callbacks_.on_connected(); },
            .on_readable = [this](StreamInput& input) { callbacks_.on_readable(input); },
            .on_closed = [this](StreamEnd end,
                                const std::string& reason) { on_stream_closed(end, reason); },
        };
        auto stream = Stream::connect(loop_, stream_options, std::move(stream_callbacks));
        if (stream) {
            // May destroy the previous stream inside its own on_closed, which Stream allows.
            stream_ = std::move(*stream);
            return;
        }
        last_reason = stream.error().message;
    }
    callbacks_.on_failed(last_reason);
}

void Dialer::on_stream_closed(StreamEnd end, const std::string& reason) {
    if (stream_->established()) {
        callbacks_.on_closed(end, reason);
        return;
    }
    // Another address may accept; a TLS failure or a timeout is the server's answer.
    if (end == StreamEnd::connect_failed && next_ < addrs_.size()) {
        try_next(reason);
        return;
    }
    callbacks_.on_failed(reason);
}

}  // namespace muster::checks::internal
