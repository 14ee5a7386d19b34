// Socket addresses and CIDR prefixes.
#include "common/address.hh"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace muster {

SockAddr::SockAddr(const sockaddr* sa, socklen_t len) {
    if (len > sizeof storage_)
        len = sizeof storage_;
    std::memcpy(&storage_, sa, len);
    len_ = len;
}

Result<SockAddr> SockAddr::parse_ip(std::string_view text, uint16_t port) {
    std::string s(text);
    SockAddr a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
    if (inet_pton(AF_INET, s.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    return make_error("not an IP address: \"" + s + "\"");
}

Result<SockAddr> SockAddr::parse(std::string_view text, uint16_t default_port) {
    std::string_view host = text;
    uint16_t port = default_port;
    auto parse_port = [&](std::string_view p) -> bool {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535)
            return false;
        port = static_cast<uint16_t>(v);
        return true;
    };
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            return make_error("missing ']' in \"" + std::string(text) + "\"");
        host = text.substr(1, close - 1);
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || !parse_port(rest.substr(1)))
                return make_error("bad port in \"" + std::string(text) + "\"");
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        if (!parse_port(text.substr(colon + 1)))
            return make_error("bad port in \"" + std::string(text) + "\"");
    }
    return parse_ip(host, port);
}

uint16_t SockAddr::port() const {
    if (family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    return 0;
}

void SockAddr::set_port(uint16_t port) {
    if (family() == AF_INET)
        reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
    if (family() == AF_INET6)
        reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
}

bool SockAddr::is_loopback() const {
    if (family() == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) ==
               127;
    if (family() == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return false;
}

bool SockAddr::is_unspecified() const {
    if (family() == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == 0;
    if (family() == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(
            &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    return false;
}

std::string SockAddr::ip_string() const {
    char buf[INET6_ADDRSTRLEN] = "";
    if (family() == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
                  sizeof buf);
    else if (family() == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                  sizeof buf);
    return buf;
}

std::string SockAddr::to_string() const {
    if (family() == AF_INET6)
        return "[" + ip_string() + "]:" + std::to_string(port());
    return ip_string() + ":" + std::to_string(port());
}

bool SockAddr::same_ip(const SockAddr& o) const {
    if (family() != o.family())
        return false;
    if (family() == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in*>(&o.storage_)->sin_addr.s_addr;
    if (family() == AF_INET6)
        return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                           &reinterpret_cast<const sockaddr_in6*>(&o.storage_)->sin6_addr, 16) == 0;
    return false;
}

bool SockAddr::operator==(const SockAddr& o) const {
    return same_ip(o) && port() == o.port();
}

Result<Cidr> Cidr::parse(std::string_view text) {
    std::string_view ip = text;
    int prefix = -1;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        ip = text.substr(0, slash);
        auto p = text.substr(slash + 1);
        // Unsigned, so "-1" is an error and not silently a host route.
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 128)
            return make_error("bad prefix length in \"" + std::string(text) + "\"");
        prefix = static_cast<int>(v);
    }
    auto a = SockAddr::parse_ip(ip, 0);
    if (!a)
        return make_error("not an address or CIDR prefix: \"" + std::string(text) + "\"");
    Cidr c;
    c.family_ = a->family();
    int max = c.family_ == AF_INET ? 32 : 128;
    if (prefix < 0)
        prefix = max;
    if (prefix > max)
        return make_error("prefix length over " + std::to_string(max) + " in \"" +
                          std::string(text) + "\"");
    c.prefix_ = prefix;
    if (c.family_ == AF_INET)
        std::memcpy(c.bytes_, &reinterpret_cast<const sockaddr_in*>(a->get())->sin_addr, 4);
    else
        std::memcpy(c.bytes_, &reinterpret_cast<const sockaddr_in6*>(a->get())->sin6_addr, 16);
    return c;
}

bool Cidr::contains(const SockAddr& addr) const {
    const uint8_t* b = nullptr;
    uint8_t mapped[4];
    if (addr.family() == AF_INET) {
        b = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(addr.get())->sin_addr);
    } else if (addr.family() == AF_INET6) {
        b = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in6*>(addr.get())->sin6_addr);
        if (family_ == AF_INET) {
            // An IPv4-mapped IPv6 source (::ffff:a.b.c.d) matches IPv4 prefixes.
            static constexpr uint8_t prefix96[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (std::memcmp(b, prefix96, 12) != 0)
                return false;
            std::memcpy(mapped, b + 12, 4);
            b = mapped;
        }
    } else {
        return false;
    }
    if (addr.family() == AF_INET && family_ != AF_INET)
        return false;
    int full = prefix_ / 8, rest = prefix_ % 8;
    if (std::memcmp(b, bytes_, static_cast<size_t>(full)) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (b[full] & mask) == (bytes_[full] & mask);
}

std::string Cidr::to_string() const {
    char buf[INET6_ADDRSTRLEN] = "";
    inet_ntop(family_, bytes_, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix_);
}

}  // namespace muster
