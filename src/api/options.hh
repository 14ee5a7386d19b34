// api::Options: what the HTTP API needs to know about its agent; filled by config/app.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/cluster_view.hh"
#include "catalog/model.hh"
#include "common/address.hh"
#include "common/tls.hh"

namespace muster::api {

enum class ScriptChecks { disabled, enabled };
// The web UI at /ui/ (ui_config.enabled); GET / redirects there while it is on.
enum class Ui { disabled, enabled };

// The largest request body the API takes (larger ones get 413 before any handler runs).
inline constexpr size_t default_max_body_bytes = size_t{1} << 20;

struct Options {
    std::vector<SockAddr> listen;  // each with its port (Consul's 8500)
    // The same API over TLS (Consul's ports.https, 8501); empty: no HTTPS listener.
    std::vector<SockAddr> https_listen;
    TlsServerOptions https_tls;  // the certificate, key and client CA of https_listen
    std::string node_name;       // this agent's node in the catalog
    std::string node_address;    // its advertised address
    std::string node_id;         // Consul's node UUID; may be empty
    std::map<std::string, std::string> node_meta;  // node_meta: /v1/agent/self's "Meta"
    std::string datacenter = "dc1";
    std::string version = MUSTER_VERSION;
    bool server = false;         // a server agent: Config.Server, role "consul" (else "node")
    std::string server_address;  // "ip:8300" for /v1/status/leader and peers
    // The service every server registers for itself at its server port; its instances map
    // Raft addresses to node names.
    std::string server_service_name = "consul";
    ScriptChecks script_checks = ScriptChecks::disabled;  // reserved for the check runners
    Ui ui = Ui::disabled;
    // What /v1/health/service?passing keeps. Consul's own meaning is passing_only (no warning or
    // critical check); the agent may choose the DNS rule (healthy: warning kept unless
    // dns_config.only_passing) so that the API and DNS never disagree about an instance.
    catalog::HealthFilter passing_filter = catalog::HealthFilter::passing_only;
    size_t max_body_bytes = default_max_body_bytes;  // larger request bodies get 413
    // A server's Raft cluster (leader, peers, ?consistent, leave); nullptr: standalone.
    ClusterView* cluster = nullptr;
    // When the agent started (Stats.agent.uptime in /v1/agent/self).
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // Set by the agent once its DNS listeners serve (GET /readyz); null: never ready.
    std::shared_ptr<const std::atomic<bool>> dns_serving;
};

}  // namespace muster::api
