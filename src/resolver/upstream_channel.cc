// UpstreamChannel::create: picks the UDP or the stream (TCP/TLS) implementation.
#include "resolver/upstream_channel.hh"

#include "common/result.hh"
#include "resolver/internal/stream_channel.hh"
#include "resolver/internal/udp_channel.hh"

namespace muster::resolver {

const char* to_string(UpstreamFailure f) {
    switch (f) {
        case UpstreamFailure::connect:
            return "connect";
        case UpstreamFailure::tls:
            return "tls";
        case UpstreamFailure::timeout:
            return "timeout";
        case UpstreamFailure::malformed:
            return "malformed";
        case UpstreamFailure::shutdown:
            return "shutdown";
    }
    return "unknown";
}

std::unique_ptr<UpstreamChannel> UpstreamChannel::create(EventLoop& loop, const UpstreamSpec& spec,
                                                         TlsClientContext* tls,
                                                         UpstreamListener& listener,
                                                         const ChannelOptions& options) {
    switch (spec.transport) {
        case UpstreamTransport::udp:
            return std::make_unique<internal::UdpChannel>(loop, spec, listener, options);
        case UpstreamTransport::tcp:
            return std::make_unique<internal::StreamChannel>(loop, spec, nullptr, listener,
                                                             options);
        case UpstreamTransport::tls:
            if (tls == nullptr)
                MUSTER_PANIC("TLS upstream " + spec.label + " without a TLS context");
            return std::make_unique<internal::StreamChannel>(loop, spec, tls, listener, options);
    }
    MUSTER_PANIC("unknown upstream transport");
}

}  // namespace muster::resolver
