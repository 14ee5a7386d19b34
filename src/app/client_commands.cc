// The client commands: one HTTP request each to the local agent's API (services, check,
// catalog, members, leave, operator, cache), printed as consul prints them.
#include "app/client_commands.hh"

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api/options.hh"
#include "api/snapshot_endpoint.hh"
#include "app/info_format.hh"
#include "catalog/definition.hh"
#include "catalog/snapshot_file.hh"
#include "common/atomic_file.hh"
#include "common/http_client.hh"
#include "dns/name.hh"

namespace muster::app {
namespace {

using Json = nlohmann::json;

// The agent's address and TLS files from $MUSTER_HTTP_ADDR and friends (or Consul's CONSUL_
// names); an error says which variable is wrong or which file cannot be read.
muster::Result<muster::http::AgentEnv> agent_env() {
    auto env = muster::http::agent_env([](const char* name) { return std::getenv(name); });
    if (!env)
        return env;
    const std::pair<const std::string*, const std::string*> files[] = {
        {&env->ca_var, &env->tls.ca_file},
        {&env->cert_var, &env->tls.cert_file},
        {&env->key_var, &env->tls.key_file}};
    for (const auto& [var, path] : files) {
        if (path->empty() || std::ifstream(*path).good())
            continue;
        return muster::make_error("cannot read " + *var + " file " + *path + ": " +
                                  std::strerror(errno));
    }
    return env;
}

// One API call; on failure prints what happened and returns nullopt (exit status 1).
std::optional<std::string> call_agent(const std::string& method, const std::string& target,
                                      const std::string& body = "") {
    auto env = agent_env();
    if (!env) {
        std::fprintf(stderr, "muster: %s\n", env.error().message.c_str());
        return std::nullopt;
    }
    const muster::http::AgentUrl* url = &env->url;
    muster::http::ClientRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    auto res = muster::http::send_request(*url, req, {.tls = env->tls});
    if (!res) {
        std::fprintf(stderr, "muster: cannot reach the agent at %s: %s\n", url->text.c_str(),
                     res.error().message.c_str());
        return std::nullopt;
    }
    if (res->status < 200 || res->status > 299) {
        std::string text = res->body;
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
            text.pop_back();
        std::fprintf(stderr, "muster: %s %s: HTTP %d: %s\n", method.c_str(), target.c_str(),
                     res->status, text.c_str());
        return std::nullopt;
    }
    return std::move(res->body);
}

// The agent's JSON reply, or nullopt after saying why.
std::optional<Json> get_json(const std::string& target) {
    auto body = call_agent("GET", target);
    if (!body)
        return std::nullopt;
    Json doc = Json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        std::fprintf(stderr, "muster: GET %s: the agent's reply is not JSON\n", target.c_str());
        return std::nullopt;
    }
    return doc;
}

std::string text_field(const Json& object, const char* key) {
    if (!object.is_object())
        return "";
    auto it = object.find(key);
    if (it == object.end())
        return "";
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number())
        return it->dump();
    return "";
}

// Columns padded like consul's output: each as wide as its widest cell, two spaces apart.
void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        std::puts(line.c_str());
    }
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : sep) + item;
    return out;
}

std::vector<std::string> string_list(const Json& value) {
    std::vector<std::string> out;
    if (value.is_array())
        for (const auto& v : value)
            if (v.is_string())
                out.push_back(v.get<std::string>());
    return out;
}

// The body of PUT /v1/agent/service/register: Consul's PascalCase service definition.
Json register_body(const muster::catalog::ServiceDefinition& def) {
    const auto& s = def.service;
    Json j = {{"ID", s.id},
              {"Name", s.name},
              {"Tags", s.tags},
              {"Port", s.port},
              {"Meta", s.meta},
              {"Weights", {{"Passing", s.weights.passing}, {"Warning", s.weights.warning}}},
              {"EnableTagOverride", s.enable_tag_override}};
    if (!s.address.empty())
        j["Address"] = s.address;
    if (!def.checks.empty()) {
        Json checks = Json::array();
        for (const auto& c : def.checks)
            checks.push_back(muster::catalog::to_json(c));
        j["Checks"] = std::move(checks);
    }
    return j;
}

