// The agent's health checks: the bridge between the HTTP API, the config and the check runner
// (checks::Monitor), and the file that keeps the checks registered through the API across
// restarts (as Consul keeps them in data_dir/checks).
#pragma once

#include <map>
#include <mutex>
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
    // `saved_path`: the JSON file of the checks registered through the API ("" = not kept).
    AgentChecks(checks::Monitor& monitor, std::string saved_path);

    // At start: runs the checks an earlier run registered through the API that the catalog
    // (`snapshot`, this agent's node `node`) still has, from their status there. A corrupt
    // file is reported and changes nothing.
    Result<void> restore(const catalog::Snapshot& snapshot, const std::string& node);

    // The config's checks (at start and after every reload): runs the new and changed ones,
    // stops the ones the config dropped. Unchanged definitions keep running undisturbed.
    void sync_config(const std::vector<catalog::CheckDefinition>& checks,
                     const std::vector<catalog::Status>& statuses);

    // A service deregistered by deregister_critical_service_after: forget its checks.
    void service_reaped(const std::string& service_id);

    void registered(const std::vector<catalog::CheckDefinition>& checks,
                    const std::vector<catalog::Status>& statuses) override;
    void removed(const std::vector<std::string>& check_ids,
                 const std::vector<std::string>& service_ids) override;
    void update_ttl(const std::string& check_id, catalog::Status status, std::string output,
                    std::function<void(int, std::string)> done) override;

  private:
    void save_locked();

    checks::Monitor& monitor_;
    std::string saved_path_;
    std::mutex mu_;
    std::map<std::string, catalog::CheckDefinition> config_;  // by check ID
    std::map<std::string, catalog::CheckDefinition> api_;     // by check ID; saved
};

}  // namespace muster::app
