// Tests for src/checks/monitor.cc: a real EventLoop on a thread with fake probes that complete
// with scripted outcomes, a sink that records every catalog command (and, for alias checks,
// applies it to a real Store). Waits are bounded and generous; no assertion on exact timing.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "checks/monitor.hh"
#include "support/eventually.hh"
#include "support/temp_dir.hh"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/test/unit_test.hpp>

using namespace muster;
using namespace muster::checks;
using catalog::CheckDefinition;
using catalog::CheckKind;
using catalog::Status;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

using muster::test::eventually;
using muster::test::patience;
using muster::test::TempDir;

namespace {

constexpr Status P = Status::passing;
constexpr Status W = Status::warning;
constexpr Status C = Status::critical;

// ---- fake probes

struct Step {
    Status status = P;
    std::string output;
    milliseconds delay{0};
};

// What each fake probe does on its n-th run (nullopt: the run never completes), keyed by the
// definition's `http` field so that two definitions of one check ID can differ.
struct Scripts {
    using Generator = std::function<std::optional<Step>(int run)>;

    void set(const std::string& key, Generator gen) {
        std::lock_guard lock(mu);
        generators[key] = std::move(gen);
    }
    // The steps in order, then the last one forever (repeat) or runs that never complete.
    void set(const std::string& key, std::vector<Step> steps, bool repeat_last = false) {
        set(key, [steps, repeat_last](int n) -> std::optional<Step> {
            if (static_cast<size_t>(n) < steps.size())
                return steps[n];
            if (repeat_last && !steps.empty())
                return steps.back();
            return std::nullopt;
        });
    }
    int runs(const std::string& key) {
        std::lock_guard lock(mu);
        return static_cast<int>(starts[key].size());
    }
    std::vector<Steady::time_point> run_starts(const std::string& key) {
        std::lock_guard lock(mu);
        return starts[key];
    }

    std::mutex mu;
    std::map<std::string, Generator> generators;
    std::map<std::string, std::vector<Steady::time_point>> starts;
    std::atomic<int> overlaps{0};
    std::atomic<int> destroyed{0};
};

class FakeProbe final : public Probe {
  public:
    FakeProbe(EventLoop& loop, Scripts& scripts, std::string key)
        : scripts_(scripts), key_(std::move(key)), timer_(loop, [this] { fire(); }) {}
    ~FakeProbe() override { ++scripts_.destroyed; }

    void run(std::function<void(Outcome)> done) override {
        if (done_) {
            ++scripts_.overlaps;
            return;
        }
        std::optional<Step> step;
        {
            std::lock_guard lock(scripts_.mu);
            auto& starts = scripts_.starts[key_];
            int n = static_cast<int>(starts.size());
            starts.push_back(Steady::now());
            if (auto it = scripts_.generators.find(key_); it != scripts_.generators.end())
                step = it->second(n);
        }
        done_ = std::move(done);
        if (!step)
            return;  // hangs until abandoned
        outcome_ = Outcome{step->status, step->output};
        timer_.arm(step->delay);
    }

  private:
    void fire() {
        auto done = std::move(done_);
        done_ = nullptr;
        done(outcome_);
    }
    Scripts& scripts_;
    std::string key_;
    Timer timer_;
    std::function<void(Outcome)> done_;
    Outcome outcome_;
};

// ---- the catalog side

struct Update {
    Status status;
    std::string output;
    bool operator==(const Update&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Update& u) {
    return os << catalog::status_name(u.status) << " \"" << u.output << "\"";
}

// Records every batch; with a store it applies them as api::LocalWriter does.
class RecordingSink final : public CommandSink {
  public:
    void submit(std::vector<catalog::Command> batch,
                std::function<void(Result<uint64_t>)> done) override {
        Result<uint64_t> r = store_ != nullptr ? store_->apply(batch) : Result<uint64_t>(0);
        {
            std::lock_guard lock(mu_);
            batch_sizes_.push_back(batch.size());
            if (store_ == nullptr)
                r = ++index_;
            if (r.ok())  // what the catalog has: failed batches change nothing
                for (auto& c : batch)
                    commands_.push_back({std::move(c), Steady::now()});
        }
        done(std::move(r));
    }
    void use_store(catalog::Store* store) { store_ = store; }

