// retry_join entries to server addresses, asked again before every formation/join attempt (a
// DNS name or a cloud listing may change between attempts).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace muster::app {

struct JoinOptions {
    uint16_t default_port = 8300;                    // ports.server, for entries without one
    std::chrono::milliseconds exec_timeout{10'000};  // an exec: command is killed after this
};

// Each entry as config validated it: an IPv4 address or DNS name, with an optional :port, or
// exec:COMMAND. IPv4 literals are kept; a DNS name gives all its IPv4 addresses (getaddrinfo);
// exec:COMMAND runs `/bin/sh -c COMMAND` (stdin /dev/null) and each white-space separated word
// of its stdout is resolved like an entry (but not exec: again). Returns "a.b.c.d:port"
// strings, deduplicated, in order of first appearance; an entry that fails (unknown name,
// command failing or timing out) is logged and skipped. Blocks: call it off the event loops.
std::vector<std::string> resolve_join_addresses(const std::vector<std::string>& entries,
                                                const JoinOptions& options);

}  // namespace muster::app
