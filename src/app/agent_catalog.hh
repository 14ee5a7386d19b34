// The agent's own entries in the catalog: its node, and the services and checks of its config
// files, kept in step with the config at start and on every reload.
#pragma once

#include <set>
#include <string>

#include "api/writer.hh"
#include "catalog/model.hh"
#include "common/result.hh"
#include "config/settings.hh"

namespace muster::app {

// The node this agent is: node_name at its advertised address (the first bind_addr that is
// not a wildcard, else the first private IPv4 of the host, else 127.0.0.1).
catalog::Node self_node(const config::Settings& settings);

// Registers the agent's node and every service and check of the config (one batch, through
// the one write path), and deregisters the config services of `previous` that are gone.
// Returns the IDs of the config services now registered. Checks that need a runner (script,
// http, tcp, ttl, alias) are refused with an error naming them: this version does not run
// health checks yet.
Result<std::set<std::string>> sync_config_registrations(api::Writer& writer,
                                                        const config::Settings& settings,
                                                        const std::set<std::string>& previous);

}  // namespace muster::app
