// ApiServer: Consul's HTTP API (agent, catalog, health, status) on this agent's catalog.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <vector>

#include "api/cache_control.hh"
#include "api/check_runner.hh"
#include "api/metrics_source.hh"
#include "api/monitor_endpoint.hh"
#include "api/options.hh"
#include "api/query.hh"
#include "api/router.hh"
#include "api/writer.hh"
#include "catalog/store.hh"
#include "common/event_loop.hh"
#include "common/http_server.hh"
#include "common/result.hh"

namespace muster::api {

// Runs on `loop` (the agent gives it a thread of its own). Reads take a store snapshot per
// request; writes go through `writer`; blocking queries wait for the store's next index.
// start(), stop() and destruction happen on the loop's thread or while it is not running.
class ApiServer {
  public:
    // `checks` (may be null: no check runner, TTL updates get 500) hears of committed
    // registrations and deregistrations of checks and gets the TTL updates.
    ApiServer(EventLoop& loop, const Options& options, catalog::Store& store, Writer& writer,
              CheckRunner* checks = nullptr);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds every listen and https_listen address; the error names the address or the TLS file
    // that failed.
    Result<void> start();
    // Closes the listeners, answers nothing more, and leaves the store alone.
    void stop();
    // The bound addresses (with the real port when a listen port was 0).
    const std::vector<SockAddr>& bound() const { return bound_; }
    // Runs on the loop after PUT /v1/agent/leave has left the cluster and replied (the agent
    // stops). Without it (or without options.cluster) the endpoint answers 500.
    void on_leave(std::function<void()> stop_agent) { on_leave_ = std::move(stop_agent); }
    // PUT /v1/agent/reload: reads the configuration again (as SIGHUP) and calls `done` with
    // the outcome, from any thread. Without it the endpoint answers 500.
    using Reloader = std::function<void(std::function<void(Result<void>)> done)>;
    void on_reload(Reloader reload) { on_reload_ = std::move(reload); }
    // PUT /v1/agent/cache/flush and GET /v1/agent/cache/stats go to `cache`, which must outlive
    // this server. Without it those endpoints answer 500.
    void use_cache(CacheControl* cache) { cache_ = cache; }
    // GET /v1/agent/metrics and GET /metrics read `metrics`, which must outlive this server.
    // Without it those endpoints answer 500.
    void use_metrics(MetricsSource* metrics) { metrics_ = metrics; }

  private:
    struct Waiter {
        std::shared_ptr<http::Exchange> exchange;
        Route route;
        QueryOptions query;
        TimePoint deadline;
    };

    Result<void> start_https();
    void handle(std::shared_ptr<http::Exchange> exchange);
    void handle_write(std::shared_ptr<http::Exchange> exchange, const Route& route);
    void handle_ttl(std::shared_ptr<http::Exchange> exchange, const Route& route);
    void handle_leave(std::shared_ptr<http::Exchange> exchange);
    void handle_reload(std::shared_ptr<http::Exchange> exchange);
    void handle_cache(std::shared_ptr<http::Exchange> exchange, Endpoint endpoint);
    void handle_metrics(std::shared_ptr<http::Exchange> exchange, Endpoint endpoint);
    void handle_self(std::shared_ptr<http::Exchange> exchange, const QueryOptions& query);
    void handle_join(std::shared_ptr<http::Exchange> exchange, const std::string& address);
    void handle_snapshot(std::shared_ptr<http::Exchange> exchange);
    void handle_restore(std::shared_ptr<http::Exchange> exchange);
    void serve_read(std::shared_ptr<http::Exchange> exchange, const Route& route,
                    const QueryOptions& query);
    void on_index(uint64_t index);
    void on_wake();
    void arm_wake();

    EventLoop& loop_;
    Options options_;
    catalog::Store& store_;
    Writer& writer_;
    CheckRunner* checks_;
    http::HttpServer http_;
    std::unique_ptr<TlsServerContext> tls_;  // outlives https_, which uses it
    http::HttpServer https_;
    std::vector<SockAddr> bound_;
    std::list<Waiter> waiters_;
    Timer wake_;
    uint64_t subscription_ = 0;
    bool subscribed_ = false;
    // Posted callbacks (store listener, writer completion) hold a weak reference to this.
    std::shared_ptr<ApiServer*> alive_;
    std::function<void()> on_leave_;
    Reloader on_reload_;
    CacheControl* cache_ = nullptr;
    MetricsSource* metrics_ = nullptr;
    Monitors monitors_;  // GET /v1/agent/monitor streams
};

}  // namespace muster::api
