// Address-list templates resolved against the host's interfaces.
#include "config/internal/templates.hh"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include "common/ascii.hh"

namespace muster::config::internal {
namespace {

uint32_t ipv4_host_order(const SockAddr& a) {
    return ntohl(reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr.s_addr);
}

// RFC 1918 §3.
bool is_private_ipv4(const SockAddr& a) {
    if (a.family() != AF_INET)
        return false;
    uint32_t ip = ipv4_host_order(a);
    return (ip >> 24) == 10 || (ip >> 20) == (172u << 4 | 1u) || (ip >> 16) == (192u << 8 | 168u);
}

Error template_error(std::string_view what, std::string_view tmpl, std::string_view why) {
    return make_error("expected " + std::string(what) + " (got \"" + std::string(tmpl) +
                      "\": " + std::string(why) + ")");
}

Result<SockAddr> get_interface_ip(std::string_view tmpl, std::string_view ifname,
                                  std::span<const InterfaceAddr> interfaces) {
    bool found = false;
    for (const auto& i : interfaces) {
        if (i.name != ifname)
            continue;
        found = true;
        if (i.addr.family() == AF_INET)
            return i.addr;
    }
    std::string name = "\"" + std::string(ifname) + "\"";
    if (!found)
        return template_error("an interface with an IPv4 address", tmpl, "no interface " + name);
    return template_error("an interface with an IPv4 address", tmpl,
                          "interface " + name + " has no IPv4 address");
}

Result<SockAddr> get_private_ip(std::string_view tmpl, std::span<const InterfaceAddr> interfaces) {
    for (const auto& i : interfaces)
        if (i.state == InterfaceState::up && is_private_ipv4(i.addr))
            return i.addr;
    return template_error("a private (RFC 1918) IPv4 address on an up interface", tmpl,
                          "none found");
}

// Inner text of "{{ ... }}": a function name and at most one double-quoted argument.
Result<SockAddr> evaluate(std::string_view tmpl, std::string_view inner,
                          std::span<const InterfaceAddr> interfaces) {
    inner = ascii::trim(inner);
    size_t name_end = 0;
    while (name_end < inner.size() && !ascii::is_blank(inner[name_end]) && inner[name_end] != '"')
        ++name_end;
    std::string_view func = inner.substr(0, name_end);
    std::string_view arg_text = ascii::trim(inner.substr(name_end));
    bool has_arg = !arg_text.empty();
    std::string_view arg;
    if (has_arg) {
        if (arg_text.size() < 2 || arg_text.front() != '"' || arg_text.back() != '"' ||
            arg_text.substr(1, arg_text.size() - 2).find('"') != std::string_view::npos)
            return template_error("one double-quoted argument", tmpl, "bad argument");
        arg = arg_text.substr(1, arg_text.size() - 2);
    }
    if (func == "GetInterfaceIP" && has_arg)
        return get_interface_ip(tmpl, arg, interfaces);
    if (func == "GetPrivateIP" && !has_arg)
        return get_private_ip(tmpl, interfaces);
    return template_error("{{ GetInterfaceIP \"NAME\" }} or {{ GetPrivateIP }}", tmpl,
                          "unknown template");
}

}  // namespace

std::vector<InterfaceAddr> system_interfaces() {
    std::vector<InterfaceAddr> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return out;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr)
            continue;
        int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6)
            continue;
        socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        InterfaceAddr a{
            .name = i->ifa_name,
            .addr = SockAddr(i->ifa_addr, len),
            .state = (i->ifa_flags & IFF_UP) ? InterfaceState::up : InterfaceState::down};
        a.addr.set_port(0);
        out.push_back(std::move(a));
    }
    freeifaddrs(list);
    return out;
}

Result<std::vector<SockAddr>> expand_addresses(std::string_view text,
                                               std::span<const InterfaceAddr> interfaces) {
    std::vector<SockAddr> out;
    std::string_view rest = ascii::trim(text);
    if (rest.empty())
        return make_error("expected at least one IP address or template (got \"" +
                          std::string(text) + "\")");
    while (!rest.empty()) {
        if (rest.starts_with("{{")) {
            size_t close = rest.find("}}");
            if (close == std::string_view::npos)
                return make_error("expected \"}}\" closing the template (got \"" +
                                  std::string(rest) + "\")");
            std::string_view tmpl = rest.substr(0, close + 2);
            auto addr = evaluate(tmpl, rest.substr(2, close - 2), interfaces);
            if (!addr)
                return addr.error();
            out.push_back(*addr);
            rest = ascii::trim(rest.substr(close + 2));
            continue;
        }
        size_t end = 0;
        while (end < rest.size() && !ascii::is_blank(rest[end]) &&
               !rest.substr(end).starts_with("{{"))
            ++end;
        std::string_view literal = rest.substr(0, end);
        auto addr = SockAddr::parse_ip(literal, 0);
        if (!addr)
            return make_error("expected an IP address or template (got \"" + std::string(literal) +
                              "\")");
        out.push_back(*addr);
        rest = ascii::trim(rest.substr(end));
    }
    return out;
}

}  // namespace muster::config::internal
