// api::CheckRunner: the agent's check runner and own state as the HTTP API sees it (the agent
// implements it over checks::Monitor, and keeps what the API registered across restarts).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "catalog/definition.hh"
#include "catalog/model.hh"

namespace muster::api {

class CheckRunner {
  public:
    virtual ~CheckRunner() = default;
    // After a write through the API that registered these checks committed: run them from the
    // status each was registered with (`statuses` is parallel to `checks`). Checks of a kind
    // that needs no runner (external) are only remembered.
    virtual void registered(const std::vector<catalog::CheckDefinition>& checks,
                            const std::vector<catalog::Status>& statuses) = 0;
    // After a committed /v1/agent/service/register: the definition as the API took it (JSON
    // text that catalog::parse_service_definition reads back), kept as the agent's own state
    // (a client agent registers it again when the catalog loses it).
    virtual void service_registered(const std::string& service_id, std::string definition) = 0;
    // After a committed deregistration: stop these checks, and every check of these services
    // (which are no longer the agent's own).
    virtual void removed(const std::vector<std::string>& check_ids,
                         const std::vector<std::string>& service_ids) = 0;
    // A TTL update; `done` runs once on any thread with the HTTP status (200 when the catalog
    // has it, 404 for an unknown check, 500 for a check that is not a TTL check or a failed
    // write) and, unless 200, the error text.
    virtual void update_ttl(const std::string& check_id, catalog::Status status, std::string output,
                            std::function<void(int, std::string)> done) = 0;
};

}  // namespace muster::api