// FILE holds {"service": {...}}, {"services": [...]} or a bare service object.
std::optional<std::vector<muster::catalog::ServiceDefinition>> read_service_file(
    const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "muster: %s: cannot read: %s\n", path.c_str(), std::strerror(errno));
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    Json doc = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false,
                           /*ignore_comments=*/true);
    if (doc.is_discarded() || !doc.is_object()) {
        std::fprintf(stderr, "muster: %s: expected a JSON object with a service definition\n",
                     path.c_str());
        return std::nullopt;
    }
    std::vector<std::pair<const Json*, std::string>> items;  // definition, where
    size_t wrapper_keys = 0;
    for (const auto& [key, value] : doc.items()) {
        if (key == "service" || key == "Service" || key == "services" || key == "Services")
            ++wrapper_keys;
        if (key == "service" || key == "Service") {
            items.emplace_back(&value, path + ": " + key);
        } else if (key == "services" || key == "Services") {
            if (!value.is_array()) {
                std::fprintf(stderr, "muster: %s: %s: expected a list of service definitions\n",
                             path.c_str(), key.c_str());
                return std::nullopt;
            }
            for (size_t i = 0; i < value.size(); ++i)
                items.emplace_back(&value[i], path + ": " + key + "[" + std::to_string(i) + "]");
        }
    }
    if (wrapper_keys == 0)
        items.emplace_back(&doc, path);
    else if (wrapper_keys != doc.size()) {
        std::fprintf(stderr,
                     "muster: %s: expected only \"service\" and \"services\" at the top level\n",
                     path.c_str());
        return std::nullopt;
    }
    std::vector<muster::catalog::ServiceDefinition> defs;
    bool ok = true;
    for (const auto& [value, where] : items) {
        auto def = muster::catalog::parse_service_definition(*value, where);
        if (!def) {
            std::fprintf(stderr, "%s\n", def.error().message.c_str());
            ok = false;
            continue;
        }
        defs.push_back(std::move(*def));
    }
    if (!ok)
        return std::nullopt;
    return defs;
}

}  // namespace

int services_command(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "register" && argc == 3) {
        auto defs = read_service_file(argv[2]);
        if (!defs)
            return 1;
        for (const auto& def : *defs) {
            if (!call_agent("PUT", "/v1/agent/service/register", register_body(def).dump()))
                return 1;
            std::printf("Registered service: %s\n", def.service.name.c_str());
        }
        return 0;
    }
    if (sub == "deregister" && argc == 3) {
        if (!call_agent("PUT", "/v1/agent/service/deregister/" +
                                   muster::http::escape_path_segment(argv[2])))
            return 1;
        std::printf("Deregistered service: %s\n", argv[2]);
        return 0;
    }
    std::fputs("usage: muster services register FILE | deregister ID\n", stderr);
    return 2;
}

// muster check pass|warn|fail CHECK_ID [--note TEXT]: sets a TTL check, as
// `consul` users do with curl -X PUT /v1/agent/check/pass/ID?note=...
int check_command(int argc, char** argv) {
    constexpr const char* check_usage =
        "usage: muster check pass|warn|fail CHECK_ID [--note TEXT]\n";
    const std::string sub = argc >= 2 ? argv[1] : "";
    if ((sub != "pass" && sub != "warn" && sub != "fail") || argc < 3) {
        std::fputs(check_usage, stderr);
        return 2;
    }
    std::string id;
    std::optional<std::string> note;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--note" && i + 1 < argc) {
            note = argv[++i];
        } else if (arg.starts_with("--note=")) {
            note = arg.substr(7);
        } else if (id.empty() && !arg.starts_with("--")) {
            id = arg;
        } else {
            std::fputs(check_usage, stderr);
            return 2;
        }
    }
    if (id.empty()) {
        std::fputs(check_usage, stderr);
        return 2;
    }
    std::string target = "/v1/agent/check/" + sub + "/" + muster::http::escape_path_segment(id);
    if (note)
        target += "?note=" + muster::http::escape_path_segment(*note);
    if (!call_agent("PUT", target))
        return 1;
    std::printf("Check %s: %s\n", id.c_str(),
                sub == "pass"   ? "passing"
                : sub == "warn" ? "warning"
                                : "critical");
    return 0;
}

