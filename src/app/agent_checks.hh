// The agent's health checks and own services: the bridge between the HTTP API, the config and
// the check runner (checks::Monitor), and the files that keep the checks and services
// registered through the API across restarts (as Consul keeps them in data_dir/checks and
// data_dir/services).
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/check_runner.hh"
#include "api/writer.hh"
#include "catalog/definition.hh"
#include "catalog/store.hh"
#include "checks/monitor.hh"
#include "common/result.hh"

namespace muster::app {

// checks::Monitor writes through the API's one write path.
class WriterSink final : public checks::CommandSink {
  public:
    explicit WriterSink(api::Writer& writer) : writer_(writer) {}
    void submit(std::vector<catalog::Command> batch,
                std::function<void(Result<uint64_t>)> done) override {
        writer_.submit(std::move(batch), std::move(done));
    }

  private:
    api::Writer& writer_;
};

class AgentChecks final : public api::CheckRunner {
  public:
    // `saved_path`, `services_path`: the JSON files of the checks and of the services
    // registered through the API ("" = not kept). Both are read at once (nothing runs yet); a
    // corrupt file is logged and read as empty.
    AgentChecks(checks::Monitor& monitor, std::string saved_path, std::string services_path = "");

    // At start: runs the checks an earlier run registered through the API that the catalog
    // (`snapshot`, this agent's node `node`) still has, from their status there. Unless
    // `keep_services` (a client agent, whose anti-entropy registers them again), forgets the
    // services and checks the catalog no longer has.
    Result<void> restore(const catalog::Snapshot& snapshot, const std::string& node,
                         bool keep_services = false);

    // The services registered through the API that are still this agent's own, by ID.
    std::map<std::string, catalog::ServiceDefinition> services() const;
    // The checks registered through the API that are still this agent's own, by ID.
    std::map<std::string, catalog::CheckDefinition> checks() const;

    // The config's checks (at start and after every reload): runs the new and changed ones,
    // stops the ones the config dropped. Unchanged definitions keep running undisturbed.
    void sync_config(const std::vector<catalog::CheckDefinition>& checks,
                     const std::vector<catalog::Status>& statuses);

    // A service deregistered by deregister_critical_service_after: forget its checks.
    void service_reaped(const std::string& service_id);

    void registered(const std::vector<catalog::CheckDefinition>& checks,
                    const std::vector<catalog::Status>& statuses) override;
    void service_registered(const std::string& service_id, std::string definition) override;
    void removed(const std::vector<std::string>& check_ids,
                 const std::vector<std::string>& service_ids) override;
    void update_ttl(const std::string& check_id, catalog::Status status, std::string output,
                    std::function<void(int, std::string)> done) override;

    // A service registered through the API: its body as the API took it (what is saved) and
    // that body parsed.
    struct OwnService {
        nlohmann::json body;
        catalog::ServiceDefinition definition;
    };

  private:
    void save_locked();
    void save_services_locked();

    checks::Monitor& monitor_;
    std::string saved_path_;
    std::string services_path_;
    mutable std::mutex mu_;
    std::map<std::string, catalog::CheckDefinition> config_;  // by check ID
    std::map<std::string, catalog::CheckDefinition> api_;     // by check ID; saved
    std::map<std::string, OwnService> services_;              // by service ID; saved
};

// An agent service definition from its JSON (the API's body): parsed, with every check
// carrying the service's ID.
Result<catalog::ServiceDefinition> agent_service_definition(const nlohmann::json& body,
                                                            const std::string& where);

}  // namespace muster::app
