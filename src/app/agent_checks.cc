// The agent's health checks: API and config registrations to the Monitor, API ones kept on
// disk.
#include "app/agent_checks.hh"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "common/atomic_file.hh"
#include "common/fd.hh"
#include "common/log.hh"

namespace muster::app {
namespace {

constexpr log::Logger logger("checks");

bool runs(const catalog::CheckDefinition& def) {
    return def.kind != catalog::CheckKind::external;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// data_dir/api-checks.json: {"Checks": [<definition>, ...]}. A corrupt file is logged and
// read as empty.
std::map<std::string, catalog::CheckDefinition> read_checks(const std::string& path) {
    std::map<std::string, catalog::CheckDefinition> out;
    auto text = path.empty() ? std::nullopt : read_file(path);
    if (!text)
        return out;  // nothing registered through the API yet
    auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Checks") ||
        !doc["Checks"].is_array()) {
        logger.error("checks registered through the API not restored",
                     {{"error", path + ": expected {\"Checks\": [...]} (the file is corrupt)"}});
        return out;
    }
    const auto& list = doc["Checks"];
    for (size_t i = 0; i < list.size(); ++i) {
        auto def =
            catalog::parse_check_definition(list[i], path + ": Checks[" + std::to_string(i) + "]");
        if (!def) {
            logger.warn("saved check dropped", {{"error", def.error().message}});
            continue;
        }
        out.emplace(def->id, std::move(*def));
    }
    return out;
}

// data_dir/api-services.json: {"Services": [<definition as the API took it>, ...]}.
std::map<std::string, AgentChecks::OwnService> read_services(const std::string& path) {
    std::map<std::string, AgentChecks::OwnService> out;
    auto text = path.empty() ? std::nullopt : read_file(path);
    if (!text)
        return out;
    auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Services") ||
        !doc["Services"].is_array()) {
        logger.error("services registered through the API not restored",
                     {{"error", path + ": expected {\"Services\": [...]} (the file is corrupt)"}});
        return out;
    }
    const auto& list = doc["Services"];
    for (size_t i = 0; i < list.size(); ++i) {
        auto def =
            agent_service_definition(list[i], path + ": Services[" + std::to_string(i) + "]");
        if (!def) {
            logger.warn("saved service dropped", {{"error", def.error().message}});
            continue;
        }
        std::string id = def->service.id;
        out.emplace(std::move(id), AgentChecks::OwnService{list[i], std::move(*def)});
    }
    return out;
}

}  // namespace

Result<catalog::ServiceDefinition> agent_service_definition(const nlohmann::json& body,
                                                            const std::string& where) {
    auto def = catalog::parse_service_definition(body, where);
    if (!def)
        return def;
    for (auto& c : def->checks)
        c.service_id = def->service.id;
    return def;
}

AgentChecks::AgentChecks(checks::Monitor& monitor, std::string saved_path,
                         std::string services_path)
    : monitor_(monitor),
      saved_path_(std::move(saved_path)),
      services_path_(std::move(services_path)),
      api_(read_checks(saved_path_)),
      services_(read_services(services_path_)) {}

Result<void> AgentChecks::restore(const catalog::Snapshot& snapshot, const std::string& node,
                                  bool keep_services) {
    if (!keep_services) {
        std::lock_guard lock(mu_);
        auto before = services_.size();
        std::set<std::string> in_catalog;
        for (const auto& s : snapshot.node_services(node))
            in_catalog.insert(s.id);
        std::erase_if(services_, [&](const auto& kv) { return !in_catalog.contains(kv.first); });
        if (services_.size() != before)
            save_services_locked();
    }
    std::map<std::string, catalog::Status> in_catalog;
    for (const auto& c : snapshot.node_checks(node))
        in_catalog.emplace(c.id, c.status);
    std::lock_guard lock(mu_);
    for (auto it = api_.begin(); it != api_.end();) {
        auto now = in_catalog.find(it->first);
        if (now == in_catalog.end()) {
            // Deregistered meanwhile (e.g. through the catalog API): a client agent registers it
            // again (and runs it then), any other agent forgets it.
            it = keep_services ? std::next(it) : api_.erase(it);
            continue;
        }
        if (runs(it->second))
            monitor_.add(it->second, now->second);
        ++it;
    }
    save_locked();
    return {};
}

