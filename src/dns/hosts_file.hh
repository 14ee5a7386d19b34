// hosts(5) file parsing: "ADDRESS NAME [ALIAS...]" lines, '#' comments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/address.hh"
#include "dns/name.hh"

namespace muster::dns {

struct HostsEntry {
    SockAddr addr;   // IPv4 or IPv6, port 0
    Name name;       // lowercased
    bool canonical;  // the first name on its line: PTR for addr points at it
};

struct HostsParseResult {
    std::vector<HostsEntry> entries;
    std::vector<std::string> warnings;  // "line N: why" for skipped lines (bad address or name)
};

// Never fails as a whole: bad lines are skipped with a warning, as glibc and dnsmasq do.
HostsParseResult parse_hosts(std::string_view text);

}  // namespace muster::dns
