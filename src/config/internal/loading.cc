// Typed checks that turn JSON option values into Settings fields, reporting every problem as
// "FILE: KEY: expected WHAT (got VALUE)".
#include "config/internal/loading.hh"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#include "catalog/definition.hh"
#include "checks/probe.hh"
#include "common/ascii.hh"
#include "common/json_describe.hh"
#include "common/tls_link.hh"
#include "config/internal/duration.hh"
#include "dns/rdata.hh"
#include "dns/wire.hh"

namespace muster::config::internal {
namespace {

std::string quote_text(std::string_view s) {
    return describe(Json(std::string(s)));
}

// The record types local data may hold (docs/design.md "Configuration").
struct RecordType {
    std::string_view name;
    uint16_t type;
};
constexpr RecordType record_types[] = {{"A", dns::type::a},         {"AAAA", dns::type::aaaa},
                                       {"CNAME", dns::type::cname}, {"PTR", dns::type::ptr},
                                       {"SRV", dns::type::srv},     {"TXT", dns::type::txt},
                                       {"MX", dns::type::mx}};

uint16_t record_type(std::string_view text) {
    for (const auto& t : record_types) {
        if (t.name.size() != text.size())
            continue;
        bool same = true;
        for (size_t i = 0; i < text.size(); ++i)
            same = same && std::toupper(static_cast<unsigned char>(text[i])) == t.name[i];
        if (same)
            return t.type;
    }
    return 0;
}

std::string_view record_type_name(uint16_t type) {
    for (const auto& t : record_types)
        if (t.type == type)
            return t.name;
    return "?";
}

// Restores Loading::key when a nested element has been checked.
class KeyScope {
  public:
    KeyScope(Loading& c, std::string key) : c_(c), saved_(std::move(c.key)) {
        c.key = std::move(key);
    }
    ~KeyScope() { c_.key = std::move(saved_); }
    KeyScope(const KeyScope&) = delete;
    KeyScope& operator=(const KeyScope&) = delete;

  private:
    Loading& c_;
    std::string saved_;
};

std::string indexed(const std::string& key, size_t i) {
    return key + "[" + std::to_string(i) + "]";
}

// The definition parsers report one problem per line, each already "FILE: PATH: ...".
void add_lines(Loading& c, const std::string& text) {
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        if (end > start)
            c.errors.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

bool get_string(const Json& v, Loading& c, std::string_view what, std::string& out) {
    if (!v.is_string()) {
        c.expected(what, v);
        return false;
    }
    out = v.get<std::string>();
    return true;
}

void apply_record(const Json& v, Loading& c) {
    constexpr std::string_view what = "a record {\"name\", \"type\", \"value\", \"ttl\"}";
    if (!v.is_object())
        return c.expected(what, v);
    const std::string base = c.key;
    bool ok = true;
    std::string name_text, type_text, value_text;
    for (const auto& [k, field] : v.items()) {
        if (k != "name" && k != "type" && k != "value" && k != "ttl") {
            c.errors.push_back(c.file + ": " + base + "." + k +
                               ": unknown key (records have name, type, value and ttl)");
            ok = false;
        }
    }
    auto field = [&](const char* key, std::string& out) {
        KeyScope scope(c, base + "." + key);
        if (!v.contains(key)) {
            c.fail("expected a string (got nothing: the key is required)");
            return false;
        }
        return get_string(v.at(key), c, "a string", out);
    };
    const bool has_name = field("name", name_text);
    const bool has_type = field("type", type_text);
    const bool has_value = field("value", value_text);
    ok = ok && has_name && has_type && has_value;

    Record r;
    if (has_name) {
        KeyScope scope(c, base + ".name");
        auto name = dns::Name::from_text(name_text);
        if (name_text.empty() || !name) {
            c.expected("a domain name", v.at("name"));
            ok = false;
        } else {
            r.name = *name;
        }
    }
    if (has_type) {
        KeyScope scope(c, base + ".type");
        r.type = record_type(type_text);
        if (r.type == 0) {
            c.expected("one of A, AAAA, CNAME, PTR, SRV, TXT, MX", v.at("type"));
            ok = false;
        }
    }
    if (r.type != 0 && has_value) {
        KeyScope scope(c, base + ".value");
        auto rdata = dns::rdata_from_text(r.type, value_text);
        if (!rdata) {
            c.fail("expected " + std::string(record_type_name(r.type)) + " data (got " +
                   quote_text(value_text) + ": " + rdata.error().message + ")");
            ok = false;
        } else {
            r.rdata = std::move(*rdata);
        }
    }
    bool has_ttl = v.contains("ttl");
    if (has_ttl) {
        KeyScope scope(c, base + ".ttl");
        uint32_t ttl = 0;
        size_t before = c.errors.size();
        set_ttl(v.at("ttl"), c, ttl);
        ok = ok && c.errors.size() == before;
        r.ttl = ttl;
    }
    if (!ok)
        return;
    r.text = r.name.to_text() + " " + std::string(record_type_name(r.type)) + " " + value_text;
    if (!has_ttl)
        c.records_without_ttl.push_back(c.settings.records.size());
    c.settings.records.push_back(std::move(r));
}

bool parse_recursor_list(const Json& v, Loading& c, std::vector<Recursor>& out) {
    if (!v.is_array()) {
        c.expected("a list of recursor URIs", v);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        const Json& item = v[i];
        if (!item.is_string()) {
            c.expected("a recursor URI string", item);
            ok = false;
            continue;
        }
        auto r = parse_recursor(item.get<std::string>());
        if (!r) {
            c.fail(r.error().message);
            ok = false;
            continue;
        }
        out.push_back(std::move(*r));
    }
    return ok;
}

// A JSON integer that is not negative; parsed documents hold these as number_unsigned, values
// built in code may be number_integer.
bool as_uint(const Json& v, uint64_t& out) {
    if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
    }
    if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(v.get<int64_t>());
        return true;
    }
    return false;  // negative, fractional, or not a number
}

}  // namespace

