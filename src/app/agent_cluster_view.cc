// AgentClusterView: leaving and join addresses, for servers and client agents alike.
#include "app/agent_cluster_view.hh"

#include <sys/socket.h>

#include <optional>

#include "common/address.hh"

namespace muster::app {

std::unique_lock<std::mutex> AgentClusterView::hold_unless_leaving() {
    std::unique_lock lock(sync_mu_);
    if (leaving_)
        lock.unlock();
    return lock;
}

void AgentClusterView::deregister_self(std::function<void(Result<void>)> then) {
    {
        std::lock_guard lock(sync_mu_);  // waits for a registration in flight
        leaving_ = true;
    }
    writer_.submit({catalog::Leave{.node = node_name_, .server = role_ == AgentRole::server}},
                   [then = std::move(then)](Result<uint64_t> r) {
                       if (!r) {
                           then(make_error("cannot deregister this node: " + r.error().message));
                           return;
                       }
                       then({});
                   });
}

Result<std::string> AgentClusterView::join_address(const std::string& address) const {
    auto sa = SockAddr::parse(address, server_port_);
    if (!sa || sa->family() != AF_INET)
        return make_error("join: \"" + address + "\" is not an IPv4 address with an optional port");
    return sa->ip_string() + ":" + std::to_string(sa->port());
}

}  // namespace muster::app
