// Consul's JSON service and check definitions: key aliases, defaults, validation and the
// registration command an agent derives from a definition.
#include "catalog/definition.hh"

#include "common/ascii.hh"
#include "common/duration.hh"
#include "common/json_describe.hh"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <span>
#include <string_view>

namespace muster::catalog {
namespace {

using Json = nlohmann::json;

// Consul decodes keys case-insensitively and translates snake_case aliases, so "service_id",
// "ServiceID" and "serviceid" are the same field; so are they here.
std::string fold_key(std::string_view key) {
    std::string out;
    for (char ch : key) {
        if (ch == '_')
            continue;
        out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    }
    return out;
}

std::string describe(const Json& value) {
    return describe_json(value);
}

std::string join_path(const std::string& where, std::string_view field) {
    return where.empty() ? std::string(field) : where + "." + std::string(field);
}

std::string indexed(const std::string& where, size_t i) {
    return where + "[" + std::to_string(i) + "]";
}

// Collects every problem of one definition; each line is "PATH: expected WHAT (got VALUE)".
class Errors {
  public:
    void expected(const std::string& path, std::string_view what, const Json& got) {
        failed_.insert(path);
        add(path + ": expected " + std::string(what) + " (got " + describe(got) + ")");
    }
    void failed(const std::string& path) { failed_.insert(path); }
    // Whether the value at `path` was already reported, so later checks do not repeat it.
    bool has_failed(const std::string& path) const { return failed_.count(path) != 0; }
    void add(std::string line) {
        if (!text_.empty())
            text_ += '\n';
        text_ += line;
        ++count_;
    }
    size_t count() const { return count_; }
    Error error() const { return make_error(text_); }

  private:
    std::string text_;
    size_t count_ = 0;
    std::set<std::string> failed_;
};

// One object's fields by folded key, with the key as written for error paths.
struct Field {
    std::string written;
    const Json* value = nullptr;
};

class Fields {
  public:
    // `known` lists folded names of every accepted field, `aliases` maps further folded spellings
    // onto them, `ignored` are accepted and dropped.
    Fields(const Json& object, const std::string& where, std::span<const std::string_view> known,
           std::span<const std::pair<std::string_view, std::string_view>> aliases,
           std::span<const std::string_view> ignored, Errors& errors) {
        for (const auto& [key, value] : object.items()) {
            std::string folded = fold_key(key);
            for (const auto& [alias, canonical] : aliases)
                if (folded == alias)
                    folded = std::string(canonical);
            bool is_known = false;
            for (auto k : known)
                is_known = is_known || k == folded;
            bool is_ignored = false;
            for (auto k : ignored)
                is_ignored = is_ignored || k == folded;
            const std::string path = join_path(where, key);
            if (is_ignored)
                continue;
            if (!is_known) {
                errors.add(path + ": unknown key");
                continue;
            }
            if (auto it = fields_.find(folded); it != fields_.end()) {
                errors.add(path + ": duplicate key (already given as \"" + it->second.written +
                           "\")");
                continue;
            }
            fields_[folded] = Field{.written = key, .value = &value};
        }
    }
    const Field* get(std::string_view folded) const {
        auto it = fields_.find(std::string(folded));
        return it == fields_.end() ? nullptr : &it->second;
    }

  private:
    std::map<std::string, Field> fields_;
};

bool as_uint(const Json& v, uint64_t& out) {
    if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
    }
    if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(v.get<int64_t>());
        return true;
    }
    return false;
}

// Typed readers: a missing field leaves `out` alone; a wrong one is reported.
class Reader {
  public:
    Reader(const Fields& fields, const std::string& where, Errors& errors)
        : fields_(fields), where_(where), errors_(errors) {}

    std::string path(const Field& f) const { return join_path(where_, f.written); }
    const Field* get(std::string_view folded) const { return fields_.get(folded); }

