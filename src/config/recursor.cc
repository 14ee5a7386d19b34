// Recursor URIs: "tls://IP[:853]#auth-name", "tcp://IP[:53]", "udp://IP[:53]", "IP[:port]".
#include <string>

#include "config/settings.hh"
#include "dns/name.hh"

namespace muster::config {
namespace {

constexpr std::string_view forms =
    "a recursor URI \"tls://IP[:853]#auth-name\", \"tcp://IP[:53]\", \"udp://IP[:53]\" or "
    "\"IP[:53]\"";

Error bad(std::string_view what, std::string_view text) {
    return make_error("expected " + std::string(what) + " (got \"" + std::string(text) + "\")");
}

}  // namespace

Result<Recursor> parse_recursor(std::string_view text) {
    Recursor r;
    r.text = std::string(text);
    std::string_view rest = text;
    uint16_t port = 53;
    if (rest.starts_with("tls://")) {
        r.transport = Transport::tls;
        port = 853;  // RFC 7858 §3.1
    } else if (rest.starts_with("tcp://")) {
        r.transport = Transport::tcp;
    } else if (rest.starts_with("udp://")) {
        r.transport = Transport::udp;
    } else if (rest.find("://") != std::string_view::npos) {
        return bad(forms, text);
    }
    if (auto scheme = rest.find("://"); scheme != std::string_view::npos)
        rest.remove_prefix(scheme + 3);

    std::string_view auth_name;
    bool has_hash = false;
    if (auto hash = rest.find('#'); hash != std::string_view::npos) {
        auth_name = rest.substr(hash + 1);
        rest = rest.substr(0, hash);
        has_hash = true;
    }
    if (r.transport == Transport::tls) {
        // RFC 7858 §4.2 / RFC 8310: without a name the certificate cannot be authenticated.
        if (auth_name.empty())
            return bad(
                "\"tls://IP[:853]#auth-name\" with the name the upstream's certificate "
                "carries",
                text);
        if (auth_name.size() > 253 || !dns::Name::from_text(auth_name).ok() || auth_name == ".")
            return bad("a host name after '#'", text);
        r.tls_name = std::string(auth_name);
        if (r.tls_name.back() == '.')
            r.tls_name.pop_back();
    } else if (has_hash) {
        return bad("\"#auth-name\" only with tls://", text);
    }
    auto addr = SockAddr::parse(rest, port);
    if (!addr)
        return bad(forms, text);
    r.addr = *addr;
    return r;
}

}  // namespace muster::config