namespace {

int catalog_nodes() {
    auto doc = get_json("/v1/catalog/nodes");
    if (!doc)
        return 1;
    std::vector<std::vector<std::string>> rows = {{"Node", "Address", "DC"}};
    if (doc->is_array())
        for (const auto& n : *doc)
            rows.push_back(
                {text_field(n, "Node"), text_field(n, "Address"), text_field(n, "Datacenter")});
    print_table(rows);
    return 0;
}

int catalog_services() {
    auto doc = get_json("/v1/catalog/services");
    if (!doc)
        return 1;
    std::vector<std::vector<std::string>> rows;
    if (doc->is_object()) {
        for (const auto& [name, tags] : doc->items()) {  // sorted by name
            auto list = string_list(tags);
            std::sort(list.begin(), list.end());
            rows.push_back({name, join(list, ",")});
        }
    }
    print_table(rows);
    return 0;
}

int catalog_service(const std::string& name) {
    auto doc = get_json("/v1/catalog/service/" + muster::http::escape_path_segment(name));
    if (!doc)
        return 1;
    std::vector<std::vector<std::string>> rows = {{"Node", "ID", "Address", "Port", "Tags"}};
    if (doc->is_array()) {
        for (const auto& s : *doc) {
            std::string address = text_field(s, "ServiceAddress");
            if (address.empty())
                address = text_field(s, "Address");  // the node's
            const Json* tags =
                s.is_object() && s.contains("ServiceTags") ? &s["ServiceTags"] : nullptr;
            rows.push_back({text_field(s, "Node"), text_field(s, "ServiceID"), address,
                            text_field(s, "ServicePort"),
                            tags != nullptr ? join(string_list(*tags), ",") : ""});
        }
    }
    print_table(rows);
    return 0;
}

}  // namespace

int catalog_command(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "nodes" && argc == 2)
        return catalog_nodes();
    if (sub == "services" && argc == 2)
        return catalog_services();
    if (sub == "service" && argc == 3)
        return catalog_service(argv[2]);
    std::fputs("usage: muster catalog nodes | services | service NAME\n", stderr);
    return 2;
}

// Serf's member states as Consul's /v1/agent/members reports them (a number).
std::string member_status(const Json& member) {
    if (!member.is_object() || !member.contains("Status"))
        return "";
    const Json& st = member["Status"];
    if (st.is_string())
        return st.get<std::string>();
    constexpr const char* names[] = {"none", "alive", "leaving", "left", "failed"};
    if (st.is_number_unsigned() && st.get<uint64_t>() < std::size(names))
        return names[st.get<uint64_t>()];
    return st.dump();
}

int members_command(int argc) {
    if (argc != 1) {
        std::fputs("usage: muster members\n", stderr);
        return 2;
    }
    auto doc = get_json("/v1/agent/members");
    if (!doc)
        return 1;
    std::vector<std::vector<std::string>> rows = {{"Node", "Address", "Status", "Type", "DC"}};
    if (doc->is_array()) {
        for (const auto& m : *doc) {
            const Json tags = m.is_object() && m.contains("Tags") ? m["Tags"] : Json::object();
            std::string address = text_field(m, "Addr");
            if (std::string port = text_field(m, "Port"); !address.empty() && !port.empty())
                address = (address.find(':') != std::string::npos ? "[" + address + "]" : address) +
                          ":" + port;
            std::string role = text_field(tags, "role");
            rows.push_back({text_field(m, "Name"), address, member_status(m),
                            role == "consul" || role == "server" ? "server" : "client",
                            text_field(tags, "dc")});
        }
    }
    print_table(rows);
    return 0;
}

// muster leave: the local server leaves its cluster for good and its agent stops.
int leave_command(int argc) {
    if (argc != 1) {
        std::fputs("usage: muster leave\n", stderr);
        return 2;
    }
    if (!call_agent("PUT", "/v1/agent/leave"))
        return 1;
    std::puts("Graceful leave complete");
    return 0;
}

// muster reload: PUT /v1/agent/reload, as SIGHUP; prints Consul's line.
int reload_command(int argc) {
    if (argc != 1) {
        std::fputs("usage: muster reload\n", stderr);
        return 2;
    }
    if (!call_agent("PUT", "/v1/agent/reload"))
        return 1;
    std::puts("Configuration reload triggered");
    return 0;
}