    bool string(std::string_view folded, std::string& out) {
        const Field* f = get(folded);
        if (f == nullptr)
            return false;
        if (!f->value->is_string()) {
            errors_.expected(path(*f), "a string", *f->value);
            return false;
        }
        out = f->value->get<std::string>();
        return true;
    }
    void boolean(std::string_view folded, bool& out) {
        const Field* f = get(folded);
        if (f == nullptr)
            return;
        if (!f->value->is_boolean())
            return errors_.expected(path(*f), "true or false", *f->value);
        out = f->value->get<bool>();
    }
    template <class T>
    void integer(std::string_view folded, T& out, uint64_t min, uint64_t max) {
        const Field* f = get(folded);
        if (f == nullptr)
            return;
        uint64_t x = 0;
        if (!as_uint(*f->value, x) || x < min || x > max) {
            return errors_.expected(
                path(*f), "an integer " + std::to_string(min) + ".." + std::to_string(max),
                *f->value);
        }
        out = static_cast<T>(x);
    }
    void strings(std::string_view folded, std::vector<std::string>& out) {
        const Field* f = get(folded);
        if (f == nullptr)
            return;
        if (!f->value->is_array())
            return errors_.expected(path(*f), "a list of strings", *f->value);
        std::vector<std::string> list;
        for (size_t i = 0; i < f->value->size(); ++i) {
            const Json& item = (*f->value)[i];
            if (!item.is_string()) {
                errors_.expected(indexed(path(*f), i), "a string", item);
                continue;
            }
            list.push_back(item.get<std::string>());
        }
        out = std::move(list);
    }
    void string_map(std::string_view folded, std::map<std::string, std::string>& out) {
        const Field* f = get(folded);
        if (f == nullptr)
            return;
        if (!f->value->is_object())
            return errors_.expected(path(*f), "an object of strings", *f->value);
        for (const auto& [k, v] : f->value->items()) {
            if (!v.is_string()) {
                errors_.expected(join_path(path(*f), k), "a string", v);
                continue;
            }
            out[k] = v.get<std::string>();
        }
    }
    void duration(std::string_view folded, std::chrono::milliseconds& out) {
        const Field* f = get(folded);
        if (f == nullptr)
            return;
        auto d = parse_consul_duration(*f->value, path(*f));
        if (!d) {
            errors_.failed(path(*f));
            return errors_.add(d.error().message);
        }
        out = *d;
    }

    Errors& errors() { return errors_; }

  private:
    const Fields& fields_;
    const std::string& where_;
    Errors& errors_;
};

// Check fields, folded. Consul's aliases: CheckID/check_id and ID/id are the ID, ScriptArgs is
// Args.
constexpr std::string_view check_fields[] = {"id",
                                             "name",
                                             "serviceid",
                                             "notes",
                                             "status",
                                             "args",
                                             "http",
                                             "method",
                                             "header",
                                             "body",
                                             "tlsservername",
                                             "tlsskipverify",
                                             "disableredirects",
                                             "tcp",
                                             "tcpusetls",
                                             "ttl",
                                             "interval",
                                             "timeout",
                                             "aliasservice",
                                             "aliasnode",
                                             "successbeforepassing",
                                             "failuresbeforewarning",
                                             "failuresbeforecritical",
                                             "deregistercriticalserviceafter"};
constexpr std::pair<std::string_view, std::string_view> check_aliases[] = {{"checkid", "id"},
                                                                           {"scriptargs", "args"}};
// Accepted and dropped because they change nothing here: token (ACLs), namespace and partition
// (Consul Enterprise), output_max_size (check output is kept whole), type (an API reply field
// that tools echo back; the kind follows from the fields set).
constexpr std::string_view check_ignored[] = {"token", "namespace", "partition", "outputmaxsize",
                                              "type"};
// Consul check types muster does not run: refused, not silently turned into external checks.
constexpr std::string_view check_unsupported[] = {"grpc",         "grpcusetls", "h2ping",
                                                  "h2pingusetls", "udp",        "dockercontainerid",
                                                  "shell",        "osservice",  "script"};

// Service fields, folded.
constexpr std::string_view service_fields[] = {"id",    "name",  "tags",    "address",
                                               "port",  "meta",  "weights", "enabletagoverride",
                                               "check", "checks"};
