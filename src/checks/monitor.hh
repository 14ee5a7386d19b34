// Monitor: runs the health checks of the services registered on this agent and feeds every
// status change into the catalog through the one write path. Runs on an EventLoop of its own
// (the agent gives it a thread), so a slow or hung check never touches the DNS or HTTP
// threads, and one check never delays another.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/command.hh"
#include "catalog/definition.hh"
#include "catalog/model.hh"
#include "catalog/store.hh"
#include "checks/probe.hh"
#include "common/clock.hh"
#include "common/event_loop.hh"
#include "common/result.hh"

namespace muster::checks {

// Where results go: the catalog's write path (the agent adapts api::Writer to this). `done`
// may run on any thread, before or after submit returns.
class CommandSink {
  public:
    virtual ~CommandSink() = default;
    virtual void submit(std::vector<catalog::Command> batch,
                        std::function<void(Result<uint64_t>)> done) = 0;
};

// The TTL checks' last state, kept across agent restarts in one JSON file (Consul keeps it in
// data_dir/checks/state): a restarted agent restores a TTL check's status and output until the
// TTL that was running when it stopped runs out.
struct TtlState {
    catalog::Status status = catalog::Status::critical;
    std::string output;
    std::chrono::system_clock::time_point expires;
};

class TtlStateFile {
  public:
    explicit TtlStateFile(std::string path) : path_(std::move(path)) {}
    // A missing file is empty; an unreadable or corrupt one is empty too (logged, never fatal:
    // the TTL checks then start from their registered status).
    std::map<std::string, TtlState> load() const;
    // Written to a temporary file and renamed over the old one, so a crash leaves either.
    Result<void> save(const std::map<std::string, TtlState>& states) const;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// What a TTL check registers with after a restart: the saved state while it has not expired,
// else critical with the output "TTL expired (while the agent was stopped)". nullopt when
// nothing was saved for the check.
std::optional<std::pair<catalog::Status, std::string>> restored_ttl_status(
    const std::map<std::string, TtlState>& saved, const std::string& check_id,
    std::chrono::system_clock::time_point now);

struct MonitorOptions {
    std::string node;  // the agent's node: every check runs on it
    // Output-only changes (same status) reach the catalog at most this often per check; a
    // status change always goes at once.
    std::chrono::milliseconds check_update_interval{std::chrono::minutes(5)};
    // How often deregister_critical_service_after is looked at (Consul: 30 s).
    std::chrono::milliseconds reap_interval{std::chrono::seconds(1)};
    std::string ttl_state_file;  // "" = TTL state is not persisted
    std::string ca_file;         // trusted CAs for https and tcp+tls checks; "" = system store
    const Clock* clock = &SteadyClock::instance();
    uint64_t seed = 0;  // for first-run jitter; 0 = from std::random_device
    // Makes the probe of a script/http/tcp check; tests inject fakes. Default: make_probe.
    std::function<std::unique_ptr<Probe>(EventLoop&, const catalog::CheckDefinition&)>
        probe_factory;
};

struct TtlUpdate {
    enum class Outcome { applied, unknown_check, not_ttl, write_failed };
    Outcome outcome = Outcome::applied;
    uint64_t index = 0;  // the catalog index after the update (applied)
    std::string error;   // for the others, as Consul words it
};

// What the checks of this agent did, and where they stand: the checks' metrics.
struct CheckMetrics {
    static constexpr size_t kinds = 6;                            // catalog::CheckKind's values
    static constexpr size_t statuses = 3;                         // catalog::Status's values
    std::array<std::array<uint64_t, statuses>, kinds> running{};  // by kind and reported status
    std::array<uint64_t, kinds> runs{};      // probe runs finished (script, http, tcp)
    std::array<uint64_t, kinds> timeouts{};  // of those, ended by the check's timeout
    std::array<uint64_t, kinds> changes{};   // status changes written to the catalog
};

class Monitor {
  public:
    // `store` is read for alias checks (the monitor subscribes to its changes).
    Monitor(EventLoop& loop, MonitorOptions options, CommandSink& sink, catalog::Store& store);
    // Must run on the loop's thread or while the loop is not running; kills running scripts.
    ~Monitor();
    Monitor(const Monitor&) = delete;
    Monitor& operator=(const Monitor&) = delete;

    // The calls below are safe from any thread (they post to the loop).

    // Starts running a check that the caller has already registered in the catalog, with
    // `registered` as its status there. Replaces a running check of the same ID (its run in
    // flight is abandoned). Kinds: script, http, tcp (periodic, first run jittered), ttl
    // (critical "TTL expired" when not updated within ttl; a saved unexpired state keeps its
    // expiry), alias (mirrors alias_service on alias_node or this node, node checks
    // included). An external check is ignored.
    void add(catalog::CheckDefinition definition, catalog::Status registered);
    // Stops a check (no further writes for it). Unknown IDs are ignored.
    void remove(std::string check_id);
    // Stops every check of a service.
    void remove_service(std::string service_id);
    // PUT /v1/agent/check/pass|warn|fail|update: sets a TTL check's status and output and
    // restarts its TTL; `done` runs once the catalog has it (or on the error), on any thread.
    void update_ttl(std::string check_id, catalog::Status status, std::string output,
                    std::function<void(TtlUpdate)> done);
    // Called on the loop's thread after deregister_critical_service_after removed a service
    // from the catalog (its checks are stopped already). Set before the loop runs.
    void on_service_reaped(std::function<void(const std::string& service_id)> callback);
    // The IDs of the checks running now, sorted (tests, diagnostics). Blocks until the loop
    // answers: never call it on the loop's own thread.
    std::vector<std::string> running() const;
    // `done` gets the checks' metrics, on the loop's thread.
    void collect(std::function<void(CheckMetrics)> done);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace muster::checks
