// GET /livez and GET /readyz: status codes for Kubernetes probes and load balancers (as CoreDNS
// and Kubernetes serve them), free of sockets: what the agent knows in, the reply out.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "api/cluster_view.hh"
#include "common/http_server.hh"

namespace muster::api {

// One condition of readiness, with a reason for people.
struct ReadyCheck {
    std::string name;  // "dns", "catalog"
    bool ok = false;
    std::string reason;
};

// What readiness is decided from.
struct ReadyState {
    bool dns_serving = false;              // the DNS listeners are bound and their workers run
    const ClusterInfo* cluster = nullptr;  // null: a standalone agent (its catalog is the catalog)
    bool server = false;
    // The longest a follower or a client agent may go without hearing from the leader (its
    // server) and still count as in sync.
    std::chrono::milliseconds max_contact{5000};
};

std::vector<ReadyCheck> ready_checks(const ReadyState& state);

// 200 "ok" while the process serves HTTP at all.
http::Response livez_reply(const http::Request& request);
// 200 "ok" when every check holds, else 503 naming the failed ones; ?verbose: JSON
// {"Ready": bool, "Checks": [{"Name", "Ok", "Reason"}]} with the same status code.
http::Response readyz_reply(const std::vector<ReadyCheck>& checks, const http::Request& request);

}  // namespace muster::api