    std::vector<Update> updates(const std::string& check_id) {
        std::lock_guard lock(mu_);
        std::vector<Update> out;
        for (const auto& [c, when] : commands_)
            if (auto* u = std::get_if<catalog::UpdateCheck>(&c); u && u->check_id == check_id)
                out.push_back({u->status, u->output});
        return out;
    }
    std::vector<Steady::time_point> update_times(const std::string& check_id) {
        std::lock_guard lock(mu_);
        std::vector<Steady::time_point> out;
        for (const auto& [c, when] : commands_)
            if (auto* u = std::get_if<catalog::UpdateCheck>(&c); u && u->check_id == check_id)
                out.push_back(when);
        return out;
    }
    std::vector<catalog::Deregister> deregisters() {
        std::lock_guard lock(mu_);
        std::vector<catalog::Deregister> out;
        for (const auto& [c, when] : commands_)
            if (auto* d = std::get_if<catalog::Deregister>(&c))
                out.push_back(*d);
        return out;
    }
    std::vector<size_t> batch_sizes() {
        std::lock_guard lock(mu_);
        return batch_sizes_;
    }
    uint64_t last_index() {
        std::lock_guard lock(mu_);
        return index_;
    }

  private:
    std::mutex mu_;
    catalog::Store* store_ = nullptr;
    uint64_t index_ = 0;
    std::vector<std::pair<catalog::Command, Steady::time_point>> commands_;
    std::vector<size_t> batch_sizes_;  // every submitted batch, failed ones too
};

// ---- the loop on its own thread

class LoopThread {
  public:
    ~LoopThread() { stop(); }
    void start() {
        std::promise<void> started;
        thread_ = std::thread([this, &started] {
            loop.post([&started] { started.set_value(); });
            loop.run();
        });
        started.get_future().wait();
    }
    void stop() {
        if (!thread_.joinable())
            return;
        loop.post([this] { loop.stop(); });
        thread_.join();
    }
    // Runs fn on the loop and waits for it.
    void sync(std::function<void()> fn) {
        std::promise<void> done;
        loop.post([&] {
            fn();
            done.set_value();
        });
        done.get_future().wait();
    }
    EventLoop loop;

  private:
    std::thread thread_;
};

// ---- definitions

CheckDefinition periodic(const std::string& id, const std::string& key, milliseconds interval,
                         const std::string& service_id = "") {
    CheckDefinition d;
    d.id = id;
    d.name = id;
    d.kind = CheckKind::http;
    d.http = key;
    d.interval = interval;
    d.service_id = service_id;
    return d;
}

CheckDefinition ttl_check(const std::string& id, milliseconds ttl,
                          const std::string& service_id = "") {
    CheckDefinition d;
    d.id = id;
    d.name = id;
    d.kind = CheckKind::ttl;
    d.ttl = ttl;
    d.service_id = service_id;
    return d;
}

CheckDefinition alias_check(const std::string& id, const std::string& service_id,
                            const std::string& alias_service) {
    CheckDefinition d;
    d.id = id;
    d.name = id;
    d.kind = CheckKind::alias;
    d.service_id = service_id;
    d.alias_service = alias_service;
    return d;
}

MonitorOptions quick_options() {
    MonitorOptions o;
    o.node = "n1";
    o.check_update_interval = std::chrono::minutes(10);  // output-only changes: never, here
    o.reap_interval = milliseconds(20);
    o.seed = 1;
    return o;
}

struct Fixture {
    explicit Fixture(MonitorOptions options = quick_options()) {
        auto s = catalog::Store::open({.dir = (dir.path() / "catalog").string(),
                                       .map_size = uint64_t{1} << 26,
                                       .durability = catalog::Durability::no_sync,
                                       .max_readers = 16});
        if (!s.ok())
            BOOST_FAIL("store: " << s.error().message);
        store = std::move(s).value();
        start(std::move(options));
    }
    ~Fixture() {
        lt.stop();
        monitor.reset();  // the loop is not running any more
    }
    void start(MonitorOptions options) {
        options.probe_factory = [this](EventLoop& loop, const CheckDefinition& def) {
            return std::make_unique<FakeProbe>(loop, scripts, def.http);
        };
        monitor = std::make_unique<Monitor>(lt.loop, std::move(options), sink, *store);
        monitor->on_service_reaped([this](const std::string& id) {
            std::lock_guard lock(mu);
            reaped.push_back(id);
        });
        lt.start();
    }
    // The monitor is destroyed on the loop and a new one started on the same loop.
    void restart(MonitorOptions options) {
        lt.sync([this] { monitor.reset(); });
        lt.stop();
        start(std::move(options));
    }
    TtlUpdate update_ttl(const std::string& id, Status status, const std::string& output) {
        std::promise<TtlUpdate> p;
        monitor->update_ttl(id, status, output, [&p](TtlUpdate u) { p.set_value(std::move(u)); });
        auto f = p.get_future();
        if (f.wait_for(patience) != std::future_status::ready)
            BOOST_FAIL("update_ttl did not answer");
        return f.get();
    }
    // Waits until the loop has processed everything posted before (running() round-trips).
    void settle() { (void)monitor->running(); }
    std::vector<std::string> reaped_services() {
        std::lock_guard lock(mu);
        return reaped;
    }

