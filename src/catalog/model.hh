// The catalog's data model: nodes, service instances and health checks (Consul's shapes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace muster::catalog {

// Consul's three check states. Maintenance is kept as Consul keeps it: a critical check with
// the reserved ID `_node_maintenance` or `_service_maintenance:<service id>`.
enum class Status : uint8_t { passing = 0, warning = 1, critical = 2 };

std::string_view status_name(Status s);                     // "passing", "warning", "critical"
std::optional<Status> parse_status(std::string_view text);  // exact, lowercase

inline constexpr std::string_view node_maintenance_check_id = "_node_maintenance";
inline constexpr std::string_view service_maintenance_prefix = "_service_maintenance:";

// Raft/LMDB bookkeeping every catalog entry carries, as Consul's CreateIndex/ModifyIndex.
struct Indexes {
    uint64_t create = 0;
    uint64_t modify = 0;
    bool operator==(const Indexes&) const = default;
};

struct Node {
    std::string name;     // as registered (case kept); unique case-insensitively
    std::string address;  // IP literal or host name
    std::string datacenter;
    std::map<std::string, std::string> tagged_addresses;
    std::map<std::string, std::string> meta;
    Indexes index;
};

struct Weights {
    uint32_t passing = 1;
    uint32_t warning = 1;
    bool operator==(const Weights&) const = default;
};

struct Service {
    std::string node;  // the node it runs on
    std::string id;    // unique per node; defaults to name
    std::string name;
    std::vector<std::string> tags;
    std::string address;  // "" = the node's address
    uint16_t port = 0;
    std::map<std::string, std::string> meta;
    Weights weights;
    bool enable_tag_override = false;
    Indexes index;
    bool operator==(const Service&) const = default;
};

struct Check {
    std::string node;
    std::string id;  // unique per node
    std::string name;
    std::string service_id;    // "" = a node-level check
    std::string service_name;  // filled by the store from service_id
    Status status = Status::critical;
    std::string output;
    std::string notes;
    std::string type;  // "script", "http", "tcp", "ttl", "alias", "maintenance", "" (external)
    Indexes index;
};

// A node whose agent left the cluster (muster leave, or force-leave of a failed node), kept so
// that /v1/agent/members lists it as Serf's "left" (status 3) after its catalog entry is gone.
struct LeftMember {
    std::string name;     // as registered
    std::string address;  // the node's address when it left
    bool server = false;  // it was a server (Consul's role "consul")
    uint64_t index = 0;   // the catalog index of the Leave
    bool operator==(const LeftMember&) const = default;
};

// The DNS/health rule shared by DNS answers and the HTTP `?passing` filter: an instance is
// served iff no check of the instance and no check of its node is critical, and (with
// only_passing) none is warning either.
enum class HealthFilter { any, healthy, passing_only };

// The worst status among the checks (passing when there are none).
Status aggregate_status(const std::vector<Check>& checks);
bool passes(Status aggregate, HealthFilter filter);

}  // namespace muster::catalog