// Accepted and dropped because they change nothing here: kind and proxy/connect (Connect
// service mesh), tagged_addresses (no WAN/LAN address translation), token (ACLs), namespace and
// partition (Consul Enterprise), locality (mesh routing), enable_tag_drift (anti-entropy
// detail).
constexpr std::string_view service_ignored[] = {"kind",      "taggedaddresses", "token",
                                                "namespace", "partition",       "connect",
                                                "proxy",     "locality",        "enabletagdrift"};

void refuse_unsupported_check_types(const Json& value, const std::string& where, Errors& errors) {
    for (const auto& [key, v] : value.items()) {
        const std::string folded = fold_key(key);
        for (auto u : check_unsupported) {
            if (folded == u) {
                errors.add(join_path(where, key) +
                           (u == "script" ? ": not supported (use \"args\")"
                                          : ": not supported (muster runs script, http, tcp, "
                                            "ttl and alias checks)"));
            }
        }
    }
}

// Everything but the defaults that depend on an enclosing service.
CheckDefinition read_check(const Fields& fields, const std::string& where, Errors& errors) {
    CheckDefinition def;
    Reader r(fields, where, errors);

    r.string("id", def.id);
    r.string("name", def.name);
    r.string("serviceid", def.service_id);
    r.string("notes", def.notes);
    if (const Field* f = r.get("status")) {
        auto status =
            f->value->is_string() ? parse_status(f->value->get<std::string>()) : std::nullopt;
        if (status)
            def.initial_status = *status;
        else
            errors.expected(r.path(*f), "one of passing, warning, critical", *f->value);
    }
    r.strings("args", def.args);
    r.string("http", def.http);
    r.string("method", def.method);
    r.string("body", def.body);
    r.string("tlsservername", def.tls_server_name);
    r.boolean("tlsskipverify", def.tls_skip_verify);
    r.boolean("disableredirects", def.disable_redirects);
    if (const Field* f = r.get("header")) {
        if (!f->value->is_object()) {
            errors.expected(r.path(*f), "an object of header name to list of strings", *f->value);
        } else {
            for (const auto& [name, list] : f->value->items()) {
                auto& values = def.header[name];
                const std::string path = join_path(r.path(*f), name);
                if (!list.is_array()) {
                    errors.expected(path, "a list of strings", list);
                    continue;
                }
                for (size_t i = 0; i < list.size(); ++i) {
                    if (list[i].is_string())
                        values.push_back(list[i].get<std::string>());
                    else
                        errors.expected(indexed(path, i), "a string", list[i]);
                }
            }
        }
    }
    r.string("tcp", def.tcp);
    r.boolean("tcpusetls", def.tcp_use_tls);
    r.duration("ttl", def.ttl);
    r.duration("interval", def.interval);
    r.duration("timeout", def.timeout);
    r.string("aliasservice", def.alias_service);
    r.string("aliasnode", def.alias_node);
    constexpr uint64_t any = std::numeric_limits<unsigned>::max();
    r.integer("successbeforepassing", def.success_before_passing, 0, any);
    r.integer("failuresbeforewarning", def.failures_before_warning, 0, any);
    r.integer("failuresbeforecritical", def.failures_before_critical, 0, any);
    r.duration("deregistercriticalserviceafter", def.deregister_critical_service_after);
    return def;
}

bool valid_port_text(std::string_view s) {
    if (s.empty() || s.size() > 5)
        return false;
    uint32_t port = 0;
    for (char ch : s) {
        if (!ascii::is_digit(ch))
            return false;
        port = port * 10 + static_cast<uint32_t>(ch - '0');
    }
    return port >= 1 && port <= 65535;
}