    TempDir dir;
    std::unique_ptr<catalog::Store> store;
    Scripts scripts;
    RecordingSink sink;
    LoopThread lt;
    std::unique_ptr<Monitor> monitor;
    std::mutex mu;
    std::vector<std::string> reaped;
};

// A node n1 with services web and proxy (proxy carries the alias check) as the catalog has them.
void register_alias_catalog(catalog::Store& store) {
    catalog::Node node;
    node.name = "n1";
    node.address = "10.0.0.1";
    auto service = [&](const std::string& id, std::vector<catalog::Check> checks) {
        catalog::Service s;
        s.node = "n1";
        s.id = id;
        s.name = id;
        s.port = 80;
        catalog::Register r;
        r.node = node;
        r.service = s;
        r.checks = std::move(checks);
        BOOST_TEST_REQUIRE(store.apply(r).ok());
    };
    catalog::Check web;
    web.node = "n1";
    web.id = "web-http";
    web.name = "web http";
    web.service_id = "web";
    web.status = P;
    web.output = "200 OK";
    catalog::Check alias;
    alias.node = "n1";
    alias.id = "proxy-alias";
    alias.name = "proxy alias";
    alias.service_id = "proxy";
    alias.type = "alias";
    alias.status = C;
    service("web", {web});
    service("proxy", {alias});
}

void set_check(catalog::Store& store, const std::string& id, Status s, const std::string& out) {
    BOOST_TEST_REQUIRE(store.apply(catalog::UpdateCheck{"n1", id, s, out}).ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monitor_test)

BOOST_FIXTURE_TEST_CASE(status_changes_are_written_at_once, Fixture) {
    scripts.set("web", {{P, "ok"}, {C, "down"}, {P, "up again"}});
    monitor->add(periodic("web", "web", milliseconds(20)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("web").size() >= 3; }));
    settle();
    // check_update_interval is ten minutes: none of these was held back.
    BOOST_TEST(
        (sink.updates("web") == std::vector<Update>{{P, "ok"}, {C, "down"}, {P, "up again"}}));
}

BOOST_FIXTURE_TEST_CASE(unchanged_results_are_not_written, Fixture) {
    scripts.set("web", {{P, "ok"}}, /*repeat_last=*/true);
    monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("web") >= 10; }));
    settle();
    BOOST_TEST((sink.updates("web") == std::vector<Update>{{P, "ok"}}));
}

BOOST_FIXTURE_TEST_CASE(the_first_result_is_written_even_if_it_matches_the_registration, Fixture) {
    // The catalog's output is not known to the monitor until it has written one.
    scripts.set("web", {{C, "refused"}});
    monitor->add(periodic("web", "web", milliseconds(20)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("web").size() == 1; }));
    BOOST_TEST((sink.updates("web") == std::vector<Update>{{C, "refused"}}));
}

BOOST_AUTO_TEST_CASE(output_only_changes_are_rate_limited) {
    auto options = quick_options();
    options.check_update_interval = milliseconds(300);
    Fixture f(options);
    f.scripts.set("web", [](int n) { return Step{P, "run " + std::to_string(n)}; });
    f.monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return f.sink.updates("web").size() >= 3; }));
    f.monitor->remove("web");
    f.settle();
    auto updates = f.sink.updates("web");
    auto times = f.sink.update_times("web");
    BOOST_TEST(updates.front().output == "run 0");  // the status change, at once
    int runs = f.scripts.runs("web");
    BOOST_TEST(static_cast<int>(updates.size()) < runs / 3);  // most outputs never written
    int last = 0;
    for (size_t i = 1; i < updates.size(); ++i) {
        BOOST_TEST_CONTEXT("update " << i << ": " << updates[i]) {
            BOOST_TEST((updates[i].status == P));
            // Each flush carries the newest output, and they are at least the interval apart
            // (less a little for timer rounding).
            int n = std::stoi(updates[i].output.substr(4));
            BOOST_TEST(n > last);
            last = n;
            BOOST_TEST((times[i] - times[i - 1] >= milliseconds(280)));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_pending_output_is_flushed_when_the_interval_passes) {
    auto options = quick_options();
    options.check_update_interval = milliseconds(300);
    Fixture f(options);
    f.scripts.set("web", {{P, "a"}, {P, "b"}});
    f.monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return f.sink.updates("web").size() >= 2; }));
    BOOST_TEST((f.sink.updates("web") == std::vector<Update>{{P, "a"}, {P, "b"}}));
    auto times = f.sink.update_times("web");
    BOOST_TEST((times[1] - times[0] >= milliseconds(280)));
}

