// The probes' answers: /livez is the process, /readyz is DNS plus a catalog in sync with a
// leader.
#include "api/health_endpoints.hh"

#include <nlohmann/json.hpp>

#include "api/endpoints.hh"

namespace muster::api {
namespace {

std::string ms(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + " ms";
}

ReadyCheck catalog_check(const ReadyState& s) {
    ReadyCheck c{.name = "catalog", .ok = false, .reason = ""};
    if (s.cluster == nullptr) {
        c.ok = true;
        c.reason = "standalone agent: the local catalog is the catalog";
        return c;
    }
    const ClusterInfo& info = *s.cluster;
    const bool client = !s.server;
    if (client && info.feed_server.empty()) {
        c.reason = "no server reached: the replica is not fed";
        return c;
    }
    if (!info.known_leader) {
        c.reason = "no known leader";
        return c;
    }
    if (info.last_contact > s.max_contact) {
        c.reason = "last contact with the leader " + ms(info.last_contact) + " ago (more than " +
                   ms(s.max_contact) + ")";
        return c;
    }
    c.ok = true;
    c.reason = "leader " + info.leader_address + ", last contact " + ms(info.last_contact) +
               " ago, applied index " + std::to_string(info.index) +
               (client ? ", fed by " + info.feed_server : "");
    return c;
}

}  // namespace

std::vector<ReadyCheck> ready_checks(const ReadyState& state) {
    std::vector<ReadyCheck> checks;
    checks.push_back({.name = "dns",
                      .ok = state.dns_serving,
                      .reason = state.dns_serving ? "the DNS listeners are serving"
                                                  : "the DNS listeners are not serving yet"});
    checks.push_back(catalog_check(state));
    return checks;
}

http::Response livez_reply(const http::Request& request) {
    if (request.has_param("verbose"))
        return json_response({{"Live", true}}, request);
    return text_response(200, "ok\n");
}

http::Response readyz_reply(const std::vector<ReadyCheck>& checks, const http::Request& request) {
    bool ready = true;
    std::string failed;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : checks) {
        ready = ready && c.ok;
        if (!c.ok)
            failed += c.name + ": " + c.reason + "\n";
        list.push_back({{"Name", c.name}, {"Ok", c.ok}, {"Reason", c.reason}});
    }
    const int status = ready ? 200 : 503;
    if (request.has_param("verbose")) {
        http::Response r = json_response({{"Ready", ready}, {"Checks", std::move(list)}}, request);
        r.status = status;
        return r;
    }
    return text_response(status, ready ? "ok\n" : "not ready\n" + failed);
}

}  // namespace muster::api
