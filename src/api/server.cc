// ApiServer: routing, blocking queries and writes over HttpServer.
#include "api/server.hh"

#include <algorithm>
#include <random>

#include "api/cache_endpoints.hh"
#include "api/endpoints.hh"
#include "api/health_endpoints.hh"
#include "api/metrics_endpoint.hh"
#include "api/snapshot_endpoint.hh"
#include "api/ui_endpoint.hh"
#include "common/log.hh"

namespace muster::api {
namespace {

constexpr log::Logger logger("api");

// Consul adds up to wait/16 of jitter so that many watchers do not wake at once.
Duration with_jitter(std::chrono::milliseconds wait) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    auto spread = wait.count() / 16;
    auto extra = spread > 0 ? std::uniform_int_distribution<int64_t>(0, spread)(rng) : 0;
    return wait + std::chrono::milliseconds(extra);
}

}  // namespace

ApiServer::ApiServer(EventLoop& loop, const Options& options, catalog::Store& store, Writer& writer,
                     CheckRunner* checks)
    : loop_(loop),
      options_(options),
      store_(store),
      writer_(writer),
      checks_(checks),
      http_(loop,
            http::ServerOptions{.max_body_bytes = options.max_body_bytes,
                                .larger_bodies = {{"/v1/snapshot", max_snapshot_body_bytes}}},
            [this](std::shared_ptr<http::Exchange> ex) { handle(std::move(ex)); }),
      https_(loop,
             http::ServerOptions{.max_body_bytes = options.max_body_bytes,
                                 .larger_bodies = {{"/v1/snapshot", max_snapshot_body_bytes}}},
             [this](std::shared_ptr<http::Exchange> ex) { handle(std::move(ex)); }),
      wake_(loop, [this] { on_wake(); }),
      alive_(std::make_shared<ApiServer*>(this)),
      monitors_(loop) {}

ApiServer::~ApiServer() {
    stop();
}

Result<void> ApiServer::start() {
    for (const auto& addr : options_.listen) {
        auto bound = http_.listen(addr);
        if (!bound)
            return bound.error();
        bound_.push_back(*bound);
        logger.info("HTTP API listening", {{"addr", bound->to_string()}});
    }
    if (auto https = start_https(); !https)
        return https.error();
    std::weak_ptr<ApiServer*> weak = alive_;
    EventLoop* loop = &loop_;
    subscription_ = store_.subscribe([weak, loop](uint64_t index) {
        loop->post([weak, index] {
            if (auto self = weak.lock())
                (*self)->on_index(index);
        });
    });
    subscribed_ = true;
    return {};
}

Result<void> ApiServer::start_https() {
    if (options_.https_listen.empty())
        return {};
    auto tls = TlsServerContext::create(options_.https_tls);
    if (!tls)
        return make_error("HTTPS: " + tls.error().message);
    tls_ = std::move(*tls);
    https_.use_tls(*tls_);
    for (const auto& addr : options_.https_listen) {
        auto bound = https_.listen(addr);
        if (!bound)
            return bound.error();
        logger.info("HTTPS API listening", {{"addr", bound->to_string()}});
    }
    return {};
}

void ApiServer::stop() {
    if (subscribed_) {
        store_.unsubscribe(subscription_);
        subscribed_ = false;
    }
    wake_.cancel();
    monitors_.close();  // the last chunk to each monitor before the connections go
    http_.close();
    https_.close();
    waiters_.clear();
}

