// Consul's paths and the methods each takes.
#include "api/router.hh"

#include <vector>

namespace muster::api {
namespace {

enum class Methods { get, put, get_or_put };

struct Entry {
    std::string_view path;  // a trailing '/' means "takes :arg"
    Methods methods;
    Endpoint endpoint;
};

// python-consul 0.7.1 deregisters with GET, as Consul before 1.0 accepted.
constexpr Entry table[] = {
    {"/v1/agent/service/register", Methods::put, Endpoint::agent_service_register},
    {"/v1/agent/service/deregister/", Methods::get_or_put, Endpoint::agent_service_deregister},
    {"/v1/agent/service/maintenance/", Methods::put, Endpoint::agent_service_maintenance},
    {"/v1/agent/services", Methods::get, Endpoint::agent_services},
    {"/v1/agent/checks", Methods::get, Endpoint::agent_checks},
    {"/v1/agent/self", Methods::get, Endpoint::agent_self},
    {"/v1/agent/members", Methods::get, Endpoint::agent_members},
    {"/v1/agent/maintenance", Methods::put, Endpoint::agent_maintenance},
    {"/v1/agent/check/register", Methods::put, Endpoint::agent_check_register},
    // python-consul 0.7.1 deregisters checks and updates TTL checks with GET.
    {"/v1/agent/check/deregister/", Methods::get_or_put, Endpoint::agent_check_deregister},
    {"/v1/agent/check/pass/", Methods::get_or_put, Endpoint::agent_check_pass},
    {"/v1/agent/check/warn/", Methods::get_or_put, Endpoint::agent_check_warn},
    {"/v1/agent/check/fail/", Methods::get_or_put, Endpoint::agent_check_fail},
    {"/v1/agent/check/update/", Methods::put, Endpoint::agent_check_update},
    {"/v1/agent/health/service/id/", Methods::get, Endpoint::agent_health_service_id},
    {"/v1/agent/health/service/name/", Methods::get, Endpoint::agent_health_service_name},
    {"/v1/catalog/register", Methods::put, Endpoint::catalog_register},
    {"/v1/catalog/deregister", Methods::put, Endpoint::catalog_deregister},
    {"/v1/catalog/services", Methods::get, Endpoint::catalog_services},
    {"/v1/catalog/service/", Methods::get, Endpoint::catalog_service},
    {"/v1/catalog/nodes", Methods::get, Endpoint::catalog_nodes},
    {"/v1/catalog/node/", Methods::get, Endpoint::catalog_node},
    {"/v1/catalog/datacenters", Methods::get, Endpoint::catalog_datacenters},
    {"/v1/health/service/", Methods::get, Endpoint::health_service},
    {"/v1/health/node/", Methods::get, Endpoint::health_node},
    {"/v1/health/checks/", Methods::get, Endpoint::health_checks},
    {"/v1/health/state/", Methods::get, Endpoint::health_state},
    {"/v1/status/leader", Methods::get, Endpoint::status_leader},
    {"/v1/status/peers", Methods::get, Endpoint::status_peers},
    {"/v1/operator/raft/configuration", Methods::get, Endpoint::operator_raft_configuration},
    {"/v1/agent/leave", Methods::put, Endpoint::agent_leave},
    {"/v1/agent/reload", Methods::put, Endpoint::agent_reload},
    {"/v1/agent/force-leave/", Methods::put, Endpoint::agent_force_leave},
    {"/v1/agent/join/", Methods::put, Endpoint::agent_join},
    // The resolver's answer cache (muster's own, as unbound-control flush / stats).
    {"/v1/agent/cache/flush", Methods::put, Endpoint::agent_cache_flush},
    {"/v1/agent/cache/stats", Methods::get, Endpoint::agent_cache_stats},
    {"/v1/agent/monitor", Methods::get, Endpoint::agent_monitor},
    {"/v1/snapshot", Methods::get_or_put, Endpoint::snapshot},
    // Probes (muster's own, as CoreDNS and Kubernetes serve them).
    {"/livez", Methods::get, Endpoint::livez},
    {"/readyz", Methods::get, Endpoint::readyz},
    {"/v1/agent/metrics", Methods::get, Endpoint::agent_metrics},
    {"/metrics", Methods::get, Endpoint::metrics},
    // The web UI (Consul's path); "/" is matched apart, since a trailing '/' means ":arg" here.
    {"/ui/", Methods::get, Endpoint::ui},
};

bool allows(Methods m, http::Method method) {
    bool get = method == http::Method::get || method == http::Method::head;
    switch (m) {
        case Methods::get:
            return get;
        case Methods::put:
            return method == http::Method::put;
        case Methods::get_or_put:
            return get || method == http::Method::put;
    }
    return false;
}

std::string_view allow_header(Methods m) {
    switch (m) {
        case Methods::get:
            return "GET, HEAD";
        case Methods::put:
            return "PUT";
        case Methods::get_or_put:
            return "GET, HEAD, PUT";
    }
    return "";
}

}  // namespace

Route route(http::Method method, std::string_view path) {
    if (path == "/") {
        Route r;
        r.endpoint = Endpoint::ui_root;
        r.status =
            allows(Methods::get, method) ? RouteStatus::found : RouteStatus::method_not_allowed;
        if (r.status == RouteStatus::method_not_allowed)
            r.allow = std::string(allow_header(Methods::get));
        return r;
    }
    for (const Entry& e : table) {
        bool takes_arg = e.path.ends_with('/');
        bool match = takes_arg
                         ? path.starts_with(e.path) || path == e.path.substr(0, e.path.size() - 1)
                         : path == e.path;
        if (!match)
            continue;
        Route r;
        r.endpoint = e.endpoint;
        if (takes_arg && path.size() > e.path.size())
            r.arg = std::string(path.substr(e.path.size()));
        if (!allows(e.methods, method)) {
            r.status = RouteStatus::method_not_allowed;
            r.allow = std::string(allow_header(e.methods));
            return r;
        }
        r.status = RouteStatus::found;
        return r;
    }
    return Route{};
}

bool is_write(Endpoint e) {
    switch (e) {
        case Endpoint::agent_service_register:
        case Endpoint::agent_service_deregister:
        case Endpoint::agent_service_maintenance:
        case Endpoint::agent_maintenance:
        case Endpoint::agent_check_register:
        case Endpoint::agent_check_deregister:
        case Endpoint::catalog_register:
        case Endpoint::catalog_deregister:
        case Endpoint::agent_force_leave:
            return true;
        default:
            return false;
    }
}

bool is_ttl_update(Endpoint e) {
    return e == Endpoint::agent_check_pass || e == Endpoint::agent_check_warn ||
           e == Endpoint::agent_check_fail || e == Endpoint::agent_check_update;
}

bool is_blocking(Endpoint e) {
    switch (e) {
        case Endpoint::catalog_services:
        case Endpoint::catalog_service:
        case Endpoint::catalog_nodes:
        case Endpoint::catalog_node:
        case Endpoint::health_service:
        case Endpoint::health_node:
        case Endpoint::health_checks:
        case Endpoint::health_state:
            return true;
        default:
            return false;
    }
}

}  // namespace muster::api
