// Probes: one run of a script, HTTP or TCP health check, on the checks thread's event loop.
// A probe never blocks its loop: scripts are spawned and watched through a pidfd and pipes,
// HTTP and TCP run over non-blocking sockets. Everything a run produces is an Outcome.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/definition.hh"
#include "catalog/model.hh"
#include "common/event_loop.hh"
#include "common/result.hh"

namespace muster::checks {

// The most output a check keeps (stdout+stderr of a script, the start of an HTTP body).
inline constexpr size_t max_output_bytes = 4096;

// Consul's default timeouts when a definition gives none.
inline constexpr std::chrono::milliseconds default_script_timeout{30000};
inline constexpr std::chrono::milliseconds default_network_timeout{10000};  // http, tcp

struct Outcome {
    catalog::Status status = catalog::Status::critical;
    std::string output{};    // at most max_output_bytes (plus a short note of muster's own)
    bool timed_out = false;  // the check's timeout ended the run (counted in the metrics)
};

class Probe {
  public:
    virtual ~Probe() = default;
    // Starts one run. `done` is called exactly once, on the loop's thread, never from inside
    // run(). At most one run is in flight: run() while one is in flight is a bug (panics).
    // Destroying the probe abandons a run in flight: `done` is not called, a script's whole
    // process group is killed and reaped, sockets are closed.
    virtual void run(std::function<void(Outcome)> done) = 0;
};

// script: argv run without a shell, in a process group of its own, stdin /dev/null, stdout and
// stderr into one pipe. As Consul does, the output keeps the LAST max_output_bytes, prefixed by
// "Captured 4096 of N bytes\n...\n" when there was more; the rest is read and dropped so the
// script never blocks on a full pipe. The run ends when the script exits, even if a background
// child still holds the pipe. Exit 0 passing, 1 warning, anything else (or a signal) critical. On
// timeout the whole process group gets SIGKILL and the outcome is critical with output saying
// "timed out after <timeout>".
struct ScriptOptions {
    std::vector<std::string> args{};
    std::chrono::milliseconds timeout = default_script_timeout;
};

// http: http:// and https:// URLs (host name, IPv4 or [IPv6] literal, optional port, path and
// query). 2xx passing, 429 warning, any other status, a connect/TLS failure or the timeout
// critical. The output is "HTTP <METHOD> <url>: <code> <reason> Output: <first 4 KiB of body>"
// as Consul writes it. Redirects (301/302/303/307/308) are followed up to 10 times unless
// disable_redirects, in which case the 3xx itself is the result (critical).
struct HttpOptions {
    std::string url{};
    std::string method = "GET";
    std::map<std::string, std::vector<std::string>> header{};
    std::string body{};
    std::string tls_server_name{};  // SNI and the name verified; default: the URL's host
    bool tls_skip_verify = false;
    bool disable_redirects = false;
    std::chrono::milliseconds timeout = default_network_timeout;
    std::string ca_file{};  // trusted CAs for https; empty: the system store
};

// tcp: "host:port" or "[v6]:port"; connecting (and with use_tls, the TLS handshake) within
// the timeout is passing, anything else critical with the reason.
struct TcpOptions {
    std::string address{};
    bool use_tls = false;
    std::string tls_server_name{};
    bool tls_skip_verify = false;
    std::chrono::milliseconds timeout = default_network_timeout;
    std::string ca_file{};
};

std::unique_ptr<Probe> make_script_probe(EventLoop& loop, ScriptOptions options);
std::unique_ptr<Probe> make_http_probe(EventLoop& loop, HttpOptions options);
std::unique_ptr<Probe> make_tcp_probe(EventLoop& loop, TcpOptions options);

// Whether a definition of kind script/http/tcp can be run at all (a parseable URL with a
// supported scheme, a host:port with a port, a non-empty argv); the error names the field, as
// "http: expected an http:// or https:// URL (got "ftp://x")". Called when a check is
// registered so that a bad one is refused with a 400 instead of failing forever.
Result<void> validate_probe(const catalog::CheckDefinition& definition);

// The probe for a script/http/tcp definition, with the kind's default timeout when the
// definition has none. Panics for other kinds (the caller runs ttl and alias checks itself).
std::unique_ptr<Probe> make_probe(EventLoop& loop, const catalog::CheckDefinition& definition,
                                  const std::string& ca_file);

}  // namespace muster::checks
