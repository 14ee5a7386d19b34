// LocalZone: local records and hosts-file names, answered authoritatively (AA).
#include "resolver/local_zone.hh"

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "dns/hosts_file.hh"

namespace muster::resolver {
namespace {
std::string_view key_of(const dns::Name& n) {
    return {reinterpret_cast<const char*>(n.data()), n.size()};
}

// RFC 1035 §3.5 / RFC 3596 §2.5: the reverse-lookup name of an address.
dns::Name reverse_name(const SockAddr& a) {
    std::string text;
    char buf[8];
    if (a.family() == AF_INET) {
        const auto* b = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr);
        for (int i = 3; i >= 0; --i) {
            std::snprintf(buf, sizeof buf, "%u.", b[i]);
            text += buf;
        }
        text += "in-addr.arpa.";
    } else {
        const auto* b = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr);
        for (int i = 15; i >= 0; --i) {
            std::snprintf(buf, sizeof buf, "%x.%x.", b[i] & 0xf, b[i] >> 4);
            text += buf;
        }
        text += "ip6.arpa.";
    }
    auto n = dns::Name::from_text(text);
    return n ? *n : dns::Name();
}

std::vector<uint8_t> address_rdata(const SockAddr& a) {
    if (a.family() == AF_INET) {
        const auto* b = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr);
        return {b, b + 4};
    }
    const auto* b = reinterpret_cast<const uint8_t*>(
        &reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr);
    return {b, b + 16};
}
}  // namespace

void LocalZone::add(const dns::Name& name, uint16_t type, uint32_t ttl,
                    std::vector<uint8_t> rdata) {
    dns::Name lower = name;
    lower.lowercase();
    auto it = nodes_.find(key_of(lower));
    if (it == nodes_.end()) {
        auto node = std::make_unique<Node>();
        node->name = lower;
        auto* raw = node.get();
        it = nodes_.emplace(key_of(raw->name), std::move(node)).first;
    }
    for (const Rr& rr : it->second->rrs)
        if (rr.type == type && rr.rdata == rdata)
            return;  // duplicates collapse (RRset semantics)
    it->second->rrs.push_back(Rr{type, ttl, std::move(rdata)});
}

Result<std::shared_ptr<const LocalZone>> LocalZone::build(const Zones& zones,
                                                          std::vector<std::string>& warnings) {
    auto zone = std::shared_ptr<LocalZone>(new LocalZone());
    for (const auto& r : zones.records)
        zone->add(r.name, r.type, r.ttl, r.rdata);
    if (!zones.hosts_file.empty()) {
        std::ifstream in(zones.hosts_file);
        if (!in)
            return make_error(zones.hosts_file + ": cannot read: " + std::strerror(errno));
        std::stringstream ss;
        ss << in.rdbuf();
        auto parsed = dns::parse_hosts(ss.str());
        for (auto& w : parsed.warnings)
            warnings.push_back(zones.hosts_file + ": " + w);
        for (const auto& e : parsed.entries) {
            uint16_t type = e.addr.family() == AF_INET ? dns::type::a : dns::type::aaaa;
            zone->add(e.name, type, zones.local_ttl, address_rdata(e.addr));
            if (e.canonical) {
                std::vector<uint8_t> target(e.name.data(), e.name.data() + e.name.size());
                zone->add(reverse_name(e.addr), dns::type::ptr, zones.local_ttl, std::move(target));
            }
        }
    }
    return std::shared_ptr<const LocalZone>(std::move(zone));
}

const LocalZone::Node* LocalZone::find(const dns::Name& lower) const {
    auto it = nodes_.find(key_of(lower));
    return it == nodes_.end() ? nullptr : it->second.get();
}

LocalZone::Outcome LocalZone::answer(const dns::Query& q, dns::ResponseWriter& w,
                                     const dns::EdnsOut& edns, uint16_t extra_flags) const {
    if (q.qclass != dns::klass::in && q.qclass != dns::klass::any)
        return Outcome::not_ours;
    // Local data owns exact names only, as dnsmasq's hosts and Unbound's local-data in a
    // transparent zone: "example.com" is still forwarded when "www.example.com" is local.
    const Node* node = find(q.qname_lower);
    if (!node)
        return Outcome::not_ours;
    w.begin(q, static_cast<uint16_t>(dns::flag::aa | extra_flags), dns::rcode::noerror, edns);
    // Follow CNAMEs inside local data (RFC 1034 §4.3.2 step 3a), at most 8 hops.
    const Node* cur = node;
    for (int hop = 0; cur && hop < 8; ++hop) {
        const Rr* cname = nullptr;
        bool any = false;
        for (const Rr& rr : cur->rrs) {
            if (rr.type == q.qtype || q.qtype == dns::type::any) {
                w.add(dns::Section::answer, cur == node ? q.qname : cur->name, rr.type,
                      dns::klass::in, rr.ttl, rr.rdata);
                any = true;
            } else if (rr.type == dns::type::cname) {
                cname = &rr;
            }
        }
        if (any || !cname)
            break;
        w.add(dns::Section::answer, cur == node ? q.qname : cur->name, dns::type::cname,
              dns::klass::in, cname->ttl, cname->rdata);
        dns::Name target;
        if (!target.assign_wire(cname->rdata))
            break;
        target.lowercase();
        cur = find(target);
    }
    return Outcome::answered;
}

}  // namespace muster::resolver