void Loading::expected(std::string_view what, const Json& got) {
    errors.push_back(file + ": " + key + ": expected " + std::string(what) + " (got " +
                     describe(got) + ")");
}

void Loading::fail(std::string_view message) {
    errors.push_back(file + ": " + key + ": " + std::string(message));
}

std::span<const InterfaceAddr> Loading::host_interfaces() {
    if (!interfaces_loaded) {
        interfaces = system_interfaces();
        interfaces_loaded = true;
    }
    return interfaces;
}

std::string describe(const Json& value) {
    return describe_json(value);
}

void set_string(const Json& v, Loading& c, std::string& out) {
    get_string(v, c, "a string", out);
}

void set_nonempty_string(const Json& v, Loading& c, std::string& out) {
    std::string s;
    if (!get_string(v, c, "a non-empty string", s))
        return;
    if (s.empty())
        return c.expected("a non-empty string", v);
    out = std::move(s);
}

void set_dns_label(const Json& v, Loading& c, std::string& out) {
    constexpr std::string_view what = "a DNS label (1-63 letters, digits and '-')";
    std::string s;
    if (!get_string(v, c, what, s))
        return;
    auto ok_char = [](char ch) { return ascii::is_alnum(ch) || ch == '-'; };
    if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-' ||
        !std::all_of(s.begin(), s.end(), ok_char))
        return c.expected(what, v);
    out = std::move(s);
}

void set_name(const Json& v, Loading& c, dns::Name& out) {
    std::string s;
    if (!get_string(v, c, "a domain name", s))
        return;
    auto name = dns::Name::from_text(s);
    if (s.empty() || !name)
        return c.expected("a domain name", v);
    out = *name;
}

void set_optional_name(const Json& v, Loading& c, std::optional<dns::Name>& out) {
    dns::Name name;
    size_t before = c.errors.size();
    set_name(v, c, name);
    if (c.errors.size() == before)
        out = name;
}

void set_bool(const Json& v, Loading& c, bool& out) {
    if (!v.is_boolean())
        return c.expected("true or false", v);
    out = v.get<bool>();
}

