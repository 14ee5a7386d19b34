// Consul's JSON service and check definitions (config files `service`/`services`/`check`/
// `checks`, and the bodies of /v1/agent/service/register and /v1/agent/check/register).
// Keys are accepted in Consul's snake_case and PascalCase alike ("service_id"/"ServiceID",
// "tcp_use_tls"/"TCPUseTLS"), so existing definitions load unchanged.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/command.hh"
#include "catalog/model.hh"
#include "common/result.hh"

namespace muster::catalog {

enum class CheckKind { ttl, script, http, tcp, alias, external };

// A check as defined (what to run); the runner (src/checks) uses the type-specific fields.
struct CheckDefinition {
    std::string id;  // default: name, or "service:<service id>[:n]" inside a service
    std::string name;
    std::string service_id;
    std::string notes;
    Status initial_status = Status::critical;
    CheckKind kind = CheckKind::external;
    std::chrono::milliseconds interval{0};
    std::chrono::milliseconds timeout{0};  // 0: the kind's default
    std::chrono::milliseconds ttl{0};
    std::vector<std::string> args;  // script
    std::string http, method, body, tls_server_name;
    std::map<std::string, std::vector<std::string>> header;
    bool tls_skip_verify = false;
    bool disable_redirects = false;
    std::string tcp;
    bool tcp_use_tls = false;
    std::string alias_service, alias_node;
    unsigned success_before_passing = 0, failures_before_warning = 0, failures_before_critical = 0;
    std::chrono::milliseconds deregister_critical_service_after{0};

    bool operator==(const CheckDefinition&) const = default;
};

// A check's Type as Consul shows it: "ttl", "script", "http", "tcp", "alias"; "" for an
// external check (its status is set through the API).
std::string_view check_kind_name(CheckKind kind);

struct ServiceDefinition {
    Service service;  // node is left empty: the agent fills its own
    std::vector<CheckDefinition> checks;
    bool operator==(const ServiceDefinition&) const = default;
};

// Errors name the JSON path of the field and what was expected, e.g.
// `services[2].port: expected an integer 0..65535 (got "http")`. `where` prefixes the path.
Result<ServiceDefinition> parse_service_definition(const nlohmann::json& value,
                                                   const std::string& where);
Result<CheckDefinition> parse_check_definition(const nlohmann::json& value,
                                               const std::string& where);

// A check's status and output as the catalog has it now, by check ID; nullopt for a check not
// registered yet. Lets a re-registration keep what the check last reported instead of
// resetting it to its initial status (no DNS flap on a reload or a repeated registration).
using CurrentStatus =
    std::function<std::optional<std::pair<Status, std::string>>(const std::string& check_id)>;

// Consul's node check for an agent's liveness, which the cluster's leader keeps (app/liveness).
inline constexpr std::string_view serf_check_id = "serfHealth";
inline constexpr std::string_view serf_check_name = "Serf Health Status";
inline constexpr std::string_view serf_alive_output = "Agent alive and reachable";
inline constexpr std::string_view serf_failed_output = "Agent not live or unreachable";
// What an agent registers itself with, until the leader first hears from it.
inline constexpr std::string_view serf_registered_output =
    "Agent registered; the leader has not heard from it yet";

// The passing serfHealth an agent of a cluster registers with its node (before anything else
// of the node), so a node whose agent dies before the leader first heard of it still turns
// critical.
Register serf_health_registration(const Node& self);

// What `checks` (a node's checks now) say of each check.
CurrentStatus current_status(const std::vector<Check>& checks);

// The catalog entry of a defined check on `node`, for the service `service` (nullptr: the
// definition's own service_id, without a name; the store fills the name in). Its status is
// the current one when `current` knows the check, else the initial status.
Check catalog_check(const CheckDefinition& definition, const std::string& node,
                    const Service* service, const CurrentStatus& current = {});

// The catalog command that registers a definition on the agent's own node: the service, its
// checks (at their current status when registered before, else the initial status), and the
// node itself (so a first registration creates it).
Register registration(const ServiceDefinition& definition, const Node& self,
                      const CurrentStatus& current = {});

// A check definition as Consul's JSON (PascalCase keys; only the fields of its kind and the
// ones set), which parse_check_definition reads back to an equal definition. The agent keeps
// the checks registered through the API this way across restarts.
nlohmann::json to_json(const CheckDefinition& definition);

// Go-style durations as Consul writes them ("10s", "1m30s", "500ms"); a number is nanoseconds
// as in Consul's JSON API.
Result<std::chrono::milliseconds> parse_consul_duration(const nlohmann::json& value,
                                                        const std::string& where);

}  // namespace muster::catalog