// The kind follows from which target field is set (Consul's CheckType.Validate): exactly one.
void decide_kind(const std::string& where, const Fields& fields, CheckDefinition& def,
                 Errors& errors) {
    struct Target {
        std::string_view folded;
        CheckKind kind;
    };
    constexpr Target targets[] = {{"args", CheckKind::script},
                                  {"http", CheckKind::http},
                                  {"tcp", CheckKind::tcp},
                                  {"ttl", CheckKind::ttl},
                                  {"aliasservice", CheckKind::alias},
                                  {"aliasnode", CheckKind::alias}};
    std::vector<std::string> given;
    for (const auto& t : targets) {
        if (const Field* f = fields.get(t.folded)) {
            if (def.kind == CheckKind::alias && t.kind == CheckKind::alias)
                continue;  // alias_service with alias_node is one alias check
            def.kind = t.kind;
            given.push_back(f->written);
        }
    }
    if (given.size() > 1) {
        std::string list;
        for (const auto& g : given)
            list += (list.empty() ? "" : ", ") + g;
        errors.add((where.empty() ? std::string("check") : where) +
                   ": expected exactly one of args, http, tcp, ttl, alias_service (got " + list +
                   ")");
        return;
    }
    const bool periodic =
        def.kind == CheckKind::script || def.kind == CheckKind::http || def.kind == CheckKind::tcp;
    const Field* interval = fields.get("interval");
    if (periodic && interval == nullptr)
        errors.add(join_path(where, "interval") +
                   ": expected a positive duration for a script, http or tcp check (got "
                   "nothing: the key is required)");
    else if (periodic && def.interval.count() <= 0 &&
             !errors.has_failed(join_path(where, interval->written)))
        errors.expected(join_path(where, interval->written),
                        "a positive duration for a script, http or tcp check", *interval->value);
    if (const Field* f = fields.get("args");
        f != nullptr && def.kind == CheckKind::script && f->value->is_array() && def.args.empty())
        errors.expected(join_path(where, f->written), "a non-empty list of strings", *f->value);
    if (const Field* f = fields.get("http");
        f != nullptr && def.kind == CheckKind::http && f->value->is_string() &&
        !def.http.starts_with("http://") && !def.http.starts_with("https://"))
        errors.expected(join_path(where, f->written), "an http:// or https:// URL", *f->value);
    if (const Field* f = fields.get("tcp");
        f != nullptr && def.kind == CheckKind::tcp && f->value->is_string()) {
        auto colon = def.tcp.rfind(':');
        if (colon == std::string::npos || colon == 0 ||
            !valid_port_text(std::string_view(def.tcp).substr(colon + 1)))
            errors.expected(join_path(where, f->written), "\"host:port\"", *f->value);
    }
    if (const Field* f = fields.get("ttl"); f != nullptr && def.kind == CheckKind::ttl &&
                                            def.ttl.count() <= 0 &&
                                            !errors.has_failed(join_path(where, f->written)))
        errors.expected(join_path(where, f->written), "a positive duration", *f->value);
}

CheckDefinition check_from(const Json& value, const std::string& where, Errors& errors) {
    if (!value.is_object()) {
        errors.expected(where.empty() ? "check" : where, "a check definition object", value);
        return {};
    }
    refuse_unsupported_check_types(value, where, errors);
    std::vector<std::string_view> ignored(std::begin(check_ignored), std::end(check_ignored));
    ignored.insert(ignored.end(), std::begin(check_unsupported), std::end(check_unsupported));
    Fields fields(value, where, check_fields, check_aliases, ignored, errors);
    CheckDefinition def = read_check(fields, where, errors);
    decide_kind(where, fields, def, errors);
    return def;
}

void read_weights(const Reader& outer, const Field& f, Weights& out, Errors& errors) {
    const std::string where = outer.path(f);
    if (!f.value->is_object())
        return errors.expected(where, "an object {\"passing\", \"warning\"}", *f.value);
    constexpr std::string_view known[] = {"passing", "warning"};
    Fields fields(*f.value, where, known, {}, {}, errors);
    Reader r(fields, where, errors);
    r.integer("passing", out.passing, 1, std::numeric_limits<uint32_t>::max());
    r.integer("warning", out.warning, 0, std::numeric_limits<uint32_t>::max());
}

}  // namespace

