// Monitor: every running check's state machine on the checks loop: probe runs on a drift-free
// grid, thresholds, TTL timers, alias checks fed by the store's change listener, the output
// rate limit and the reaper of services critical for too long.
#include "checks/monitor.hh"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>
#include <random>
#include <set>

#include "checks/policy.hh"
#include "common/ascii.hh"
#include "common/log.hh"

namespace muster::checks {
namespace {

using catalog::CheckKind;
using catalog::Status;

constexpr log::Logger logger("checks");

// Consul's wording for the TTL messages.
constexpr std::string_view ttl_expired_output = "TTL expired";
constexpr std::string_view ttl_expired_while_stopped = "TTL expired (while the agent was stopped)";

// A definition that bypassed validation must not spin the loop.
constexpr Duration fallback_interval = std::chrono::seconds(1);

// A callback posted from another thread runs only while the monitor that posted it exists.
std::function<void()> guarded(std::weak_ptr<int> alive, std::function<void()> fn) {
    return [alive = std::move(alive), fn = std::move(fn)] {
        if (!alive.expired())
            fn();
    };
}

// Consul's CheckTTL.SetStatus keeps at most 4 KiB of a note and says how much was cut.
std::string truncate_ttl_output(std::string output) {
    if (output.size() <= max_output_bytes)
        return output;
    size_t total = output.size();
    output.resize(max_output_bytes);
    return output + " ... (captured " + std::to_string(max_output_bytes) + " of " +
           std::to_string(total) + " bytes)";
}

bool same_node(std::string_view a, std::string_view b) {
    return ascii::iequals(a, b);
}

bool periodic(CheckKind kind) {
    return kind == CheckKind::script || kind == CheckKind::http || kind == CheckKind::tcp;
}

}  // namespace

struct Monitor::Impl {
    // One running check. Owned by `checks`; its timers and probe die with it, so none of their
    // callbacks outlives it.
    struct Check {
        catalog::CheckDefinition def;
        uint64_t generation = 0;  // tells a replaced check's late results from the new one's
        Status reported = Status::critical;  // what the catalog has (or will have) from us
        std::string output;
        // Write the next result even if it looks unchanged: the catalog's output is not known
        // yet (just added) or the last write failed.
        bool dirty = false;
        std::optional<TimePoint> last_write;
        std::optional<std::string> pending;  // an output-only change held by the rate limit
        std::unique_ptr<Timer> flush_timer;
        std::optional<TimePoint> critical_since;
        // script, http, tcp
        std::unique_ptr<Probe> probe;
        std::optional<Thresholds> thresholds;
        TimePoint scheduled;
        std::unique_ptr<Timer> run_timer;
        bool in_flight = false;
        // ttl
        std::unique_ptr<Timer> ttl_timer;
    };

    Impl(EventLoop& l, MonitorOptions o, CommandSink& s, catalog::Store& st)
        : loop(l),
          options(std::move(o)),
          sink(s),
          store(st),
          rng(options.seed != 0 ? options.seed : std::random_device{}()),
          ttl_file(options.ttl_state_file),
          reaper(loop, [this] { reap(); }) {
        if (!options.ttl_state_file.empty())
            saved = ttl_file.load();
        // Store listeners run on the applying thread: coalesce a burst of commits into one
        // re-evaluation on the loop.
        subscription =
            store.subscribe([&loop = loop, w = weak(), pending = alias_pending, this](uint64_t) {
                if (!pending->exchange(true))
                    loop.post(guarded(w, [this] {
                        alias_pending->store(false);
                        evaluate_aliases();
                    }));
            });
        loop.post(guarded(weak(), [this] { arm_reaper(); }));
    }

    ~Impl() {
        store.unsubscribe(subscription);
        alive.reset();
        checks.clear();
    }

    std::weak_ptr<int> weak() const { return alive; }
    void post(std::function<void()> fn) { loop.post(guarded(weak(), std::move(fn))); }
    TimePoint now() const { return options.clock->now(); }

    Check* find(const std::string& id, uint64_t generation) {
        auto it = checks.find(id);
        if (it == checks.end() || it->second->generation != generation)
            return nullptr;
        return it->second.get();
    }

    // ---- adding and stopping