void ApiServer::handle(std::shared_ptr<http::Exchange> exchange) {
    const http::Request& req = exchange->request();
    if (logger.enabled(log::Level::debug))  // as Consul's agent.http logs each request
        logger.debug("request",
                     {{"method", std::string(http::method_name(req.method))}, {"path", req.path}});
    Route route = api::route(req.method, req.path);
    if (route.status == RouteStatus::not_found) {
        exchange->reply(text_response(404, "404 page not found"));
        return;
    }
    if (route.status == RouteStatus::method_not_allowed) {
        http::Response r = text_response(
            405, "method " + std::string(http::method_name(req.method)) + " not allowed");
        r.headers.emplace_back("Allow", route.allow);
        exchange->reply(std::move(r));
        return;
    }
    if (is_write(route.endpoint)) {
        handle_write(std::move(exchange), route);
        return;
    }
    if (is_ttl_update(route.endpoint)) {
        handle_ttl(std::move(exchange), route);
        return;
    }
    if (route.endpoint == Endpoint::agent_leave) {
        handle_leave(std::move(exchange));
        return;
    }
    if (route.endpoint == Endpoint::agent_reload) {
        handle_reload(std::move(exchange));
        return;
    }
    if (route.endpoint == Endpoint::agent_cache_flush ||
        route.endpoint == Endpoint::agent_cache_stats) {
        handle_cache(std::move(exchange), route.endpoint);
        return;
    }
    if (route.endpoint == Endpoint::agent_metrics || route.endpoint == Endpoint::metrics) {
        handle_metrics(std::move(exchange), route.endpoint);
        return;
    }
    if (route.endpoint == Endpoint::agent_monitor) {
        monitors_.serve(std::move(exchange));
        return;
    }
    if (route.endpoint == Endpoint::agent_join) {
        handle_join(std::move(exchange), route.arg);
        return;
    }
    if (route.endpoint == Endpoint::livez) {
        exchange->reply(livez_reply(req));
        return;
    }
    if (route.endpoint == Endpoint::readyz) {
        ClusterInfo info = options_.cluster ? options_.cluster->info() : ClusterInfo{};
        ReadyState state{.dns_serving = options_.dns_serving && options_.dns_serving->load(),
                         .cluster = options_.cluster ? &info : nullptr,
                         .server = options_.server};
        exchange->reply(readyz_reply(ready_checks(state), req));
        return;
    }
    if (route.endpoint == Endpoint::ui_root || route.endpoint == Endpoint::ui) {
        exchange->reply(ui_reply(options_.ui, ui_assets(), req));
        return;
    }
    if (route.endpoint == Endpoint::snapshot) {
        if (req.method == http::Method::put)
            handle_restore(std::move(exchange));
        else
            handle_snapshot(std::move(exchange));
        return;
    }
    auto query = parse_query_options(req);
    if (!query) {
        exchange->reply(text_response(400, query.error().message));
        return;
    }
    if (route.endpoint == Endpoint::agent_self && cache_ != nullptr) {
        handle_self(std::move(exchange), *query);
        return;
    }
    if (query->consistent && options_.cluster != nullptr) {
        // The leader's state: wait for a Raft barrier, then read the local replica.
        EventLoop* loop = &loop_;
        std::weak_ptr<ApiServer*> alive = alive_;
        options_.cluster->barrier([this, loop, alive, exchange, route,
                                   q = *query](Result<void> r) mutable {
            loop->post([this, alive, exchange, route, q, r]() mutable {
                if (alive.expired())
                    return;
                if (!r) {
                    exchange->reply(text_response(500, "No cluster leader: " + r.error().message));
                    return;
                }
                q.consistent = false;
                serve_read(std::move(exchange), route, q);
            });
        });
        return;
    }
    serve_read(std::move(exchange), route, *query);
}

void ApiServer::handle_join(std::shared_ptr<http::Exchange> exchange, const std::string& address) {
    if (options_.cluster == nullptr) {
        exchange->reply(text_response(500,
                                      "this agent is standalone: set retry_join (a client "
                                      "agent) or server (a server) to join a cluster"));
        return;
    }
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    options_.cluster->join(address, [loop, alive, exchange](Result<void> r) {
        loop->post([alive, exchange, r] {
            if (alive.expired())
                return;
            exchange->reply(r ? http::Response{} : text_response(500, r.error().message));
        });
    });
}

void ApiServer::handle_leave(std::shared_ptr<http::Exchange> exchange) {
    if (options_.cluster == nullptr || !on_leave_) {
        exchange->reply(text_response(500, "this agent is not in a cluster it could leave"));
        return;
    }
    EventLoop* loop = &loop_;
    auto leave = on_leave_;
    options_.cluster->leave([loop, exchange, leave](Result<void> r) {
        loop->post([exchange, leave, r] {
            if (!r) {
                exchange->reply(text_response(500, r.error().message));
                return;
            }
            exchange->reply(http::Response{});
            leave();  // the agent stops after the reply is on its way
        });
    });
}

