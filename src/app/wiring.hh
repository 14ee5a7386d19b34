// Option → module wiring: maps the loaded config::Settings onto each module's own Options, so
// no module depends on the config parser. Pure functions; the Agent calls them at start and on
// reload.
#pragma once

#include <memory>

#include "api/options.hh"
#include "catalog/store.hh"
#include "checks/monitor.hh"
#include "cluster/raft_server.hh"
#include "cluster/replica_client.hh"
#include "config/settings.hh"
#include "resolver/options.hh"

namespace muster::app {

// Records, hosts file, recursors (resolv.conf's nameservers when none are set) and forward
// zones: what a reload may change.
resolver::Zones resolver_zones(const config::Settings& s);
resolver::CatalogOptions catalog_options(const config::Settings& s,
                                         std::shared_ptr<const catalog::DnsSource> source);
resolver::Options resolver_options(const config::Settings& s);
api::Options api_options(const config::Settings& s);
checks::MonitorOptions monitor_options(const config::Settings& s);

// The Raft server of `server: true`: its log in data_dir/raft, at the node's IPv4 address
// (127.0.0.1 with --dev) on ports.server. `has_state`: data_dir/raft holds Raft state already.
// Errors say which setting is missing or wrong.
Result<cluster::RaftServerOptions> raft_options(const config::Settings& s, bool has_state);

// A client agent: `server: false` with servers to join (retry_join, start_join, --join). It keeps
// a replica of the cluster's catalog fed by one server. `server: false` without any is a
// standalone agent with a catalog of its own.
// The cluster key and its verify flags, for the server port (servers and client agents).
cluster::LinkSecurity link_security(const config::Settings& s);
bool client_agent(const config::Settings& s);
// The feed of a client agent: its node at its advertised address, joining through retry_join
// every retry_interval, giving up after retry_max rounds.
cluster::ReplicaOptions replica_options(const config::Settings& s);

}  // namespace muster::app