    void add(catalog::CheckDefinition def, Status registered) {
        stop(def.id, TtlStatePolicy::keep);
        if (ttl_states.erase(def.id) > 0)
            persist_ttl_states();  // a replaced TTL check starts from its new registration
        if (def.kind == CheckKind::external)
            return;
        std::unique_ptr<Probe> probe;
        if (periodic(def.kind)) {
            probe = options.probe_factory ? options.probe_factory(loop, def)
                                          : make_probe(loop, def, options.ca_file);
            if (!probe) {
                logger.error("no probe for check", {{"check", def.id}});
                return;
            }
        }
        auto check = std::make_unique<Check>();
        Check& c = *check;
        c.def = std::move(def);
        c.generation = next_generation++;
        c.reported = registered;
        if (registered == Status::critical)
            c.critical_since = now();
        c.flush_timer = std::make_unique<Timer>(loop, [this, &c] { flush(c); });
        checks[c.def.id] = std::move(check);
        switch (c.def.kind) {
            case CheckKind::script:
            case CheckKind::http:
            case CheckKind::tcp:
                start_periodic(c, std::move(probe));
                break;
            case CheckKind::ttl:
                start_ttl(c);
                break;
            case CheckKind::alias:
                ++alias_count;
                c.dirty = true;
                evaluate_aliases({&c});
                break;
            case CheckKind::external:
                break;
        }
    }

    enum class TtlStatePolicy { keep, purge };

    void stop(const std::string& id, TtlStatePolicy ttl_state) {
        if (auto it = checks.find(id); it != checks.end()) {
            if (it->second->def.kind == CheckKind::alias)
                --alias_count;
            checks.erase(it);  // destroys the probe: a run in flight is abandoned
        }
        if (ttl_state == TtlStatePolicy::purge) {
            bool had = ttl_states.erase(id) + saved.erase(id) > 0;
            if (had)
                persist_ttl_states();
        }
    }

    void stop_service(const std::string& service_id) {
        std::vector<std::string> ids;
        for (const auto& [id, c] : checks)
            if (c->def.service_id == service_id)
                ids.push_back(id);
        for (const auto& id : ids)
            stop(id, TtlStatePolicy::purge);
    }

    // ---- writing results

    // Applies the rate limit: a status change (or a first/failed-before write) goes at once, an
    // output-only change at most every check_update_interval, an unchanged result not at all.
    void report(Check& c, Status status, std::string output) {
        if (status == c.reported && output == c.output && !c.dirty) {
            c.pending.reset();  // the catalog already has this output
            c.flush_timer->cancel();
            return;
        }
        TimePoint t = now();
        Duration limit = options.check_update_interval;
        if (status != c.reported || c.dirty || !c.last_write || t - *c.last_write >= limit) {
            write(c, status, std::move(output), nullptr);
            return;
        }
        c.pending = std::move(output);
        if (!c.flush_timer->armed())
            c.flush_timer->arm(*c.last_write + limit - t);
    }

    void flush(Check& c) {
        if (c.pending) {
            std::string output = std::move(*c.pending);
            write(c, c.reported, std::move(output), nullptr);
        }
    }

    // Submits UpdateCheck and records it as reported. `then` (optional) runs on any thread when
    // the sink is done.
    void write(Check& c, Status status, std::string output,
               std::function<void(Result<uint64_t>)> then) {
        TimePoint t = now();
        c.pending.reset();
        c.flush_timer->cancel();
        if (status != c.reported) {
            c.critical_since = status == Status::critical ? std::optional(t) : std::nullopt;
            metrics.changes[static_cast<size_t>(c.def.kind)]++;
        }
        c.reported = status;
        c.output = output;
        c.dirty = false;
        c.last_write = t;
        enqueue(catalog::UpdateCheck{options.node, c.def.id, status, std::move(output)},
                [&loop = loop, w = weak(), this, id = c.def.id, generation = c.generation,
                 then = std::move(then)](Result<uint64_t> r) {
                    if (!r.ok())
                        loop.post(guarded(w, [this, id, generation, error = r.error().message] {
                            write_failed(id, generation, error);
                        }));
                    if (then)
                        then(std::move(r));
                });
    }

    // Group commit: every write made while the loop handles one round of events (many checks
    // finishing together) goes to the catalog as one batch, one LMDB commit instead of one
    // each. The flush runs right after the round, so nothing waits for a timer.
    struct PendingWrite {
        catalog::Command command;
        std::function<void(Result<uint64_t>)> done;
    };