BOOST_AUTO_TEST_CASE(a_status_change_carries_the_newest_output_and_drops_the_pending_one) {
    auto options = quick_options();
    options.check_update_interval = milliseconds(200);
    Fixture f(options);
    f.scripts.set("web", {{P, "a"}, {P, "b"}, {C, "c"}});
    f.monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return f.sink.updates("web").size() >= 2; }));
    std::this_thread::sleep_for(milliseconds(400));  // past the interval: "b" stays dropped
    f.settle();
    BOOST_TEST((f.sink.updates("web") == std::vector<Update>{{P, "a"}, {C, "c"}}));
}

BOOST_AUTO_TEST_CASE(an_output_back_to_the_written_one_cancels_the_pending_one) {
    auto options = quick_options();
    options.check_update_interval = milliseconds(200);
    Fixture f(options);
    f.scripts.set("web", {{P, "a"}, {P, "b"}, {P, "a"}});
    f.monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return f.scripts.runs("web") == 4; }));  // 4th hangs
    std::this_thread::sleep_for(milliseconds(400));  // past the interval
    f.settle();
    BOOST_TEST((f.sink.updates("web") == std::vector<Update>{{P, "a"}}));
}

BOOST_FIXTURE_TEST_CASE(thresholds_decide_what_is_written, Fixture) {
    auto def = periodic("web", "web", milliseconds(10));
    def.success_before_passing = 2;
    def.failures_before_warning = 1;
    def.failures_before_critical = 3;
    scripts.set("web", {{P, "p0"}, {C, "f1"}, {C, "f2"}, {C, "f3"}, {P, "p1"}, {P, "p2"}});
    monitor->add(def, C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("web") == 7; }));  // 7th hangs
    settle();
    // f2 is an output-only change of the warning state (held by the rate limit); p1 is one
    // success of the two needed.
    BOOST_TEST(
        (sink.updates("web") == std::vector<Update>{{P, "p0"}, {W, "f1"}, {C, "f3"}, {P, "p2"}}));
}

BOOST_FIXTURE_TEST_CASE(a_run_is_never_started_twice_and_long_runs_skip_slots, Fixture) {
    scripts.set("web", {{P, "slow", milliseconds(70)}}, /*repeat_last=*/true);
    monitor->add(periodic("web", "web", milliseconds(20)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("web") >= 6; }));
    monitor->remove("web");
    settle();
    BOOST_TEST(scripts.overlaps.load() == 0);
    auto starts = scripts.run_starts("web");
    for (size_t i = 1; i < starts.size(); ++i)
        BOOST_TEST((starts[i] - starts[i - 1] >= milliseconds(65)));
}

BOOST_FIXTURE_TEST_CASE(ttl_check_turns_critical_when_not_updated, Fixture) {
    monitor->add(ttl_check("beat", milliseconds(100)), P);
    BOOST_TEST_REQUIRE(eventually([&] { return !sink.updates("beat").empty(); }));
    settle();
    BOOST_TEST((sink.updates("beat") == std::vector<Update>{{C, "TTL expired"}}));
}

BOOST_FIXTURE_TEST_CASE(update_ttl_of_an_unknown_check, Fixture) {
    auto u = update_ttl("nope", P, "");
    BOOST_TEST((u.outcome == TtlUpdate::Outcome::unknown_check));
    BOOST_TEST(u.error.find("\"nope\"") != std::string::npos);
    BOOST_TEST(sink.updates("nope").empty());
}

BOOST_FIXTURE_TEST_CASE(update_ttl_of_a_check_of_another_kind, Fixture) {
    scripts.set("web", std::vector<Step>{});  // never completes
    monitor->add(periodic("web", "web", milliseconds(10)), C);
    auto u = update_ttl("web", P, "");
    BOOST_TEST((u.outcome == TtlUpdate::Outcome::not_ttl));
    BOOST_TEST(u.error == "CheckID \"web\" does not have associated TTL");
    BOOST_TEST(sink.updates("web").empty());
}

BOOST_FIXTURE_TEST_CASE(update_ttl_writes_changes_and_answers_with_the_index, Fixture) {
    monitor->add(ttl_check("beat", std::chrono::minutes(10)), C);
    auto u = update_ttl("beat", P, "fine");
    BOOST_TEST((u.outcome == TtlUpdate::Outcome::applied));
    BOOST_TEST(u.index == sink.last_index());
    BOOST_TEST(u.index > 0u);
    auto same = update_ttl("beat", P, "fine");  // nothing changes: nothing written
    BOOST_TEST((same.outcome == TtlUpdate::Outcome::applied));
    auto warn = update_ttl("beat", W, "slow");
    BOOST_TEST((warn.outcome == TtlUpdate::Outcome::applied));
    auto note = update_ttl("beat", W, "slower");  // an explicit update is never held back
    BOOST_TEST((note.outcome == TtlUpdate::Outcome::applied));
    BOOST_TEST(
        (sink.updates("beat") == std::vector<Update>{{P, "fine"}, {W, "slow"}, {W, "slower"}}));
}

