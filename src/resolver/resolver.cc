// Resolver: composition of cache, TLS context and workers.
#include "resolver/resolver.hh"

#include <algorithm>
#include <mutex>
#include <sstream>

#include "common/log.hh"
#include "common/tls.hh"

namespace muster::resolver {
namespace {
constexpr log::Logger logger("resolver");
}

Resolver::Resolver(const Options& options)
    : options_(options), cache_(std::make_unique<Cache>(options.cache, SteadyClock::instance())) {}

Resolver::~Resolver() {
    stop(std::chrono::seconds(0));
}

bool is_own_listener(const UpstreamSpec& up, const std::vector<Listener>& listen) {
    for (const auto& [l, recursion] : listen) {
        if (l.port() != up.addr.port())
            continue;
        if (l.same_ip(up.addr))
            return true;
        if (l.is_unspecified() && l.family() == up.addr.family() && up.addr.is_loopback())
            return true;
    }
    return false;
}

std::vector<UpstreamSpec> upstreams_from_resolv_conf(std::string_view text) {
    std::vector<UpstreamSpec> out;
    std::istringstream in{std::string(text)};
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, addr;
        if (!(words >> key >> addr) || key != "nameserver")
            continue;
        if (auto pct = addr.find('%'); pct != std::string::npos)
            addr.resize(pct);  // fe80::1%eth0
        auto a = SockAddr::parse_ip(addr, 53);
        if (!a)
            continue;
        UpstreamSpec s;
        s.transport = UpstreamTransport::udp;
        s.addr = *a;
        s.label = "udp://" + a->to_string();
        out.push_back(std::move(s));
    }
    return out;
}

Zones Resolver::without_own_listeners(const Zones& zones) const {
    Zones z = zones;
    auto filter = [&](std::vector<UpstreamSpec>& ups) {
        std::erase_if(ups, [&](const UpstreamSpec& u) {
            if (!is_own_listener(u, options_.listen))
                return false;
            logger.warn("skipping recursor that is one of muster's own listeners (it would loop)",
                        {{"recursor", u.label}});
            return true;
        });
    };
    filter(z.upstream.upstreams);
    for (auto& fz : z.forward_zones)
        filter(fz.upstreams);
    return z;
}

Result<std::shared_ptr<const LocalZone>> Resolver::build_zone(const Zones& zones) const {
    std::vector<std::string> warnings;
    auto zone = LocalZone::build(zones, warnings);
    for (const auto& w : warnings)
        logger.warn("hosts file line skipped", {{"why", w}});
    if (zone)
        logger.info("local data loaded", {{"names", std::to_string((*zone)->name_count())}});
    return zone;
}

Result<void> Resolver::start() {
    // Always made (cheap), so a reload that adds a DoT recursor finds it ready.
    auto tls = TlsClientContext::create(TlsClientOptions{.ca_file = options_.tls_ca_file});
    if (!tls)
        return tls.error();
    tls_ = std::move(*tls);
    auto zone = build_zone(options_.zones);
    if (!zone)
        return zone.error();
    Zones zones = without_own_listeners(options_.zones);

    unsigned n = std::max(1u, options_.workers);
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>(options_, *cache_, tls_.get(), i);
        if (auto r = w->open(); !r)
            return r.error();
        w->reconfigure(*zone, zones);
        workers_.push_back(std::move(w));
    }
    for (auto& w : workers_)
        threads_.emplace_back([wp = w.get()] { wp->run(); });
    std::string listen;
    for (const auto& l : options_.listen)
        listen +=
            (listen.empty() ? "" : " ") + l.addr.to_string() + (l.recursion ? "" : " (zone only)");
    logger.info("listening", {{"addresses", listen}, {"workers", std::to_string(n)}});
    return {};
}

namespace {
bool same_upstreams(const std::vector<UpstreamSpec>& a, const std::vector<UpstreamSpec>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.transport == y.transport && x.addr == y.addr && x.tls_name == y.tls_name;
    });
}

bool same_forwarding(const Zones& a, const Zones& b) {
    if (!same_upstreams(a.upstream.upstreams, b.upstream.upstreams))
        return false;
    if (a.forward_zones.size() != b.forward_zones.size())
        return false;
    for (size_t i = 0; i < a.forward_zones.size(); ++i) {
        if (!a.forward_zones[i].zone.equals(b.forward_zones[i].zone) ||
            !same_upstreams(a.forward_zones[i].upstreams, b.forward_zones[i].upstreams))
            return false;
    }
    return true;
}
}  // namespace

Result<void> Resolver::reload(const Zones& zones) {
    auto zone = build_zone(zones);
    if (!zone)
        return zone.error();
    // Cached answers came from the old upstreams: when they change, start afresh (as dnsmasq
    // does on SIGHUP). Local data is answered before the cache, so it needs no flush.
    if (!same_forwarding(options_.zones, zones)) {
        cache_->clear();
        logger.info("upstreams changed: cache cleared");
    }
    options_.zones = zones;
    Zones filtered = without_own_listeners(zones);
    for (auto& w : workers_)
        w->reconfigure(*zone, filtered);
    return {};
}

void Resolver::collect(std::function<void(DnsMetrics)> done) const {
    struct Gather {
        std::mutex mu;
        DnsMetrics metrics;
        size_t left = 0;
        std::function<void(DnsMetrics)> done;
    };
    auto g = std::make_shared<Gather>();
    g->done = std::move(done);
    for (size_t i = 0; i < options_.listen.size(); ++i) {
        DnsMetrics::Listener l;
        l.label = options_.listen[i].addr.to_string();
        l.recursion = options_.listen[i].recursion;
        for (const auto& w : workers_) {
            const ListenerMetrics& m = w->listener_metrics(i);
            for (size_t s = 0; s < l.answers.size(); ++s)
                l.answers[s] += m.answers[s].value();
            for (size_t rc = 0; rc < l.rcodes.size(); ++rc)
                l.rcodes[rc] += m.rcodes[rc].value();
            l.truncated += m.truncated.value();
            m.latency.add_to(l.latency);
        }
        g->metrics.listeners.push_back(std::move(l));
    }
    for (const auto& w : workers_) {
        const WorkerStats& s = w->stats();
        g->metrics.formerr += s.formerr.load(std::memory_order_relaxed);
        g->metrics.dropped += s.dropped.load(std::memory_order_relaxed);
        g->metrics.tcp_rejected += s.tcp_rejected.load(std::memory_order_relaxed);
    }
    g->left = workers_.size();
    if (g->left == 0) {
        g->done(std::move(g->metrics));
        return;
    }
    for (const auto& w : workers_) {
        w->collect_upstreams([g](std::vector<UpstreamMetrics> upstreams) {
            std::unique_lock lock(g->mu);
            for (const auto& u : upstreams)
                g->metrics.add_upstream(u);
            if (--g->left > 0)
                return;
            DnsMetrics m = std::move(g->metrics);
            lock.unlock();
            g->done(std::move(m));
        });
    }
}

void Resolver::stop(Duration grace) {
    for (auto& w : workers_)
        w->drain_and_stop(grace);
    for (auto& t : threads_)
        if (t.joinable())
            t.join();
    threads_.clear();
    workers_.clear();
}

}  // namespace muster::resolver
