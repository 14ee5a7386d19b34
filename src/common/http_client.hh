// A small blocking HTTP/1.1 client for the command line's calls to the local agent: one request
// per connection, connect and read timeouts, Content-Length or chunked bodies, http or https.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hh"
#include "common/tls.hh"

namespace muster::http {

enum class Scheme { http, https };

// Where the agent's HTTP API is: $MUSTER_HTTP_ADDR, "http[s]://host[:port]" or "host[:port]".
struct AgentUrl {
    Scheme scheme = Scheme::http;
    std::string host;  // name or IP literal, without brackets
    uint16_t port = 8500;
    std::string text;  // "http://host:port", for messages
};

inline constexpr std::string_view default_agent_address = "http://127.0.0.1:8500";

// "http://127.0.0.1:8500", "https://127.0.0.1:8501", "127.0.0.1:8500", "localhost",
// "[::1]:8500", "http://h/" (a trailing slash only; no path). Without a port: 8500 (the
// agent's), or 80 for "http://" and 443 for "https://" as URLs go. Other schemes are errors.
Result<AgentUrl> parse_agent_url(std::string_view text);

// How an https:// call checks the agent and shows itself.
struct ClientTls {
    std::string ca_file;    // PEM CAs trusted for the agent's certificate; empty: the system store
    std::string cert_file;  // a client certificate (the agent's verify_incoming) and its key
    std::string key_file;
    TlsVerify verify = TlsVerify::peer;  // none: MUSTER_HTTP_SSL_VERIFY=false
};

// The client commands' settings from the environment, and which variable gave each file (for
// messages). Each MUSTER_ name wins over Consul's CONSUL_ name of the same.
struct AgentEnv {
    AgentUrl url;
    ClientTls tls;
    std::string ca_var;  // "MUSTER_CACERT", "CONSUL_CACERT", or "" when unset
    std::string cert_var;
    std::string key_var;
};

using Getenv = std::function<const char*(const char*)>;

// Reads MUSTER_/CONSUL_ HTTP_ADDR, CACERT, CLIENT_CERT, CLIENT_KEY and HTTP_SSL_VERIFY through
// `getenv` (std::getenv in the command line). Errors name the variable.
Result<AgentEnv> agent_env(const Getenv& getenv);

struct ClientRequest {
    std::string method = "GET";
    std::string target;  // path and query, e.g. "/v1/catalog/nodes"
    std::string body;    // sent with Content-Length when not empty or when method is PUT/POST
    std::string content_type = "application/json";
};

struct ClientResponse {
    int status = 0;
    std::string body;
};

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds read_timeout{30000};  // for the whole response
    ClientTls tls{};                                // used for https:// URLs
};

// One request on a fresh connection ("Connection: close"). An HTTP error status is a response,
// not an Error; Errors are for connecting, sending and reading ("connection refused", "timed
// out", "malformed response").
Result<ClientResponse> send_request(const AgentUrl& url, const ClientRequest& request,
                                    const ClientOptions& options = {});

// Receives a streamed body piece by piece.
using BodySink = std::function<void(std::string_view)>;

// As send_request, for a reply that streams until the server ends it (GET /v1/agent/monitor):
// a 2xx body goes to `sink` as it arrives, and read_timeout bounds the silence between two
// reads, not the whole response. The ClientResponse (its body empty after a 2xx) comes once
// the reply ends; an Error when the connection fails or closes before it does.
Result<ClientResponse> stream_request(const AgentUrl& url, const ClientRequest& request,
                                      const ClientOptions& options, const BodySink& sink);

// The wire form of a request (exposed for tests).
std::string format_request(const AgentUrl& url, const ClientRequest& request);

// Parses a complete response as read up to the closed connection: status line, headers, and a
// Content-Length, chunked or until-close body.
Result<ClientResponse> parse_response(std::string_view raw);

// Percent-encodes a path segment (RFC 3986 §2.3: unreserved characters stay).
std::string escape_path_segment(std::string_view segment);

}  // namespace muster::http
