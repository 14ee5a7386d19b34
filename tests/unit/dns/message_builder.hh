// Test helper: builds DNS messages byte by byte so tests state exactly what is on the wire.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dns/wire.hh"

namespace muster::dns::test {

class MessageBuilder {
  public:
    MessageBuilder& u8(uint8_t v) {
        b_.push_back(v);
        return *this;
    }
    MessageBuilder& u16(uint16_t v) {
        return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v));
    }
    MessageBuilder& u32(uint32_t v) {
        return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
    }
    MessageBuilder& bytes(std::initializer_list<uint8_t> v) {
        b_.insert(b_.end(), v.begin(), v.end());
        return *this;
    }
    MessageBuilder& bytes(const std::vector<uint8_t>& v) {
        b_.insert(b_.end(), v.begin(), v.end());
        return *this;
    }
    MessageBuilder& header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                           uint16_t ar) {
        return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
    }
    // Dotted text as uncompressed labels ("" or "." is the root); no escapes.
    MessageBuilder& name(std::string_view text) {
        while (!text.empty() && text != ".") {
            size_t dot = text.find('.');
            std::string_view label = text.substr(0, dot);
            u8(static_cast<uint8_t>(label.size()));
            b_.insert(b_.end(), label.begin(), label.end());
            if (dot == std::string_view::npos)
                break;
            text.remove_prefix(dot + 1);
        }
        return u8(0);
    }
    MessageBuilder& pointer(uint16_t offset) { return u16(static_cast<uint16_t>(0xC000 | offset)); }
    MessageBuilder& question(std::string_view qname, uint16_t qtype, uint16_t qclass = klass::in) {
        return name(qname).u16(qtype).u16(qclass);
    }
    // Fixed part of an RR after its owner, then the RDATA.
    MessageBuilder& rr(uint16_t type, uint16_t klass, uint32_t ttl,
                       const std::vector<uint8_t>& rdata) {
        u16(type).u16(klass).u32(ttl).u16(static_cast<uint16_t>(rdata.size()));
        return bytes(rdata);
    }
    // OPT RR (RFC 6891 §6.1.2) owned by the root.
    MessageBuilder& opt(uint16_t udp_size, uint8_t ext_rcode = 0, uint8_t version = 0,
                        bool do_bit = false, const std::vector<uint8_t>& options = {}) {
        u8(0);
        return rr(type::opt, udp_size,
                  static_cast<uint32_t>(ext_rcode) << 24 | static_cast<uint32_t>(version) << 16 |
                      (do_bit ? 0x8000u : 0u),
                  options);
    }
    size_t size() const { return b_.size(); }
    const std::vector<uint8_t>& get() const { return b_; }
    std::vector<uint8_t>& get() { return b_; }

  private:
    std::vector<uint8_t> b_;
};

// SOA RDATA with the given MINIMUM, names uncompressed.
inline std::vector<uint8_t> soa_rdata(uint32_t minimum) {
    MessageBuilder b;
    b.name("ns.example")
        .name("hostmaster.example")
        .u32(1)
        .u32(3600)
        .u32(600)
        .u32(86400)
        .u32(minimum);
    return b.get();
}

}  // namespace muster::dns::test