namespace {

constexpr const char* cache_usage =
    "usage: muster cache flush [--zone] [NAME] | cache stats [-format=table|json]\n";

int cache_usage_error(const std::string& why) {
    std::fprintf(stderr, "muster cache: %s\n%s", why.c_str(), cache_usage);
    return 2;
}

// The agent's JSON reply to a PUT, or nullopt after saying why.
std::optional<Json> put_json(const std::string& target) {
    auto body = call_agent("PUT", target);
    if (!body)
        return std::nullopt;
    Json doc = Json::parse(*body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Removed")) {
        std::fprintf(stderr, "muster: PUT %s: expected {\"Removed\": N} from the agent, got %s\n",
                     target.c_str(), body->c_str());
        return std::nullopt;
    }
    return doc;
}

// muster cache flush [--zone] [NAME]: PUT /v1/agent/cache/flush[?name=|?zone=NAME].
int cache_flush(int argc, char** argv) {
    bool zone = false;
    std::optional<std::string> name;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--zone" || arg == "-zone")
            zone = true;
        else if (arg.starts_with("-"))
            return cache_usage_error("unknown option \"" + arg + "\"");
        else if (name)
            return cache_usage_error("expected one NAME at most, got \"" + *name + "\" and \"" +
                                     arg + "\"");
        else
            name = arg;
    }
    if (zone && !name)
        return cache_usage_error("--zone expects a NAME");
    std::string target = "/v1/agent/cache/flush";
    if (name) {
        if (auto parsed = muster::dns::Name::from_text(*name); !parsed)
            return cache_usage_error("expected a domain name, got \"" + *name +
                                     "\": " + parsed.error().message);
        target += (zone ? "?zone=" : "?name=") + muster::http::escape_path_segment(*name);
    }
    auto doc = put_json(target);
    if (!doc)
        return 1;
    const std::string removed = text_field(*doc, "Removed");
    const char* entries = removed == "1" ? "entry" : "entries";
    if (!name)
        std::printf("Removed %s cache %s (the whole cache)\n", removed.c_str(), entries);
    else if (zone)
        std::printf("Removed %s cache %s at or below %s\n", removed.c_str(), entries,
                    text_field(*doc, "Zone").c_str());
    else
        std::printf("Removed %s cache %s for %s\n", removed.c_str(), entries,
                    text_field(*doc, "Name").c_str());
    return 0;
}

// muster cache stats [-format=table|json]: GET /v1/agent/cache/stats.
int cache_stats(int argc, char** argv) {
    bool json = false;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-format=json" || arg == "--format=json")
            json = true;
        else if (arg == "-format=table" || arg == "--format=table")
            json = false;
        else
            return cache_usage_error("unknown option \"" + arg +
                                     "\" (expected -format=table or "
                                     "-format=json)");
    }
    auto doc = get_json("/v1/agent/cache/stats");
    if (!doc)
        return 1;
    if (json) {
        std::puts(doc->dump(4).c_str());
        return 0;
    }
    const std::pair<const char*, const char*> fields[] = {
        {"Entries", "Entries"},     {"Capacity", "Capacity"},      {"Hits", "Hits"},
        {"Misses", "Misses"},       {"StaleHits", "Stale served"}, {"Inserts", "Inserts"},
        {"Evictions", "Evictions"}, {"Prefetches", "Prefetches"}};
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, label] : fields)
        rows.push_back({label, text_field(*doc, key)});
    print_table(rows);
    return 0;
}

}  // namespace

// muster cache flush [--zone] [NAME] | stats: the resolver's answer cache, as unbound-control.
int cache_command(int argc, char** argv) {
    const std::string sub = argc >= 2 ? argv[1] : "";
    if (sub == "flush")
        return cache_flush(argc, argv);
    if (sub == "stats")
        return cache_stats(argc, argv);
    return cache_usage_error(sub.empty() ? "expected flush or stats"
                                         : "unknown subcommand \"" + sub + "\"");
}