namespace {

// A secret's text from a file: white space around it dropped; a file others may read warned
// about. Errors name the file, never its content.
bool read_secret(const std::string& path, Loading& c, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    struct stat st {};
    if (!in || ::stat(path.c_str(), &st) != 0) {
        c.fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
        return false;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto first = text.find_first_not_of(" \t\r\n");
    auto last = text.find_last_not_of(" \t\r\n");
    out = first == std::string::npos ? "" : text.substr(first, last - first + 1);
    if ((st.st_mode & 077) != 0)
        c.settings.warnings.push_back(c.file + ": " + c.key + ": " + path +
                                      " holds a secret and other users may read it (chmod "
                                      "600 it)");
    return true;
}

void use_cluster_key(std::string_view text, Loading& c, const std::string& where) {
    const std::string this_key = c.key == "encrypt_file" ? "encrypt_file" : "encrypt";
    if (!c.cluster_key_from.empty() && c.cluster_key_from != this_key) {
        c.fail("expected one of encrypt and encrypt_file, not both");
        return;
    }
    c.cluster_key_from = this_key;
    auto key = decode_cluster_key(text);
    if (!key) {
        c.fail(where + key.error().message);
        return;
    }
    c.settings.encrypt_key = std::move(key).value();
}

}  // namespace

void set_cluster_key(const Json& v, Loading& c) {
    if (!v.is_string()) {
        c.fail("expected a string: the base64 of 32 random bytes, as muster keygen prints");
        return;
    }
    if (v.get_ref<const std::string&>().empty())
        return;  // "" is no key, as in Consul
    use_cluster_key(v.get_ref<const std::string&>(), c, "");
}

void set_cluster_key_file(const Json& v, Loading& c) {
    std::string path;
    if (!get_string(v, c, "a file name", path) || path.empty())
        return;
    std::string text;
    if (read_secret(path, c, text))
        use_cluster_key(text, c, "the key in " + quote_text(path) + ": ");
}

void cluster_key_from_credentials(Loading& c) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0')
        return;
    std::string path = std::string(dir) + "/encrypt";
    if (::access(path.c_str(), F_OK) != 0)
        return;
    c.file = "systemd credential";
    c.key = "encrypt";
    std::string text;
    // An empty credential is no key (the sample unit's SetCredential=encrypt: fallback).
    if (read_secret(path, c, text) && !text.empty())
        use_cluster_key(text, c, "the key in " + quote_text(path) + ": ");
}

bool get_uint(const Json& v, Loading& c, uint64_t min, uint64_t max, uint64_t& out) {
    std::string what;
    if (min == 0 && max == std::numeric_limits<uint64_t>::max())
        what = "a non-negative integer";
    else if (min == 1 && max == std::numeric_limits<uint64_t>::max())
        what = "a positive integer";
    else
        what = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    uint64_t x = 0;
    if (!as_uint(v, x) || x < min || x > max) {
        c.expected(what, v);
        return false;
    }
    out = x;
    return true;
}

void set_port(const Json& v, Loading& c, uint16_t& out) {
    uint64_t x = 0;
    if (!as_uint(v, x) || x < 1 || x > 65535)
        return c.expected("a port number from 1 to 65535", v);
    out = static_cast<uint16_t>(x);
}

bool get_duration(const Json& v, Loading& c, std::chrono::nanoseconds& out) {
    constexpr std::string_view what = "a duration like \"10s\", \"1m30s\" or \"500ms\"";
    if (uint64_t secs = 0; as_uint(v, secs)) {
        // A bare integer means seconds, as Consul reads it.
        if (secs > static_cast<uint64_t>(
                       std::chrono::duration_cast<std::chrono::seconds>(max_duration).count())) {
            c.expected(what, v);
            return false;
        }
        out = std::chrono::seconds(secs);
        return true;
    }
    if (!v.is_string()) {
        c.expected(what, v);
        return false;
    }
    auto d = parse_duration(v.get<std::string>());
    if (!d) {
        c.fail(d.error().message);
        return false;
    }
    out = *d;
    return true;
}