    void enqueue(catalog::Command command, std::function<void(Result<uint64_t>)> done) {
        pending_writes.push_back(PendingWrite{std::move(command), std::move(done)});
        if (!flush_posted) {
            flush_posted = true;
            post([this] {
                flush_posted = false;
                submit_group(std::exchange(pending_writes, {}));
            });
        }
    }

    // A batch fails as a whole (one stale check would fail the others with it), so a failed
    // batch of several is retried one write at a time.
    void submit_group(std::vector<PendingWrite> writes) {
        if (writes.empty())
            return;
        std::vector<catalog::Command> batch;
        batch.reserve(writes.size());
        for (const auto& w : writes)
            batch.push_back(w.command);
        auto group = std::make_shared<std::vector<PendingWrite>>(std::move(writes));
        sink.submit(std::move(batch), [&loop = loop, w = weak(), this, group](Result<uint64_t> r) {
            if (!r.ok() && group->size() > 1) {
                loop.post(guarded(w, [this, group] {
                    for (auto& one : *group) {
                        std::vector<PendingWrite> single;
                        single.push_back(std::move(one));
                        submit_group(std::move(single));
                    }
                }));
                return;
            }
            for (auto& one : *group)
                one.done(r);
        });
    }

    void write_failed(const std::string& id, uint64_t generation, const std::string& error) {
        logger.warn("check update failed", {{"check", id}, {"error", error}});
        if (Check* c = find(id, generation))
            c->dirty = true;  // the next result retries
    }

    // ---- script, http, tcp

    void start_periodic(Check& c, std::unique_ptr<Probe> probe) {
        c.probe = std::move(probe);
        c.thresholds.emplace(c.def.success_before_passing, c.def.failures_before_warning,
                             c.def.failures_before_critical);
        c.dirty = true;
        c.run_timer = std::make_unique<Timer>(loop, [this, &c] { start_run(c); });
        TimePoint t = now();
        c.scheduled = first_run(t, interval(c), rng());
        c.run_timer->arm(c.scheduled - t);
    }

    Duration interval(const Check& c) const {
        return c.def.interval.count() > 0 ? Duration(c.def.interval) : fallback_interval;
    }

    void start_run(Check& c) {
        if (c.in_flight)
            return;  // never two runs of one check at once
        c.in_flight = true;
        c.probe->run([this, id = c.def.id, generation = c.generation](Outcome outcome) {
            on_outcome(id, generation, std::move(outcome));
        });
    }

    void on_outcome(const std::string& id, uint64_t generation, Outcome outcome) {
        Check* c = find(id, generation);
        if (c == nullptr)
            return;  // removed or replaced meanwhile
        c->in_flight = false;
        auto kind = static_cast<size_t>(c->def.kind);
        metrics.runs[kind]++;
        if (outcome.timed_out)
            metrics.timeouts[kind]++;
        if (auto status = c->thresholds->observe(outcome.status))
            report(*c, *status, std::move(outcome.output));
        // The next slot of the grid after this run ended: a run longer than the interval skips
        // the slots it overran.
        TimePoint t = now();
        c->scheduled = next_run(c->scheduled, interval(*c), t);
        c->run_timer->arm(c->scheduled - t);
    }

    // ---- ttl

    void start_ttl(Check& c) {
        c.ttl_timer = std::make_unique<Timer>(
            loop, [this, &c] { report(c, Status::critical, std::string(ttl_expired_output)); });
        auto it = saved.find(c.def.id);
        if (it == saved.end()) {
            arm_ttl(c);
            return;
        }
        // Restarted agent: the caller registered restored_ttl_status(); keep the saved expiry.
        auto wall = std::chrono::system_clock::now();
        TtlState state = it->second;
        saved.erase(it);
        if (wall >= state.expires) {
            c.output = std::string(ttl_expired_while_stopped);
            report(c, Status::critical, std::string(ttl_expired_while_stopped));
            return;
        }
        c.output = state.output;
        ttl_states[c.def.id] = state;
        c.ttl_timer->arm(std::chrono::duration_cast<Duration>(state.expires - wall));
    }

    void arm_ttl(Check& c) {
        if (c.def.ttl.count() > 0)
            c.ttl_timer->arm(c.def.ttl);
    }

