// `muster tls ca create` and `muster tls cert create`: Consul's `consul tls` commands (flags,
// defaults, file names, messages), with the certificates made by common/certificate.
#include "app/tls_command.hh"

#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/ascii.hh"
#include "common/certificate.hh"
#include "common/fd.hh"

namespace muster::app {
namespace {

// The `domain` option's default ("internal.", config/options.cc) without its final dot, as it
// appears in file and certificate names.
constexpr std::string_view default_domain = "internal";
constexpr std::string_view default_datacenter = "dc1";
constexpr std::chrono::days default_ca_validity{1825};  // Consul: five years
constexpr std::chrono::days default_cert_validity{365};
// Consul gives up looking for a free <prefix>-<n>.pem after this many.
constexpr int max_cert_number = 10000;

constexpr const char* ca_usage =
    "usage: muster tls ca create [-days N] [-domain DOMAIN]\n"
    "  writes DOMAIN-agent-ca.pem and DOMAIN-agent-ca-key.pem in the current directory\n"
    "  (DOMAIN default \"internal\", N default 1825)\n";
constexpr const char* cert_usage =
    "usage: muster tls cert create -server|-client [-dc DC] [-domain DOMAIN] [-days N]\n"
    "                              [-ca FILE] [-key FILE] [-node NAME]\n"
    "                              [-additional-dnsname NAME]... [-additional-ipaddress IP]...\n"
    "  writes DC-server-DOMAIN-N.pem (or DC-client-DOMAIN-N.pem) and its -key.pem, N the\n"
    "  first free number, signed by DOMAIN-agent-ca.pem and DOMAIN-agent-ca-key.pem\n";

enum class CertKind { none, server, client };

struct CaArgs {
    std::chrono::days validity = default_ca_validity;
    std::string domain{default_domain};
};

struct CertArgs {
    CertKind kind = CertKind::none;
    std::string datacenter{default_datacenter};
    std::string domain{default_domain};
    std::string node;
    std::string ca_file;   // "" until parsed: the default depends on -domain
    std::string key_file;  // likewise
    std::chrono::days validity = default_cert_validity;
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
};

// One flag with its value ("" for a switch); an error stops the parse.
using FlagHandler = std::function<Result<void>(const option& flag, const char* value)>;

// Go's flag syntax, as Consul's commands take it: -flag, --flag, -flag=V, -flag V.
Result<void> parse_flags(int argc, char** argv, const std::vector<option>& flags,
                         const FlagHandler& handle) {
    std::vector<option> longopts = flags;
    longopts.push_back({nullptr, 0, nullptr, 0});
    optind = 0;  // 0: getopt starts over (GNU)
    opterr = 0;
    int index = -1;
    int c;
    // "+": stop at the first non-flag; ":": a missing value is ':', an unknown flag '?'.
    while ((c = getopt_long_only(argc, argv, "+:", longopts.data(), &index)) != -1) {
        if (c == '?' || c == ':') {
            std::string bad = optind > 0 && optind <= argc ? argv[optind - 1] : "";
            return make_error(c == ':' ? "flag \"" + bad + "\" needs a value"
                                       : "unknown flag \"" + bad + "\"");
        }
        if (auto r = handle(longopts[static_cast<size_t>(index)], optarg ? optarg : ""); !r)
            return r;
    }
    if (optind < argc)
        return make_error(std::string("unexpected argument \"") + argv[optind] + "\"");
    return {};
}

Result<std::chrono::days> parse_days(std::string_view text) {
    int n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > 36500)
        return make_error("-days: expected a number of days from 1 to 36500 (got \"" +
                          std::string(text) + "\")");
    return std::chrono::days(n);
}

// A datacenter, domain or node name goes into file names and DNS names: letters, digits,
// hyphens, underscores and dots only, so it can name neither another directory nor another SAN.
Result<std::string> parse_name(const char* flag, std::string_view text, bool domain_dot) {
    if (domain_dot && text.ends_with('.'))
        text.remove_suffix(1);  // "internal." as in the config
    bool ok = !text.empty() && text.front() != '.' && text.back() != '.';
    for (char c : text)
        ok = ok && (ascii::is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '-' || c == '_' || c == '.');
    if (!ok)
        return make_error(std::string(flag) +
                          ": expected a name of letters, digits, '-', '_' and '.' (got \"" +
                          std::string(text) + "\")");
    return std::string(text);
}

// Stores a parsed value, or passes its error on.
template <class T>
Result<void> assign(T& field, Result<T> parsed) {
    if (!parsed)
        return parsed.error();
    field = std::move(*parsed);
    return {};
}

Result<CaArgs> parse_ca_args(int argc, char** argv) {
    CaArgs out;
    const std::vector<option> flags = {{"days", required_argument, nullptr, 0},
                                       {"domain", required_argument, nullptr, 0}};
    auto r = parse_flags(argc, argv, flags, [&](const option& flag, const char* value) {
        if (std::string_view(flag.name) == "days")
            return assign(out.validity, parse_days(value));
        return assign(out.domain, parse_name("-domain", value, true));
    });
    if (!r)
        return r.error();
    return out;
}

Result<void> handle_cert_flag(CertArgs& out, const option& flag, const char* value) {
    std::string_view name = flag.name;
    auto set_name = [&](std::string& field, bool domain_dot) {
        return assign(field, parse_name(("-" + std::string(name)).c_str(), value, domain_dot));
    };
    if (name == "server" || name == "client") {
        // Go's boolean flags also take -server=true and -server=false.
        std::string_view v = value;
        if (v == "false")
            return {};
        if (!v.empty() && v != "true")
            return make_error("-" + std::string(name) + ": expected true or false (got \"" +
                              std::string(v) + "\")");
        CertKind kind = name == "server" ? CertKind::server : CertKind::client;
        if (out.kind != CertKind::none && out.kind != kind)
            return make_error("give either -server or -client, not both");
        out.kind = kind;
        return {};
    }
    if (name == "days")
        return assign(out.validity, parse_days(value));
    if (name == "dc")
        return set_name(out.datacenter, false);
    if (name == "domain")
        return set_name(out.domain, true);
    if (name == "node")
        return set_name(out.node, false);
    if (*value == '\0')
        return make_error("-" + std::string(name) + " needs a value");
    std::string text(ascii::trim(value));
    if (name == "ca")
        out.ca_file = text;
    else if (name == "key")
        out.key_file = text;
    else if (name == "additional-dnsname")
        out.dns_names.push_back(text);
    else
        out.ip_addresses.push_back(text);
    return {};
}

Result<CertArgs> parse_cert_args(int argc, char** argv) {
    CertArgs out;
    const std::vector<option> flags = {
        {"server", optional_argument, nullptr, 0},
        {"client", optional_argument, nullptr, 0},
        {"dc", required_argument, nullptr, 0},
        {"domain", required_argument, nullptr, 0},
        {"days", required_argument, nullptr, 0},
        {"ca", required_argument, nullptr, 0},
        {"key", required_argument, nullptr, 0},
        {"node", required_argument, nullptr, 0},
        {"additional-dnsname", required_argument, nullptr, 0},
        {"additional-ipaddress", required_argument, nullptr, 0},
    };
    auto r = parse_flags(argc, argv, flags, [&](const option& flag, const char* value) {
        return handle_cert_flag(out, flag, value);
    });
    if (!r)
        return r.error();
    if (out.kind == CertKind::none)
        return make_error("give -server or -client");
    if (!out.node.empty() && out.kind != CertKind::server)
        return make_error("-node requires -server");
    if (out.ca_file.empty())
        out.ca_file = out.domain + "-agent-ca.pem";
    if (out.key_file.empty())
        out.key_file = out.domain + "-agent-ca-key.pem";
    return out;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

// Creates `path`, which must not exist yet (O_EXCL: no race with another writer), with `mode`.
Result<void> write_new_file(const std::string& path, const std::string& content, mode_t mode) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd.valid())
        return make_error(errno == EEXIST ? path + " already exists"
                                          : "cannot create " + path + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += static_cast<size_t>(n);
    }
    if (done < content.size() || ::fsync(fd.get()) != 0 || fd.close() != 0) {
        std::string reason = std::strerror(errno);
        ::unlink(path.c_str());
        return make_error("cannot write " + path + ": " + reason);
    }
    return {};
}