void set_duration_ms(const Json& v, Loading& c, std::chrono::milliseconds& out) {
    std::chrono::nanoseconds d{};
    if (!get_duration(v, c, d))
        return;
    if (d % std::chrono::milliseconds(1) != std::chrono::nanoseconds(0))
        return c.expected("a duration in whole milliseconds", v);
    out = std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

void set_duration_s(const Json& v, Loading& c, std::chrono::seconds& out) {
    std::chrono::nanoseconds d{};
    if (!get_duration(v, c, d))
        return;
    if (d % std::chrono::seconds(1) != std::chrono::nanoseconds(0))
        return c.expected("a duration in whole seconds", v);
    out = std::chrono::duration_cast<std::chrono::seconds>(d);
}

void set_ttl(const Json& v, Loading& c, uint32_t& out) {
    std::chrono::seconds s{};
    size_t before = c.errors.size();
    set_duration_s(v, c, s);
    if (c.errors.size() != before)
        return;
    // RFC 2181 §8: TTLs are 31-bit.
    if (s.count() > std::numeric_limits<int32_t>::max())
        return c.expected("a TTL of at most 2147483647 seconds", v);
    out = static_cast<uint32_t>(s.count());
}

void set_ttl(const Json& v, Loading& c, std::chrono::seconds& out) {
    uint32_t seconds = 0;
    size_t before = c.errors.size();
    set_ttl(v, c, seconds);
    if (c.errors.size() == before)
        out = std::chrono::seconds(seconds);
}

void set_optional_path(const Json& v, Loading& c, std::string& out) {
    if (v.is_string() && v.get_ref<const std::string&>().empty()) {
        out.clear();
        return;
    }
    set_path(v, c, out);
}

void set_secret_path(const Json& v, Loading& c, std::string& out) {
    set_optional_path(v, c, out);
    struct stat st {};
    if (!out.empty() && ::stat(out.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        c.settings.warnings.push_back(c.file + ": " + c.key + ": " + out +
                                      " holds a secret and other users may read it (chmod "
                                      "600 it)");
}

void set_https_port(const Json& v, Loading& c) {
    if (v.is_number_integer() && (v.get<int64_t>() == -1 || v.get<int64_t>() == 0)) {
        c.settings.https_port = 0;
        return;
    }
    set_port(v, c, c.settings.https_port);
}

void tls_key_from_credentials(Loading& c) {
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0' || !c.settings.agent_tls.key_file.empty())
        return;
    std::string path = std::string(dir) + "/key_file";
    if (::access(path.c_str(), R_OK) == 0)
        c.settings.agent_tls.key_file = path;
}

void set_path(const Json& v, Loading& c, std::string& out) {
    std::string path;
    if (!get_string(v, c, "a path to a readable file", path))
        return;
    if (path.empty())
        return c.expected("a path to a readable file", v);
    if (::access(path.c_str(), R_OK) != 0) {
        int err = errno;
        return c.fail("expected a readable file (got " + quote_text(path) + ": " +
                      std::strerror(err) + ")");
    }
    out = std::move(path);
}

void set_addresses(const Json& v, Loading& c, std::vector<SockAddr>& out) {
    std::string text;
    if (!get_string(v, c, "a space-separated list of IP addresses or templates", text))
        return;
    auto addrs = expand_addresses(text, c.host_interfaces());
    if (!addrs)
        return c.fail(addrs.error().message);
    out = std::move(*addrs);
}

void set_address(const Json& v, Loading& c, std::optional<SockAddr>& out) {
    std::string text;
    if (!get_string(v, c, "an IP address or template", text))
        return;
    if (text.empty()) {  // as in Consul: unset
        out.reset();
        return;
    }
    auto addrs = expand_addresses(text, c.host_interfaces());
    if (!addrs)
        return c.fail(addrs.error().message);
    if (addrs->size() != 1)
        return c.expected("exactly one IP address", v);
    if (addrs->front().is_unspecified())
        return c.expected("a specific IP address (others cannot reach this node at " +
                              addrs->front().ip_string() + ")",
                          v);
    out = addrs->front();
}

void set_cidrs(const Json& v, Loading& c, std::vector<Cidr>& out) {
    if (!v.is_array())
        return c.expected("a list of CIDR prefixes like \"10.0.0.0/8\"", v);
    std::vector<Cidr> cidrs;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        const Json& item = v[i];
        Result<Cidr> cidr = item.is_string() ? Cidr::parse(item.get<std::string>())
                                             : Result<Cidr>(make_error("not a string"));
        if (!cidr) {
            c.expected("a CIDR prefix like \"10.0.0.0/8\" or \"::1/128\"", item);
            ok = false;
            continue;
        }
        cidrs.push_back(*cidr);
    }
    if (ok)
        out = std::move(cidrs);
}

void append_recursors(const Json& v, Loading& c, std::vector<Recursor>& out) {
    std::vector<Recursor> parsed;
    if (parse_recursor_list(v, c, parsed))
        out.insert(out.end(), parsed.begin(), parsed.end());
}

void append_join_addresses(const Json& v, Loading& c, std::vector<std::string>& out) {
    if (!v.is_array())
        return c.expected("a list of server addresses", v);
    std::vector<std::string> parsed;
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        const Json& item = v[i];
        if (!item.is_string() || item.get<std::string>().empty()) {
            c.expected("an IPv4 address, a DNS name (each with an optional :port) or exec:COMMAND",
                       item);
            ok = false;
            continue;
        }
        std::string text = item.get<std::string>();
        if (text.starts_with("exec:")) {
            if (text.find_first_not_of(" \t", 5) == std::string::npos) {
                c.expected("exec: followed by a command whose output lists server addresses", item);
                ok = false;
                continue;
            }
            parsed.push_back(std::move(text));
            continue;
        }
        std::string host = text;
        if (auto colon = text.rfind(':'); colon != std::string::npos) {
            std::string port = text.substr(colon + 1);
            host = text.substr(0, colon);
            uint64_t n = 0;
            if (host.find(':') != std::string::npos || host.starts_with("[")) {
                c.expected("an IPv4 address or DNS name (the Raft transport takes IPv4 only)",
                           item);
                ok = false;
                continue;
            }
            if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
                port.size() > 5 || (n = std::stoull(port)) < 1 || n > 65535) {
                c.expected("host:port with a port from 1 to 65535", item);
                ok = false;
                continue;
            }
        }
        bool name_ok = !host.empty() && host.size() <= 253 &&
                       host.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyz"
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == std::string::npos;
        if (!name_ok) {
            c.expected("an IPv4 address, a DNS name (each with an optional :port) or exec:COMMAND",
                       item);
            ok = false;
            continue;
        }
        parsed.push_back(std::move(text));
    }
    if (ok)
        out.insert(out.end(), parsed.begin(), parsed.end());
}