    void update_ttl(const std::string& id, Status status, std::string output,
                    const std::function<void(TtlUpdate)>& done) {
        auto it = checks.find(id);
        if (it == checks.end()) {
            done({TtlUpdate::Outcome::unknown_check, 0,
                  "Unknown check ID \"" + id +
                      "\". Ensure that the check ID is passed, not the check name."});
            return;
        }
        Check& c = *it->second;
        if (c.def.kind != CheckKind::ttl) {
            done({TtlUpdate::Outcome::not_ttl, 0,
                  "CheckID \"" + id + "\" does not have associated TTL"});
            return;
        }
        output = truncate_ttl_output(std::move(output));
        arm_ttl(c);
        ttl_states[id] = TtlState{status, output, std::chrono::system_clock::now() + c.def.ttl};
        persist_ttl_states();
        // An explicit update is written at once (the caller waits for it), but only if it
        // changes something.
        if (status == c.reported && output == c.output && !c.dirty) {
            c.pending.reset();
            c.flush_timer->cancel();
            done({TtlUpdate::Outcome::applied, store.index(), ""});
            return;
        }
        write(c, status, std::move(output), [done](Result<uint64_t> r) {
            if (r.ok())
                done({TtlUpdate::Outcome::applied, *r, ""});
            else
                done({TtlUpdate::Outcome::write_failed, 0, r.error().message});
        });
    }

    // The running TTL checks' states, plus saved ones whose checks have not been added again
    // yet and have not expired (so an update racing the start-up does not forget them).
    void persist_ttl_states() {
        if (options.ttl_state_file.empty())
            return;
        auto all = ttl_states;
        auto wall = std::chrono::system_clock::now();
        for (const auto& [id, state] : saved)
            if (state.expires > wall)
                all.emplace(id, state);
        if (auto r = ttl_file.save(all); !r.ok())
            logger.warn("TTL state not saved", {{"error", r.error().message}});
    }

    // ---- alias

    void evaluate_aliases() {
        if (alias_count == 0)
            return;
        std::vector<Check*> aliases;
        for (auto& [id, c] : checks)
            if (c->def.kind == CheckKind::alias)
                aliases.push_back(c.get());
        evaluate_aliases(aliases);
    }

    // All from one snapshot, released before writing (a LocalWriter applies on this thread).
    void evaluate_aliases(const std::vector<Check*>& aliases) {
        std::vector<std::pair<Status, std::string>> results;
        {
            auto snapshot = store.snapshot();
            for (Check* c : aliases)
                results.push_back(alias_health(*c, *snapshot));
        }
        for (size_t i = 0; i < aliases.size(); ++i)
            report(*aliases[i], results[i].first, std::move(results[i].second));
    }

    // Consul's CheckAlias.processChecks: the worst status among the aliased instance's checks
    // and its node's; the alias check itself never counts (it would latch its own critical).
    std::pair<Status, std::string> alias_health(const Check& c,
                                                const catalog::Snapshot& snapshot) const {
        const std::string& node = c.def.alias_node.empty() ? options.node : c.def.alias_node;
        const std::string& service_id = c.def.alias_service;
        Status health = Status::passing;
        std::string message = "No checks found.";
        bool service_found = false;
        for (const auto& check : snapshot.node_checks(node)) {
            if (check.id == c.def.id && same_node(check.node, options.node))
                continue;
            bool match = check.service_id == service_id;
            if (!check.service_id.empty() && !match)
                continue;
            service_found = service_found || match;
            if (check.status != Status::passing) {
                health = check.status;
                message = "Aliased check \"" + check.name + "\" failing: " + check.output;
                if (check.status == Status::critical)
                    break;
            } else if (health == Status::passing) {
                message = "All checks passing.";
            }
        }
        if (!service_found) {
            auto services = snapshot.node_services(node);
            bool exists =
                std::any_of(services.begin(), services.end(),
                            [&](const catalog::Service& s) { return s.id == service_id; });
            if (!exists) {
                health = Status::critical;
                message = "Service " + service_id + " could not be found on node " + node;
            }
        }
        return {health, std::move(message)};
    }

    // ---- deregister_critical_service_after

    void arm_reaper() { reaper.arm(options.reap_interval); }

