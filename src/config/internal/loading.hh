// State of one load while values are checked, and the typed setters the option table uses.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/internal/hcl.hh"
#include "config/internal/templates.hh"
#include "config/options.hh"
#include "config/settings.hh"

namespace muster::config::internal {

using Json = nlohmann::json;

struct Loading {
    Settings settings;
    std::string file;  // the source being applied ("command line" for overrides)
    std::string key;   // the key being applied, e.g. "recursors[2]"
    // While an HCL source is walked: its name and the line of each key, so that `file` becomes
    // "FILE:LINE" for each key and errors read "FILE:LINE: KEY: message".
    std::string hcl_source;
    const HclLines* hcl_lines = nullptr;
    std::vector<std::string> errors;
    std::map<std::string, std::string, std::less<>> last_file;  // option key -> source that set it
    std::vector<InterfaceAddr> interfaces;
    bool interfaces_loaded = false;

    // primary_datacenter / acl_datacenter as given, with "FILE: KEY" (checked in finish)
    std::vector<std::pair<std::string, std::string>> primary_datacenters;
    std::string cluster_key_from;             // "encrypt" or "encrypt_file": which one set the key
    std::vector<size_t> records_without_ttl;  // get dns_config.local_ttl at the end
    // Where each of settings.services / settings.checks was defined ("FILE: services[1]"), for
    // the checks across sources at the end.
    std::vector<std::string> service_origins;
    std::vector<std::string> check_origins;

    // "FILE: KEY: expected WHAT (got VALUE)".
    void expected(std::string_view what, const Json& got);
    // "FILE: KEY: message" where message already reads "expected ... (got ...)".
    void fail(std::string_view message);
    bool was_set(std::string_view key) const { return last_file.count(key) != 0; }
    std::span<const InterfaceAddr> host_interfaces();
};

// A short, single-line rendering of a value for error messages; never recursive.
std::string describe(const Json& value);

// Typed setters: check the value, report through Loading::expected, store on success.
void set_string(const Json& v, Loading& c, std::string& out);
void set_nonempty_string(const Json& v, Loading& c, std::string& out);
// One DNS label: 1-63 letters, digits and '-', not starting or ending with '-'.
void set_dns_label(const Json& v, Loading& c, std::string& out);
void set_name(const Json& v, Loading& c, dns::Name& out);
void set_optional_name(const Json& v, Loading& c, std::optional<dns::Name>& out);
void set_bool(const Json& v, Loading& c, bool& out);
// encrypt / encrypt_file: the cluster key, checked; errors never show the key.
void set_cluster_key(const Json& v, Loading& c);
// A readable file, or "" for none.
void set_optional_path(const Json& v, Loading& c, std::string& out);
// As set_optional_path, for a secret: a file others may read is warned about.
void set_secret_path(const Json& v, Loading& c, std::string& out);
// ports.https: a port, or 0 / -1 for none.
void set_https_port(const Json& v, Loading& c);
// The systemd credential key_file as tls.defaults.key_file when none is set (in finish).
void tls_key_from_credentials(Loading& c);
void set_cluster_key_file(const Json& v, Loading& c);
// The systemd credential "encrypt" when neither key is set (in finish).
void cluster_key_from_credentials(Loading& c);
// Integer in [min, max]; the message says which range.
bool get_uint(const Json& v, Loading& c, uint64_t min, uint64_t max, uint64_t& out);
template <class T>
void set_uint(const Json& v, Loading& c, T& out, uint64_t min, uint64_t max) {
    uint64_t x = 0;
    if (get_uint(v, c, min, max, x))
        out = static_cast<T>(x);
}
void set_port(const Json& v, Loading& c, uint16_t& out);
bool get_duration(const Json& v, Loading& c, std::chrono::nanoseconds& out);
void set_duration_ms(const Json& v, Loading& c, std::chrono::milliseconds& out);
void set_duration_s(const Json& v, Loading& c, std::chrono::seconds& out);
void set_ttl(const Json& v, Loading& c, uint32_t& out);
void set_ttl(const Json& v, Loading& c, std::chrono::seconds& out);
void set_path(const Json& v, Loading& c, std::string& out);
void set_addresses(const Json& v, Loading& c, std::vector<SockAddr>& out);
// Exactly one specific address (a template must give exactly one).
void set_address(const Json& v, Loading& c, std::optional<SockAddr>& out);
void set_cidrs(const Json& v, Loading& c, std::vector<Cidr>& out);
void append_recursors(const Json& v, Loading& c, std::vector<Recursor>& out);
// retry_join: IPv4[:port], a DNS name[:port] or exec:COMMAND (whose output lists addresses).
void append_join_addresses(const Json& v, Loading& c, std::vector<std::string>& out);
void append_records(const Json& v, Loading& c);
// dns_config.listeners: a list of {address, port, recursion}; port 0 = ports.dns (set later).
void set_dns_listeners(const Json& v, Loading& c);
void set_forward_zones(const Json& v, Loading& c);
void append_service(const Json& v, Loading& c);
void append_services(const Json& v, Loading& c);
void append_check(const Json& v, Loading& c);
void append_checks(const Json& v, Loading& c);
void set_service_ttl(const Json& v, Loading& c);
// node_meta, with Consul's limits (64 pairs, keys [A-Za-z0-9_-]{1,128} not "consul-"..., values
// of up to 512 characters).
void set_node_meta(const Json& v, Loading& c);
// primary_datacenter / acl_datacenter: must equal datacenter (checked in finish).
void note_primary_datacenter(const Json& v, Loading& c);
// A boolean whose true is what muster always does: false is accepted with `warning`.
void warn_if_false(const Json& v, Loading& c, std::string_view warning);
// A key of Consul's that muster does not use: one warning naming it, or for ConsulUse::only_off
// an error unless the value asks for nothing (see ConsulKey).
void use_consul_key(const ConsulKey& entry, const std::string& key, const Json& value, Loading& c);
// After every source: service IDs and check IDs are unique, and a standalone check's service_id
// names a defined service.
void check_definitions(Loading& c);
void set_log_level(const Json& v, Loading& c);
void set_recursor_strategy(const Json& v, Loading& c);

}  // namespace muster::config::internal