void append_records(const Json& v, Loading& c) {
    if (!v.is_array())
        return c.expected("a list of records", v);
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        apply_record(v[i], c);
    }
}

void set_dns_listeners(const Json& v, Loading& c) {
    constexpr std::string_view what = "a listener {\"address\", \"port\", \"recursion\"}";
    if (!v.is_array())
        return c.expected("a list of listeners {\"address\", \"port\", \"recursion\"}", v);
    std::vector<DnsListener> listeners;
    for (size_t i = 0; i < v.size(); ++i) {
        const std::string base = indexed(c.key, i);
        KeyScope scope(c, base);
        const Json& entry = v[i];
        if (!entry.is_object()) {
            c.expected(what, entry);
            continue;
        }
        for (const auto& [k, field] : entry.items()) {
            if (k != "address" && k != "port" && k != "recursion")
                c.errors.push_back(c.file + ": " + base + "." + k +
                                   ": unknown key (listeners have address, port and recursion)");
        }
        uint16_t port = 0;  // ports.dns, filled in once every source is read
        bool recursion = true;
        std::vector<SockAddr> addrs;
        if (entry.contains("port")) {
            KeyScope field(c, base + ".port");
            set_port(entry.at("port"), c, port);
        }
        if (entry.contains("recursion")) {
            KeyScope field(c, base + ".recursion");
            set_bool(entry.at("recursion"), c, recursion);
        }
        {
            KeyScope field(c, base + ".address");
            if (!entry.contains("address"))
                c.fail("expected an IP address or template (got nothing: the key is required)");
            else
                set_addresses(entry.at("address"), c, addrs);
        }
        for (auto& a : addrs) {
            a.set_port(port);
            listeners.push_back({.addr = a, .recursion = recursion});
        }
    }
    if (v.empty())
        return c.expected("at least one listener", v);
    c.settings.dns.listeners = std::move(listeners);
}

void set_forward_zones(const Json& v, Loading& c) {
    if (!v.is_object())
        return c.expected("an object mapping zone names to lists of recursor URIs", v);
    const std::string base = c.key;
    auto& zones = c.settings.dns.forward_zones;
    for (const auto& [zone_text, list] : v.items()) {
        KeyScope scope(c, base + "." + zone_text);
        auto zone = dns::Name::from_text(zone_text);
        if (zone_text.empty() || !zone) {
            c.fail("expected a zone name as key (got " + quote_text(zone_text) + ")");
            continue;
        }
        ForwardZone fz{.zone = *zone, .recursors = {}};
        if (!parse_recursor_list(list, c, fz.recursors))
            continue;
        if (fz.recursors.empty()) {
            c.expected("at least one recursor URI", list);
            continue;
        }
        // Objects merge key by key: a zone named again by a later source replaces it.
        std::erase_if(zones, [&](const ForwardZone& z) { return z.zone.equals(fz.zone); });
        zones.push_back(std::move(fz));
    }
}