Result<std::string> read_text(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (!in || !(text << in.rdbuf()))
        return make_error(std::string("cannot read the ") + what + " " + path + ": " +
                          std::strerror(errno));
    return text.str();
}

// Writes the certificate, then its key (0600: only the owner reads a private key); if the key
// cannot be written the certificate goes too, so no half pair is left behind.
Result<void> save_pair(const PemCertificate& pair, const std::string& cert_file,
                       const std::string& key_file) {
    if (auto r = write_new_file(cert_file, pair.cert_pem, 0644); !r)
        return r;
    std::printf("==> Saved %s\n", cert_file.c_str());
    if (auto r = write_new_file(key_file, pair.key_pem, 0600); !r) {
        ::unlink(cert_file.c_str());
        return r;
    }
    std::printf("==> Saved %s\n", key_file.c_str());
    return {};
}

int fail(const char* command, const std::string& message, int status) {
    std::fprintf(stderr, "muster tls %s: %s\n", command, message.c_str());
    return status;
}

bool wants_help(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "-h" || a == "-help" || a == "--help")
            return true;
    }
    return false;
}

// -help prints the usage; flags that do not parse print the problem and the usage (exit 2);
// otherwise `run` runs with them.
template <class Args>
int run_subcommand(const char* name, const char* usage, int argc, char** argv,
                   Result<Args> (*parse)(int, char**), int (*run)(const Args&)) {
    if (wants_help(argc, argv)) {
        std::fputs(usage, stdout);
        return 0;
    }
    auto args = parse(argc, argv);
    if (!args) {
        fail(name, args.error().message, 2);
        std::fputs(usage, stderr);
        return 2;
    }
    return run(*args);
}

