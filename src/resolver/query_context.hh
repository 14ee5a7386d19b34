// QueryContext: one query's state from receipt to reply. Pooled per worker and reused, so
// the hot path allocates nothing; the response buffer keeps its capacity between queries.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <vector>

#include "common/address.hh"
#include "common/clock.hh"
#include "dns/wire.hh"

namespace muster::resolver {

enum class ClientTransport { udp, tcp };

// How an answer was made: the `answer` label of the DNS metrics.
enum class AnswerSource : uint8_t { catalog, local, cache, forwarded, stale, refused, error };
inline constexpr size_t answer_source_count = 7;
const char* answer_source_name(AnswerSource s);

// The address a UDP query was sent to, when the socket is bound to the wildcard: the answer
// must leave from that address or the client drops it (IP_PKTINFO / RFC 3542 IPV6_PKTINFO).
struct LocalDestination {
    int family = 0;  // 0: not known (socket bound to one address)
    in_addr v4{};
    in6_addr v6{};
};

// The listener a query came in on: its place in Options::listen and its recursion policy.
struct ListenerTag {
    uint16_t index = 0;
    bool recursion = true;  // false: a zone-only listener
};

struct QueryContext {
    // Where the query came from and how to answer.
    ClientTransport transport = ClientTransport::udp;
    SockAddr client;
    int udp_fd = -1;         // udp: the socket it arrived on
    LocalDestination local;  // udp on a wildcard socket: where the query was sent
    uint64_t tcp_conn = 0;   // tcp: the connection id (the connection may be gone by the reply)
    bool listener_recursion = true;  // false: a zone-only listener (set by the front end)
    uint16_t listener = 0;           // index in Options::listen (set by the front end)
    TimePoint received{};            // when the worker took the query, for its latency
    AnswerSource answer = AnswerSource::error;  // set by the stage that answers

    dns::Query query;
    bool recursion_allowed = false;
    dns::EdnsOut edns;   // the OPT record the reply will carry (present iff the client's had)
    size_t limit = 512;  // the most the reply may take

    std::vector<uint8_t> response;  // capacity set once per context
    size_t length = 0;              // bytes of response to send; 0 = send nothing

    uint32_t slot = 0;  // index in the worker's context pool
};

}  // namespace muster::resolver
