// The agent's own entries in the catalog: its node, and the services and checks of its config
// files, kept in step with the config at start and on every reload.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/writer.hh"
#include "catalog/model.hh"
#include "catalog/store.hh"
#include "common/result.hh"
#include "config/settings.hh"

namespace muster::app {

// The node this agent is: node_name at its advertised address (the first bind_addr that is
// not a wildcard, else the first private IPv4 of the host, else 127.0.0.1).
catalog::Node self_node(const config::Settings& settings);

// What the config registered: the service IDs, and every check with the status it was
// registered with (service checks carry their service_id).
struct ConfigRegistrations {
    std::set<std::string> services;
    std::vector<catalog::CheckDefinition> checks;
    std::vector<catalog::Status> statuses;  // parallel to checks
};

// Registers the agent's node and every service and check of the config (one batch, through
// the one write path), and deregisters the config services and checks of `previous` that are
// gone. A check already in the catalog keeps its status and output (`snapshot`), so a reload
// or restart does not flap DNS; `restored` (a TTL check's state saved by the last run) wins
// over both.
using RestoredStatus = std::map<std::string, std::pair<catalog::Status, std::string>>;
Result<ConfigRegistrations> sync_config_registrations(api::Writer& writer,
                                                      const config::Settings& settings,
                                                      const ConfigRegistrations& previous,
                                                      const catalog::Snapshot& snapshot,
                                                      const RestoredStatus& restored = {});

}  // namespace muster::app
