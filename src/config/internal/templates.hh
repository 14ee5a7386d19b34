// Address lists with go-sockaddr-style templates: {{ GetInterfaceIP "eth0" }}, {{ GetPrivateIP }}.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/address.hh"
#include "common/result.hh"

namespace muster::config::internal {

enum class InterfaceState { down, up };

struct InterfaceAddr {
    std::string name;
    SockAddr addr;
    InterfaceState state = InterfaceState::up;
};

// The host's interface addresses (getifaddrs), in the kernel's order.
std::vector<InterfaceAddr> system_interfaces();

// Expands a space-separated list of IP literals and templates, in order, every address with
// port 0. Errors read "expected ... (got ...)" and name the interface a template asked for.
Result<std::vector<SockAddr>> expand_addresses(std::string_view text,
                                               std::span<const InterfaceAddr> interfaces);

}  // namespace muster::config::internal
