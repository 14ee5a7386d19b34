// app::Agent: builds every part from the settings in start order; see agent.hh.
#include "app/agent.hh"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <set>
#include <type_traits>

#include "api/snapshot_endpoint.hh"
#include "app/liveness.hh"
#include "app/pid_file.hh"
#include "app/sd_notify.hh"
#include "app/wiring.hh"
#include "common/log.hh"

// A restore is one command in the Raft log: the API's bound must fit the cluster's.
static_assert(muster::api::max_restore_command_bytes + 64 * 1024 <=
              muster::cluster::max_command_bytes);

namespace muster::app {
namespace {
constexpr log::Logger logger("agent");
using Clock = std::chrono::steady_clock;

int64_t steady_ms(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

config::Settings load_settings(const config::LoadRequest& request) {
    auto settings = config::load(request);
    if (!settings)
        throw StartFailure(2, settings.error().message);
    if (settings->data_dir.empty())
        throw StartFailure(2,
                           "muster: data_dir: expected a directory for the catalog (set data_dir "
                           "or --data-dir, or use --dev)");
    log::set_level(settings->log_level);
    for (const auto& w : settings->warnings)
        logger.warn("configuration", {{"warning", w}});
    return std::move(settings).value();
}

// Reloads keep the data dir the agent started with (--dev must not make a new one).
config::LoadRequest reload_request(config::LoadRequest request, const config::Settings& s) {
    request.overrides.emplace_back("data_dir", s.data_dir);
    return request;
}

template <typename T>
T started(Result<T> r, const char* what) {
    if (!r)
        throw StartFailure(
            1, *what ? std::string(what) + ": " + r.error().message : r.error().message);
    if constexpr (!std::is_void_v<T>)
        return std::move(r).value();
}

std::shared_ptr<catalog::Store> open_store(const config::Settings& s) {
    // A server's catalog is rebuilt from the Raft log, so it need not fsync (MDB_NOSYNC).
    // So is a client agent's replica: the feed resumes from whatever index it kept.
    const bool replicated = s.server || client_agent(s);
    auto store =
        started(catalog::Store::open({.dir = s.data_dir,
                                      .durability = replicated ? catalog::Durability::no_sync
                                                               : catalog::Durability::sync}),
                "cannot open the catalog");
    return std::shared_ptr<catalog::Store>(std::move(store));
}

bool has_raft_state(const std::filesystem::path& raft_dir) {
    std::error_code ec;
    return std::filesystem::exists(raft_dir / "metadata1", ec) ||
           std::filesystem::exists(raft_dir / "metadata2", ec);
}

// Starts the Raft server of `server: true`. A single server (bootstrap, or bootstrap_expect 1)
// is the leader once it has started: waits for that, bounded. A cluster of several elects (and
// forms) on its own time, while DNS already answers from the local catalog.
std::unique_ptr<cluster::RaftServer> start_raft(const config::Settings& s,
                                                cluster::StateMachine& state_machine) {
    if (!s.server)
        return nullptr;
    const bool has_state = has_raft_state(std::filesystem::path(s.data_dir) / "raft");
    auto options = started(raft_options(s, has_state), "cannot start raft");
    auto node = started(cluster::RaftServer::start(options, state_machine), "cannot start raft");
    const auto deadline =
        std::chrono::steady_clock::now() + 4 * s.raft_election_timeout + std::chrono::seconds(2);
    bool alone = has_state ? node->status().voters.size() <= 1 : !options.bootstrap.empty();
    while (alone && node->status().role != cluster::Role::leader) {
        if (std::chrono::steady_clock::now() >= deadline)
            throw StartFailure(
                1, "cannot start raft: raft at " + options.address + " did not become the leader");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        alone = node->status().voters.size() <= 1;
    }
    auto st = node->status();
    logger.info("raft started",
                {{"id", std::to_string(st.id)},
                 {"address", options.address},
                 {"term", std::to_string(st.term)},
                 {"commit_index", std::to_string(st.commit_index)},
                 {"catalog_applied", std::to_string(state_machine.applied_index())}});
    return node;
}

// A client agent's feed starts at once and keeps trying its servers in the background: DNS and
// the API answer from the replica on disk meanwhile.
std::unique_ptr<cluster::ReplicaClient> start_client(const config::Settings& s,
                                                     cluster::StateMachine& state_machine,
                                                     std::function<void(std::string)> give_up) {
    if (!client_agent(s))
        return nullptr;
    auto options = replica_options(s);
    options.on_give_up = std::move(give_up);
    auto client = started(cluster::ReplicaClient::start(std::move(options), state_machine),
                          "cannot start the client agent's feed");
    logger.info("client agent: joining the cluster",
                {{"catalog_applied", std::to_string(state_machine.applied_index())}});
    return client;
}

std::unique_ptr<api::Writer> make_writer(cluster::RaftServer* raft, cluster::ReplicaClient* client,
                                         catalog::Store& store) {
    if (raft)
        return std::make_unique<RaftWriter>(*raft);
    if (client)
        return std::make_unique<ReplicaWriter>(*client, store);
    return std::make_unique<api::LocalWriter>(store);
}

std::unique_ptr<AgentClusterView> make_cluster_view(cluster::RaftServer* raft,
                                                    cluster::ReplicaClient* client,
                                                    api::Writer& writer, const std::string& node,
                                                    uint16_t server_port) {
    if (raft)
        return std::make_unique<RaftClusterView>(*raft, writer, node, server_port);
    if (client)
        return std::make_unique<ReplicaClusterView>(*client, writer, node, server_port);
    return nullptr;
}

// A TTL check starts from the state its last run saved (critical when that TTL ran out while
// the agent was stopped), not from a status the catalog kept.
RestoredStatus restored_ttl_states(const config::Settings& s) {
    RestoredStatus restored;
    auto saved = checks::TtlStateFile(monitor_options(s).ttl_state_file).load();
    auto wall = std::chrono::system_clock::now();
    for (const auto& [id, state] : saved)
        if (auto r = checks::restored_ttl_status(saved, id, wall))
            restored.emplace(id, *r);
    return restored;
}

Result<void> submit_and_wait(api::Writer& writer, std::vector<catalog::Command> batch) {
    std::promise<Result<uint64_t>> done;
    auto future = done.get_future();
    writer.submit(std::move(batch), [&done](Result<uint64_t> r) { done.set_value(std::move(r)); });
    if (auto r = future.get(); !r)
        return r.error();
    return {};
}

// A server (and --dev) lists itself as an instance of service server_service_name ("consul", as
// Consul's servers do) at its server port: consul.service.<domain> lists the servers.
// Builds before the rename registered the servers' service as "muster": a server upgraded from
// one drops that instance of its own (same ID and name, at its server port) unless "muster" is
// still the name, or a config service of that ID.
std::optional<catalog::Deregister> old_server_service(const config::Settings& s,
                                                      const catalog::Snapshot& snap) {
    constexpr std::string_view old_name = "muster";
    if (s.server_service_name == old_name)
        return std::nullopt;
    for (const auto& def : s.services)
        if (def.service.id == old_name || (def.service.id.empty() && def.service.name == old_name))
            return std::nullopt;
    for (const auto& svc : snap.node_services(s.node_name))
        if (svc.id == old_name && svc.name == old_name && svc.port == s.server_port)
            return catalog::Deregister{
                .node = s.node_name, .service_id = std::string(old_name), .check_id = std::nullopt};
    return std::nullopt;
}

Result<void> register_server_service(api::Writer& writer, const config::Settings& s,
                                     const catalog::Snapshot& snap) {
    catalog::Node self = self_node(s);
    catalog::Service svc;
    svc.node = self.name;
    svc.id = s.server_service_name;
    svc.name = s.server_service_name;
    svc.port = s.server_port;
    catalog::Register reg;
    reg.node = self;
    reg.service = std::move(svc);
    std::vector<catalog::Command> batch{std::move(reg)};
    if (auto old = old_server_service(s, snap))
        batch.emplace_back(std::move(*old));
    return submit_and_wait(writer, std::move(batch));
}

}  // namespace

Agent::TemporaryDir::~TemporaryDir() {
    if (path.empty())
        return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

Agent::Checks::Checks(const config::Settings& s, api::Writer& writer, catalog::Store& store)
    : sink(writer),
      monitor(std::make_unique<checks::Monitor>(loop, monitor_options(s), sink, store)),
      agent_checks(*monitor, (std::filesystem::path(s.data_dir) / "api-checks.json").string(),
                   (std::filesystem::path(s.data_dir) / "api-services.json").string()) {
    monitor->on_service_reaped(
        [this](const std::string& service_id) { agent_checks.service_reaped(service_id); });
}

void Agent::Checks::start() {
    thread = std::thread([this] { loop.run(); });
}

Agent::Checks::~Checks() {
    if (thread.joinable()) {
        loop.stop();
        thread.join();
    }
    monitor.reset();  // the loop is not running: kills running scripts
}

Agent::Api::Api(const config::Settings& s, catalog::Store& store, api::Writer& writer,
                AgentChecks& checks, api::ClusterView* cluster, std::function<void()> on_leave,
                api::ApiServer::Reloader on_reload, api::CacheControl* cache,
                api::MetricsSource* metrics, std::shared_ptr<const std::atomic<bool>> dns_serving)
    : server(
          loop,
          [&] {
              api::Options o = api_options(s);
              o.cluster = cluster;
              o.dns_serving = std::move(dns_serving);
              return o;
          }(),
          store, writer, &checks) {
    server.on_leave(std::move(on_leave));
    server.on_reload(std::move(on_reload));
    server.use_cache(cache);
    server.use_metrics(metrics);
    started(server.start(), "cannot start the HTTP API");
    thread = std::thread([this] { loop.run(); });
}

Agent::Api::~Api() {
    loop.post([this] {
        server.stop();
        loop.stop();
    });
    thread.join();
}

Agent::Agent(const config::LoadRequest& request)
    : settings_(load_settings(request)),
      temporary_dir_{settings_.data_dir_temporary ? settings_.data_dir : ""},
      dir_lock_(started(DirLock::acquire(settings_.data_dir), "")),
      store_(open_store(settings_)),
      state_machine_(*store_),
      raft_(start_raft(settings_, state_machine_)),
      client_(start_client(settings_, state_machine_,
                           [this](const std::string& why) { give_up(why); })),
      writer_(make_writer(raft_.get(), client_.get(), *store_)),
      replica_writer_(client_ ? static_cast<ReplicaWriter*>(writer_.get()) : nullptr),
      cluster_view_(make_cluster_view(raft_.get(), client_.get(), *writer_, settings_.node_name,
                                      settings_.server_port)),
      replica_contact_(std::make_shared<std::atomic<int64_t>>(steady_ms(Clock::now()))),
      replica_timer_(loop_, [this] { replica_tick(); }),
      restored_(restored_ttl_states(settings_)),
      checks_(settings_, *writer_, *store_),
      registered_(register_at_start()),
      cache_(loop_, dns_),
      metrics_(loop_, MetricsParts{.dns = dns_,
                                   .store = *store_,
                                   .raft = raft_.get(),
                                   .client = client_.get(),
                                   .monitor = checks_.monitor.get()}),
      api_(
          settings_, *store_, *writer_, checks_.agent_checks, cluster_view_.get(),
          [this] {
              logger.info("left the cluster (PUT /v1/agent/leave): stopping");
              loop_.post([this] { loop_.stop(); });
          },
          [this](std::function<void(Result<void>)> done) {
              loop_.post([this, done = std::move(done)] { done(reload()); });
          },
          &cache_, &metrics_, dns_serving_),
      dns_options_(resolver_options(settings_)),
      dns_([this] {
          dns_options_.catalog = catalog_options(settings_, store_);
          if (client_)
              dns_options_.catalog.replica_contact_ms = replica_contact_;
          return dns_options_;
      }()) {
    reload_request_ = reload_request(request, settings_);
    started(dns_.start(), "");
    dns_serving_->store(true);
    logger.info("agent running", {{"node", settings_.node_name},
                                  {"datacenter", settings_.datacenter},
                                  {"data_dir", settings_.data_dir}});
    if (client_)
        replica_timer_.arm(std::chrono::milliseconds(250));
    if (raft_)
        liveness_ = std::jthread([this](std::stop_token stop) { keep_members(stop); });
    registrar_ = std::jthread([this](std::stop_token stop) { keep_in_sync(stop); });
}

Agent::~Agent() = default;

bool Agent::register_at_start() {
    bool now = raft_ ? raft_->status().role == cluster::Role::leader : !client_;
    if (now) {
        config_regs_ = started(register_self(), "");
        run_checks();
    }
    checks_.start();
    return now;
}

Result<ConfigRegistrations> Agent::register_self() {
    if (client_) {
        auto st = client_->status();
        if (!st.connected || st.applied == 0)
            return make_error("no server reached yet (the replica is not in sync)");
        if (auto in_use = node_name_in_use(*store_->snapshot(), self_node(settings_)))
            return make_error(*in_use);
    }
    // serfHealth first: a node of a cluster never exists without it (else its instances would
    // outlive an agent that dies before the leader heard of it).
    if (raft_ || client_)
        if (auto r = submit_and_wait(*writer_, {serf_health_registration(self_node(settings_))});
            !r)
            return make_error("cannot register serfHealth: " + r.error().message);
    auto synced =
        sync_config_registrations(*writer_, settings_, {}, *store_->snapshot(), restored_);
    if (!synced)
        return make_error("cannot register the config services: " + synced.error().message);
    if (settings_.server)
        if (auto r = register_server_service(*writer_, settings_, *store_->snapshot()); !r)
            return make_error("cannot register the servers' service: " + r.error().message);
    if (auto r = restore_own_services(); !r)
        return make_error(r.error().message);
    return synced;
}

namespace {

// The catalog holds `local` as the agent registered it (its tags aside when
// enable_tag_override lets others change them, as in Consul).
bool holds(const std::vector<catalog::Service>& catalog_services, catalog::Service local) {
    auto it = std::find_if(catalog_services.begin(), catalog_services.end(),
                           [&](const catalog::Service& s) { return s.id == local.id; });
    if (it == catalog_services.end())
        return false;
    local.index = it->index;
    local.node = it->node;
    if (local.enable_tag_override)
        local.tags = it->tags;
    return local == *it;
}

}  // namespace

// A client agent's services and checks registered through the API that the replica lacks or
// holds otherwise (a lost server state, a catalog edit): registered again, their checks at
// their catalog status (else the initial one) and run from there.
Result<void> Agent::restore_own_services() {
    const catalog::Node self = self_node(settings_);
    std::vector<catalog::Command> batch;
    std::vector<catalog::CheckDefinition> run;
    std::vector<catalog::Status> statuses;
    {
        auto snap = store_->snapshot();
        auto current = catalog::current_status(snap->node_checks(self.name));
        auto services = snap->node_services(self.name);
        std::set<std::string> restored;  // check IDs the service registrations bring back
        for (const auto& [id, def] : checks_.agent_checks.services()) {
            auto reg = catalog::registration(def, self, current);
            if (holds(services, *reg.service))
                continue;
            for (size_t i = 0; i < def.checks.size(); ++i) {
                run.push_back(def.checks[i]);
                statuses.push_back(reg.checks[i].status);
                restored.insert(def.checks[i].id);
            }
            batch.push_back(std::move(reg));
        }
        // Checks of /v1/agent/check/register the catalog lost: on the node, or on a service it
        // holds (else the next round, once the service is back).
        std::set<std::string> in_catalog;
        for (const auto& c : snap->node_checks(self.name))
            in_catalog.insert(c.id);
        for (const auto& [id, def] : checks_.agent_checks.checks()) {
            if (in_catalog.contains(id) || restored.contains(id))
                continue;
            auto service =
                std::find_if(services.begin(), services.end(),
                             [&](const catalog::Service& s) { return s.id == def.service_id; });
            if (!def.service_id.empty() && service == services.end())
                continue;
            catalog::Register reg;
            reg.node = self;
            reg.skip_node_update = true;
            reg.checks.push_back(catalog::catalog_check(
                def, self.name, def.service_id.empty() ? nullptr : &*service, current));
            run.push_back(def);
            statuses.push_back(reg.checks.back().status);
            batch.push_back(std::move(reg));
        }
    }
    if (batch.empty())
        return {};
    auto count = batch.size();
    if (auto r = submit_and_wait(*writer_, std::move(batch)); !r)
        return make_error("cannot register the services of the API again: " + r.error().message);
    checks_.agent_checks.registered(run, statuses);
    logger.info(
        "anti-entropy: services and checks registered through the API are back in the catalog",
        {{"registrations", std::to_string(count)}});
    return {};
}

// The checks an earlier run took through the API first (sync_config saves that list), then
// the config's.
void Agent::run_checks() {
    if (auto r = checks_.agent_checks.restore(*store_->snapshot(), settings_.node_name,
                                              client_ != nullptr);
        !r)
        logger.error("checks registered through the API not restored",
                     {{"error", r.error().message}});
    checks_.agent_checks.sync_config(config_regs_.checks, config_regs_.statuses);
}

void Agent::register_when_led(std::stop_token stop) {
    while (!stop.stop_requested()) {
        auto r = register_self();
        if (r) {
            logger.info("registered this node with the cluster");
            loop_.post([this, regs = std::move(r).value()] {
                config_regs_ = regs;
                run_checks();
            });
            return;
        }
        logger.info("cannot register this node yet; retrying", {{"error", r.error().message}});
        auto until = std::chrono::steady_clock::now() + settings_.retry_interval;
        while (!stop.stop_requested() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// Anti-entropy (Consul's rule: the agent's own view wins), on every agent. Once the cluster has
// a leader (a client: once it reaches a server) the agent registers its node, config services
// and checks; then, whenever the catalog lacks its node or one of its own services (a restored
// snapshot, a lost server state, a catalog edit, a deregistration by someone else), and on a
// client after every reconnect, it registers them again. Never once the agent leaves.
void Agent::keep_in_sync(std::stop_token stop) {
    if (!registered_)
        register_when_led(stop);
    const catalog::Node self = self_node(settings_);
    uint64_t synced_session = client_ ? client_->status().sessions : 0;
    auto wait = [&](std::chrono::milliseconds d) {
        auto until = std::chrono::steady_clock::now() + d;
        while (!stop.stop_requested() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    };
    while (!stop.stop_requested()) {
        wait(std::chrono::seconds(1));
        if (stop.stop_requested())
            return;
        uint64_t session = 0;
        std::string via;
        if (client_) {
            auto st = client_->status();
            if (!st.connected)
                continue;
            session = st.sessions;
            via = st.server;
        }
        if (raft_ && raft_->status().leader_id == 0)
            continue;  // nothing could be written now
        std::unique_lock<std::mutex> hold;
        if (cluster_view_) {
            hold = cluster_view_->hold_unless_leaving();
            if (!hold.owns_lock())
                return;  // leaving: the node must stay deregistered
        }
        if (session == synced_session && in_sync_with_replica(self))
            continue;
        auto r = register_self();
        if (!r) {
            logger.warn("anti-entropy: cannot register this node again",
                        {{"error", r.error().message}});
            hold = {};
            wait(settings_.retry_interval);
            continue;
        }
        if (client_)
            logger.info("anti-entropy: this node's entries are back in the catalog",
                        {{"server", via}});
        else
            logger.info("anti-entropy: this node's entries are back in the catalog");
        synced_session = session;
    }
}

// On the leader, every 250 ms: the decided member view as serfHealth checks, one Raft write per
// round that changes anything.
void Agent::keep_members(std::stop_token stop) {
    FailedNodeReaper reaper(settings_.reconnect_timeout);
    AbsentSince absent;
    while (!stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        auto members = raft_->members();
        if (!members) {
            reaper.forget();
            absent.clear();
        }
        if (stop.stop_requested() || !members)
            continue;
        auto snap = store_->snapshot();
        // An agent not heard of yet gets as long as a member that stopped being heard from.
        auto batch = liveness_changes(*snap, *members, absent, Clock::now(),
                                      std::chrono::milliseconds(5000));
        for (auto& c : reaper.reap(*snap, Clock::now())) {
            logger.warn("failed member removed after reconnect_timeout",
                        {{"node", std::get<catalog::Deregister>(c).node}});
            batch.push_back(std::move(c));
        }
        snap.reset();
        if (batch.empty())
            continue;
        for (const auto& c : batch) {
            if (const auto* u = std::get_if<catalog::UpdateCheck>(&c);
                u && u->status == catalog::Status::passing)
                logger.info("member alive", {{"node", u->node}});
            else if (u)
                logger.warn("member failed: its agent is not heard from", {{"node", u->node}});
            else if (const auto* r = std::get_if<catalog::Register>(&c))
                logger.info("member alive", {{"node", r->node.name}});
        }
        auto done = std::make_shared<std::promise<Result<uint64_t>>>();
        auto future = done->get_future();
        writer_->submit(std::move(batch),
                        [done](Result<uint64_t> r) { done->set_value(std::move(r)); });
        if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
            continue;
        if (auto r = future.get(); !r)
            logger.warn("member liveness not written", {{"error", r.error().message}});
    }
}

// The replica holds this node at this agent's address, and every service of the config and
// of the API as this agent registered it.
bool Agent::in_sync_with_replica(const catalog::Node& self) const {
    auto snap = store_->snapshot();
    auto node = snap->node(self.name);
    if (!node || node->address != self.address)
        return false;
    auto services = snap->node_services(settings_.node_name);
    if (settings_.server &&
        std::none_of(services.begin(), services.end(), [&](const catalog::Service& s) {
            return s.id == settings_.server_service_name;
        }))
        return false;
    for (const auto& def : settings_.services) {
        catalog::Service local = *catalog::registration(def, self).service;
        if (local.id.empty())
            local.id = local.name;
        if (!holds(services, std::move(local)))
            return false;
    }
    for (const auto& [id, def] : checks_.agent_checks.services())
        if (!holds(services, *catalog::registration(def, self).service))
            return false;
    auto api_checks = checks_.agent_checks.checks();
    if (api_checks.empty())
        return true;
    std::set<std::string> in_catalog;
    for (const auto& c : snap->node_checks(self.name))
        in_catalog.insert(c.id);
    // A check of a service the catalog does not hold waits for the service (restore skips it).
    return std::all_of(api_checks.begin(), api_checks.end(), [&](const auto& kv) {
        const auto& def = kv.second;
        bool waits = !def.service_id.empty() &&
                     std::none_of(services.begin(), services.end(), [&](const catalog::Service& s) {
                         return s.id == def.service_id;
                     });
        return waits || in_catalog.contains(kv.first);
    });
}

// Every 250 ms on a client agent: when a server last spoke, and writes whose replica lags.
void Agent::replica_tick() {
    auto contact = client_->status().last_contact;
    if (contact != Clock::time_point{})
        replica_contact_->store(steady_ms(contact), std::memory_order_relaxed);
    replica_writer_->expire();
    replica_timer_.arm(std::chrono::milliseconds(250));
}

// retry_max rounds reached no server (on the feed's thread).
void Agent::give_up(const std::string& why) {
    logger.error("giving up joining the cluster (retry_max)", {{"error", why}});
    loop_.post([this] {
        exit_status_ = 1;
        loop_.stop();
    });
}

Result<void> Agent::reload() {
    // A reload reads every source again; a bad one changes nothing (the old config stays).
    sd_notify("RELOADING=1");
    auto next = config::load(reload_request_);
    if (!next) {
        sd_notify("READY=1");
        logger.error("reload failed; keeping the running configuration",
                     {{"error", next.error().message}});
        return next.error();
    }
    if (auto r = dns_.reload(resolver_zones(*next)); !r) {
        logger.error("reload failed; keeping the running configuration",
                     {{"error", r.error().message}});
        sd_notify("READY=1");
        return r.error();
    }
    if (next->dns.listeners != settings_.dns.listeners)
        logger.warn(
            "reload: the DNS listeners changed; they are bound at start, so the change "
            "takes effect at the next restart");
    Result<void> outcome;
    if (auto r = sync_config_registrations(*writer_, *next, config_regs_, *store_->snapshot());
        !r) {
        logger.error("reload: config services not updated", {{"error", r.error().message}});
        outcome = make_error("config services not updated: " + r.error().message);
    } else {
        config_regs_ = std::move(r).value();
        checks_.agent_checks.sync_config(config_regs_.checks, config_regs_.statuses);
    }
    logger.info("reloaded records, hosts file, recursors and config services");
    sd_notify("READY=1");
    return outcome;
}

void Agent::stop() {
    sd_notify("STOPPING=1");
    dns_serving_->store(false);  // /readyz: 503 from here on, while DNS drains
    // Nothing registers this node from here on: a registration still in flight could commit
    // after the Leave below and bring the node back (anti-entropy would even redo it).
    registrar_ = {};
    if (cluster_view_ && settings_.leave_on_terminate.value_or(!settings_.server)) {
        // Leave for good first (bounded): the others stop counting this server as a voter.
        auto left = std::make_shared<std::promise<Result<void>>>();
        auto future = left->get_future();
        cluster_view_->leave([left](Result<void> r) { left->set_value(std::move(r)); });
        if (future.wait_for(std::chrono::seconds(15)) != std::future_status::ready)
            logger.error("leave_on_terminate: leaving the cluster timed out");
        else if (auto r = future.get(); !r)
            logger.error("leave_on_terminate: leaving the cluster failed",
                         {{"error", r.error().message}});
        else
            logger.info("left the cluster (leave_on_terminate)");
    }
    logger.info("stopping: finishing in-flight queries");
    loop_.stop();
}

int Agent::run() {
    SignalWatcher term(loop_, SIGTERM, [this] { stop(); });
    SignalWatcher intr(loop_, SIGINT, [this] { stop(); });
    SignalWatcher hup(loop_, SIGHUP, [this] { (void)reload(); });
    auto pid_file = PidFile::write(settings_.pid_file);
    if (!pid_file) {
        logger.error("cannot start", {{"error", pid_file.error().message}});
        exit_status_ = 1;
    } else {
        sd_notify("READY=1");
        loop_.run();
    }
    registrar_ = {};  // asks it to stop and joins it: nothing registers while we stop
    liveness_ = {};
    // Whatever answers writes stops while those waiting for the answers (the HTTP API, the
    // checks) are still there: a write in flight is answered now, not into a freed API.
    if (client_) {
        client_->stop();
        replica_writer_->release_all();
    }
    if (raft_)
        raft_->stop();
    dns_.stop(dns_options_.zones.upstream.timeout + std::chrono::seconds(1));
    return exit_status_;
}

int run_agent(const config::LoadRequest& request) {
    ::signal(SIGPIPE, SIG_IGN);
    std::unique_ptr<Agent> agent;
    try {
        agent = std::make_unique<Agent>(request);
    } catch (const StartFailure& e) {
        if (e.status() == 2)
            std::fprintf(stderr, "%s\n", e.what());
        else
            logger.error("cannot start", {{"error", e.what()}});
        return e.status();
    }
    int status = agent->run();
    agent.reset();
    logger.info("stopped");
    return status;
}

}  // namespace muster::app