BOOST_FIXTURE_TEST_CASE(update_ttl_truncates_long_notes, Fixture) {
    monitor->add(ttl_check("beat", std::chrono::minutes(10)), C);
    BOOST_TEST(
        (update_ttl("beat", P, std::string(5000, 'x')).outcome == TtlUpdate::Outcome::applied));
    auto updates = sink.updates("beat");
    BOOST_TEST_REQUIRE(updates.size() == 1u);
    BOOST_TEST(updates[0].output == std::string(4096, 'x') + " ... (captured 4096 of 5000 bytes)");
}

BOOST_FIXTURE_TEST_CASE(update_ttl_restarts_the_ttl, Fixture) {
    monitor->add(ttl_check("beat", milliseconds(600)), C);
    for (int i = 0; i < 8; ++i) {  // 800 ms of updates, each well within the TTL
        BOOST_TEST_REQUIRE((update_ttl("beat", P, "alive").outcome == TtlUpdate::Outcome::applied));
        std::this_thread::sleep_for(milliseconds(100));
    }
    BOOST_TEST((sink.updates("beat") == std::vector<Update>{{P, "alive"}}));
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("beat").size() == 2; }));
    BOOST_TEST((sink.updates("beat") == std::vector<Update>{{P, "alive"}, {C, "TTL expired"}}));
}

BOOST_AUTO_TEST_CASE(ttl_state_survives_a_restart) {
    TempDir state_dir;
    auto options = quick_options();
    options.ttl_state_file = (state_dir.path() / "checks" / "state").string();
    Fixture f(options);
    f.monitor->add(ttl_check("beat", std::chrono::minutes(10)), C);
    BOOST_TEST_REQUIRE(
        (f.update_ttl("beat", W, "degraded").outcome == TtlUpdate::Outcome::applied));
    f.restart(options);

    auto saved = TtlStateFile(options.ttl_state_file).load();
    auto restored = restored_ttl_status(saved, "beat", std::chrono::system_clock::now());
    BOOST_TEST_REQUIRE(restored.has_value());
    BOOST_TEST((restored->first == W));
    BOOST_TEST(restored->second == "degraded");
    // Registered as restored: the monitor has nothing to correct.
    f.monitor->add(ttl_check("beat", std::chrono::minutes(10)), restored->first);
    std::this_thread::sleep_for(milliseconds(200));
    f.settle();
    BOOST_TEST((f.sink.updates("beat") == std::vector<Update>{{W, "degraded"}}));
    BOOST_TEST((f.update_ttl("beat", P, "ok").outcome == TtlUpdate::Outcome::applied));
}

BOOST_AUTO_TEST_CASE(a_restored_ttl_runs_to_its_saved_expiry) {
    TempDir state_dir;
    auto options = quick_options();
    options.ttl_state_file = (state_dir.path() / "state.json").string();
    Fixture f(options);
    const milliseconds ttl(1500);
    f.monitor->add(ttl_check("beat", ttl), C);
    auto updated = Steady::now();
    BOOST_TEST_REQUIRE((f.update_ttl("beat", P, "ok").outcome == TtlUpdate::Outcome::applied));
    f.restart(options);
    std::this_thread::sleep_for(milliseconds(700));  // the agent is "stopped"
    f.monitor->add(ttl_check("beat", ttl), P);
    BOOST_TEST_REQUIRE(eventually([&] { return f.sink.updates("beat").size() == 2; }));
    auto expired = f.sink.update_times("beat").back();
    BOOST_TEST((f.sink.updates("beat").back() == Update{C, "TTL expired"}));
    // The TTL counted from the update before the restart, not from the add after it (which
    // would be 2.2 s).
    BOOST_TEST((expired - updated >= milliseconds(1400)));
    BOOST_TEST((expired - updated < milliseconds(1950)));
}

BOOST_AUTO_TEST_CASE(a_ttl_that_ran_out_while_stopped_is_critical_at_once) {
    TempDir state_dir;
    auto options = quick_options();
    options.ttl_state_file = (state_dir.path() / "state.json").string();
    Fixture f(options);
    f.monitor->add(ttl_check("beat", milliseconds(300)), C);
    BOOST_TEST_REQUIRE((f.update_ttl("beat", P, "ok").outcome == TtlUpdate::Outcome::applied));
    f.restart(options);
    std::this_thread::sleep_for(milliseconds(500));
    auto restored = restored_ttl_status(TtlStateFile(options.ttl_state_file).load(), "beat",
                                        std::chrono::system_clock::now());
    BOOST_TEST_REQUIRE(restored.has_value());
    BOOST_TEST((restored->first == C));
    // Registered with a stale passing status: the monitor corrects it at once.
    f.monitor->add(ttl_check("beat", std::chrono::minutes(10)), P);
    const Update expected{C, "TTL expired (while the agent was stopped)"};
    BOOST_TEST_REQUIRE(eventually([&] { return f.sink.updates("beat").back() == expected; }));
    BOOST_TEST(f.sink.updates("beat").size() == 2u);
}