int ca_create(const CaArgs& args) {
    const std::string cert_file = args.domain + "-agent-ca.pem";
    const std::string key_file = args.domain + "-agent-ca-key.pem";
    for (const std::string& file : {cert_file, key_file})
        if (exists(file))
            return fail("ca create", file + " already exists", 1);
    auto ca = create_ca({.common_name = "Muster Agent CA",
                         .not_before = std::chrono::system_clock::now(),
                         .validity = args.validity});
    if (!ca)
        return fail("ca create", ca.error().message, 1);
    if (auto r = save_pair(*ca, cert_file, key_file); !r)
        return fail("ca create", r.error().message, 1);
    return 0;
}

LeafSpec leaf_spec(const CertArgs& args) {
    const bool server = args.kind == CertKind::server;
    const std::string name =
        std::string(server ? "server." : "client.") + args.datacenter + "." + args.domain;
    LeafSpec spec{
        .common_name = name,
        .dns_names = args.dns_names,
        .ip_addresses = args.ip_addresses,
        // As Consul: client agents serve the HTTPS API too, so both get both.
        .extended_key_usage = {ExtendedKeyUsage::server_auth, ExtendedKeyUsage::client_auth},
        .not_before = std::chrono::system_clock::now(),
        .validity = args.validity};
    if (!args.node.empty())
        spec.dns_names.push_back(args.node + "." + name);
    spec.dns_names.push_back(name);
    spec.dns_names.push_back("localhost");
    spec.ip_addresses.push_back("127.0.0.1");
    return spec;
}

// <dc>-server-<domain>-<n>.pem and -key.pem with the first n for which neither exists.
Result<std::pair<std::string, std::string>> free_file_names(const CertArgs& args) {
    const std::string prefix = args.datacenter +
                               (args.kind == CertKind::server ? "-server-" : "-client-") +
                               args.domain + "-";
    for (int n = 0; n <= max_cert_number; ++n) {
        std::string cert = prefix + std::to_string(n) + ".pem";
        std::string key = prefix + std::to_string(n) + "-key.pem";
        if (!exists(cert) && !exists(key))
            return std::pair{cert, key};
    }
    return make_error("no free file name " + prefix + "N.pem for N up to " +
                      std::to_string(max_cert_number));
}

int cert_create(const CertArgs& args) {
    auto files = free_file_names(args);
    if (!files)
        return fail("cert create", files.error().message, 1);
    auto ca_cert = read_text(args.ca_file, "CA");
    auto ca_key = read_text(args.key_file, "CA key");
    if (!ca_cert || !ca_key)
        return fail("cert create", (!ca_cert ? ca_cert : ca_key).error().message, 1);
    if (args.kind == CertKind::server)
        std::printf(
            "==> WARNING: Server Certificates grants authority to become a\n"
            "    server and access all state in the cluster. Do not distribute\n"
            "    them to hosts that are not server nodes. Store them as securely as CA keys.\n");
    std::printf("==> Using %s and %s\n", args.ca_file.c_str(), args.key_file.c_str());
    const LeafSpec spec = leaf_spec(args);
    auto leaf = create_leaf({.cert_pem = *ca_cert, .key_pem = *ca_key}, spec);
    if (!leaf)
        return fail("cert create", leaf.error().message, 1);
    // As Consul: never write a certificate that does not verify for its own name.
    if (auto r = verify_certificate(*ca_cert, leaf->cert_pem, spec.common_name); !r)
        return fail("cert create", r.error().message, 1);
    if (auto r = save_pair(*leaf, files->first, files->second); !r)
        return fail("cert create", r.error().message, 1);
    return 0;
}

}  // namespace

int tls_command(int argc, char** argv) {
    const std::string what = argc >= 3 ? std::string(argv[1]) + " " + argv[2] : "";
    if (what == "ca create")
        return run_subcommand("ca create", ca_usage, argc - 2, argv + 2, &parse_ca_args,
                              &ca_create);
    if (what == "cert create")
        return run_subcommand("cert create", cert_usage, argc - 2, argv + 2, &parse_cert_args,
                              &cert_create);
    std::fprintf(stderr, "muster tls: expected \"ca create\" or \"cert create\"\n%s%s", ca_usage,
                 cert_usage);
    return 2;
}

}  // namespace muster::app
