// Parsing sources, walking them against the option table, overrides, defaults and final checks.
#include "config/internal/loader.hh"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/duration.hh"
#include "config/internal/loading.hh"
#include "config/options.hh"

namespace muster::config::internal {
namespace {

constexpr std::string_view command_line = "command line";

// "FILE: line L, column C: message" from nlohmann's "[json.exception.parse_error.101] parse
// error at line L, column C: message".
std::string syntax_error(const std::string& file, const Json::parse_error& e) {
    std::string what = e.what();
    auto at = what.find(" at line ");
    if (at != std::string::npos) {
        auto colon = what.find(": ", at);
        if (colon != std::string::npos)
            return file + ": " + what.substr(at + 4, colon - at - 4) + ": " +
                   what.substr(colon + 2);
    }
    auto bracket = what.find("] ");
    return file + ": byte " + std::to_string(e.byte) + ": " +
           (bracket == std::string::npos ? what : what.substr(bracket + 2));
}

std::string suggestion(std::string_view parent, std::string_view leaf) {
    std::string_view best;
    size_t best_distance = 3;  // suggest only within edit distance 2
    for (const auto& def : option_table()) {
        if (parent_key(def.key) != parent)
            continue;
        size_t d = edit_distance(leaf, leaf_name(def.key));
        if (d < best_distance) {
            best_distance = d;
            best = leaf_name(def.key);
        }
    }
    if (best.empty())
        return "";
    return " (did you mean \"" + std::string(best) + "\"?)";
}

void apply_option(const OptionDef& def, const Json& value, Loading& c);

void walk(const Json& object, std::string_view prefix, Loading& c) {
    for (const auto& [k, v] : object.items()) {
        std::string key = prefix.empty() ? k : std::string(prefix) + "." + k;
        if (c.hcl_lines != nullptr)
            c.file = c.hcl_source + ":" + std::to_string(hcl_line(*c.hcl_lines, key));
        const OptionDef* def = k.find('.') == std::string::npos ? find_option(key) : nullptr;
        const ConsulKey* consul =
            def == nullptr && k.find('.') == std::string::npos ? find_consul_key(key) : nullptr;
        if (consul != nullptr) {
            use_consul_key(*consul, key, v, c);
            continue;
        }
        if (def == nullptr) {
            c.errors.push_back(c.file + ": " + key + ": unknown key" + suggestion(prefix, k));
            continue;
        }
        apply_option(*def, v, c);
    }
}

void apply_option(const OptionDef& def, const Json& value, Loading& c) {
    c.key = std::string(def.key);
    c.last_file[c.key] = c.file;
    if (def.kind == Kind::object) {
        if (!value.is_object())
            return c.expected("an object", value);
        walk(value, def.key, c);
        return;
    }
    def.apply(value, c);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Command-line text as the JSON value a config file would carry for this option.
Json override_value(const OptionDef& def, const std::string& text) {
    switch (def.kind) {
        case Kind::uint:
        case Kind::port:
        case Kind::duration:
            if (all_digits(text) && text.size() < 20)
                return Json(std::stoull(text));
            return Json(text);
        case Kind::boolean:
            if (text == "true")
                return Json(true);
            if (text == "false")
                return Json(false);
            return Json(text);
        case Kind::recursor_list:
        case Kind::join_list:
        case Kind::cidr_list:
            if (!text.empty() && text.front() == '[')
                break;
            return Json::array({text});
        case Kind::object:
        case Kind::record_list:
        case Kind::listener_list:
        case Kind::forward_zones:
        case Kind::service:
        case Kind::service_list:
        case Kind::check:
        case Kind::check_list:
        case Kind::ttl_map:
        case Kind::string_map:
            break;
        default:
            return Json(text);
    }
    Json parsed = Json::parse(text, nullptr, false, true);
    return parsed.is_discarded() ? Json(text) : parsed;
}

void apply_overrides(const LoadRequest& req, Loading& c) {
    c.file = std::string(command_line);
    for (const auto& [key, text] : req.overrides) {
        const OptionDef* def = find_option(key);
        if (def == nullptr) {
            c.errors.push_back(c.file + ": " + key + ": unknown key" +
                               suggestion(parent_key(key), leaf_name(key)));
            continue;
        }
        apply_option(*def, override_value(*def, text), c);
    }
}

std::string short_hostname() {
    char buf[256] = "";
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0')
        return "localhost";
    std::string name = buf;
    if (auto dot = name.find('.'); dot != std::string::npos)
        name.resize(dot);
    return name.empty() ? "localhost" : name;
}

std::vector<SockAddr> one_address(const char* ip) {
    auto a = SockAddr::parse_ip(ip, 0);
    return a ? std::vector<SockAddr>{*a} : std::vector<SockAddr>{};
}

// A TLS configuration that would silently fall back to plaintext, or could not work, is an
// error naming the key that is missing.
template <typename FileOf>
void check_agent_tls(Loading& c, FileOf file_of) {
    const AgentTls& t = c.settings.agent_tls;
    auto need = [&](const char* key, const char* what) {
        c.errors.push_back(file_of(key) + ": " + key + ": " + what);
    };
    auto set_key = [&](std::initializer_list<const char*> keys) -> const char* {
        for (const char* k : keys)
            if (c.was_set(k))
                return k;
        return *keys.begin();
    };
    const char* cert_key = set_key({"tls.defaults.cert_file", "cert_file"});
    const char* key_key = set_key({"tls.defaults.key_file", "key_file"});
    const char* ca_key = set_key({"tls.defaults.ca_file", "ca_file"});
    if (!t.cert_file.empty() && t.key_file.empty())
        need(cert_key, "expected tls.defaults.key_file (the certificate's private key) too");
    if (t.cert_file.empty() && !t.key_file.empty())
        need(key_key, "expected tls.defaults.cert_file (the key's certificate) too");
    const bool verify_out = t.verify_outgoing || t.verify_server_hostname;
    for (auto [on, key] :
         {std::pair{t.verify_incoming,
                    set_key({"tls.defaults.verify_incoming", "verify_incoming"})},
          std::pair{verify_out, set_key({"tls.defaults.verify_outgoing", "verify_outgoing",
                                         "tls.internal_rpc.verify_server_hostname",
                                         "verify_server_hostname"})}}) {
        if (!on)
            continue;
        if (t.ca_file.empty())
            need(key,
                 "expected tls.defaults.ca_file, the CA to check peers against (without "
                 "it nothing could be verified)");
        if (t.cert_file.empty())
            need(key,
                 "expected tls.defaults.cert_file and key_file, the certificate this "
                 "agent shows");
    }
    if (!t.ca_file.empty() && !t.cert_file.empty() && !t.verify_incoming && !verify_out)
        need(ca_key,
             "expected tls.defaults.verify_incoming or verify_outgoing (certificates "
             "that nothing verifies would leave the server port in plaintext)");
    if (c.settings.https_port != 0 && (t.cert_file.empty() || t.key_file.empty()))
        need("ports.https",
             "expected tls.defaults.cert_file and key_file for the HTTPS "
             "listener");
}

// The DNS listeners: dns_config.listeners (a port left out is ports.dns) or, without it, each
// of addresses.dns at ports.dns with recursion. One address and port twice would bind twice
// (SO_REUSEPORT) and split queries between two policies: an error.
void dns_listeners(Loading& c) {
    Settings& s = c.settings;
    auto& listeners = s.dns.listeners;
    if (!c.was_set("dns_config.listeners")) {
        listeners.clear();
        for (const auto& a : s.dns_addr)
            listeners.push_back({.addr = a, .recursion = true});
        return;
    }
    for (auto& l : listeners)
        if (l.addr.port() == 0)
            l.addr.set_port(s.dns_port);
    for (size_t i = 0; i < listeners.size(); ++i)
        for (size_t j = 0; j < i; ++j)
            if (listeners[i].addr == listeners[j].addr) {
                auto it = c.last_file.find(std::string_view("dns_config.listeners"));
                c.errors.push_back(it->second +
                                   ": dns_config.listeners: expected each address "
                                   "and port once (got " +
                                   listeners[i].addr.to_string() + " twice)");
                return;
            }
}

void finish(const LoadRequest& req, Loading& c) {
    Settings& s = c.settings;
    s.dev = req.dev;
    if (!c.was_set("node_name"))
        s.node_name = short_hostname();
    if (!c.was_set("domain"))
        s.domain = *dns::Name::from_text("internal.");
    if (!c.was_set("dns_config.allow_recursion")) {
        for (const char* text : {"127.0.0.0/8", "::1/128"})
            s.dns.allow_recursion.push_back(*Cidr::parse(text));
    }
    if (req.dev && !c.was_set("server"))
        s.server = true;
    if (req.dev && !c.was_set("bootstrap") && !c.was_set("bootstrap_expect"))
        s.bootstrap = true;
    if (req.dev && !c.was_set("ui_config.enabled") && !c.was_set("ui"))
        s.ui_enabled = true;
    if (req.dev && !c.was_set("log_level"))
        s.log_level = log::Level::debug;
    if (!c.was_set("client_addr"))
        s.client_addr = one_address("127.0.0.1");
    if (!c.was_set("bind_addr"))
        s.bind_addr = one_address("0.0.0.0");
    if (!c.was_set("addresses.dns"))
        s.dns_addr = s.client_addr;
    if (!c.was_set("addresses.http"))
        s.http_addr = s.client_addr;
    for (auto& a : s.dns_addr)
        a.set_port(s.dns_port);
    dns_listeners(c);
    for (auto& a : s.http_addr)
        a.set_port(s.http_port);
    for (size_t i : c.records_without_ttl)
        s.records[i].ttl = s.dns.local_ttl;
    if (s.encrypt_key.empty() && !c.was_set("encrypt") && !c.was_set("encrypt_file"))
        cluster_key_from_credentials(c);
    if (!c.was_set("addresses.https"))
        s.https_addr = s.client_addr;
    for (auto& a : s.https_addr)
        a.set_port(s.https_port);
    if (!s.agent_tls.cert_file.empty())
        tls_key_from_credentials(c);
    for (const auto& [where, dc] : c.primary_datacenters)
        if (dc != s.datacenter)
            c.errors.push_back(where + ": expected the datacenter, \"" + s.datacenter +
                               "\" (muster has one datacenter; got \"" + dc + "\")");
    check_definitions(c);

    auto file_of = [&](std::string_view key) {
        auto it = c.last_file.find(key);
        return it == c.last_file.end() ? std::string("defaults") : it->second;
    };
    for (const char* key : {"bootstrap_expect", "bootstrap"})
        if (!s.server && c.was_set(key) && (s.bootstrap_expect > 0 || s.bootstrap))
            c.errors.push_back(file_of(key) + ": " + key +
                               ": expected server to be true (only servers form a cluster; a "
                               "client agent joins one through retry_join)");
    if (s.bootstrap_expect > 1 && s.bootstrap && c.was_set("bootstrap"))
        c.errors.push_back(file_of("bootstrap_expect") +
                           ": bootstrap_expect: expected bootstrap to be false (bootstrap makes "
                           "a cluster of one; bootstrap_expect " +
                           std::to_string(s.bootstrap_expect) + " waits for others)");
    if (s.bootstrap_expect > 1 && s.retry_join.empty())
        c.errors.push_back(file_of("bootstrap_expect") +
                           ": bootstrap_expect: expected retry_join to list the other servers "
                           "(got bootstrap_expect " +
                           std::to_string(s.bootstrap_expect) + " and no retry_join)");
    if (!req.dev && s.reconnect_timeout < std::chrono::hours(8))
        c.errors.push_back(file_of("reconnect_timeout") +
                           ": reconnect_timeout: expected at least 8h (smaller values only with "
                           "--dev; got " +
                           go_duration_text(s.reconnect_timeout) + ")");
    check_agent_tls(c, file_of);
    if (s.dns.cache.min_ttl > s.dns.cache.max_ttl) {
        c.errors.push_back(
            file_of("dns_config.cache.min_ttl") +
            ": dns_config.cache.min_ttl: expected at most dns_config.cache.max_ttl (got " +
            std::to_string(s.dns.cache.min_ttl.count()) + "s > " +
            std::to_string(s.dns.cache.max_ttl.count()) + "s)");
    }
}

// Only after every check passed: a dev agent's temp dir is not created for a config that fails.
void make_dev_data_dir(const LoadRequest& req, Loading& c) {
    if (!req.dev || c.was_set("data_dir") || !c.errors.empty())
        return;
    char tmpl[] = "/tmp/muster-dev-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
        c.errors.push_back(
            "--dev: data_dir: expected a fresh directory (got \"/tmp/muster-dev-XXXXXX\": " +
            std::string(std::strerror(errno)) + ")");
        return;
    }
    c.settings.data_dir = tmpl;
    c.settings.data_dir_temporary = true;
}

// Paths where one HCL block is a one-element list: the option table's lists of objects, and
// the checks of a service definition (Consul's PatchSliceOfMaps exceptions).
const HclShape& hcl_shape() {
    static const HclShape shape = [] {
        HclShape s;
        for (const auto& def : option_table()) {
            if (def.kind == Kind::service_list || def.kind == Kind::check_list ||
                def.kind == Kind::record_list || def.kind == Kind::listener_list)
                s.list_blocks.emplace_back(def.key);
            if (def.kind == Kind::service || def.kind == Kind::service_list)
                s.list_blocks.push_back(std::string(def.key) + ".checks");
        }
        return s;
    }();
    return shape;
}

// walk() names each top-level key's line; an error about a deeper key ("FILE:3:
// services[0].checks[1].interval: ...") gets that key's own line.
void refine_lines(Loading& c, size_t first_error) {
    const std::string head = c.hcl_source + ":";
    for (size_t i = first_error; i < c.errors.size(); ++i) {
        std::string& e = c.errors[i];
        if (!e.starts_with(head))
            continue;
        const size_t key_start = e.find(": ", head.size());
        const size_t key_end =
            key_start == std::string::npos ? key_start : e.find(": ", key_start + 2);
        if (key_end == std::string::npos)
            continue;
        const int line = hcl_line(
            *c.hcl_lines, std::string_view(e).substr(key_start + 2, key_end - key_start - 2));
        if (line > 0)
            e = head + std::to_string(line) + e.substr(key_start);
    }
}

// One source as the tree walk() takes, or an error line ("FILE: ..." for JSON, "FILE:LINE: ..."
// for HCL).
Result<Json> parse_source(const Source& src, std::optional<HclDocument>& hcl) {
    if (src.name.ends_with(".hcl")) {
        auto parsed = parse_hcl(src.text, hcl_shape());
        if (!parsed)
            return make_error(src.name + ":" + parsed.error().message);
        hcl = std::move(*parsed);
        return std::move(hcl->tree);
    }
    Json doc;
    try {
        doc = Json::parse(src.text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
    } catch (const Json::parse_error& e) {
        return make_error(syntax_error(src.name, e));
    } catch (const Json::exception& e) {
        return make_error(src.name + ": " + e.what());
    }
    if (!doc.is_object())
        return make_error(src.name + ": expected a JSON object at the top level (got " +
                          describe(doc) + ")");
    return doc;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        if (!out.empty())
            out += '\n';
        out += l;
    }
    return out;
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

Result<Settings> load_sources(const std::vector<Source>& sources, const LoadRequest& req,
                              std::vector<std::string> read_errors) {
    Loading c;
    c.errors = std::move(read_errors);
    for (const auto& src : sources) {
        c.file = src.name;
        c.settings.sources.push_back(src.name);
        std::optional<HclDocument> hcl;
        auto doc = parse_source(src, hcl);
        if (!doc) {
            c.errors.push_back(doc.error().message);
            continue;
        }
        if (hcl) {
            c.hcl_source = src.name;
            c.hcl_lines = &hcl->lines;
        }
        const size_t first_error = c.errors.size();
        walk(*doc, "", c);
        if (hcl) {
            refine_lines(c, first_error);
            c.hcl_lines = nullptr;
        }
    }
    apply_overrides(req, c);
    finish(req, c);
    make_dev_data_dir(req, c);
    if (!c.errors.empty())
        return make_error(join_lines(c.errors));
    return std::move(c.settings);
}

}  // namespace muster::config::internal
