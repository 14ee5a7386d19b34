// URL and host:port parsing for the http and tcp probes (RFC 3986).
#include "checks/internal/url.hh"

#include <arpa/inet.h>

#include <cctype>
#include <optional>

#include "common/ascii.hh"

namespace muster::checks::internal {
namespace {

constexpr size_t max_host_name_bytes = 253;  // RFC 1035 §2.3.4, without the trailing dot
constexpr size_t max_label_bytes = 63;

std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

Error error_in(std::string_view what, std::string_view text) {
    return make_error(std::string(what) + " (got " + quoted(text) + ")");
}

bool is_ipv6_literal(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A DNS name or an IPv4 literal: letters, digits, '-', '_' and '.' between non-empty labels.
// Returns it in lower case.
std::optional<std::string> normalized_host_name(std::string_view host) {
    if (host.ends_with('.'))
        host.remove_suffix(1);
    if (host.empty() || host.size() > max_host_name_bytes)
        return std::nullopt;
    std::string out;
    size_t label = 0;
    for (char c : host) {
        auto u = static_cast<unsigned char>(c);
        if (c == '.') {
            if (label == 0)
                return std::nullopt;
            label = 0;
        } else if (std::isalnum(u) != 0 || c == '-' || c == '_') {
            if (++label > max_label_bytes)
                return std::nullopt;
        } else {
            return std::nullopt;
        }
        out += static_cast<char>(std::tolower(u));
    }
    if (label == 0)
        return std::nullopt;  // "a.." : an empty last label
    return out;
}

// "1".."65535"; empty means the caller's default.
std::optional<uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5)
        return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<uint16_t>(value);
}

struct SplitHost {
    std::string host;
    std::string_view port;  // without the ':'; empty when absent
    bool has_port = false;
};

// "host[:port]" or "[v6][:port]"; the host is validated and normalized.
Result<SplitHost> split_host(std::string_view authority, std::string_view whole) {
    SplitHost out;
    std::string_view rest;
    if (authority.starts_with('[')) {
        size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return error_in("unclosed '[' in the host", whole);
        out.host = std::string(authority.substr(1, close - 1));
        if (!is_ipv6_literal(out.host))
            return error_in("expected an IPv6 address inside [ ]", whole);
        rest = authority.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':'))
            return error_in("unexpected text after ']'", whole);
    } else {
        size_t colon = authority.rfind(':');
        std::string_view host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            rest = authority.substr(colon);
            if (host.find(':') != std::string_view::npos)
                return error_in("an IPv6 address needs brackets, as [::1]:80", whole);
        }
        if (host.empty())
            return error_in("missing host", whole);
        auto name = normalized_host_name(host);
        if (!name)
            return error_in("invalid host name", whole);
        out.host = std::move(*name);
    }
    if (!rest.empty()) {
        out.has_port = true;
        out.port = rest.substr(1);
    }
    return out;
}

// Path and query as they go into a request line: control characters are refused; spaces and
// non-ASCII bytes are percent-encoded (RFC 3986 §2.1).
Result<std::string> encode_target(std::string_view target, std::string_view whole) {
    std::string out;
    out.reserve(target.size());
    for (char c : target) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return error_in("control character in the URL", whole);
        if (u == ' ' || u >= 0x80) {
            out += '%';
            out += ascii::hex_digit_upper(u >> 4);
            out += ascii::hex_digit_upper(u & 0xf);
        } else {
            out += c;
        }
    }
    if (out.empty() || out.front() != '/')
        out.insert(0, "/");
    return out;
}

