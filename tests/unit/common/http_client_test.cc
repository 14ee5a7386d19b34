// Tests for src/common/http_client.cc: $MUSTER_HTTP_ADDR forms, the request on the wire and
// response parsing (no sockets: the parts around them).
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

#include "common/http_client.hh"

using namespace muster::http;

namespace {

AgentUrl url_of(std::string_view text) {
    auto url = parse_agent_url(text);
    BOOST_REQUIRE_MESSAGE(url.ok(),
                          std::string(text) + ": " + (url.ok() ? "" : url.error().message));
    return *url;
}

std::string url_error(std::string_view text) {
    auto url = parse_agent_url(text);
    BOOST_REQUIRE_MESSAGE(!url.ok(), std::string(text) + " should be refused");
    return url.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_client)

BOOST_AUTO_TEST_CASE(agent_url_accepts_http_urls_and_host_port) {
    auto a = url_of("http://127.0.0.1:8500");
    BOOST_TEST(a.host == "127.0.0.1");
    BOOST_TEST(a.port == 8500);
    BOOST_TEST(a.text == "http://127.0.0.1:8500");
    auto b = url_of("10.0.0.5:9500");
    BOOST_TEST(b.host == "10.0.0.5");
    BOOST_TEST(b.port == 9500);
    BOOST_TEST(b.text == "http://10.0.0.5:9500");
    auto c = url_of("HTTP://agent.example:8501/");
    BOOST_TEST(c.host == "agent.example");
    BOOST_TEST(c.port == 8501);
    BOOST_TEST(url_of(default_agent_address).port == 8500);
}

BOOST_AUTO_TEST_CASE(agent_url_default_ports) {
    BOOST_TEST(url_of("localhost").port == 8500);       // the agent's port
    BOOST_TEST(url_of("http://localhost").port == 80);  // as URLs go
    BOOST_TEST(url_of("https://localhost").port == 443);
}

BOOST_AUTO_TEST_CASE(agent_url_accepts_https) {
    auto a = url_of("https://127.0.0.1:8501");
    BOOST_TEST((a.scheme == Scheme::https));
    BOOST_TEST(a.host == "127.0.0.1");
    BOOST_TEST(a.port == 8501);
    BOOST_TEST(a.text == "https://127.0.0.1:8501");
    auto b = url_of("HTTPS://[::1]:8501/");
    BOOST_TEST((b.scheme == Scheme::https));
    BOOST_TEST(b.text == "https://[::1]:8501");
    BOOST_TEST((url_of("127.0.0.1:8501").scheme == Scheme::http));
}

BOOST_AUTO_TEST_CASE(agent_url_ipv6_needs_brackets) {
    auto a = url_of("http://[::1]:8500");
    BOOST_TEST(a.host == "::1");
    BOOST_TEST(a.port == 8500);
    BOOST_TEST(a.text == "http://[::1]:8500");
    BOOST_TEST(url_of("[2001:db8::5]").port == 8500);
    BOOST_TEST(url_error("::1").find("brackets") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(agent_url_errors_say_what_is_wrong) {
    BOOST_TEST(url_error("ftp://127.0.0.1:8501") ==
               "expected an agent address like \"http://127.0.0.1:8500\" or \"127.0.0.1:8500\" "
               "(got \"ftp://127.0.0.1:8501\": only http:// and https:// are supported)");
    BOOST_TEST(url_error("unix:///run/muster.sock").find("only http://") != std::string::npos);
    BOOST_TEST(url_error("127.0.0.1:0").find("1..65535") != std::string::npos);
    BOOST_TEST(url_error("127.0.0.1:65536").find("1..65535") != std::string::npos);
    BOOST_TEST(url_error("127.0.0.1:http").find("1..65535") != std::string::npos);
    BOOST_TEST(url_error("127.0.0.1:").find("empty port") != std::string::npos);
    BOOST_TEST(url_error("http://").find("no host") != std::string::npos);
    BOOST_TEST(url_error("").find("no host") != std::string::npos);
    BOOST_TEST(url_error("http://h:1/v1").find("path") != std::string::npos);
    BOOST_TEST(url_error("[::1").find("'['") != std::string::npos);
}

namespace {

// A fake environment for agent_env().
struct Env {
    std::map<std::string, std::string> vars;
    Getenv getenv() const {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

AgentEnv env_of(const Env& env) {
    auto out = agent_env(env.getenv());
    BOOST_REQUIRE_MESSAGE(out.ok(), (out.ok() ? std::string() : out.error().message));
    return *out;
}

std::string env_error(const Env& env) {
    auto out = agent_env(env.getenv());
    BOOST_REQUIRE_MESSAGE(!out.ok(), "the environment should be refused");
    return out.error().message;
}

}  // namespace

BOOST_AUTO_TEST_CASE(agent_env_defaults_to_the_local_agent_over_http) {
    AgentEnv e = env_of(Env{});
    BOOST_TEST(e.url.text == "http://127.0.0.1:8500");
    BOOST_TEST(e.tls.ca_file.empty());
    BOOST_TEST(e.ca_var.empty());
    BOOST_TEST((e.tls.verify == muster::TlsVerify::peer));
}

BOOST_AUTO_TEST_CASE(agent_env_takes_consul_names) {
    AgentEnv e = env_of(Env{{{"CONSUL_HTTP_ADDR", "https://127.0.0.1:8501"},
                             {"CONSUL_CACERT", "/ca.pem"},
                             {"CONSUL_CLIENT_CERT", "/c.pem"},
                             {"CONSUL_CLIENT_KEY", "/k.pem"}}});
    BOOST_TEST(e.url.text == "https://127.0.0.1:8501");
    BOOST_TEST(e.tls.ca_file == "/ca.pem");
    BOOST_TEST(e.ca_var == "CONSUL_CACERT");
    BOOST_TEST(e.tls.cert_file == "/c.pem");
    BOOST_TEST(e.tls.key_file == "/k.pem");
}

BOOST_AUTO_TEST_CASE(agent_env_muster_names_win_over_consul_names) {
    AgentEnv e = env_of(Env{{{"CONSUL_HTTP_ADDR", "https://10.0.0.1:8501"},
                             {"MUSTER_HTTP_ADDR", "https://127.0.0.1:9501"},
                             {"CONSUL_CACERT", "/consul-ca.pem"},
                             {"MUSTER_CACERT", "/muster-ca.pem"},
                             {"CONSUL_CLIENT_CERT", "/consul-c.pem"},
                             {"MUSTER_CLIENT_CERT", "/muster-c.pem"},
                             {"CONSUL_CLIENT_KEY", "/consul-k.pem"},
                             {"MUSTER_CLIENT_KEY", "/muster-k.pem"}}});
    BOOST_TEST(e.url.text == "https://127.0.0.1:9501");
    BOOST_TEST(e.tls.ca_file == "/muster-ca.pem");
    BOOST_TEST(e.ca_var == "MUSTER_CACERT");
    BOOST_TEST(e.tls.cert_file == "/muster-c.pem");
    BOOST_TEST(e.cert_var == "MUSTER_CLIENT_CERT");
    BOOST_TEST(e.tls.key_file == "/muster-k.pem");
    // An empty MUSTER_ value counts as unset.
    AgentEnv f = env_of(Env{{{"MUSTER_CACERT", ""}, {"CONSUL_CACERT", "/consul-ca.pem"}}});
    BOOST_TEST(f.tls.ca_file == "/consul-ca.pem");
}

BOOST_AUTO_TEST_CASE(agent_env_ssl_verify_false_skips_verification) {
    BOOST_TEST(
        (env_of(Env{{{"CONSUL_HTTP_SSL_VERIFY", "false"}}}).tls.verify == muster::TlsVerify::none));
    BOOST_TEST(
        (env_of(Env{{{"MUSTER_HTTP_SSL_VERIFY", "true"}, {"CONSUL_HTTP_SSL_VERIFY", "false"}}})
             .tls.verify == muster::TlsVerify::peer));
    BOOST_TEST(env_error(Env{{{"MUSTER_HTTP_SSL_VERIFY", "maybe"}}})
                   .starts_with("MUSTER_HTTP_SSL_VERIFY: "));
}

BOOST_AUTO_TEST_CASE(agent_env_errors_name_the_variable) {
    BOOST_TEST(env_error(Env{{{"CONSUL_HTTP_ADDR", "ftp://h"}}}).starts_with("CONSUL_HTTP_ADDR: "));
    BOOST_TEST(env_error(Env{{{"MUSTER_HTTP_ADDR", "ftp://h"}}}).starts_with("MUSTER_HTTP_ADDR: "));
    BOOST_TEST(env_error(Env{{{"MUSTER_CLIENT_CERT", "/c.pem"}}}) ==
               "MUSTER_CLIENT_CERT is set without MUSTER_CLIENT_KEY");
    BOOST_TEST(env_error(Env{{{"CONSUL_CLIENT_KEY", "/k.pem"}}}) ==
               "CONSUL_CLIENT_KEY is set without MUSTER_CLIENT_CERT");
}

BOOST_AUTO_TEST_CASE(request_has_host_length_and_closes) {
    ClientRequest req;
    req.method = "PUT";
    req.target = "/v1/agent/service/register";
    req.body = R"({"Name":"web"})";
    std::string wire = format_request(url_of("127.0.0.1:8500"), req);
    BOOST_TEST(wire.starts_with("PUT /v1/agent/service/register HTTP/1.1\r\n"));
    BOOST_TEST(wire.find("\r\nHost: 127.0.0.1:8500\r\n") != std::string::npos);
    BOOST_TEST(wire.find("\r\nContent-Length: 14\r\n") != std::string::npos);
    BOOST_TEST(wire.find("\r\nConnection: close\r\n") != std::string::npos);
    BOOST_TEST(wire.ends_with("\r\n\r\n{\"Name\":\"web\"}"));
    ClientRequest get;
    get.target = "/v1/catalog/nodes";
    std::string get_wire = format_request(url_of("[::1]:8500"), get);
    BOOST_TEST(get_wire.find("Content-Length") == std::string::npos);
    BOOST_TEST(get_wire.find("\r\nHost: [::1]:8500\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(response_with_content_length) {
    auto r = parse_response(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "content-length: 2\r\n\r\n[]trailing");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->body == "[]");
    auto err =
        parse_response("HTTP/1.1 404 Not Found\r\nContent-Length: 17\r\n\r\nunknown service x");
    BOOST_REQUIRE(err.ok());
    BOOST_TEST(err->status == 404);
    BOOST_TEST(err->body == "unknown service x");
}

BOOST_AUTO_TEST_CASE(response_chunked_and_until_close) {
    auto r = parse_response(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia "
        "\r\n0\r\n\r\n");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->body == "Wikipedia ");
    auto c = parse_response("HTTP/1.0 200 OK\r\n\r\nall of it");
    BOOST_REQUIRE(c.ok());
    BOOST_TEST(c->body == "all of it");
}

BOOST_AUTO_TEST_CASE(interim_response_is_skipped) {
    auto r = parse_response(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->status == 201);
    BOOST_TEST(r->body == "ok");
}

BOOST_AUTO_TEST_CASE(large_body_is_kept_whole) {
    const std::string big(100000, 'x');
    auto r = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + big);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->body.size() == big.size());
}

BOOST_AUTO_TEST_CASE(errors_say_malformed_response) {
    auto r = parse_response("HTTP/1.1 200 OK\r\nbroken header\r\n\r\n");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.starts_with("malformed response: "));
}

BOOST_AUTO_TEST_CASE(malformed_responses_are_errors) {
    BOOST_TEST(!parse_response("").ok());
    BOOST_TEST(!parse_response("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").ok());
    BOOST_TEST(!parse_response("SSH-2.0-OpenSSH\r\n\r\n").ok());
    BOOST_TEST(!parse_response("HTTP/1.1 2x0 OK\r\n\r\n").ok());
    BOOST_TEST(!parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").ok());
    BOOST_TEST(
        !parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").ok());
    BOOST_TEST(!parse_response("HTTP/1.1 200 OK\r\nbroken header\r\n\r\n").ok());
}

BOOST_AUTO_TEST_CASE(path_segments_are_percent_encoded) {
    BOOST_TEST(escape_path_segment("web-1_a.b~") == "web-1_a.b~");
    BOOST_TEST(escape_path_segment("a b/c?d") == "a%20b%2Fc%3Fd");
    BOOST_TEST(escape_path_segment("\xff") == "%FF");
}

BOOST_AUTO_TEST_SUITE_END()
