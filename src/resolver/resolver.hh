// Resolver: the DNS side of the agent. Owns the shared cache, the TLS context for DoT
// upstreams and one Worker per thread; starts, reloads and drains them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hh"
#include "resolver/cache.hh"
#include "resolver/metrics.hh"
#include "resolver/options.hh"
#include "resolver/worker.hh"

namespace muster {
class TlsClientContext;
}

namespace muster::resolver {

class Resolver {
  public:
    explicit Resolver(const Options& options);
    ~Resolver();

    // Binds every listener on every worker and starts the threads. Errors (a port in use, a
    // hosts file that cannot be read, a bad CA file) come back before anything runs.
    Result<void> start();
    // SIGHUP: new records, hosts file and upstreams; on error nothing changes.
    Result<void> reload(const Zones& zones);
    // Stops accepting, lets in-flight queries finish (at most `grace`), joins the threads.
    void stop(Duration grace);

    // From the thread that started it: `done` gets every worker's counters, summed, on the
    // last worker's thread (at once when no worker runs).
    void collect(std::function<void(DnsMetrics)> done) const;

    const Cache& cache() const { return *cache_; }
    Cache& cache() { return *cache_; }  // shared by the workers; safe from any thread

  private:
    Result<std::shared_ptr<const LocalZone>> build_zone(const Zones& zones) const;
    Zones without_own_listeners(const Zones& zones) const;

    Options options_;
    std::unique_ptr<Cache> cache_;
    std::unique_ptr<TlsClientContext> tls_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::thread> threads_;
};

// RFC-less but universal: "nameserver ADDR" lines of resolv.conf(5), as UDP upstreams on
// port 53.
std::vector<UpstreamSpec> upstreams_from_resolv_conf(std::string_view text);

// True when an upstream would be one of our own listeners (same port, and the same address or
// a local one when we listen on the wildcard): forwarding there would loop.
bool is_own_listener(const UpstreamSpec& up, const std::vector<Listener>& listen);

}  // namespace muster::resolver