void AgentChecks::sync_config(const std::vector<catalog::CheckDefinition>& checks,
                              const std::vector<catalog::Status>& statuses) {
    std::lock_guard lock(mu_);
    std::map<std::string, catalog::CheckDefinition> next;
    for (size_t i = 0; i < checks.size(); ++i) {
        const auto& def = checks[i];
        auto old = config_.find(def.id);
        bool unchanged = old != config_.end() && old->second == def;
        if (runs(def) && !unchanged)
            monitor_.add(def, statuses[i]);
        if (!runs(def) && old != config_.end() && runs(old->second))
            monitor_.remove(def.id);
        api_.erase(def.id);  // the config owns it now
        next.emplace(def.id, def);
    }
    for (const auto& [id, def] : config_)
        if (!next.contains(id) && !api_.contains(id))
            monitor_.remove(id);
    config_ = std::move(next);
    save_locked();
}

void AgentChecks::service_reaped(const std::string& service_id) {
    std::lock_guard lock(mu_);
    std::erase_if(api_, [&](const auto& kv) { return kv.second.service_id == service_id; });
    save_locked();
    if (services_.erase(service_id) > 0)
        save_services_locked();
}

std::map<std::string, catalog::ServiceDefinition> AgentChecks::services() const {
    std::lock_guard lock(mu_);
    std::map<std::string, catalog::ServiceDefinition> out;
    for (const auto& [id, own] : services_)
        out.emplace(id, own.definition);
    return out;
}

std::map<std::string, catalog::CheckDefinition> AgentChecks::checks() const {
    std::lock_guard lock(mu_);
    return api_;
}

void AgentChecks::service_registered(const std::string& service_id, std::string definition) {
    auto body = nlohmann::json::parse(definition, nullptr, /*allow_exceptions=*/false);
    auto def = agent_service_definition(body, "service " + service_id);
    if (!def) {  // the API parsed this very text: not expected
        logger.error("service registered through the API not kept",
                     {{"error", def.error().message}});
        return;
    }
    std::lock_guard lock(mu_);
    services_.insert_or_assign(service_id, OwnService{std::move(body), std::move(*def)});
    save_services_locked();
}

void AgentChecks::registered(const std::vector<catalog::CheckDefinition>& checks,
                             const std::vector<catalog::Status>& statuses) {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < checks.size(); ++i) {
        const auto& def = checks[i];
        if (runs(def))
            monitor_.add(def, statuses[i]);
        else
            monitor_.remove(def.id);  // it may have been a runner check before
        config_.erase(def.id);
        api_.insert_or_assign(def.id, def);
    }
    save_locked();
}

void AgentChecks::removed(const std::vector<std::string>& check_ids,
                          const std::vector<std::string>& service_ids) {
    std::lock_guard lock(mu_);
    for (const auto& id : check_ids) {
        monitor_.remove(id);
        api_.erase(id);
        config_.erase(id);
    }
    for (const auto& service : service_ids) {
        services_.erase(service);
        monitor_.remove_service(service);
        std::erase_if(api_, [&](const auto& kv) { return kv.second.service_id == service; });
        std::erase_if(config_, [&](const auto& kv) { return kv.second.service_id == service; });
    }
    save_locked();
    if (!service_ids.empty())
        save_services_locked();
}

void AgentChecks::update_ttl(const std::string& check_id, catalog::Status status,
                             std::string output, std::function<void(int, std::string)> done) {
    monitor_.update_ttl(check_id, status, std::move(output),
                        [done = std::move(done)](checks::TtlUpdate u) {
                            switch (u.outcome) {
                                case checks::TtlUpdate::Outcome::applied:
                                    return done(200, "");
                                case checks::TtlUpdate::Outcome::unknown_check:
                                    return done(404, u.error);
                                case checks::TtlUpdate::Outcome::not_ttl:
                                case checks::TtlUpdate::Outcome::write_failed:
                                    return done(500, u.error);
                            }
                        });
}

void AgentChecks::save_locked() {
    if (saved_path_.empty())
        return;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, def] : api_)
        list.push_back(catalog::to_json(def));
    nlohmann::json doc = {{"Checks", std::move(list)}};
    if (auto r = write_atomically(saved_path_, doc.dump(2) + "\n", 0600); !r)
        logger.error("cannot save the checks registered through the API",
                     {{"error", r.error().message}});
}

void AgentChecks::save_services_locked() {
    if (services_path_.empty())
        return;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, own] : services_)
        list.push_back(own.body);
    nlohmann::json doc = {{"Services", std::move(list)}};
    if (auto r = write_atomically(services_path_, doc.dump(2) + "\n", 0600); !r)
        logger.error("cannot save the services registered through the API",
                     {{"error", r.error().message}});
}

}  // namespace muster::app