Result<std::chrono::milliseconds> parse_consul_duration(const nlohmann::json& value,
                                                        const std::string& where) {
    const std::string path = where.empty() ? std::string("duration") : where;
    constexpr std::string_view what = "a duration like \"10s\", \"1m30s\" or \"500ms\"";
    auto bad = [&] {
        return make_error(path + ": expected " + std::string(what) + " (got " + describe(value) +
                          ")");
    };
    if (uint64_t ns = 0; as_uint(value, ns))  // Consul's JSON API: a number is nanoseconds
        return std::chrono::milliseconds(static_cast<int64_t>(ns / 1000000 + (ns % 1000000 != 0)));
    if (!value.is_string())
        return bad();
    auto ns = parse_go_duration(value.get<std::string>());
    if (!ns || ns->count() < 0)
        return bad();
    // Rounded up: a positive duration stays positive ("500us" is 1ms, not 0).
    return std::chrono::ceil<std::chrono::milliseconds>(*ns);
}

Result<CheckDefinition> parse_check_definition(const nlohmann::json& value,
                                               const std::string& where) {
    Errors errors;
    CheckDefinition def = check_from(value, where, errors);
    if (errors.count() == 0 && def.name.empty()) {
        // Consul: "Missing check name"; only checks inside a service get a generated one.
        const std::string path = join_path(where, "name");
        errors.add(path + ": expected a non-empty string (got nothing: the key is required)");
    }
    if (errors.count() != 0)
        return errors.error();
    if (def.id.empty())
        def.id = def.name;
    return def;
}

Result<ServiceDefinition> parse_service_definition(const nlohmann::json& value,
                                                   const std::string& where) {
    Errors errors;
    if (!value.is_object()) {
        errors.expected(where.empty() ? "service" : where, "a service definition object", value);
        return errors.error();
    }
    Fields fields(value, where, service_fields, {}, service_ignored, errors);
    Reader r(fields, where, errors);
    ServiceDefinition def;
    Service& s = def.service;
    r.string("id", s.id);
    const bool has_name = r.string("name", s.name);
    if (const Field* f = fields.get("name"); f != nullptr && has_name && s.name.empty())
        errors.expected(r.path(*f), "a non-empty string", *f->value);
    if (fields.get("name") == nullptr)
        errors.add(join_path(where, "name") +
                   ": expected a non-empty string (got nothing: the key is required)");
    r.strings("tags", s.tags);
    r.string("address", s.address);
    r.integer("port", s.port, 0, 65535);
    r.string_map("meta", s.meta);
    if (const Field* f = fields.get("weights"))
        read_weights(r, *f, s.weights, errors);
    r.boolean("enabletagoverride", s.enable_tag_override);
    if (s.id.empty())
        s.id = s.name;

    // Consul takes "check" first, then "checks", in order.
    if (const Field* f = fields.get("check"))
        def.checks.push_back(check_from(*f->value, r.path(*f), errors));
    if (const Field* f = fields.get("checks")) {
        if (!f->value->is_array()) {
            errors.expected(r.path(*f), "a list of check definitions", *f->value);
        } else {
            for (size_t i = 0; i < f->value->size(); ++i)
                def.checks.push_back(check_from((*f->value)[i], indexed(r.path(*f), i), errors));
        }
    }
    if (errors.count() != 0)
        return errors.error();
    // Consul's agent.AddService: "service:<id>", numbered from 1 when there are several.
    for (size_t i = 0; i < def.checks.size(); ++i) {
        CheckDefinition& c = def.checks[i];
        c.service_id = s.id;
        if (c.id.empty()) {
            c.id = "service:" + s.id;
            if (def.checks.size() > 1)
                c.id += ":" + std::to_string(i + 1);
        }
        if (c.name.empty())
            c.name = "Service '" + s.name + "' check";
    }
    return def;
}

Check catalog_check(const CheckDefinition& definition, const std::string& node,
                    const Service* service, const CurrentStatus& current) {
    Check check{.node = node,
                .id = definition.id,
                .name = definition.name,
                .service_id = service ? service->id : definition.service_id,
                .service_name = service ? service->name : "",
                .status = definition.initial_status,
                .output = "",
                .notes = definition.notes,
                .type = std::string(check_kind_name(definition.kind)),
                .index = {}};
    if (current) {
        if (auto now = current(definition.id)) {
            check.status = now->first;
            check.output = now->second;
        }
    }
    return check;
}