void ApiServer::handle_reload(std::shared_ptr<http::Exchange> exchange) {
    if (!on_reload_) {
        exchange->reply(text_response(500, "this agent cannot reload its configuration"));
        return;
    }
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    on_reload_([loop, alive, exchange](Result<void> r) {
        loop->post([alive, exchange, r] {
            if (alive.expired())
                return;
            // Consul's reply: 200 with no body, or 500 naming what failed.
            exchange->reply(
                r ? http::Response{}
                  : text_response(500, "Failed to reload configs: " + r.error().message));
        });
    });
}

void ApiServer::handle_cache(std::shared_ptr<http::Exchange> exchange, Endpoint endpoint) {
    if (cache_ == nullptr) {
        exchange->reply(text_response(500, "this agent has no DNS cache"));
        return;
    }
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    if (endpoint == Endpoint::agent_cache_stats) {
        cache_->stats([loop, alive, exchange](const CacheStats& stats) {
            loop->post([alive, exchange, stats] {
                if (!alive.expired())
                    exchange->reply(cache_stats_reply(stats, exchange->request()));
            });
        });
        return;
    }
    auto flush = parse_cache_flush(exchange->request());
    if (!flush) {
        exchange->reply(text_response(400, flush.error().message));
        return;
    }
    cache_->flush(*flush, [loop, alive, exchange, f = *flush](size_t removed) {
        loop->post([alive, exchange, f, removed] {
            if (!alive.expired())
                exchange->reply(cache_flush_reply(f, removed, exchange->request()));
        });
    });
}

void ApiServer::handle_metrics(std::shared_ptr<http::Exchange> exchange, Endpoint endpoint) {
    if (metrics_ == nullptr) {
        exchange->reply(text_response(500, "this agent has no metrics"));
        return;
    }
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    auto format = endpoint == Endpoint::metrics ? MetricsFormat::prometheus : MetricsFormat::json;
    double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - options_.started).count();
    metrics_->collect([loop, alive, exchange, format, uptime](metrics::Families families) {
        loop->post([alive, exchange, format, uptime, families = std::move(families)] {
            if (!alive.expired())
                exchange->reply(metrics_reply(families, format, exchange->request(), uptime));
        });
    });
}

// GET /v1/agent/self: Stats.cache, .dns and .upstream come from the resolver's threads, then
// the rest is read here.
void ApiServer::handle_self(std::shared_ptr<http::Exchange> exchange, const QueryOptions& query) {
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    MetricsSource* source = metrics_;
    cache_->stats([this, loop, alive, exchange, query, source](const CacheStats& stats) {
        auto reply = [this, loop, alive, exchange, query, stats](nlohmann::json dns) {
            loop->post([this, alive, exchange, query, stats, dns = std::move(dns)] {
                if (alive.expired())
                    return;
                auto snapshot = store_.snapshot();
                exchange->reply(
                    self_reply(options_, exchange->request(), query, *snapshot, stats, &dns));
            });
        };
        if (source == nullptr) {
            reply(nlohmann::json::object());
            return;
        }
        // Stats also shows the DNS answers and upstreams (muster info's "dns" and "upstream")
        source->collect_dns(
            [reply](metrics::Families families) { reply(dns_stats_sections(families)); });
    });
}

// GET /v1/snapshot: the local state, after a Raft barrier unless ?stale (Consul reads the
// snapshot on the leader; here everything committed before the request is applied locally
// first, which a client agent's replica reaches too).
void ApiServer::handle_snapshot(std::shared_ptr<http::Exchange> exchange) {
    if (options_.cluster == nullptr || exchange->request().has_param("stale")) {
        exchange->reply(snapshot_response(options_, store_));
        return;
    }
    EventLoop* loop = &loop_;
    std::weak_ptr<ApiServer*> alive = alive_;
    options_.cluster->barrier([this, loop, alive, exchange](Result<void> r) {
        loop->post([this, alive, exchange, r] {
            if (alive.expired())
                return;
            exchange->reply(r ? snapshot_response(options_, store_)
                              : text_response(500, "No cluster leader: " + r.error().message));
        });
    });
}

// PUT /v1/snapshot: one Restore command through the writer, so every server and client
// replica applies it from the log.
void ApiServer::handle_restore(std::shared_ptr<http::Exchange> exchange) {
    RestorePlan plan = plan_restore(exchange->request());
    if (plan.batch.empty()) {
        exchange->reply(std::move(plan.refusal));
        return;
    }
    EventLoop* loop = &loop_;
    writer_.submit(std::move(plan.batch), [loop, exchange](Result<uint64_t> applied) {
        loop->post([exchange, applied] {
            if (applied)
                logger.info("catalog restored from a snapshot",
                            {{"index", std::to_string(*applied)}});
            exchange->reply(
                applied ? http::Response{}
                        : text_response(500, "snapshot not restored: " + applied.error().message));
        });
    });
}

