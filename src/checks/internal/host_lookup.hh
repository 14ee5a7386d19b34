// HostLookup: resolves a probe's host name without blocking the event loop: getaddrinfo (so
// /etc/hosts, nsswitch and resolv.conf apply as for every other program on the host) runs on a
// small pool of threads and the addresses come back on the loop. IP literals skip the pool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/address.hh"
#include "common/event_loop.hh"
#include "common/result.hh"

namespace muster::checks::internal {

class HostLookup {
  public:
    using Callback = std::function<void(Result<std::vector<SockAddr>>)>;

    // Starts resolving `host` (a name, or an IP literal without brackets) for TCP to `port`.
    // The callback runs once on the loop's thread, never inside start(). Destroying the lookup
    // (on the loop's thread) before then means it never runs; a getaddrinfo already under way
    // finishes on its thread and is dropped.
    static std::unique_ptr<HostLookup> start(EventLoop& loop, const std::string& host,
                                             uint16_t port, Callback callback);
    ~HostLookup();
    HostLookup(const HostLookup&) = delete;
    HostLookup& operator=(const HostLookup&) = delete;

    struct Job;  // shared with the pool thread (defined in the .cc)

  private:
    explicit HostLookup(std::shared_ptr<Job> job) : job_(std::move(job)) {}
    std::shared_ptr<Job> job_;
};

}  // namespace muster::checks::internal