BOOST_AUTO_TEST_CASE(removing_a_ttl_check_forgets_its_state) {
    TempDir state_dir;
    auto options = quick_options();
    options.ttl_state_file = (state_dir.path() / "state.json").string();
    Fixture f(options);
    f.monitor->add(ttl_check("beat", std::chrono::minutes(10)), C);
    f.monitor->add(ttl_check("other", std::chrono::minutes(10)), C);
    BOOST_TEST_REQUIRE((f.update_ttl("beat", P, "ok").outcome == TtlUpdate::Outcome::applied));
    BOOST_TEST_REQUIRE((f.update_ttl("other", P, "ok").outcome == TtlUpdate::Outcome::applied));
    BOOST_TEST(TtlStateFile(options.ttl_state_file).load().size() == 2u);
    f.monitor->remove("beat");
    f.settle();
    auto saved = TtlStateFile(options.ttl_state_file).load();
    BOOST_TEST(saved.size() == 1u);
    BOOST_TEST(saved.count("other") == 1u);
}

BOOST_FIXTURE_TEST_CASE(alias_follows_the_aliased_service, Fixture) {
    register_alias_catalog(*store);
    sink.use_store(store.get());
    auto alias = [&] { return sink.updates("proxy-alias"); };
    monitor->add(alias_check("proxy-alias", "proxy", "web"), C);
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 1; }));
    BOOST_TEST((alias().back() == Update{P, "All checks passing."}));

    set_check(*store, "web-http", C, "connection refused");
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 2; }));
    BOOST_TEST((alias().back() == Update{C,
                                         "Aliased check \"web http\" failing: connection "
                                         "refused"}));

    set_check(*store, "web-http", P, "200 OK");
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 3; }));
    BOOST_TEST((alias().back() == Update{P, "All checks passing."}));

    // A node-level check counts for every instance on the node.
    catalog::Check node_check;
    node_check.node = "n1";
    node_check.id = "disk";
    node_check.name = "disk";
    node_check.status = W;
    node_check.output = "90% full";
    catalog::Register reg;
    reg.node.name = "n1";
    reg.node.address = "10.0.0.1";
    reg.checks = {node_check};
    BOOST_TEST_REQUIRE(store->apply(reg).ok());
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 4; }));
    BOOST_TEST((alias().back() == Update{W, "Aliased check \"disk\" failing: 90% full"}));

    BOOST_TEST_REQUIRE(store->apply(catalog::Deregister{"n1", "web", {}}).ok());
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 5; }));
    BOOST_TEST((alias().back() == Update{C, "Service web could not be found on node n1"}));

    // Its own writes change the catalog too: they must not set off more writes.
    std::this_thread::sleep_for(milliseconds(200));
    settle();
    BOOST_TEST(alias().size() == 5u);
}

BOOST_FIXTURE_TEST_CASE(alias_of_a_service_without_checks_is_passing, Fixture) {
    register_alias_catalog(*store);
    sink.use_store(store.get());
    BOOST_TEST_REQUIRE(store->apply(catalog::Deregister{"n1", {}, "web-http"}).ok());
    monitor->add(alias_check("proxy-alias", "proxy", "web"), C);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("proxy-alias").size() == 1; }));
    BOOST_TEST((sink.updates("proxy-alias").back() == Update{P, "No checks found."}));
}

BOOST_FIXTURE_TEST_CASE(alias_of_a_service_on_another_node, Fixture) {
    register_alias_catalog(*store);
    sink.use_store(store.get());
    catalog::Check api;
    api.node = "n2";
    api.id = "api-health";
    api.name = "api health";
    api.service_id = "api";
    api.status = C;
    api.output = "503";
    catalog::Register reg;
    reg.node.name = "n2";
    reg.node.address = "10.0.0.2";
    reg.service.emplace();
    reg.service->node = "n2";
    reg.service->id = "api";
    reg.service->name = "api";
    reg.checks = {api};
    BOOST_TEST_REQUIRE(store->apply(reg).ok());
    auto def = alias_check("proxy-alias", "proxy", "api");
    def.alias_node = "n2";
    monitor->add(def, P);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("proxy-alias").size() == 1; }));
    BOOST_TEST((sink.updates("proxy-alias").back() ==
                Update{C, "Aliased check \"api health\" failing: 503"}));
    // The same service ID on this node is another instance (and a replaced alias check
    // writes its first result at once, even with the same status).
    monitor->add(alias_check("proxy-alias", "proxy", "api"), C);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("proxy-alias").size() == 2; }));
    BOOST_TEST((sink.updates("proxy-alias").back() ==
                Update{C, "Service api could not be found on node n1"}));
}