void append_service(const Json& v, Loading& c) {
    if (v.is_array())  // HCL: `service { }` given more than once
        return append_services(v, c);
    const std::string where = c.file + ": " + c.key;
    auto def = catalog::parse_service_definition(v, where);
    if (!def)
        return add_lines(c, def.error().message);
    c.settings.services.push_back(std::move(*def));
    c.service_origins.push_back(where);
}

void append_services(const Json& v, Loading& c) {
    if (!v.is_array())
        return c.expected("a list of service definitions", v);
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        append_service(v[i], c);
    }
}

void append_check(const Json& v, Loading& c) {
    if (v.is_array())  // HCL: `check { }` given more than once
        return append_checks(v, c);
    const std::string where = c.file + ": " + c.key;
    auto def = catalog::parse_check_definition(v, where);
    if (!def)
        return add_lines(c, def.error().message);
    c.settings.checks.push_back(std::move(*def));
    c.check_origins.push_back(where);
}

void append_checks(const Json& v, Loading& c) {
    if (!v.is_array())
        return c.expected("a list of check definitions", v);
    for (size_t i = 0; i < v.size(); ++i) {
        KeyScope scope(c, indexed(c.key, i));
        append_check(v[i], c);
    }
}

void set_service_ttl(const Json& v, Loading& c) {
    if (!v.is_object())
        return c.expected("an object mapping service names, \"prefix*\" or \"*\" to durations", v);
    const std::string base = c.key;
    auto& entries = c.settings.dns.service_ttl;
    for (const auto& [pattern, ttl] : v.items()) {
        KeyScope scope(c, base + "." + pattern);
        auto star = pattern.find('*');
        if (pattern.empty() || (star != std::string::npos && star + 1 != pattern.size())) {
            c.fail("expected a service name, \"prefix*\" or \"*\" as key (got " +
                   quote_text(pattern) + ")");
            continue;
        }
        std::chrono::seconds seconds{0};
        size_t before = c.errors.size();
        set_ttl(ttl, c, seconds);
        if (c.errors.size() != before)
            continue;
        // Objects merge key by key: a pattern named again by a later source replaces it.
        // (p names the binding for the lambda: C++20 compilers may refuse capturing it.)
        auto same = std::find_if(entries.begin(), entries.end(),
                                 [&p = pattern](const ServiceTtl& e) { return e.pattern == p; });
        if (same != entries.end())
            same->ttl = seconds;
        else
            entries.push_back({.pattern = pattern, .ttl = seconds});
    }
}

void set_node_meta(const Json& v, Loading& c) {
    // Consul's limits (agent/structs ValidateNodeMetadata).
    constexpr size_t max_pairs = 64, max_key = 128, max_value = 512;
    if (!v.is_object())
        return c.expected("an object of string keys to string values", v);
    const std::string base = c.key;
    auto& meta = c.settings.node_meta;
    for (const auto& [key, value] : v.items()) {
        KeyScope scope(c, base + "." + key);
        auto key_char = [](char ch) { return ascii::is_alnum(ch) || ch == '_' || ch == '-'; };
        if (key.empty() || key.size() > max_key || !std::all_of(key.begin(), key.end(), key_char)) {
            c.fail("expected a key of 1-128 letters, digits, '_' and '-' (got " + quote_text(key) +
                   ")");
            continue;
        }
        if (key.starts_with("consul-")) {
            c.fail("the prefix \"consul-\" is reserved for Consul's own metadata");
            continue;
        }
        if (!value.is_string()) {
            c.expected("a string", value);
            continue;
        }
        auto text = value.get<std::string>();
        if (text.size() > max_value) {
            c.fail("expected a value of at most 512 characters (got " +
                   std::to_string(text.size()) + ")");
            continue;
        }
        meta[key] = std::move(text);  // a key given again by a later source replaces it
    }
    if (meta.size() > max_pairs) {
        c.fail("expected at most 64 pairs (got " + std::to_string(meta.size()) + ")");
    }
}

void note_primary_datacenter(const Json& v, Loading& c) {
    std::string dc;
    set_nonempty_string(v, c, dc);
    if (!dc.empty())
        c.primary_datacenters.emplace_back(c.file + ": " + c.key, std::move(dc));
}

