// The route table: which Consul endpoint a method and path name.
#pragma once

#include <string>
#include <string_view>

#include "common/http_server.hh"

namespace muster::api {

enum class Endpoint {
    agent_service_register,
    agent_service_deregister,
    agent_service_maintenance,
    agent_services,
    agent_checks,
    agent_self,
    agent_members,
    agent_maintenance,
    agent_check_register,
    agent_check_deregister,
    agent_check_pass,
    agent_check_warn,
    agent_check_fail,
    agent_check_update,
    agent_health_service_id,
    agent_health_service_name,
    catalog_register,
    catalog_deregister,
    catalog_services,
    catalog_service,
    catalog_nodes,
    catalog_node,
    catalog_datacenters,
    health_service,
    health_node,
    health_checks,
    health_state,
    status_leader,
    status_peers,
    operator_raft_configuration,
    agent_leave,
    agent_reload,
    agent_force_leave,
    agent_join,
    agent_cache_flush,
    agent_cache_stats,
    agent_monitor,
    snapshot,
    livez,
    readyz,
    agent_metrics,
    metrics,
    ui_root,  // GET /: redirects to the web UI when it is on
    ui,       // GET /ui, /ui/, /ui/<file>
};

enum class RouteStatus { found, not_found, method_not_allowed };

struct Route {
    RouteStatus status = RouteStatus::not_found;
    Endpoint endpoint = Endpoint::agent_self;
    std::string arg;    // the path rest after a "…/:name" prefix ("" when the path has none)
    std::string allow;  // for 405: the methods the path takes, e.g. "PUT"
};

Route route(http::Method method, std::string_view path);

// Endpoints that change the catalog (go through the Writer).
bool is_write(Endpoint e);
// TTL check updates (/v1/agent/check/pass|warn|fail|update/:id): go to the check runner.
bool is_ttl_update(Endpoint e);
// Catalog and health reads: carry X-Consul-Index and honour ?index/?wait.
bool is_blocking(Endpoint e);

}  // namespace muster::api