BOOST_FIXTURE_TEST_CASE(a_node_level_alias_does_not_count_itself, Fixture) {
    register_alias_catalog(*store);
    sink.use_store(store.get());
    catalog::Check self;
    self.node = "n1";
    self.id = "node-alias";
    self.name = "node alias";
    self.status = C;
    catalog::Register reg;
    reg.node.name = "n1";
    reg.node.address = "10.0.0.1";
    reg.checks = {self};
    BOOST_TEST_REQUIRE(store->apply(reg).ok());
    auto alias = [&] { return sink.updates("node-alias"); };
    monitor->add(alias_check("node-alias", "", "web"), C);
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 1; }));
    BOOST_TEST((alias().back().status == P));
    set_check(*store, "web-http", C, "down");
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 2; }));
    BOOST_TEST((alias().back().status == C));
    // Were its own critical status counted, it would stay critical from here on.
    set_check(*store, "web-http", P, "up");
    BOOST_TEST_REQUIRE(eventually([&] { return alias().size() == 3; }));
    BOOST_TEST((alias().back() == Update{P, "All checks passing."}));
}

BOOST_FIXTURE_TEST_CASE(deregister_critical_service_after_reaps_the_service, Fixture) {
    auto web = periodic("web-check", "down", milliseconds(10), "web");
    web.deregister_critical_service_after = milliseconds(150);
    auto db = periodic("db-check", "up", milliseconds(10), "db");
    db.deregister_critical_service_after = milliseconds(150);
    scripts.set("down", {{C, "refused"}}, /*repeat_last=*/true);
    scripts.set("up", {{P, "ok"}}, /*repeat_last=*/true);
    monitor->add(web, P);
    monitor->add(ttl_check("web-ttl", std::chrono::minutes(10), "web"), P);
    monitor->add(db, C);  // critical only until its first result
    BOOST_TEST_REQUIRE(eventually([&] { return !reaped_services().empty(); }));
    auto deregisters = sink.deregisters();
    BOOST_TEST_REQUIRE(deregisters.size() == 1u);
    BOOST_TEST(deregisters[0].node == "n1");
    BOOST_TEST((deregisters[0].service_id == std::optional<std::string>("web")));
    BOOST_TEST(!deregisters[0].check_id.has_value());
    BOOST_TEST((reaped_services() == std::vector<std::string>{"web"}));
    BOOST_TEST((monitor->running() == std::vector<std::string>{"db-check"}));
    // The critical check had been reported critical for the whole time before.
    BOOST_TEST((sink.updates("web-check") == std::vector<Update>{{C, "refused"}}));
    std::this_thread::sleep_for(milliseconds(200));
    BOOST_TEST(sink.deregisters().size() == 1u);
    BOOST_TEST(reaped_services().size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_service_is_not_reaped_while_it_recovers_in_time, Fixture) {
    auto web = periodic("web-check", "flappy", milliseconds(10), "web");
    web.deregister_critical_service_after = milliseconds(300);
    // Critical for ~100 ms at a time, then passing again: never critical for 300 ms on end.
    scripts.set("flappy", [](int n) { return Step{(n / 10) % 2 == 0 ? C : P, "x"}; });
    monitor->add(web, P);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("flappy") >= 60; }));
    settle();
    BOOST_TEST(sink.deregisters().empty());
    BOOST_TEST(reaped_services().empty());
}

BOOST_FIXTURE_TEST_CASE(remove_stops_writes, Fixture) {
    scripts.set("web", [](int n) { return Step{n % 2 == 0 ? P : C, "flip"}; });
    monitor->add(periodic("web", "web", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("web").size() >= 3; }));
    monitor->remove("web");
    BOOST_TEST(monitor->running().empty());
    auto written = sink.updates("web").size();
    std::this_thread::sleep_for(milliseconds(150));
    settle();
    BOOST_TEST(sink.updates("web").size() == written);
}

BOOST_FIXTURE_TEST_CASE(remove_abandons_a_run_in_flight, Fixture) {
    scripts.set("slow", {{P, "late", milliseconds(150)}});
    monitor->add(periodic("slow", "slow", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("slow") == 1; }));
    monitor->remove("slow");
    settle();
    BOOST_TEST(scripts.destroyed.load() == 1);
    std::this_thread::sleep_for(milliseconds(300));
    settle();
    BOOST_TEST(sink.updates("slow").empty());
}

