// Test helper: builds real queries and responses with the dns/ writers and reads messages back.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.hh"
#include "dns/rdata.hh"
#include "dns/response_writer.hh"
#include "dns/wire.hh"

namespace muster::resolver::test {

using Bytes = std::vector<uint8_t>;

inline dns::Name name(std::string_view text) {
    auto n = dns::Name::from_text(text);
    BOOST_REQUIRE_MESSAGE(n.ok(), "bad name in test: " << text);
    return *n;
}

enum class Dnssec { off, on };

// A client query as the listener would have parsed it (always with EDNS, as write_query does).
inline dns::Query make_query(std::string_view qname, uint16_t qtype, uint16_t id = 0x1234,
                             Dnssec dnssec = Dnssec::off, uint16_t qclass = dns::klass::in) {
    uint8_t buf[512];
    size_t len = dns::write_query(buf, id, name(qname), qtype, qclass,
                                  {.rd = true, .do_bit = dnssec == Dnssec::on});
    BOOST_REQUIRE(len > 0);
    dns::Query q;
    BOOST_REQUIRE(dns::parse_query({buf, len}, q) == dns::ParseStatus::ok);
    return q;
}

inline dns::EdnsOut edns_of(const dns::Query& q) {
    dns::EdnsOut e;
    e.present = q.has_edns;
    e.do_bit = q.do_bit;
    return e;
}

struct RrSpec {
    std::string owner;
    uint16_t type = 0;
    uint32_t ttl = 0;
    std::string rdata;  // presentation form, for dns::rdata_from_text
    dns::Section section = dns::Section::answer;
};

// A response to q as an upstream would send it: rcode, the given RRs, and an OPT record.
inline Bytes make_response(const dns::Query& q, uint8_t rcode, const std::vector<RrSpec>& rrs) {
    Bytes out(4096);
    dns::ResponseWriter w(out, out.size());
    dns::EdnsOut edns;
    edns.present = true;
    w.begin(q, dns::flag::ra, rcode, edns);
    for (const auto& rr : rrs) {
        auto rdata = dns::rdata_from_text(rr.type, rr.rdata);
        BOOST_REQUIRE_MESSAGE(rdata.ok(), "bad rdata in test: " << rr.rdata);
        BOOST_REQUIRE(w.add(rr.section, name(rr.owner), rr.type, dns::klass::in, rr.ttl, *rdata));
    }
    size_t len = w.finish();
    BOOST_REQUIRE(len > 0);
    out.resize(len);
    return out;
}

// A message read back: header fields and every RR (names decompressed; RDATA as on the wire).
struct Rr {
    dns::Name owner;
    uint16_t type = 0;
    uint16_t klass = 0;
    uint32_t ttl = 0;
    Bytes rdata;
};
struct Message {
    uint16_t id = 0;
    uint16_t flags = 0;
    dns::Name qname;
    uint16_t qtype = 0, qclass = 0;
    std::vector<Rr> answer, authority, additional;

    uint8_t rcode() const { return flags & 0x0F; }
    bool has(uint16_t flag) const { return (flags & flag) != 0; }
    const Rr* opt() const {
        for (const auto& rr : additional)
            if (rr.type == dns::type::opt)
                return &rr;
        return nullptr;
    }
};

inline std::optional<Message> read_message(std::span<const uint8_t> msg) {
    if (msg.size() < dns::header_size)
        return std::nullopt;
    Message m;
    const uint8_t* p = msg.data();
    m.id = dns::get16(p);
    m.flags = dns::get16(p + 2);
    if (dns::get16(p + 4) != 1)
        return std::nullopt;
    size_t pos = 0;
    if (!m.qname.assign_message(msg, dns::header_size, &pos) || msg.size() - pos < 4)
        return std::nullopt;
    m.qtype = dns::get16(p + pos);
    m.qclass = dns::get16(p + pos + 2);
    pos += 4;
    std::vector<Rr>* sections[3] = {&m.answer, &m.authority, &m.additional};
    for (int s = 0; s < 3; ++s) {
        for (uint16_t i = 0, n = dns::get16(p + 6 + 2 * s); i < n; ++i) {
            Rr rr;
            if (!rr.owner.assign_message(msg, pos, &pos) || msg.size() - pos < 10)
                return std::nullopt;
            rr.type = dns::get16(p + pos);
            rr.klass = dns::get16(p + pos + 2);
            rr.ttl = dns::get32(p + pos + 4);
            size_t rdlen = dns::get16(p + pos + 8);
            pos += 10;
            if (msg.size() - pos < rdlen)
                return std::nullopt;
            rr.rdata.assign(p + pos, p + pos + rdlen);
            pos += rdlen;
            sections[s]->push_back(std::move(rr));
        }
    }
    if (pos != msg.size())
        return std::nullopt;  // no trailing junk in what we render
    return m;
}

inline Bytes rdata(uint16_t type, std::string_view text) {
    auto r = dns::rdata_from_text(type, text);
    BOOST_REQUIRE_MESSAGE(r.ok(), "bad rdata in test: " << text);
    return *r;
}

// The info-code of the EDE option (RFC 8914 §2) in the message's OPT record, if any.
inline std::optional<uint16_t> ede_code(const Message& m) {
    const Rr* opt = m.opt();
    if (!opt)
        return std::nullopt;
    const Bytes& d = opt->rdata;
    for (size_t i = 0; i + 4 <= d.size();) {
        uint16_t code = dns::get16(&d[i]);
        uint16_t len = dns::get16(&d[i + 2]);
        if (i + 4 + len > d.size())
            return std::nullopt;
        if (code == dns::edns_option_ede && len >= 2)
            return dns::get16(&d[i + 4]);
        i += 4 + len;
    }
    return std::nullopt;
}

}  // namespace muster::resolver::test