void ApiServer::serve_read(std::shared_ptr<http::Exchange> exchange, const Route& route,
                           const QueryOptions& query_options) {
    const http::Request& req = exchange->request();
    const QueryOptions* query = &query_options;
    auto snapshot = store_.snapshot();
    http::Response response = read(options_, route, req, *query, *snapshot);
    bool block = is_blocking(route.endpoint) && query->index > 0 && response.status == 200 &&
                 snapshot->index() <= query->index;
    if (!block) {
        exchange->reply(std::move(response));
        return;
    }
    waiters_.push_back(Waiter{std::move(exchange), route, *query,
                              SteadyClock::instance().now() + with_jitter(query->wait)});
    arm_wake();
}

void ApiServer::handle_write(std::shared_ptr<http::Exchange> exchange, const Route& route) {
    WritePlan plan;
    {
        auto snapshot = store_.snapshot();  // released before the write
        plan = plan_write(options_, route, exchange->request(), *snapshot);
    }
    if (plan.batch.empty()) {
        exchange->reply(std::move(plan.refusal));
        return;
    }
    EventLoop* loop = &loop_;
    CheckRunner* checks = checks_;
    auto after = std::make_shared<WritePlan>(std::move(plan));
    auto batch = std::move(after->batch);
    writer_.submit(
        std::move(batch), [loop, exchange, route, checks, after](Result<uint64_t> applied) {
            // The writer may answer on any thread (the Raft thread, which must not wait
            // for the runner's file writes); the rest happens on the loop's.
            loop->post([exchange, route, checks, after, applied] {
                // The runner hears of the change before the client does, so a check
                // registered by a reply is already scheduled.
                if (applied && checks) {
                    if (!after->stop_checks.empty() || !after->stop_services.empty())
                        checks->removed(after->stop_checks, after->stop_services);
                    if (!after->run.empty())
                        checks->registered(after->run, after->run_status);
                    if (!after->own_service.empty())
                        checks->service_registered(after->own_service, after->own_definition);
                }
                exchange->reply(write_done(route, applied));
            });
        });
}

void ApiServer::handle_ttl(std::shared_ptr<http::Exchange> exchange, const Route& route) {
    TtlPlan plan = plan_ttl_update(route, exchange->request());
    if (plan.refusal) {
        exchange->reply(std::move(*plan.refusal));
        return;
    }
    if (checks_ == nullptr) {
        exchange->reply(text_response(500, "this agent runs no health checks"));
        return;
    }
    EventLoop* loop = &loop_;
    checks_->update_ttl(plan.check_id, plan.status, std::move(plan.output),
                        [loop, exchange](int status, std::string error) {
                            loop->post([exchange, status, error = std::move(error)]() mutable {
                                exchange->reply(text_response(status, std::move(error)));
                            });
                        });
}

void ApiServer::on_index(uint64_t index) {
    std::unique_ptr<catalog::Snapshot> snapshot;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->query.index >= index) {
            ++it;
            continue;
        }
        if (snapshot == nullptr)
            snapshot = store_.snapshot();
        it->exchange->reply(
            read(options_, it->route, it->exchange->request(), it->query, *snapshot));
        it = waiters_.erase(it);
    }
    arm_wake();
}

void ApiServer::on_wake() {
    TimePoint now = SteadyClock::instance().now();
    std::unique_ptr<catalog::Snapshot> snapshot;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        if (snapshot == nullptr)
            snapshot = store_.snapshot();
        it->exchange->reply(
            read(options_, it->route, it->exchange->request(), it->query, *snapshot));
        it = waiters_.erase(it);
    }
    arm_wake();
}

void ApiServer::arm_wake() {
    wake_.cancel();
    if (waiters_.empty())
        return;
    auto earliest =
        std::min_element(waiters_.begin(), waiters_.end(),
                         [](const Waiter& a, const Waiter& b) { return a.deadline < b.deadline; });
    wake_.arm(earliest->deadline - SteadyClock::instance().now());
}

}  // namespace muster::api