void warn_if_false(const Json& v, Loading& c, std::string_view warning) {
    bool on = true;
    set_bool(v, c, on);
    if (!on)
        c.settings.warnings.push_back(c.file + ": " + c.key + ": " + std::string(warning));
}

namespace {

// false, "" or null, or an object or list of such all the way down.
bool asks_for_nothing(const Json& v, int depth = 0) {
    if (v.is_boolean())
        return !v.get<bool>();
    if (v.is_string())
        return v.get_ref<const std::string&>().empty();
    if (v.is_null())
        return true;
    if ((v.is_object() || v.is_array()) && depth < 8)
        return std::all_of(v.begin(), v.end(),
                           [&](const Json& x) { return asks_for_nothing(x, depth + 1); });
    return false;
}

}  // namespace

void use_consul_key(const ConsulKey& entry, const std::string& key, const Json& value, Loading& c) {
    if (entry.use == ConsulUse::only_off) {
        if (!asks_for_nothing(value))
            c.errors.push_back(c.file + ": " + key + ": not supported: " + std::string(entry.why));
        return;
    }
    c.settings.warnings.push_back(c.file + ": " + key +
                                  ": recognized Consul key, not used by muster (" +
                                  std::string(entry.why) + ")");
}

void check_definitions(Loading& c) {
    std::map<std::string, size_t> service_ids;
    const auto& services = c.settings.services;
    for (size_t i = 0; i < services.size(); ++i) {
        const std::string& id = services[i].service.id;
        auto [it, fresh] = service_ids.emplace(id, i);
        if (!fresh) {
            c.errors.push_back(c.service_origins[i] +
                               ".id: expected an ID no other service has (got " + quote_text(id) +
                               ", also the ID of " + c.service_origins[it->second] + ")");
        }
    }
    const bool scripts = c.settings.enable_local_script_checks || c.settings.enable_script_checks;
    auto check_runnable = [&](const catalog::CheckDefinition& check, const std::string& where) {
        if (check.kind == catalog::CheckKind::script && !scripts)
            c.errors.push_back(where + ": check " + quote_text(check.id) +
                               " is a script check: expected enable_local_script_checks (or "
                               "enable_script_checks) set to true to run it");
        if (auto r = checks::validate_probe(check); !r)
            c.errors.push_back(where + ": check " + quote_text(check.id) + ": " +
                               r.error().message);
    };
    std::map<std::string, std::string> check_ids;  // check ID -> where it was defined
    for (size_t i = 0; i < services.size(); ++i) {
        for (const auto& check : services[i].checks) {
            check_ids.emplace(check.id, c.service_origins[i]);
            check_runnable(check, c.service_origins[i]);
        }
    }
    const auto& checks = c.settings.checks;
    for (size_t i = 0; i < checks.size(); ++i) {
        const std::string& where = c.check_origins[i];
        check_runnable(checks[i], where);
        auto [it, fresh] = check_ids.emplace(checks[i].id, where);
        if (!fresh) {
            c.errors.push_back(where + ".id: expected an ID no other check has (got " +
                               quote_text(checks[i].id) + ", also a check of " + it->second + ")");
        }
        // Consul refuses a check for a service the agent does not have.
        if (!checks[i].service_id.empty() && service_ids.count(checks[i].service_id) == 0) {
            c.errors.push_back(where +
                               ".service_id: expected the ID of a service defined in the "
                               "configuration (got " +
                               quote_text(checks[i].service_id) + ")");
        }
    }
}

void set_log_level(const Json& v, Loading& c) {
    constexpr std::string_view what = "one of trace, debug, info, warn, error";
    if (!v.is_string())
        return c.expected(what, v);
    log::Level level{};
    if (!log::parse_level(v.get<std::string>(), level))
        return c.expected(what, v);
    c.settings.log_level = level;
}

void set_recursor_strategy(const Json& v, Loading& c) {
    constexpr std::string_view what = "one of sequential, random, fastest";
    if (!v.is_string())
        return c.expected(what, v);
    const auto s = v.get<std::string>();
    if (s == "sequential")
        c.settings.dns.recursor_strategy = RecursorStrategy::sequential;
    else if (s == "random")
        c.settings.dns.recursor_strategy = RecursorStrategy::random;
    else if (s == "fastest")
        c.settings.dns.recursor_strategy = RecursorStrategy::fastest;
    else
        c.expected(what, v);
}

}  // namespace muster::config::internal