Register serf_health_registration(const Node& self) {
    Register reg;
    reg.node = self;
    reg.skip_node_update = true;
    Check c;
    c.node = self.name;
    c.id = std::string(serf_check_id);
    c.name = std::string(serf_check_name);
    c.status = Status::passing;
    c.output = std::string(serf_registered_output);
    reg.checks.push_back(std::move(c));
    return reg;
}

CurrentStatus current_status(const std::vector<Check>& checks) {
    auto known = std::make_shared<std::map<std::string, std::pair<Status, std::string>>>();
    for (const auto& c : checks)
        known->emplace(c.id, std::make_pair(c.status, c.output));
    return [known](const std::string& id) -> std::optional<std::pair<Status, std::string>> {
        auto it = known->find(id);
        if (it == known->end())
            return std::nullopt;
        return it->second;
    };
}

Register registration(const ServiceDefinition& definition, const Node& self,
                      const CurrentStatus& current) {
    Register reg;
    reg.node = self;
    Service service = definition.service;
    service.node = self.name;
    for (const auto& c : definition.checks)
        reg.checks.push_back(catalog_check(c, self.name, &service, current));
    reg.service = std::move(service);
    return reg;
}

nlohmann::json to_json(const CheckDefinition& d) {
    Json j = Json::object();
    j["ID"] = d.id;
    j["Name"] = d.name;
    if (!d.service_id.empty())
        j["ServiceID"] = d.service_id;
    if (!d.notes.empty())
        j["Notes"] = d.notes;
    j["Status"] = std::string(status_name(d.initial_status));
    switch (d.kind) {
        case CheckKind::script:
            j["Args"] = d.args;
            break;
        case CheckKind::http:
            j["HTTP"] = d.http;
            if (!d.method.empty())
                j["Method"] = d.method;
            if (!d.header.empty())
                j["Header"] = d.header;
            if (!d.body.empty())
                j["Body"] = d.body;
            if (!d.tls_server_name.empty())
                j["TLSServerName"] = d.tls_server_name;
            j["TLSSkipVerify"] = d.tls_skip_verify;
            j["DisableRedirects"] = d.disable_redirects;
            break;
        case CheckKind::tcp:
            j["TCP"] = d.tcp;
            j["TCPUseTLS"] = d.tcp_use_tls;
            if (!d.tls_server_name.empty())
                j["TLSServerName"] = d.tls_server_name;
            j["TLSSkipVerify"] = d.tls_skip_verify;
            break;
        case CheckKind::ttl:
            j["TTL"] = go_duration_text(d.ttl);
            break;
        case CheckKind::alias:
            if (!d.alias_service.empty())
                j["AliasService"] = d.alias_service;
            if (!d.alias_node.empty())
                j["AliasNode"] = d.alias_node;
            break;
        case CheckKind::external:
            break;
    }
    if (d.interval.count() > 0)
        j["Interval"] = go_duration_text(d.interval);
    if (d.timeout.count() > 0)
        j["Timeout"] = go_duration_text(d.timeout);
    if (d.success_before_passing)
        j["SuccessBeforePassing"] = d.success_before_passing;
    if (d.failures_before_warning)
        j["FailuresBeforeWarning"] = d.failures_before_warning;
    if (d.failures_before_critical)
        j["FailuresBeforeCritical"] = d.failures_before_critical;
    if (d.deregister_critical_service_after.count() > 0)
        j["DeregisterCriticalServiceAfter"] = go_duration_text(d.deregister_critical_service_after);
    return j;
}

std::string_view check_kind_name(CheckKind kind) {
    switch (kind) {
        case CheckKind::ttl:
            return "ttl";
        case CheckKind::script:
            return "script";
        case CheckKind::http:
            return "http";
        case CheckKind::tcp:
            return "tcp";
        case CheckKind::alias:
            return "alias";
        case CheckKind::external:
            return "";
    }
    return "";
}

}  // namespace muster::catalog