BOOST_FIXTURE_TEST_CASE(remove_service_stops_its_checks_only, Fixture) {
    scripts.set("idle", std::vector<Step>{});
    monitor->add(periodic("web-1", "idle", milliseconds(50), "web"), C);
    monitor->add(ttl_check("web-2", std::chrono::minutes(10), "web"), C);
    monitor->add(periodic("db-1", "idle", milliseconds(50), "db"), C);
    monitor->add(ttl_check("node", std::chrono::minutes(10)), C);
    BOOST_TEST((monitor->running() == std::vector<std::string>{"db-1", "node", "web-1", "web-2"}));
    monitor->remove_service("web");
    BOOST_TEST((monitor->running() == std::vector<std::string>{"db-1", "node"}));
    monitor->remove("unknown");  // ignored
    BOOST_TEST((monitor->running() == std::vector<std::string>{"db-1", "node"}));
}

BOOST_FIXTURE_TEST_CASE(adding_a_check_again_replaces_it, Fixture) {
    scripts.set("old", {{P, "old", milliseconds(200)}});
    scripts.set("new", {{C, "new"}}, /*repeat_last=*/true);
    monitor->add(periodic("web", "old", milliseconds(10)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("old") == 1; }));
    monitor->add(periodic("web", "new", milliseconds(10)), C);
    BOOST_TEST((monitor->running() == std::vector<std::string>{"web"}));
    BOOST_TEST(scripts.destroyed.load() == 1);  // the old probe, with its run in flight
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("new") >= 5; }));
    std::this_thread::sleep_for(milliseconds(250));  // past the old run's end
    settle();
    BOOST_TEST((sink.updates("web") == std::vector<Update>{{C, "new"}}));
}

BOOST_FIXTURE_TEST_CASE(external_checks_are_not_run, Fixture) {
    CheckDefinition d;
    d.id = "ext";
    d.name = "ext";
    d.kind = CheckKind::external;
    monitor->add(d, P);
    BOOST_TEST(monitor->running().empty());
    BOOST_TEST((update_ttl("ext", P, "").outcome == TtlUpdate::Outcome::unknown_check));
}

BOOST_FIXTURE_TEST_CASE(a_failed_write_is_retried_with_the_next_result, Fixture) {
    // No check in the store: every UpdateCheck fails until it is registered.
    sink.use_store(store.get());
    scripts.set("web", {{P, "ok"}}, /*repeat_last=*/true);
    monitor->add(periodic("web", "web", milliseconds(20)), C);
    BOOST_TEST_REQUIRE(eventually([&] { return scripts.runs("web") >= 3; }));
    BOOST_TEST(sink.updates("web").empty());  // only successful writes are recorded
    catalog::Check c;
    c.node = "n1";
    c.id = "web";
    c.name = "web";
    c.status = C;
    catalog::Register reg;
    reg.node.name = "n1";
    reg.node.address = "10.0.0.1";
    reg.checks = {c};
    BOOST_TEST_REQUIRE(store->apply(reg).ok());
    BOOST_TEST_REQUIRE(eventually([&] { return sink.updates("web").size() == 1; }));
    auto snapshot = store->snapshot();
    auto checks = snapshot->node_checks("n1");
    BOOST_TEST_REQUIRE(checks.size() == 1u);
    BOOST_TEST((checks[0].status == P));
    BOOST_TEST(checks[0].output == "ok");
}

BOOST_FIXTURE_TEST_CASE(writes_of_one_round_are_one_batch_and_a_bad_one_spoils_none, Fixture) {
    sink.use_store(store.get());
    catalog::Register reg;
    reg.node.name = "n1";
    reg.node.address = "10.0.0.1";
    for (const char* id : {"a", "b"}) {
        catalog::Check c;
        c.node = "n1";
        c.id = id;
        c.name = id;
        reg.checks.push_back(c);
    }
    BOOST_TEST_REQUIRE(store->apply(reg).ok());
    for (const char* id : {"a", "b", "gone"})
        monitor->add(ttl_check(id, std::chrono::minutes(10)), C);
    // Updates made in one round of the loop: "gone" is not in the catalog, so the batch of all
    // three fails and each is retried on its own.
    std::atomic<int> answered{0};
    std::atomic<int> applied{0};
    lt.sync([&] {
        for (const char* id : {"a", "b", "gone"})
            monitor->update_ttl(id, P, "ok", [&](TtlUpdate u) {
                if (u.outcome == TtlUpdate::Outcome::applied)
                    ++applied;
                ++answered;
            });
    });
    BOOST_TEST_REQUIRE(eventually([&] { return answered == 3; }));
    BOOST_TEST(applied == 2);
    BOOST_TEST((sink.updates("a") == std::vector<Update>{{P, "ok"}}));
    BOOST_TEST((sink.updates("b") == std::vector<Update>{{P, "ok"}}));
    BOOST_TEST((sink.batch_sizes() == std::vector<size_t>{3, 1, 1, 1}));
}

BOOST_AUTO_TEST_SUITE_END()