// muster join ADDR...: PUT /v1/agent/join/ADDR for each; prints how many joined, as Consul.
int join_command(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("usage: muster join ADDR...\n", stderr);
        return 2;
    }
    int joined = 0;
    for (int i = 1; i < argc; ++i) {
        std::string address = argv[i];
        if (address.empty() || address.find_first_of("/?#% ") != std::string::npos) {
            std::fprintf(stderr, "muster join: \"%s\" is not an address\n", argv[i]);
            return 2;
        }
        if (call_agent("PUT", "/v1/agent/join/" + address))
            ++joined;
    }
    if (joined == 0) {
        std::fputs("Error joining the cluster: no address could be joined\n", stderr);
        return 1;
    }
    std::printf("Successfully joined cluster by contacting %d nodes.\n", joined);
    return 0;
}

// muster operator raft list-peers: the Raft configuration, as Consul prints it.
int operator_command(int argc, char** argv) {
    if (argc != 3 || std::string(argv[1]) != "raft" || std::string(argv[2]) != "list-peers") {
        std::fputs("usage: muster operator raft list-peers\n", stderr);
        return 2;
    }
    auto doc = get_json("/v1/operator/raft/configuration");
    if (!doc)
        return 1;
    std::vector<std::vector<std::string>> rows = {
        {"Node", "ID", "Address", "State", "Voter", "RaftProtocol"}};
    if (doc->is_object() && doc->contains("Servers") && (*doc)["Servers"].is_array()) {
        for (const auto& s : (*doc)["Servers"]) {
            bool leader = s.is_object() && s.value("Leader", false);
            bool voter = s.is_object() && s.value("Voter", false);
            std::string node = text_field(s, "Node");  // "" until the server registered
            rows.push_back({node.empty() ? "(unknown)" : node, text_field(s, "ID"),
                            text_field(s, "Address"), leader ? "leader" : "follower",
                            voter ? "true" : "false", text_field(s, "ProtocolVersion")});
        }
    }
    print_table(rows);
    return 0;
}

namespace {

std::span<const uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The whole file, or nullopt after saying why.
std::optional<std::string> read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in)
        text << in.rdbuf();
    if (!in || in.bad()) {
        std::fprintf(stderr, "muster snapshot: cannot read %s: %s\n", path.c_str(),
                     std::strerror(errno));
        return std::nullopt;
    }
    return std::move(text).str();
}

// muster snapshot save FILE: GET /v1/snapshot, checked before it replaces FILE.
int snapshot_save(const std::string& path) {
    auto body = call_agent("GET", "/v1/snapshot");
    if (!body)
        return 1;
    auto file = catalog::decode_snapshot_file(as_bytes(*body));
    if (!file) {
        std::fprintf(stderr, "muster snapshot save: the agent sent a bad snapshot: %s\n",
                     file.error().message.c_str());
        return 1;
    }
    if (auto r = write_atomically(path, *body, 0600); !r) {
        std::fprintf(stderr, "muster snapshot save: %s\n", r.error().message.c_str());
        return 1;
    }
    std::printf("Saved and verified snapshot to index %llu\n",
                static_cast<unsigned long long>(file->info.index));
    return 0;
}

// muster snapshot restore FILE: checked here first (a clear error without a round trip), then
// PUT /v1/snapshot, where the agent checks it again before anything changes.
int snapshot_restore(const std::string& path) {
    auto text = read_whole_file(path);
    if (!text)
        return 1;
    // Said here rather than as the agent's bare 413: the restore goes in one request body.
    if (text->size() > api::max_snapshot_body_bytes) {
        std::fprintf(stderr,
                     "muster snapshot restore: %s: %zu bytes, more than the %zu the agent takes "
                     "in one request: a catalog this large cannot be restored (about 10,000 "
                     "services fit)\n",
                     path.c_str(), text->size(), api::max_snapshot_body_bytes);
        return 1;
    }
    auto file = catalog::read_snapshot_file(as_bytes(*text));
    if (!file) {
        std::fprintf(stderr, "muster snapshot restore: %s: %s\n", path.c_str(),
                     file.error().message.c_str());
        return 1;
    }
    if (!call_agent("PUT", "/v1/snapshot", *text))
        return 1;
    std::puts("Restored snapshot");
    return 0;
}

