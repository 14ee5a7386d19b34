// Socket addresses and CIDR prefixes: parsing, formatting, matching.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hh"

namespace muster {

class SockAddr {
  public:
    SockAddr() = default;
    SockAddr(const sockaddr* sa, socklen_t len);

    // "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53"; default_port when none is given.
    static Result<SockAddr> parse(std::string_view text, uint16_t default_port);
    // An IP literal only (no port).
    static Result<SockAddr> parse_ip(std::string_view text, uint16_t port);

    int family() const { return storage_.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t len() const { return len_; }
    socklen_t* len_ptr() { return &len_; }
    socklen_t capacity() const { return sizeof storage_; }
    uint16_t port() const;
    void set_port(uint16_t port);
    bool is_loopback() const;
    bool is_unspecified() const;

    std::string ip_string() const;
    std::string to_string() const;  // "1.2.3.4:53" or "[::1]:53"

    bool operator==(const SockAddr& o) const;
    // Same IP, ignoring port.
    bool same_ip(const SockAddr& o) const;

  private:
    sockaddr_storage storage_{};
    socklen_t len_ = 0;
};

class Cidr {
  public:
    static Result<Cidr> parse(std::string_view text);  // "10.0.0.0/8", "::1", "127.0.0.1"
    bool contains(const SockAddr& addr) const;
    std::string to_string() const;
    bool operator==(const Cidr&) const = default;

  private:
    int family_ = 0;
    uint8_t bytes_[16]{};
    int prefix_ = 0;
};

}  // namespace muster
