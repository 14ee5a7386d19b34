// open_listen_socket: the socket options every worker's listening sockets share.
#include "resolver/internal/listen_socket.hh"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace muster::resolver::internal {
namespace {
void set_option(const Fd& fd, int level, int name, int value) {
    ::setsockopt(fd.get(), level, name, &value, sizeof value);
}

void set_options(const Fd& fd, const SockAddr& addr, ClientTransport transport) {
    set_option(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    // Every worker binds its own socket to the same address; the kernel spreads the load.
    set_option(fd, SOL_SOCKET, SO_REUSEPORT, 1);
    if (addr.family() == AF_INET6)
        set_option(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (transport != ClientTransport::udp)
        return;
    if (addr.is_unspecified()) {
        if (addr.family() == AF_INET)
            set_option(fd, IPPROTO_IP, IP_PKTINFO, 1);
        else
            set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    }
    // RFC 9715 §3.2: answers are never fragmented and path MTU reports (which anyone can
    // forge) are ignored: "probe" sets DF and uses the interface's MTU. An answer larger than
    // that fails to send (EMSGSIZE) and goes out truncated (UdpListener). It also spares the
    // kernel an IP ID per datagram, which unfragmentable datagrams do not need.
    if (addr.family() == AF_INET)
        set_option(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
    else
        set_option(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE);
    set_option(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
    set_option(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20);
}
}  // namespace

Result<Fd> open_listen_socket(const SockAddr& addr, ClientTransport transport) {
    bool udp = transport == ClientTransport::udp;
    Fd fd(::socket(addr.family(), (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   0));
    if (!fd.valid())
        return make_error(std::string("socket: ") + std::strerror(errno));
    set_options(fd, addr, transport);
    if (::bind(fd.get(), addr.get(), addr.len()) != 0)
        return make_error("cannot bind " + std::string(udp ? "UDP " : "TCP ") + addr.to_string() +
                          ": " + std::strerror(errno));
    if (!udp && ::listen(fd.get(), 1024) != 0)
        return make_error("cannot listen on TCP " + addr.to_string() + ": " + std::strerror(errno));
    return fd;
}

}  // namespace muster::resolver::internal