// muster snapshot inspect FILE: what the file holds, without an agent.
int snapshot_inspect(const std::string& path) {
    auto text = read_whole_file(path);
    if (!text)
        return 1;
    auto file = catalog::read_snapshot_file(as_bytes(*text));
    if (!file) {
        std::fprintf(stderr, "muster snapshot inspect: %s: %s\n", path.c_str(),
                     file.error().message.c_str());
        return 1;
    }
    print_table({{"Index", std::to_string(file->info.index)},
                 {"Raft index", std::to_string(file->info.raft_index)},
                 {"Datacenter", file->info.datacenter},
                 {"Nodes", std::to_string(file->command.nodes.size())},
                 {"Services", std::to_string(file->command.services.size())},
                 {"Checks", std::to_string(file->command.checks.size())},
                 {"Size", std::to_string(text->size())}});
    return 0;
}

}  // namespace

int snapshot_command(int argc, char** argv) {
    const std::string sub = argc == 3 ? argv[1] : "";
    if (sub == "save")
        return snapshot_save(argv[2]);
    if (sub == "restore")
        return snapshot_restore(argv[2]);
    if (sub == "inspect")
        return snapshot_inspect(argv[2]);
    std::fputs("usage: muster snapshot save FILE | restore FILE | inspect FILE\n", stderr);
    return 2;
}

// muster info: every section of /v1/agent/self's Stats, as `consul info` prints them.
int info_command(int argc) {
    if (argc != 1) {
        std::fputs("usage: muster info\n", stderr);
        return 2;
    }
    auto doc = get_json("/v1/agent/self");
    if (!doc)
        return 1;
    if (!doc->is_object() || !doc->contains("Stats")) {
        std::fputs("muster: GET /v1/agent/self: the agent's reply has no Stats\n", stderr);
        return 1;
    }
    std::fputs(format_info((*doc)["Stats"]).c_str(), stdout);
    return 0;
}

namespace {

constexpr const char* monitor_usage = "usage: muster monitor [--log-level L] [--log-json]\n";

// Lines already written were flushed one by one, so stopping here loses none.
extern "C" void on_monitor_signal(int) {
    _exit(0);
}

}  // namespace

// muster monitor: GET /v1/agent/monitor, printed as it streams (Consul's `consul monitor`).
int monitor_command(int argc, char** argv) {
    std::string level = "info";
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg.starts_with("--"))
            arg.erase(0, 1);  // Consul's single-dash flags too
        if (arg == "-log-level" && i + 1 < argc) {
            level = argv[++i];
        } else if (arg.starts_with("-log-level=")) {
            level = arg.substr(std::strlen("-log-level="));
        } else if (arg == "-log-json" || arg == "-log-json=true") {
            json = true;
        } else {
            std::fprintf(stderr, "muster monitor: unexpected argument \"%s\"\n%s", argv[i],
                         monitor_usage);
            return 2;
        }
    }
    auto env = agent_env();
    if (!env) {
        std::fprintf(stderr, "muster: %s\n", env.error().message.c_str());
        return 1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_monitor_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    muster::http::ClientRequest req;
    req.target = "/v1/agent/monitor?loglevel=" + muster::http::escape_path_segment(level) +
                 (json ? "&logjson" : "");
    // The agent may say nothing for a long while; only a dead connection ends this.
    muster::http::ClientOptions options{.read_timeout = std::chrono::hours(24 * 20),
                                        .tls = env->tls};
    auto res = muster::http::stream_request(env->url, req, options, [](std::string_view data) {
        std::fwrite(data.data(), 1, data.size(), stdout);
        std::fflush(stdout);
    });
    if (!res) {
        const bool never_reached = res.error().message.starts_with("connect");
        std::fprintf(stderr,
                     never_reached ? "muster: cannot reach the agent at %s: %s\n"
                                   : "muster: the monitor stream from the agent at %s ended: %s\n",
                     env->url.text.c_str(), res.error().message.c_str());
        return 1;
    }
    if (res->status < 200 || res->status > 299) {
        std::string text = res->body;
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
            text.pop_back();
        std::fprintf(stderr, "muster: GET %s: HTTP %d: %s\n", req.target.c_str(), res->status,
                     text.c_str());
        return 1;
    }
    std::fprintf(stderr,
                 "muster: the agent at %s ended the monitor stream (it stopped or is "
                 "stopping)\n",
                 env->url.text.c_str());
    return 1;
}

}  // namespace muster::app
