// Checking probe definitions at registration, and making the probe of a definition.
#include "checks/probe.hh"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "checks/internal/url.hh"

namespace muster::checks {
namespace {

// RFC 9110 §5.6.2 token: methods and field names.
bool is_token(std::string_view s) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::ranges::all_of(s, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
               extra.find(c) != std::string_view::npos;
    });
}

// RFC 9110 §5.5: no CR, LF or NUL, which would end the field (or the request) early.
bool is_field_value(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string quoted(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

Result<void> validate_http(const catalog::CheckDefinition& d) {
    auto url = internal::parse_url(d.http);
    if (!url)
        return make_error("http: " + url.error().message);
    if (!d.method.empty() && !is_token(d.method))
        return make_error("method: expected an HTTP method such as GET (got " + quoted(d.method) +
                          ")");
    for (const auto& [name, values] : d.header) {
        if (!is_token(name))
            return make_error("header: invalid field name " + quoted(name));
        for (const auto& value : values)
            if (!is_field_value(value))
                return make_error("header: the value of " + quoted(name) +
                                  " contains a line break or NUL");
    }
    return {};
}

std::chrono::milliseconds timeout_or(const catalog::CheckDefinition& d,
                                     std::chrono::milliseconds fallback) {
    return d.timeout > std::chrono::milliseconds::zero() ? d.timeout : fallback;
}

}  // namespace

Result<void> validate_probe(const catalog::CheckDefinition& definition) {
    switch (definition.kind) {
        case catalog::CheckKind::script:
            if (definition.args.empty())
                return make_error(
                    "args: expected the command and its arguments (run without a "
                    "shell), e.g. [\"/usr/lib/nagios/plugins/check_load\", \"-w\", "
                    "\"5\"]");
            if (definition.args.front().empty())
                return make_error("args: the command (the first argument) is empty");
            return {};
        case catalog::CheckKind::http:
            return validate_http(definition);
        case catalog::CheckKind::tcp: {
            auto target = internal::parse_host_port(definition.tcp);
            if (!target)
                return make_error("tcp: " + target.error().message);
            return {};
        }
        default:
            return {};
    }
}

std::unique_ptr<Probe> make_probe(EventLoop& loop, const catalog::CheckDefinition& definition,
                                  const std::string& ca_file) {
    const auto& d = definition;
    switch (d.kind) {
        case catalog::CheckKind::script:
            return make_script_probe(
                loop, {.args = d.args, .timeout = timeout_or(d, default_script_timeout)});
        case catalog::CheckKind::http:
            return make_http_probe(loop, {
                                             .url = d.http,
                                             .method = d.method.empty() ? "GET" : d.method,
                                             .header = d.header,
                                             .body = d.body,
                                             .tls_server_name = d.tls_server_name,
                                             .tls_skip_verify = d.tls_skip_verify,
                                             .disable_redirects = d.disable_redirects,
                                             .timeout = timeout_or(d, default_network_timeout),
                                             .ca_file = ca_file,
                                         });
        case catalog::CheckKind::tcp:
            return make_tcp_probe(loop, {
                                            .address = d.tcp,
                                            .use_tls = d.tcp_use_tls,
                                            .tls_server_name = d.tls_server_name,
                                            .tls_skip_verify = d.tls_skip_verify,
                                            .timeout = timeout_or(d, default_network_timeout),
                                            .ca_file = ca_file,
                                        });
        default:
            MUSTER_PANIC("make_probe: check " + d.id + " of kind " +
                         std::string(catalog::check_kind_name(d.kind)) + " has no probe");
    }
}

}  // namespace muster::checks