std::string_view without_fragment(std::string_view text) {
    return text.substr(0, text.find('#'));
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
bool has_scheme(std::string_view ref) {
    for (size_t i = 0; i < ref.size(); ++i) {
        auto u = static_cast<unsigned char>(ref[i]);
        if (ref[i] == ':')
            return i > 0;
        bool ok =
            std::isalpha(u) != 0 ||
            (i > 0 && (std::isdigit(u) != 0 || ref[i] == '+' || ref[i] == '-' || ref[i] == '.'));
        if (!ok)
            return false;
    }
    return false;
}

// RFC 3986 §5.2.4.
std::string remove_dot_segments(std::string_view in) {
    std::string out;
    auto drop_last_segment = [&out] {
        size_t slash = out.rfind('/');
        out.erase(slash == std::string::npos ? 0 : slash);
    };
    while (!in.empty()) {
        if (in.starts_with("../")) {
            in.remove_prefix(3);
        } else if (in.starts_with("./")) {
            in.remove_prefix(2);
        } else if (in.starts_with("/./")) {
            in.remove_prefix(2);
        } else if (in == "/.") {
            in = "/";
        } else if (in.starts_with("/../")) {
            in.remove_prefix(3);
            drop_last_segment();
        } else if (in == "/..") {
            in = "/";
            drop_last_segment();
        } else if (in == "." || in == "..") {
            in = {};
        } else {
            size_t next = in.find('/', 1);
            if (next == std::string_view::npos)
                next = in.size();
            out.append(in.substr(0, next));
            in.remove_prefix(next);
        }
    }
    return out;
}

}  // namespace

bool Url::host_is_ipv6() const {
    return host.find(':') != std::string::npos;
}

std::string Url::authority() const {
    std::string out = host_is_ipv6() ? "[" + host + "]" : host;
    uint16_t default_port = scheme == Scheme::https ? 443 : 80;
    if (port != default_port)
        out += ":" + std::to_string(port);
    return out;
}

std::string Url::to_string() const {
    return std::string(scheme == Scheme::https ? "https://" : "http://") + authority() + target;
}

Result<Url> parse_url(std::string_view text) {
    Url url;
    size_t sep = text.find("://");
    std::string scheme;
    if (sep != std::string_view::npos)
        for (char c : text.substr(0, sep))
            scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "https")
        url.scheme = Scheme::https;
    else if (scheme != "http")
        return error_in("expected an http:// or https:// URL", text);
    url.port = url.scheme == Scheme::https ? 443 : 80;

    std::string_view rest = without_fragment(text.substr(sep + 3));
    size_t end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, end);
    if (authority.find('@') != std::string_view::npos)
        return error_in("user info (user:password@) in the URL is not supported", text);
    auto host = split_host(authority, text);
    if (!host)
        return host.error();
    url.host = std::move(host->host);
    if (!host->port.empty()) {
        auto port = parse_port(host->port);
        if (!port)
            return error_in("expected a port 1..65535", text);
        url.port = *port;
    }
    auto target = encode_target(end == std::string_view::npos ? "" : rest.substr(end), text);
    if (!target)
        return target.error();
    url.target = std::move(*target);
    return url;
}

Result<Url> resolve_reference(const Url& base, std::string_view reference) {
    std::string_view ref = without_fragment(reference);
    if (has_scheme(ref))
        return parse_url(ref);
    if (ref.starts_with("//"))
        return parse_url(std::string(base.scheme == Scheme::https ? "https:" : "http:") +
                         std::string(ref));

    std::string_view base_target = base.target;
    size_t base_q = base_target.find('?');
    std::string_view base_path = base_target.substr(0, base_q);
    std::string_view base_query =
        base_q == std::string_view::npos ? std::string_view{} : base_target.substr(base_q);

    size_t ref_q = ref.find('?');
    std::string_view ref_path = ref.substr(0, ref_q);
    std::string_view ref_query =
        ref_q == std::string_view::npos ? std::string_view{} : ref.substr(ref_q);
    std::string target;
    if (ref_path.empty()) {
        target = std::string(base_path) +
                 std::string(ref_q == std::string_view::npos ? base_query : ref_query);
    } else if (ref_path.starts_with('/')) {
        target = remove_dot_segments(ref_path) + std::string(ref_query);
    } else {
        size_t slash = base_path.rfind('/');
        std::string merged = std::string(base_path.substr(0, slash + 1)) + std::string(ref_path);
        target = remove_dot_segments(merged) + std::string(ref_query);
    }
    Url out = base;
    auto encoded = encode_target(target, reference);
    if (!encoded)
        return encoded.error();
    out.target = std::move(*encoded);
    return out;
}

Result<HostPort> parse_host_port(std::string_view text) {
    auto host = split_host(text, text);
    if (!host)
        return host.error();
    if (!host->has_port)
        return error_in("expected host:port", text);
    auto port = parse_port(host->port);
    if (!port)
        return error_in("expected a port 1..65535", text);
    return HostPort{std::move(host->host), *port};
}

}  // namespace muster::checks::internal
