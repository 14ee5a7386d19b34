// open_listen_socket: one worker's SO_REUSEPORT socket on a listen address, UDP or TCP.
#pragma once

#include "common/address.hh"
#include "common/fd.hh"
#include "common/result.hh"
#include "resolver/query_context.hh"

namespace muster::resolver::internal {

// Non-blocking, bound (and listening, for TCP); UDP sockets on the wildcard address also
// report each datagram's destination (IP_PKTINFO / IPV6_RECVPKTINFO).
Result<Fd> open_listen_socket(const SockAddr& addr, ClientTransport transport);

}  // namespace muster::resolver::internal
