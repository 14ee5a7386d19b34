// The one table of configuration options: key, kind, default, doc, example and how each is applied.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace muster::config {

namespace internal {
struct Loading;
}

// What a value looks like; decides the type check, the man-page type and command-line parsing.
enum class Kind {
    object,         // nested options (the table has an entry for each child)
    string,         // any string
    name,           // a domain name
    enumeration,    // one of a fixed set of words
    boolean,        // true or false
    uint,           // non-negative integer, with a range
    port,           // 1..65535
    duration,       // "500ms", "10s", "1m30s"; a bare integer means seconds
    path,           // a file that must exist and be readable at load time
    address,        // one IP literal or template, not 0.0.0.0 / ::
    address_list,   // space-separated IP literals and {{ GetInterfaceIP "x" }} / {{ GetPrivateIP }}
    cidr_list,      // list of CIDR prefixes
    recursor_list,  // list of recursor URIs
    join_list,      // list of server addresses: IPv4[:port], DNS name[:port], exec:COMMAND
    record_list,    // list of {name, type, value, ttl} objects
    listener_list,  // list of {address, port, recursion} objects
    forward_zones,  // object: zone name -> list of recursor URIs
    service,        // one Consul service definition object
    service_list,   // list of Consul service definition objects
    check,          // one Consul check definition object
    check_list,     // list of Consul check definition objects
    ttl_map,        // object: service name, "prefix*" or "*" -> duration
    string_map,     // object: string -> string
};

// How values from several sources combine.
enum class Merge {
    replace,  // the last source wins (scalars, and lists that are not "append")
    append,   // lists that accumulate over all sources (records, recursors, services)
};

using ApplyFn = void (*)(const nlohmann::json& value, internal::Loading& loading);

struct OptionDef {
    std::string_view key;  // full path, e.g. "dns_config.cache.size"
    Kind kind = Kind::string;
    std::string_view default_text;  // as shown in docs
    std::string_view doc;           // one or two sentences
    std::string_view example;       // a JSON value that is valid for this option ("" for objects)
    Merge merge = Merge::replace;
    ApplyFn apply = nullptr;  // checks the value and stores it; nullptr for objects
    // `muster agent` flags (without "--") that set this key, e.g. {"join", "retry-join"}. A
    // boolean flag takes no argument and means true; a repeated list flag appends.
    std::array<std::string_view, 2> flags{};
};

// A key of Consul's configuration that muster reads without using it: the agent starts with one
// warning naming it, so a Consul config drops in while a typo stays an error. A key covers its
// whole subtree ("connect" covers "connect.enabled").
enum class ConsulUse {
    ignored,   // any value: a warning
    only_off,  // false, "" or an object of such: accepted silently (it asks for nothing);
               // anything else is an error, since muster would not give what it asks for
};

struct ConsulKey {
    std::string_view key;
    std::string_view why;  // why muster does without it, for the warning, error and man page
    ConsulUse use = ConsulUse::ignored;
};

// Every recognized Consul key, in documentation order.
std::span<const ConsulKey> consul_key_table();
// The entry covering a full key path (the key itself or one of its parents), or nullptr.
const ConsulKey* find_consul_key(std::string_view key);

// Every option, parents before their children, in documentation order.
std::span<const OptionDef> option_table();
// The entry for a full key path, or nullptr.
const OptionDef* find_option(std::string_view key);
// The last component of a key path: "dns_config.cache.size" -> "size".
std::string_view leaf_name(std::string_view key);
// The key path of the parent object: "dns_config.cache.size" -> "dns_config.cache"; "" at top.
std::string_view parent_key(std::string_view key);
// The type as shown in docs: "integer", "duration", "list of recursor URIs", ...
std::string_view kind_name(Kind kind);
// The roff fragment (.TP entry) man/muster.json.5 carries for this option.
std::string man_entry(const OptionDef& def);
// ... and for a recognized Consul key.
std::string man_entry(const ConsulKey& key);

}  // namespace muster::config