    void reap() {
        TimePoint t = now();
        std::set<std::string> doomed;
        for (const auto& [id, c] : checks) {
            auto after = c->def.deregister_critical_service_after;
            if (after.count() > 0 && !c->def.service_id.empty() &&
                c->reported == Status::critical && c->critical_since &&
                t - *c->critical_since >= after)
                doomed.insert(c->def.service_id);
        }
        for (const auto& service_id : doomed)
            reap_service(service_id);
        arm_reaper();
    }

    void reap_service(const std::string& service_id) {
        logger.info("deregistering service critical for too long", {{"service", service_id}});
        stop_service(service_id);
        std::vector<catalog::Command> batch{catalog::Deregister{options.node, service_id, {}}};
        sink.submit(std::move(batch),
                    [&loop = loop, w = weak(), this, service_id](Result<uint64_t> r) {
                        std::string error = r.ok() ? "" : r.error().message;
                        loop.post(guarded(w, [this, service_id, error] {
                            if (!error.empty())
                                logger.error("deregistering critical service failed",
                                             {{"service", service_id}, {"error", error}});
                            else if (on_reaped)
                                on_reaped(service_id);
                        }));
                    });
    }

    EventLoop& loop;
    MonitorOptions options;
    CommandSink& sink;
    catalog::Store& store;
    std::shared_ptr<int> alive = std::make_shared<int>(0);  // posted callbacks check it
    std::shared_ptr<std::atomic<bool>> alias_pending = std::make_shared<std::atomic<bool>>(false);
    std::mt19937_64 rng;
    uint64_t next_generation = 1;
    std::map<std::string, std::unique_ptr<Check>> checks;
    std::vector<PendingWrite> pending_writes;
    bool flush_posted = false;
    size_t alias_count = 0;  // store changes matter only while there are alias checks
    std::function<void(const std::string&)> on_reaped;
    TtlStateFile ttl_file;
    std::map<std::string, TtlState> saved;       // loaded at start, taken by add()
    std::map<std::string, TtlState> ttl_states;  // running TTL checks since their last update
    uint64_t subscription = 0;
    Timer reaper;
    CheckMetrics metrics;  // runs, timeouts, changes (running is counted when collected)
};

Monitor::Monitor(EventLoop& loop, MonitorOptions options, CommandSink& sink, catalog::Store& store)
    : impl_(std::make_unique<Impl>(loop, std::move(options), sink, store)) {}

Monitor::~Monitor() = default;

void Monitor::add(catalog::CheckDefinition definition, catalog::Status registered) {
    Impl* impl = impl_.get();
    impl->post([impl, definition = std::move(definition), registered]() mutable {
        impl->add(std::move(definition), registered);
    });
}

void Monitor::remove(std::string check_id) {
    Impl* impl = impl_.get();
    impl->post([impl, check_id = std::move(check_id)] {
        impl->stop(check_id, Impl::TtlStatePolicy::purge);
    });
}

void Monitor::remove_service(std::string service_id) {
    Impl* impl = impl_.get();
    impl->post([impl, service_id = std::move(service_id)] { impl->stop_service(service_id); });
}

void Monitor::update_ttl(std::string check_id, catalog::Status status, std::string output,
                         std::function<void(TtlUpdate)> done) {
    Impl* impl = impl_.get();
    impl->post([impl, check_id = std::move(check_id), status, output = std::move(output),
                done = std::move(done)]() mutable {
        impl->update_ttl(check_id, status, std::move(output), done);
    });
}

void Monitor::on_service_reaped(std::function<void(const std::string& service_id)> callback) {
    impl_->on_reaped = std::move(callback);
}

void Monitor::collect(std::function<void(CheckMetrics)> done) {
    Impl* impl = impl_.get();
    impl->post([impl, done = std::move(done)] {
        CheckMetrics m = impl->metrics;
        for (const auto& [id, c] : impl->checks)
            m.running[static_cast<size_t>(c->def.kind)][static_cast<size_t>(c->reported)]++;
        done(m);
    });
}

std::vector<std::string> Monitor::running() const {
    std::promise<std::vector<std::string>> promise;
    auto future = promise.get_future();
    Impl* impl = impl_.get();
    impl->loop.post([impl, &promise] {
        std::vector<std::string> ids;
        for (const auto& [id, c] : impl->checks)
            ids.push_back(id);
        promise.set_value(std::move(ids));
    });
    return future.get();
}

}  // namespace muster::checks
