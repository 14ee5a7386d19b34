// The URLs of http checks and the host:port addresses of tcp checks (the parts of RFC 3986 a
// check uses: scheme, host, port, path and query).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hh"

namespace muster::checks::internal {

enum class Scheme { http, https };

struct Url {
    Scheme scheme = Scheme::http;
    std::string host;  // lower-case name, IPv4 literal, or IPv6 literal without brackets
    uint16_t port = 80;
    std::string target = "/";  // path and query as sent in the request line (RFC 9112 §3.2.1)

    bool host_is_ipv6() const;
    // The Host header (RFC 9110 §7.2): host, "[v6]" in brackets, ":port" unless the default.
    std::string authority() const;
    std::string to_string() const;  // "scheme://authority/target"
};

// An "http://" or "https://" URL: a host name, IPv4 literal or [IPv6] literal, an optional
// port, path and query; a fragment is dropped. User info, other schemes and characters that
// cannot go into a request line are errors saying so. Spaces and non-ASCII bytes in the path
// and query are percent-encoded, as Go's net/url does before sending.
Result<Url> parse_url(std::string_view text);

// A Location header resolved against the URL of the request that got it (RFC 3986 §5.2, with
// the dot-segment removal of §5.2.4; RFC 9110 §10.2.2 allows references in Location).
Result<Url> resolve_reference(const Url& base, std::string_view reference);

struct HostPort {
    std::string host;  // name or IP literal, without brackets
    uint16_t port = 0;
};

// "host:port", "1.2.3.4:port" or "[v6]:port"; the port (1..65535) is required.
Result<HostPort> parse_host_port(std::string_view text);

}  // namespace muster::checks::internal
