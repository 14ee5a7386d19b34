// The option table: every configuration key with its kind, default, doc, example and setter.
#include "config/options.hh"

#include <limits>

#include "config/internal/loading.hh"

namespace muster::config {
namespace {

using internal::Json;
using internal::Loading;
constexpr uint64_t any_uint = std::numeric_limits<uint64_t>::max();

// Setters shared by an option and its Consul alias.
void set_snapshot_threshold(const Json& v, Loading& c) {
    set_uint(v, c, c.settings.raft_snapshot_threshold, 1, 1000000000);
}
void set_trailing_logs(const Json& v, Loading& c) {
    set_uint(v, c, c.settings.raft_trailing_logs, 0, 1000000000);
}

// Parents come before their children; the man page and the sample config follow this order.
const OptionDef options[] = {
    {.key = "node_name",
     .kind = Kind::string,
     .default_text = "the short host name (up to the first dot)",
     .doc = "Name of this node in the catalog; answers <node>.node.<domain>.",
     .example = R"("web-1")",
     .apply = [](const Json& v, Loading& c) { set_nonempty_string(v, c, c.settings.node_name); },
     .flags = {"node"}},
    {.key = "datacenter",
     .kind = Kind::string,
     .default_text = R"("dc1")",
     .doc = "Datacenter this node belongs to; optional label in catalog names.",
     .example = R"("dc1")",
     .apply = [](const Json& v, Loading& c) { set_nonempty_string(v, c, c.settings.datacenter); },
     .flags = {"datacenter"}},
    {.key = "primary_datacenter",
     .kind = Kind::string,
     .default_text = "datacenter",
     .doc = "Consul's primary datacenter. muster has one datacenter, so this must equal "
            "datacenter; acl_datacenter (Consul's older name) is an alias.",
     .example = R"("dc1")",
     .apply = [](const Json& v, Loading& c) { note_primary_datacenter(v, c); }},
    {.key = "acl_datacenter",
     .kind = Kind::string,
     .default_text = "datacenter",
     .doc = "Consul's older name for primary_datacenter.",
     .example = R"("dc1")",
     .apply = [](const Json& v, Loading& c) { note_primary_datacenter(v, c); }},
    {.key = "domain",
     .kind = Kind::name,
     .default_text = R"("internal.")",
     .doc = "Domain the catalog answers for; a trailing dot is optional.",
     .example = R"("internal.")",
     .apply = [](const Json& v, Loading& c) { set_name(v, c, c.settings.domain); },
     .flags = {"domain"}},
    {.key = "alt_domain",
     .kind = Kind::name,
     .default_text = R"("" (none))",
     .doc = "A second domain the catalog answers for exactly as for domain, e.g. while "
            "renaming the domain.",
     .example = R"("consul.")",
     .apply = [](const Json& v, Loading& c) { set_optional_name(v, c, c.settings.alt_domain); },
     .flags = {"alt-domain"}},
    {.key = "data_dir",
     .kind = Kind::string,
     .default_text = R"("" (with --dev: a fresh directory /tmp/muster-dev-XXXXXX))",
     .doc = "Directory for persistent state (the catalog replica).",
     .example = R"("/var/lib/muster")",
     .apply = [](const Json& v, Loading& c) { set_string(v, c, c.settings.data_dir); },
     .flags = {"data-dir"}},
    {.key = "pid_file",
     .kind = Kind::string,
     .default_text = R"("" (none))",
     .doc = "File the agent writes its process ID to once it serves, and removes when it "
            "stops (Consul's pid_file; init scripts and monitoring read it).",
     .example = R"("/run/muster/muster.pid")",
     .apply = [](const Json& v, Loading& c) { set_string(v, c, c.settings.pid_file); },
     .flags = {"pid-file"}},
    {.key = "node_meta",
     .kind = Kind::string_map,
     .default_text = "{}",
     .doc = "Metadata of this node in the catalog (Consul's NodeMeta): shown by the API and "
            "answered as TXT records \"key=value\" on <node>.node.<domain> (RFC 1464); a key "
            "prefixed \"rfc1035-\" gives the value alone. At most 64 pairs; keys of letters, "
            "digits, '_' and '-' up to 128 characters, not starting with \"consul-\"; values up "
            "to 512 characters.",
     .example = R"({"rack": "r12", "rfc1035-owner": "team-dns"})",
     .apply = [](const Json& v, Loading& c) { set_node_meta(v, c); }},
    {.key = "log_level",
     .kind = Kind::enumeration,
     .default_text = R"("info" ("debug" with --dev))",
     .doc = "Least severe level logged: trace, debug, info, warn or error.",
     .example = R"("info")",
     .apply = [](const Json& v, Loading& c) { set_log_level(v, c); },
     .flags = {"log-level"}},
    {.key = "client_addr",
     .kind = Kind::address_list,
     .default_text = R"("127.0.0.1")",
     .doc = "Addresses the client interfaces (DNS, HTTP) listen on unless addresses says "
            "otherwise.",
     .example = R"("127.0.0.1 ::1")",
     .apply = [](const Json& v, Loading& c) { set_addresses(v, c, c.settings.client_addr); },
     .flags = {"client"}},
    {.key = "bind_addr",
     .kind = Kind::address_list,
     .default_text = R"("0.0.0.0")",
     .doc = "Addresses for cluster traffic between agents and servers; {{ GetPrivateIP }} picks "
            "the first private IPv4 address.",
     .example = R"("10.0.0.5")",
     .apply = [](const Json& v, Loading& c) { set_addresses(v, c, c.settings.bind_addr); },
     .flags = {"bind"}},
    {.key = "advertise_addr",
     .kind = Kind::address,
     .default_text = R"("")",
     .doc = "The address other agents and the catalog see for this node (its Raft and RPC "
            "address on servers, the Address of its catalog node, its .node. DNS answer); "
            "bind_addr stays where it listens. Unset or \"\": the first specific bind_addr, else "
            "the first private IPv4 address (127.0.0.1 with --dev).",
     .example = R"("203.0.113.7")",
     .apply = [](const Json& v, Loading& c) { set_address(v, c, c.settings.advertise_addr); },
     .flags = {"advertise"}},
    {.key = "addresses",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Per-interface listen addresses overriding client_addr.",
     .example = R"({"dns": "127.0.0.1", "http": "127.0.0.1"})"},
    {.key = "addresses.dns",
     .kind = Kind::address_list,
     .default_text = "client_addr",
     .doc = "Addresses the DNS server listens on (UDP and TCP), at ports.dns.",
     .example = R"("{{ GetInterfaceIP \"lo\" }} ::1")",
     .apply = [](const Json& v, Loading& c) { set_addresses(v, c, c.settings.dns_addr); }},
    {.key = "addresses.http",
     .kind = Kind::address_list,
     .default_text = "client_addr",
     .doc = "Addresses the HTTP API listens on, at ports.http.",
     .example = R"("127.0.0.1")",
     .apply = [](const Json& v, Loading& c) { set_addresses(v, c, c.settings.http_addr); }},
    {.key = "addresses.https",
     .kind = Kind::address_list,
     .default_text = "client_addr",
     .doc = "Addresses the HTTPS API listens on, at ports.https.",
     .example = R"("127.0.0.1")",
     .apply = [](const Json& v, Loading& c) { set_addresses(v, c, c.settings.https_addr); }},
    {.key = "ports",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Port numbers of the listeners.",
     .example = R"({"dns": 8600, "http": 8500, "server": 8300})"},
    {.key = "ports.dns",
     .kind = Kind::port,
     .default_text = "8600",
     .doc = "DNS port (UDP and TCP); use 53 to serve /etc/resolv.conf directly.",
     .example = "53",
     .apply = [](const Json& v, Loading& c) { set_port(v, c, c.settings.dns_port); },
     .flags = {"dns-port"}},
    {.key = "ports.http",
     .kind = Kind::port,
     .default_text = "8500",
     .doc = "HTTP API port.",
     .example = "8500",
     .apply = [](const Json& v, Loading& c) { set_port(v, c, c.settings.http_port); },
     .flags = {"http-port"}},
    {.key = "ports.https",
     .kind = Kind::uint,
     .default_text = "0 (no HTTPS listener)",
     .doc = "Port of the HTTP API over TLS, with tls.defaults' cert_file and key_file (Consul "
            "uses 8501); tls.defaults.verify_incoming asks clients for a certificate there. 0 "
            "(or Consul's -1) is off.",
     .example = "8501",
     .apply = [](const Json& v, Loading& c) { set_https_port(v, c); }},
    {.key = "ports.server",
     .kind = Kind::port,
     .default_text = "8300",
     .doc = "Server RPC and Raft port.",
     .example = "8300",
     .apply = [](const Json& v, Loading& c) { set_port(v, c, c.settings.server_port); },
     .flags = {"server-port"}},
    {.key = "server",
     .kind = Kind::boolean,
     .default_text = "false (true with --dev)",
     .doc =
         "Run as a server: every catalog write goes through a Raft log (libraft) kept in "
         "data_dir/raft and is applied to the catalog from it, so the catalog is rebuilt from "
         "the log if it is lost. Needs bootstrap, bootstrap_expect or retry_join the first time.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.server); },
     .flags = {"server"}},
    {.key = "server_service_name",
     .kind = Kind::string,
     .default_text = R"("consul")",
     .doc = "The service each server registers for itself at its server port, so that "
            "<name>.service.<domain> lists the servers. \"consul\", as in Consul, because "
            "tools look the servers up by that name; a DNS label (letters, digits, '-').",
     .example = R"("consul")",
     .apply = [](const Json& v,
                 Loading& c) { set_dns_label(v, c, c.settings.server_service_name); }},
    {.key = "bootstrap",
     .kind = Kind::boolean,
     .default_text = "false (true with --dev)",
     .doc = "Make this server a cluster of one on its first start (Consul's -bootstrap). "
            "Ignored once data_dir holds Raft state.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.bootstrap); },
     .flags = {"bootstrap"}},
    {.key = "bootstrap_expect",
     .kind = Kind::uint,
     .default_text = "0 (do not bootstrap)",
     .doc = "Number of servers to wait for before bootstrapping a cluster: the servers find "
            "each other through retry_join and, once this many without Raft state know each "
            "other, all bootstrap with the same voters, exactly once. A server that finds an "
            "existing cluster joins it instead. 1 is the same as bootstrap. Only for servers; "
            "ignored once data_dir holds Raft state.",
     .example = "1",
     .apply = [](const Json& v, Loading& c) { set_uint(v, c, c.settings.bootstrap_expect, 0, 99); },
     .flags = {"bootstrap-expect"}},
    {.key = "retry_join",
     .kind = Kind::join_list,
     .default_text = "[]",
     .doc = "Servers to find the cluster through, tried again every retry_interval until this "
            "server is in a cluster (a client agent: until it reaches a server; with this set, "
            "an agent that is no server is a client agent with a replica of the cluster's "
            "catalog, without it a standalone agent): an IPv4 address or a DNS name (all its IPv4 "
            "addresses), "
            "each with an optional :port (default ports.server), or exec:COMMAND, run with "
            "/bin/sh, whose output lists such addresses separated by white space (cloud "
            "auto-join without cloud SDKs). Lists from several sources append.",
     .example =
         R"(["10.0.0.11", "servers.internal.example:8300", "exec:/usr/local/bin/list-servers"])",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_join_addresses(v, c, c.settings.retry_join); },
     .flags = {"join", "retry-join"}},
    {.key = "start_join",
     .kind = Kind::join_list,
     .default_text = "[]",
     .doc = "Consul's older name for retry_join, kept so existing configs load: its addresses "
            "are appended to retry_join and retried the same way.",
     .example = R"(["10.0.0.11"])",
     .merge = Merge::append,
     .apply = [](const Json& v,
                 Loading& c) { append_join_addresses(v, c, c.settings.retry_join); }},
    {.key = "retry_interval",
     .kind = Kind::duration,
     .default_text = R"("5s")",
     .doc = "How long a server waits between attempts to form or join a cluster, and a client "
            "agent between rounds that reached no server.",
     .example = R"("30s")",
     .apply = [](const Json& v, Loading& c) { set_duration_ms(v, c, c.settings.retry_interval); }},
    {.key = "retry_max",
     .kind = Kind::uint,
     .default_text = "0 (retry forever)",
     .doc = "How many rounds of retry_join a client agent tries before it gives up: it logs "
            "why and exits with status 1. A round tries every known server once.",
     .example = "10",
     .apply = [](const Json& v,
                 Loading& c) { set_uint(v, c, c.settings.retry_max, 0, 1'000'000); }},
    {.key = "reconnect_timeout",
     .kind = Kind::duration,
     .default_text = R"("72h")",
     .doc = "How long the leader keeps a failed node (its serfHealth check critical) in the "
            "catalog before it deregisters it, as Consul does. At least 8h, as in Consul; a "
            "smaller value is accepted only with --dev (and tests).",
     .example = R"("24h")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_ms(v, c, c.settings.reconnect_timeout); }},
    {.key = "leave_on_terminate",
     .kind = Kind::boolean,
     .default_text = "false on a server, true on a client agent (as Consul)",
     .doc = "On SIGTERM, leave the cluster for good (as muster leave) before stopping: a "
            "leader hands leadership over first, the server is removed from the Raft "
            "configuration and its node from the catalog; a client agent deregisters its node. "
            "Either is then listed by members as left. "
            "Otherwise a stopped server stays a voter and is expected back, and a stopped "
            "client's node turns failed.",
     .example = "true",
     .apply =
         [](const Json& v, Loading& c) {
             bool on = false;
             set_bool(v, c, on);
             c.settings.leave_on_terminate = on;
         }},
    {.key = "encrypt",
     .kind = Kind::string,
     .default_text = R"("" (no key: the server port is plaintext))",
     .doc = "The cluster key, as muster keygen (or consul keygen) prints it: base64 of 32 "
            "bytes (16 or 24 from older Consul versions). Every connection on the server port "
            "(Raft, RPC, client feeds, forwarded writes) then runs TLS 1.3 with a key derived "
            "from it, both ways; a peer without it gets nothing and is logged. Give every agent "
            "of the cluster the same key. A secret: rather set encrypt_file, or a systemd "
            "credential named encrypt ($CREDENTIALS_DIRECTORY/encrypt), which is read when "
            "neither is set.",
     .example = R"("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=")",
     .apply = [](const Json& v, Loading& c) { set_cluster_key(v, c); },
     .flags = {"encrypt"}},
    {.key = "encrypt_file",
     .kind = Kind::string,
     .default_text = R"("" (none))",
     .doc = "A file holding the cluster key (as encrypt; surrounding white space is ignored). "
            "A file that other users may read is warned about. Set at most one of encrypt and "
            "encrypt_file.",
     .example = R"("/etc/muster.d/encrypt.key")",
     .apply = [](const Json& v, Loading& c) { set_cluster_key_file(v, c); }},
    {.key = "encrypt_verify_incoming",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "With a cluster key: refuse peers that connect in plaintext. Off only while a "
            "running cluster switches to the key (as Consul): give every agent the key with "
            "both verify flags off, restart them one by one, then turn "
            "encrypt_verify_outgoing on everywhere, then this.",
     .example = "false",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.encrypt_verify_incoming); }},
    {.key = "encrypt_verify_outgoing",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "With a cluster key: dial the other agents with TLS. Off, this agent dials in "
            "plaintext (and still accepts TLS): the first step of a rolling switch.",
     .example = "false",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.encrypt_verify_outgoing); }},
    {.key = "raft",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Raft timing and log compaction of a server.",
     .example = R"({"election_timeout": "500ms"})"},
    {.key = "raft.election_timeout",
     .kind = Kind::duration,
     .default_text = R"("500ms")",
     .doc = "How long a follower waits without hearing from the leader before it starts an "
            "election (randomised between this and twice this); heartbeats go out every tenth "
            "of it.",
     .example = R"("1s")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_ms(v, c, c.settings.raft_election_timeout); }},
    {.key = "raft.snapshot_threshold",
     .kind = Kind::uint,
     .default_text = "16384",
     .doc = "Raft log entries between two snapshots of the catalog (Consul's "
            "raft_snapshot_threshold). A snapshot is a compacted copy of the catalog's LMDB "
            "file, taken on the Raft thread, which pauses for it (about 1 ms per 1,000 "
            "nodes with a service each, on a 2-core test machine): raise this to take them less "
            "often, at the price of a longer log.",
     .example = "32768",
     .apply = set_snapshot_threshold},
    {.key = "raft.trailing_logs",
     .kind = Kind::uint,
     .default_text = "10240",
     .doc = "Raft log entries kept behind a snapshot (Consul's raft_trailing_logs), so that a "
            "follower that fell behind by fewer catches up from the log instead of receiving "
            "the whole catalog.",
     .example = "20480",
     .apply = set_trailing_logs},
    {.key = "raft_snapshot_threshold",
     .kind = Kind::uint,
     .default_text = "16384",
     .doc = "Consul's name for raft.snapshot_threshold.",
     .example = "32768",
     .apply = set_snapshot_threshold},
    {.key = "raft_trailing_logs",
     .kind = Kind::uint,
     .default_text = "10240",
     .doc = "Consul's name for raft.trailing_logs.",
     .example = "20480",
     .apply = set_trailing_logs},
    {.key = "recursors",
     .kind = Kind::recursor_list,
     .default_text = "[] (nothing is forwarded)",
     .doc = "Upstream resolvers for names outside local data, tried per "
            "dns_config.recursor_strategy; lists from several sources append.",
     .example = R"(["tls://1.1.1.1#cloudflare-dns.com", "udp://10.0.0.2:53", "10.0.0.3"])",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_recursors(v, c, c.settings.recursors); },
     .flags = {"recursor"}},
    {.key = "tls",
     .kind = Kind::object,
     .default_text = "",
     .doc = "TLS settings: the trust for DNS-over-TLS upstreams (ca_file), and the agent's own "
            "mutual TLS (defaults, internal_rpc).",
     .example = R"({"ca_file": "/etc/ssl/certs/ca-certificates.crt"})"},
    {.key = "tls.ca_file",
     .kind = Kind::path,
     .default_text = R"("" (the system trust store))",
     .doc = "PEM bundle of CA certificates that upstream certificates must chain to; must be "
            "readable at load time.",
     .example = R"("/etc/ssl/certs/ca-certificates.crt")",
     .apply = [](const Json& v, Loading& c) { set_path(v, c, c.settings.tls_ca_file); }},
    {.key = "tls.defaults",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Mutual TLS of the agent (Consul's tls.defaults): the certificate it shows and the "
            "CA it trusts, on the server port and on ports.https. Consul's older top-level "
            "names (ca_file, cert_file, key_file, verify_incoming, verify_outgoing) are "
            "aliases. Certificates as muster tls ca create / tls cert create make them.",
     .example = R"({"ca_file": "/etc/muster.d/tls/internal-agent-ca.pem"})"},
    {.key = "tls.defaults.ca_file",
     .kind = Kind::string,
     .default_text = R"("" (none))",
     .doc = "PEM file of the CA that peer certificates must chain to (only it is trusted).",
     .example = R"("/etc/muster.d/tls/internal-agent-ca.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_optional_path(v, c, c.settings.agent_tls.ca_file); }},
    {.key = "tls.defaults.cert_file",
     .kind = Kind::string,
     .default_text = R"("" (none))",
     .doc = "PEM certificate this agent shows (with key_file).",
     .example = R"("/etc/muster.d/tls/dc1-server-internal-0.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_optional_path(v, c, c.settings.agent_tls.cert_file); }},
    {.key = "tls.defaults.key_file",
     .kind = Kind::string,
     .default_text = R"("" (none; or the systemd credential key_file))",
     .doc = "PEM private key of cert_file. A secret: a file others may read is warned about; "
            "when unset and a systemd credential named key_file exists "
            "($CREDENTIALS_DIRECTORY/key_file, LoadCredential=key_file:PATH), that is used.",
     .example = R"("/etc/muster.d/tls/dc1-server-internal-0-key.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_secret_path(v, c, c.settings.agent_tls.key_file); }},
    {.key = "tls.defaults.verify_incoming",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Require a certificate signed by ca_file from every peer that connects: on the "
            "server port and on ports.https.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_incoming); }},
    {.key = "tls.defaults.verify_outgoing",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Dial the other agents with TLS, showing cert_file and checking theirs against "
            "ca_file.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_outgoing); }},
    {.key = "tls.internal_rpc",
     .kind = Kind::object,
     .default_text = "",
     .doc = "TLS of the server port only (Consul's tls.internal_rpc).",
     .example = R"({"verify_server_hostname": true})"},
    {.key = "tls.internal_rpc.verify_server_hostname",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Only a certificate that names server.<datacenter>.<domain> may act as a server "
            "(vote, replicate, serve client feeds); a client certificate can join as a client "
            "and do nothing more. Implies verify_outgoing. Consul's top-level "
            "verify_server_hostname is an alias.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_server_hostname); }},
    {.key = "ca_file",
     .kind = Kind::string,
     .default_text = R"("")",
     .doc = "Consul's older name for tls.defaults.ca_file.",
     .example = R"("/etc/muster.d/tls/internal-agent-ca.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_optional_path(v, c, c.settings.agent_tls.ca_file); }},
    {.key = "cert_file",
     .kind = Kind::string,
     .default_text = R"("")",
     .doc = "Consul's older name for tls.defaults.cert_file.",
     .example = R"("/etc/muster.d/tls/dc1-server-internal-0.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_optional_path(v, c, c.settings.agent_tls.cert_file); }},
    {.key = "key_file",
     .kind = Kind::string,
     .default_text = R"("")",
     .doc = "Consul's older name for tls.defaults.key_file.",
     .example = R"("/etc/muster.d/tls/dc1-server-internal-0-key.pem")",
     .apply = [](const Json& v,
                 Loading& c) { set_secret_path(v, c, c.settings.agent_tls.key_file); }},
    {.key = "verify_incoming",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Consul's older name for tls.defaults.verify_incoming.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_incoming); }},
    {.key = "verify_outgoing",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Consul's older name for tls.defaults.verify_outgoing.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_outgoing); }},
    {.key = "verify_server_hostname",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Consul's older name for tls.internal_rpc.verify_server_hostname.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.agent_tls.verify_server_hostname); }},
    {.key = "ui_config",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Consul's web UI settings. muster's UI is built into the binary; of Consul's keys "
            "only enabled has a meaning, the others are recognized Consul keys (a warning each).",
     .example = R"({"enabled": true})"},
    {.key = "ui_config.enabled",
     .kind = Kind::boolean,
     .default_text = "false (true with --dev)",
     .doc = "Serve the web UI at /ui/ on the HTTP API (and HTTPS), and redirect GET / there: "
            "services and their instances with every check, nodes, members, and the DNS cache "
            "and upstreams, updated every two seconds. Off, /ui/ answers 404. The UI reads the "
            "same API anyone who reaches addresses.http can read.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.ui_enabled); },
     .flags = {"ui"}},
    {.key = "ui",
     .kind = Kind::boolean,
     .default_text = "false (true with --dev)",
     .doc = "Consul's deprecated name for ui_config.enabled.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.ui_enabled); }},
    {.key = "acl",
     .kind = Kind::object,
     .default_text = "",
     .doc = "Consul's ACL system. muster has no ACLs yet: enabled = false is accepted, true is "
            "an error; its other keys are recognized Consul keys (a warning each).",
     .example = R"({"enabled": false})"},
    {.key = "records",
     .kind = Kind::record_list,
     .default_text = "[]",
     .doc = "Local records answered authoritatively: name (absolute, trailing dot optional), "
            "type (A, AAAA, CNAME, PTR, SRV, TXT, MX), value as zone-file RDATA, optional ttl "
            "(default dns_config.local_ttl); lists from several sources append.",
     .example = R"([{"name": "db.example.", "type": "A", "value": "192.0.2.10", "ttl": 300}])",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_records(v, c); }},
    {.key = "hosts_file",
     .kind = Kind::path,
     .default_text = R"("" (none))",
     .doc = "A hosts(5) file whose names are answered like records, with dns_config.local_ttl; "
            "must be readable at load time.",
     .example = R"("/etc/hosts")",
     .apply = [](const Json& v, Loading& c) { set_path(v, c, c.settings.hosts_file); }},
    {.key = "service",
     .kind = Kind::service,
     .default_text = "none",
     .doc = "One Consul service definition registered on this node at start: id, name, tags, "
            "address, port, meta, weights, enable_tag_override, check, checks (snake_case or "
            "PascalCase keys); each source may add one.",
     .example = R"({"name": "web", "port": 80, "check": {"http": "http://127.0.0.1/health", )"
                R"("interval": "10s"}})",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_service(v, c); }},
    {.key = "services",
     .kind = Kind::service_list,
     .default_text = "[]",
     .doc = "Consul service definitions registered on this node at start, as for service; "
            "lists from several sources append.",
     .example = R"([{"name": "redis", "port": 6379, "check": {"tcp": "127.0.0.1:6379", )"
                R"("interval": "10s"}}])",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_services(v, c); }},
    {.key = "check",
     .kind = Kind::check,
     .default_text = "none",
     .doc = "One Consul check definition registered on this node at start: name (required), "
            "id, service_id, and one of args, http, tcp, ttl or alias_service (none: set only "
            "through the API); interval is required for args, http and tcp. Script checks (args) "
            "need enable_local_script_checks.",
     .example = R"({"name": "ssh", "tcp": "127.0.0.1:22", "interval": "30s"})",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_check(v, c); }},
    {.key = "checks",
     .kind = Kind::check_list,
     .default_text = "[]",
     .doc = "Consul check definitions registered on this node at start, as for check; lists "
            "from several sources append.",
     .example = R"([{"name": "backup", "ttl": "26h"}])",
     .merge = Merge::append,
     .apply = [](const Json& v, Loading& c) { append_checks(v, c); }},
    {.key = "enable_local_script_checks",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Run script checks (args) defined in configuration files. Without it (or "
            "enable_script_checks) a config file with a script check is an error.",
     .example = "true",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.enable_local_script_checks); }},
    {.key = "enable_script_checks",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Run script checks from configuration files and from the HTTP API "
            "(/v1/agent/check/register, /v1/agent/service/register). Off by default: anyone "
            "who can reach the API could run commands as the agent.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.enable_script_checks); }},
    {.key = "check_update_interval",
     .kind = Kind::duration,
     .default_text = R"("5m")",
     .doc = "How often a check whose status stays the same may write a new output to the "
            "catalog; a status change is written at once.",
     .example = R"("30s")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_ms(v, c, c.settings.check_update_interval); }},
    {.key = "dns_config",
     .kind = Kind::object,
     .default_text = "",
     .doc = "DNS server, forwarding and cache behaviour.",
     .example = R"({"allow_recursion": ["127.0.0.0/8"]})"},
    {.key = "dns_config.workers",
     .kind = Kind::uint,
     .default_text = "0 (one per core)",
     .doc = "Number of DNS worker threads, each with its own SO_REUSEPORT sockets.",
     .example = "2",
     .apply = [](const Json& v, Loading& c) { set_uint(v, c, c.settings.dns.workers, 0, 1024); }},
    {.key = "dns_config.allow_recursion",
     .kind = Kind::cidr_list,
     .default_text = R"(["127.0.0.0/8", "::1/128"])",
     .doc = "Client networks allowed to get forwarded or cached answers; others get REFUSED "
            "for names outside local data. A later source replaces the list.",
     .example = R"(["127.0.0.0/8", "::1/128", "10.0.0.0/8"])",
     .apply = [](const Json& v, Loading& c) { set_cidrs(v, c, c.settings.dns.allow_recursion); }},
    {.key = "dns_config.listeners",
     .kind = Kind::listener_list,
     .default_text = "addresses.dns at ports.dns, with recursion",
     .doc = "DNS listeners, each with its own policy; replaces addresses.dns. address: IP "
            "addresses or templates; port: default ports.dns; recursion: default true (the full "
            "stub, still limited by allow_recursion); false answers only the names muster owns "
            "(catalog, records, hosts_file) and REFUSED for the rest, whatever the client: the "
            "port other DNS servers forward the domain to. A later source replaces the list.",
     .example = R"([{"address": "127.0.0.1", "port": 53}, )"
                R"({"address": "10.0.0.5", "port": 8600, "recursion": false}])",
     .apply = [](const Json& v, Loading& c) { set_dns_listeners(v, c); }},
    {.key = "dns_config.recursor_timeout",
     .kind = Kind::duration,
     .default_text = R"("2s")",
     .doc = "How long to wait for one upstream before trying the next.",
     .example = R"("1500ms")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_ms(v, c, c.settings.dns.recursor_timeout); }},
    {.key = "dns_config.recursor_strategy",
     .kind = Kind::enumeration,
     .default_text = R"("sequential")",
     .doc = "Order in which recursors are tried: sequential (in order given), random, or "
            "fastest (lowest smoothed round-trip time first).",
     .example = R"("fastest")",
     .apply = [](const Json& v, Loading& c) { set_recursor_strategy(v, c); }},
    {.key = "dns_config.forward_zones",
     .kind = Kind::forward_zones,
     .default_text = "{}",
     .doc = "Zones forwarded to their own recursors instead of the global list; a zone named "
            "again by a later source replaces the earlier entry.",
     .example = R"({"corp.example.": ["10.0.0.53", "tls://10.0.0.54#ns.corp.example"]})",
     .apply = [](const Json& v, Loading& c) { set_forward_zones(v, c); }},
    {.key = "dns_config.cache",
     .kind = Kind::object,
     .default_text = "",
     .doc = "The answer cache for forwarded names.",
     .example = R"({"size": 10000})"},
    {.key = "dns_config.cache.size",
     .kind = Kind::uint,
     .default_text = "10000",
     .doc = "Maximum number of cached answers.",
     .example = "100000",
     .apply = [](const Json& v,
                 Loading& c) { set_uint(v, c, c.settings.dns.cache.size, 1, any_uint); }},
    {.key = "dns_config.cache.min_ttl",
     .kind = Kind::duration,
     .default_text = R"("0s")",
     .doc = "Answers are cached at least this long, whatever their TTL.",
     .example = R"("5s")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_s(v, c, c.settings.dns.cache.min_ttl); }},
    {.key = "dns_config.cache.max_ttl",
     .kind = Kind::duration,
     .default_text = R"("86400s")",
     .doc = "Answers are cached at most this long, whatever their TTL.",
     .example = R"("1h")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_s(v, c, c.settings.dns.cache.max_ttl); }},
    {.key = "dns_config.cache.negative_max_ttl",
     .kind = Kind::duration,
     .default_text = R"("3600s")",
     .doc = "Upper bound for caching NXDOMAIN and NODATA answers (RFC 2308).",
     .example = R"("5m")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_s(v, c, c.settings.dns.cache.negative_max_ttl); }},
    {.key = "dns_config.cache.serve_stale",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Answer from expired entries when every upstream fails (RFC 8767).",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.dns.cache.serve_stale); }},
    {.key = "dns_config.cache.stale_max_age",
     .kind = Kind::duration,
     .default_text = R"("86400s")",
     .doc = "How long past expiry an entry may still be served stale.",
     .example = R"("1h")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_s(v, c, c.settings.dns.cache.stale_max_age); }},
    {.key = "dns_config.cache.prefetch",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Refresh popular entries shortly before they expire.",
     .example = "false",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.dns.cache.prefetch); }},
    {.key = "dns_config.tcp_idle_timeout",
     .kind = Kind::duration,
     .default_text = R"("10s")",
     .doc = "Idle DNS-over-TCP client connections are closed after this long.",
     .example = R"("30s")",
     .apply = [](const Json& v,
                 Loading& c) { set_duration_ms(v, c, c.settings.dns.tcp_idle_timeout); }},
    {.key = "dns_config.tcp_max_connections",
     .kind = Kind::uint,
     .default_text = "1024",
     .doc = "Most simultaneous DNS-over-TCP client connections per worker.",
     .example = "4096",
     .apply = [](const Json& v,
                 Loading& c) { set_uint(v, c, c.settings.dns.tcp_max_connections, 1, 1000000); }},
    {.key = "dns_config.edns_udp_size",
     .kind = Kind::uint,
     .default_text = "1232",
     .doc = "Largest UDP answer sent to EDNS clients; larger answers are truncated (TC). "
            "UDP answers are never fragmented (RFC 9715): above the interface's MTU, TC too.",
     .example = "1232",
     .apply = [](const Json& v,
                 Loading& c) { set_uint(v, c, c.settings.dns.edns_udp_size, 512, 4096); }},
    {.key = "dns_config.local_ttl",
     .kind = Kind::duration,
     .default_text = R"("0s")",
     .doc = "TTL of records without their own ttl and of hosts_file names.",
     .example = R"("30s")",
     .apply = [](const Json& v, Loading& c) { set_ttl(v, c, c.settings.dns.local_ttl); }},
    {.key = "dns_config.node_ttl",
     .kind = Kind::duration,
     .default_text = R"("0s")",
     .doc = "TTL of node answers (<node>.node.<domain>, addr and node PTR names).",
     .example = R"("30s")",
     .apply = [](const Json& v, Loading& c) { set_ttl(v, c, c.settings.dns.node_ttl); }},
    {.key = "dns_config.service_ttl",
     .kind = Kind::ttl_map,
     .default_text = "{} (TTL 0)",
     .doc = "TTL of service answers by service name: an exact name wins, then the longest "
            "\"prefix*\", then \"*\"; a name given again by a later source replaces the "
            "earlier entry.",
     .example = R"({"*": "5s", "web": "30s", "db-*": "0s"})",
     .apply = [](const Json& v, Loading& c) { set_service_ttl(v, c); }},
    {.key = "dns_config.only_passing",
     .kind = Kind::boolean,
     .default_text = "false",
     .doc = "Leave out service instances with a warning check too, not only critical ones.",
     .example = "true",
     .apply = [](const Json& v, Loading& c) { set_bool(v, c, c.settings.dns.only_passing); }},
    {.key = "dns_config.enable_additional_node_meta_txt",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Add a node's node_meta as TXT records to the additional section of its A and AAAA "
            "answers, as Consul does (a TXT query answers them either way).",
     .example = "false",
     .apply =
         [](const Json& v, Loading& c) {
             set_bool(v, c, c.settings.dns.additional_node_meta_txt);
         }},
    {.key = "dns_config.max_stale",
     .kind = Kind::duration,
     .default_text = R"("0s" (no limit))",
     .doc = "On a client agent: once no server has been heard from for this long, catalog "
            "answers (still served from the local replica) carry EDE 3 (Stale Answer) for "
            "clients that send EDNS. 0: never.",
     .example = R"("10s")",
     .apply = [](const Json& v, Loading& c) { set_duration_ms(v, c, c.settings.dns.max_stale); }},
    {.key = "dns_config.allow_stale",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Consul's: answer DNS from any server. muster always answers from the agent's "
            "own replica (dns_config.max_stale bounds how old); false gets a warning saying "
            "so.",
     .example = "true",
     .apply =
         [](const Json& v, Loading& c) {
             warn_if_false(v, c,
                           "muster always answers DNS from the agent's own replica; use "
                           "dns_config.max_stale to bound how stale");
         }},
    {.key = "dns_config.enable_truncate",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Consul's: set TC on UDP answers that were cut. muster always does (RFC 1035); "
            "false gets a warning saying so.",
     .example = "true",
     .apply =
         [](const Json& v, Loading& c) {
             warn_if_false(v, c, "muster always sets TC when an answer does not fit over UDP");
         }},
    {.key = "dns_config.a_record_limit",
     .kind = Kind::uint,
     .default_text = "0 (no limit)",
     .doc = "Most A and AAAA records in one catalog answer; the instances are shuffled first.",
     .example = "3",
     .apply = [](const Json& v,
                 Loading& c) { set_uint(v, c, c.settings.dns.a_record_limit, 0, 65535); }},
    {.key = "dns_config.forward_unknown_in_domain",
     .kind = Kind::boolean,
     .default_text = "true",
     .doc = "Forward names inside domain (and alt_domain) that are not catalog names upstream "
            "instead of answering NXDOMAIN.",
     .example = "false",
     .apply = [](const Json& v,
                 Loading& c) { set_bool(v, c, c.settings.dns.forward_unknown_in_domain); }},
};

// roff: a backslash is \e, a hyphen that is not a line break point is \-.
std::string roff_escape(std::string_view text) {
    std::string out;
    for (char ch : text) {
        if (ch == '\\')
            out += "\\e";
        else if (ch == '-')
            out += "\\-";
        else
            out += ch;
    }
    if (!out.empty() && (out.front() == '.' || out.front() == '\''))
        out.insert(0, "\\&");
    return out;
}

// Consul's keys that muster reads without using (see ConsulKey). Keys with a meaning in muster
// are options above (start_join, primary_datacenter, dns_config.allow_stale, ...).
constexpr std::string_view no_gossip =
    "muster has no Serf gossip: members are tracked over the server port";
constexpr std::string_view no_wan = "muster has one datacenter and no WAN federation";
constexpr std::string_view no_mesh = "muster has no service mesh (Connect) and no gRPC/xDS";
constexpr std::string_view no_acl = "muster has no ACLs yet";
constexpr std::string_view log_stderr = "muster logs to stderr (the journal under systemd)";
constexpr std::string_view ui_built_in =
    "muster's web UI is built into the binary: ui_config.enabled turns it on";
constexpr std::string_view no_metrics =
    "muster's metrics are always on (GET /metrics, /v1/agent/metrics?format=prometheus); no "
    "sink, retention or prefix to set";
constexpr std::string_view fixed_tls =
    "muster's TLS versions and ciphers are fixed (TLS 1.3 between agents, 1.2 or later on HTTPS)";
constexpr std::string_view enterprise = "a Consul Enterprise or HCP feature";
constexpr std::string_view not_tunable = "not tunable in muster";

constexpr std::string_view tls_defaults =
    "muster uses the files and checks of tls.defaults (or the top-level ca_file, cert_file, "
    "key_file, verify_incoming, verify_outgoing) for both the server port and HTTPS: set them "
    "there";
constexpr auto only_off = ConsulUse::only_off;

const ConsulKey consul_keys[] = {
    {"acl", no_acl},
    {"acl.enabled",
     "muster has no ACLs yet: its HTTP API is open to whoever reaches it; keep addresses.http "
     "local, or use HTTPS with verify_incoming",
     only_off},
    {"acl_agent_master_token", no_acl},
    {"acl_agent_token", no_acl},
    {"acl_default_policy", no_acl},
    {"acl_disabled_ttl", no_acl},
    {"acl_down_policy", no_acl},
    {"acl_enable_key_list_policy", no_acl},
    {"acl_enforce_version_8", no_acl},
    {"acl_master_token", no_acl},
    {"acl_replication_token", no_acl},
    {"acl_token", no_acl},
    {"acl_ttl", no_acl},
    {"enable_acl_replication", no_acl},
    {"addresses.grpc", no_mesh},
    {"addresses.grpc_tls", no_mesh},
    {"advertise_addr_ipv4", "muster advertises one address: advertise_addr"},
    {"advertise_addr_ipv6", "muster advertises one address: advertise_addr"},
    {"advertise_addrs", "muster advertises one address: advertise_addr"},
    {"advertise_addr_wan", no_wan},
    {"advertise_addr_wan_ipv4", no_wan},
    {"advertise_addr_wan_ipv6", no_wan},
    {"ae_interval", not_tunable},
    {"audit", enterprise},
    {"auto_config", "muster has no automatic agent configuration: give each agent its files"},
    {"auto_encrypt",
     "muster does not hand out certificates: make them with `muster tls cert create`"},
    {"auto_reload_config", "muster reloads on SIGHUP and `muster reload`"},
    {"autopilot", "muster's servers leave the Raft configuration by leave or force-leave"},
    {"ca_path", "muster reads one CA file: ca_file"},
    {"cache", not_tunable},
    {"check_deregister_interval_min", not_tunable},
    {"check_output_max_size", not_tunable},
    {"check_reap_interval", not_tunable},
    {"cloud", enterprise},
    {"config_entries", no_mesh},
    {"connect", no_mesh},
    {"consul", not_tunable},
    {"default_query_time", not_tunable},
    {"disable_anonymous_signature", "muster never calls home"},
    {"disable_coordinates", "muster keeps no network coordinates"},
    {"disable_host_node_id", "muster derives no node ID from the host"},
    {"disable_http_unprintable_char_filter", not_tunable},
    {"disable_keyring_file", "muster's cluster key comes from encrypt or encrypt_file only"},
    {"disable_remote_exec", "muster has no remote exec"},
    {"disable_update_check", "muster never calls home"},
    {"discard_check_output", not_tunable},
    {"discovery_max_stale", "muster answers from its local replica always"},
    {"dns_config.cache_max_age", "muster answers from its local replica always"},
    {"dns_config.disable_compression", "muster always compresses names"},
    {"dns_config.prefer_namespace", enterprise},
    {"dns_config.soa", not_tunable},
    {"dns_config.udp_answer_limit", "use dns_config.a_record_limit"},
    {"dns_config.use_cache", "muster answers from its local replica always"},
    {"enable_agent_tls_for_checks", not_tunable},
    {"enable_central_service_config", no_mesh},
    {"enable_debug", not_tunable},
    {"enable_syslog", log_stderr},
    {"experiments", not_tunable},
    {"gossip_lan", no_gossip},
    {"gossip_wan", no_wan},
    {"http_config", not_tunable},
    {"license_path", enterprise},
    {"limits", "muster has no request rate limits"},
    {"locality", enterprise},
    {"log_file", log_stderr},
    {"log_json", log_stderr},
    {"log_rotate_bytes", log_stderr},
    {"log_rotate_duration", log_stderr},
    {"log_rotate_max_files", log_stderr},
    {"max_query_time", not_tunable},
    {"node_id", "muster derives the node ID"},
    {"non_voting_server", enterprise},
    {"partition", enterprise},
    {"peering", no_wan},
    {"performance", "muster's Raft timing is raft.election_timeout"},
    {"ports.expose_max_port", no_mesh},
    {"ports.expose_min_port", no_mesh},
    {"ports.grpc", no_mesh},
    {"ports.grpc_tls", no_mesh},
    {"ports.rpc", "muster's agents talk over ports.server"},
    {"ports.serf_lan", no_gossip},
    {"ports.serf_wan", no_wan},
    {"ports.sidecar_max_port", no_mesh},
    {"ports.sidecar_min_port", no_mesh},
    {"primary_gateways", no_wan},
    {"primary_gateways_interval", no_wan},
    {"protocol", "muster speaks one protocol version"},
    {"raft_protocol", "muster speaks one protocol version"},
    {"raft_snapshot_interval", "muster snapshots by raft.snapshot_threshold"},
    {"read_replica", enterprise},
    {"reconnect_timeout_wan", no_wan},
    {"rejoin_after_leave", "an agent that left joins again through retry_join when it starts"},
    {"reporting", enterprise},
    {"retry_interval_wan", no_wan},
    {"retry_join_wan", no_wan},
    {"retry_max_wan", no_wan},
    {"revision", not_tunable},
    {"rpc", not_tunable},
    {"segment", enterprise},
    {"segment_limit", enterprise},
    {"segment_name_limit", enterprise},
    {"segments", enterprise},
    {"serf_lan", no_gossip},
    {"serf_lan_allowed_cidrs", no_gossip},
    {"serf_wan", no_wan},
    {"serf_wan_allowed_cidrs", no_wan},
    {"server_name", "muster's servers are named server.<datacenter>.<domain> in certificates"},
    {"session_ttl_min", "muster has no sessions"},
    {"skip_leave_on_interrupt", "muster handles SIGINT as SIGTERM (see leave_on_terminate)"},
    {"snapshot_agent", enterprise},
    {"start_join_wan", no_wan},
    {"sync_coordinate_interval_min", "muster keeps no network coordinates"},
    {"sync_coordinate_rate_target", "muster keeps no network coordinates"},
    {"syslog_facility", log_stderr},
    {"tagged_addresses", not_tunable},
    {"telemetry", no_metrics},
    {"tls.defaults.ca_path", "muster reads one CA file: ca_file"},
    {"tls.defaults.tls_cipher_suites", fixed_tls},
    {"tls.defaults.tls_min_version", fixed_tls},
    {"tls.grpc", no_mesh},
    {"tls.https", tls_defaults, only_off},
    {"tls.internal_rpc", tls_defaults, only_off},
    {"tls_cipher_suites", fixed_tls},
    {"tls_min_version", fixed_tls},
    {"tls_prefer_server_cipher_suites", fixed_tls},
    {"translate_wan_addrs", no_wan},
    {"ui_config.content_path", "muster serves its UI at /ui/ only"},
    {"ui_config.dashboard_url_templates", ui_built_in},
    {"ui_config.dir", ui_built_in},
    {"ui_config.metrics_provider", "muster's UI reads the agent's own metrics"},
    {"ui_config.metrics_provider_files", "muster's UI reads the agent's own metrics"},
    {"ui_config.metrics_provider_options_json", "muster's UI reads the agent's own metrics"},
    {"ui_config.metrics_proxy", "muster's UI reads the agent's own metrics"},
    {"ui_content_path", "muster serves its UI at /ui/ only"},
    {"ui_dir", ui_built_in},
    {"unix_sockets", not_tunable},
    {"verify_incoming_https", tls_defaults, only_off},
    {"verify_incoming_rpc", tls_defaults, only_off},
    {"version", not_tunable},
    {"version_prerelease", not_tunable},
    {"watches", "muster has no watches (blocking queries and consul-template work)"},
    {"xds", no_mesh},
};

}  // namespace

std::span<const ConsulKey> consul_key_table() {
    return consul_keys;
}

const ConsulKey* find_consul_key(std::string_view key) {
    for (;;) {
        for (const auto& k : consul_keys)
            if (k.key == key)
                return &k;
        auto dot = key.rfind('.');
        if (dot == std::string_view::npos)
            return nullptr;
        key = key.substr(0, dot);
    }
}

std::span<const OptionDef> option_table() {
    return options;
}

const OptionDef* find_option(std::string_view key) {
    for (const auto& o : options)
        if (o.key == key)
            return &o;
    return nullptr;
}

std::string_view leaf_name(std::string_view key) {
    auto dot = key.rfind('.');
    return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

std::string_view parent_key(std::string_view key) {
    auto dot = key.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
}

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::object:
            return "object";
        case Kind::string:
            return "string";
        case Kind::name:
            return "domain name";
        case Kind::enumeration:
            return "string (one of a fixed set)";
        case Kind::boolean:
            return "boolean";
        case Kind::uint:
            return "integer";
        case Kind::port:
            return "port number";
        case Kind::duration:
            return "duration";
        case Kind::path:
            return "file path";
        case Kind::address:
            return "address";
        case Kind::address_list:
            return "address list";
        case Kind::cidr_list:
            return "list of CIDR prefixes";
        case Kind::recursor_list:
            return "list of recursor URIs";
        case Kind::join_list:
            return "list of server addresses";
        case Kind::record_list:
            return "list of records";
        case Kind::listener_list:
            return "list of listeners";
        case Kind::forward_zones:
            return "object of zone name to list of recursor URIs";
        case Kind::service:
            return "service definition object";
        case Kind::service_list:
            return "list of service definitions";
        case Kind::check:
            return "check definition object";
        case Kind::check_list:
            return "list of check definitions";
        case Kind::ttl_map:
            return "object of service name pattern to duration";
        case Kind::string_map:
            return "object of string to string";
    }
    return "?";
}

std::string man_entry(const OptionDef& def) {
    std::string out = ".TP\n.B " + roff_escape(def.key) + "\n";
    out += "Type: " + roff_escape(kind_name(def.kind));
    if (!def.default_text.empty())
        out += "; default: " + roff_escape(def.default_text);
    out += ".\n.br\n" + roff_escape(def.doc) + "\n";
    if (!def.example.empty()) {
        out += ".br\nExample: \\f(CW\"" + roff_escape(leaf_name(def.key)) +
               "\": " + roff_escape(def.example) + "\\fR\n";
    }
    return out;
}

std::string man_entry(const ConsulKey& key) {
    return ".TP\n.B " + roff_escape(key.key) + "\n" +
           (key.use == ConsulUse::only_off ? "Only false or empty values: " : "Ignored: ") +
           roff_escape(key.why) + ".\n";
}

}  // namespace muster::config
