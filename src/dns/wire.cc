// DNS message basics: type names, query parsing, error and query writing (RFC 1035 §4, 6891).
#include "dns/wire.hh"

#include <array>
#include <cstdio>
#include <cstring>

namespace muster::dns {

namespace {

struct TypeName {
    uint16_t type;
    std::string_view text;
};
constexpr std::array<TypeName, 14> type_names = {{{type::a, "A"},
                                                  {type::ns, "NS"},
                                                  {type::cname, "CNAME"},
                                                  {type::soa, "SOA"},
                                                  {type::ptr, "PTR"},
                                                  {type::mx, "MX"},
                                                  {type::txt, "TXT"},
                                                  {type::aaaa, "AAAA"},
                                                  {type::srv, "SRV"},
                                                  {type::opt, "OPT"},
                                                  {type::ixfr, "IXFR"},
                                                  {type::axfr, "AXFR"},
                                                  {type::any, "ANY"},
                                                  {257, "CAA"}}};

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if ((x >= 'a' && x <= 'z' ? x - 32 : x) != (y >= 'a' && y <= 'z' ? y - 32 : y))
            return false;
    }
    return true;
}

constexpr size_t opt_fixed = 11;  // root owner, type, class, ttl, rdlength (RFC 6891 §6.1.2)
constexpr size_t rr_fixed = 10;   // type, class, ttl, rdlength after the owner
constexpr size_t ede_option = 6;  // code, length, info-code (RFC 8914 §2)

// The additional section of a query: at most one OPT (RFC 6891 §6.1.1), owned by the root,
// options well-formed. Other records are skipped.
ParseStatus parse_additional(std::span<const uint8_t> msg, size_t pos, uint16_t arcount, Query& q) {
    bool badvers = false;
    Name owner;
    for (uint16_t i = 0; i < arcount; ++i) {
        size_t after = 0;
        if (!owner.assign_message(msg, pos, &after))
            return ParseStatus::formerr;
        pos = after;
        if (msg.size() - pos < rr_fixed)
            return ParseStatus::formerr;
        const uint8_t* rr = msg.data() + pos;
        uint16_t rtype = get16(rr), rclass = get16(rr + 2), rdlen = get16(rr + 8);
        uint32_t ttl = get32(rr + 4);
        pos += rr_fixed;
        if (msg.size() - pos < rdlen)
            return ParseStatus::formerr;
        if (rtype == type::opt) {
            if (q.has_edns || owner.size() != 1)
                return ParseStatus::formerr;
            // Options are TLVs that must exactly fill the RDATA (RFC 6891 §6.1.2).
            size_t o = 0;
            while (o < rdlen) {
                if (rdlen - o < 4)
                    return ParseStatus::formerr;
                size_t olen = get16(msg.data() + pos + o + 2);
                if (rdlen - o - 4 < olen)
                    return ParseStatus::formerr;
                o += 4 + olen;
            }
            q.has_edns = true;
            q.edns_udp_size = rclass < 512 ? 512 : rclass;  // RFC 6891 §6.2.3
            q.edns_version = static_cast<uint8_t>(ttl >> 16);
            q.do_bit = (ttl & 0x8000) != 0;  // RFC 3225 §3
            badvers = q.edns_version > 0;
        }
        pos += rdlen;
    }
    if (pos != msg.size())
        return ParseStatus::formerr;  // trailing junk
    return badvers ? ParseStatus::badvers : ParseStatus::ok;
}

// Everything after the header; the caller decides how the opcode ranks against this.
ParseStatus parse_body(std::span<const uint8_t> msg, Query& q) {
    uint16_t qd = get16(msg.data() + 4), an = get16(msg.data() + 6), ns = get16(msg.data() + 8),
             ar = get16(msg.data() + 10);
    if (qd != 1)
        return ParseStatus::formerr;
    // The question comes first, so it cannot be compressed: assign_wire rejects pointers.
    Name qname;
    if (!qname.assign_wire(msg.subspan(header_size)))
        return ParseStatus::formerr;
    size_t pos = header_size + qname.size();
    if (msg.size() - pos < 4)
        return ParseStatus::formerr;
    q.qname = qname;
    q.qname_lower = qname;
    q.qname_lower.lowercase();
    q.qtype = get16(msg.data() + pos);
    q.qclass = get16(msg.data() + pos + 2);
    pos += 4;
    q.question_end = pos;
    if (an != 0 || ns != 0)
        return ParseStatus::formerr;
    return parse_additional(msg, pos, ar, q);
}

}  // namespace

uint16_t type_from_text(std::string_view text) {
    for (const auto& t : type_names)
        if (iequals(t.text, text))
            return t.type;
    // RFC 3597 §5 generic form.
    if (text.size() > 4 && iequals(text.substr(0, 4), "TYPE")) {
        unsigned v = 0;
        for (char c : text.substr(4)) {
            if (c < '0' || c > '9')
                return 0;
            v = v * 10 + static_cast<unsigned>(c - '0');
            if (v > 65535)
                return 0;
        }
        return static_cast<uint16_t>(v);
    }
    return 0;
}

std::string_view type_to_text(uint16_t t) {
    for (const auto& n : type_names)
        if (n.type == t)
            return n.text;
    thread_local char buf[12];
    int n = std::snprintf(buf, sizeof buf, "TYPE%u", static_cast<unsigned>(t));
    return {buf, static_cast<size_t>(n)};
}

ParseStatus parse_query(std::span<const uint8_t> msg, Query& q) {
    q = Query{};
    if (msg.size() < header_size || msg.size() > max_message)
        return ParseStatus::drop;
    q.id = get16(msg.data());
    q.flags = get16(msg.data() + 2);
    if ((q.flags & flag::qr) != 0)
        return ParseStatus::drop;  // never answer a response
    q.opcode = static_cast<uint8_t>((q.flags >> 11) & 0x0F);
    ParseStatus st = parse_body(msg, q);
    // The opcode outranks everything once the header is readable; the question parsed so far
    // is still echoed (RFC 1035 §4.1.1).
    if (q.opcode != opcode::query)
        return ParseStatus::notimp;
    return st;
}

size_t edns_size(const EdnsOut& e) {
    return opt_fixed + (e.has_ede ? ede_option : 0);
}

size_t write_opt(const EdnsOut& e, std::span<uint8_t> out) {
    size_t need = edns_size(e);
    if (out.size() < need)
        return 0;
    uint8_t* p = out.data();
    p[0] = 0;  // root owner
    put16(p + 1, type::opt);
    put16(p + 3, e.udp_size < 512 ? 512 : e.udp_size);
    // TTL: extended rcode, version 0, DO bit (RFC 6891 §6.1.3).
    put32(p + 5, static_cast<uint32_t>(e.ext_rcode) << 24 | (e.do_bit ? 0x8000u : 0u));
    put16(p + 9, static_cast<uint16_t>(need - opt_fixed));
    if (e.has_ede) {
        // RFC 8914 §2: INFO-CODE, no EXTRA-TEXT.
        put16(p + 11, edns_option_ede);
        put16(p + 13, 2);
        put16(p + 15, e.ede_code);
    }
    return need;
}

size_t write_error(std::span<const uint8_t> request, const Query& q, uint8_t rc,
                   std::span<uint8_t> out) {
    if (request.size() < header_size)
        return 0;
    uint16_t req_flags = get16(request.data() + 2);
    if ((req_flags & flag::qr) != 0)
        return 0;
    EdnsOut edns;
    edns.present = q.has_edns;
    edns.do_bit = q.do_bit;
    edns.ext_rcode = static_cast<uint8_t>(rc >> 4);
    // An extended rcode (BADVERS) needs an OPT record to carry its upper bits.
    if (edns.ext_rcode != 0 && !edns.present)
        rc = rcode::servfail;
    bool with_question =
        rc != rcode::formerr && q.question_end > header_size && q.question_end <= request.size();
    size_t qlen = with_question ? q.question_end - header_size : 0;
    size_t need = header_size + qlen + (edns.present ? edns_size(edns) : 0);
    if (out.size() < need)
        return 0;

    uint8_t* p = out.data();
    std::memcpy(p, request.data(), 2);  // ID
    uint16_t flags = static_cast<uint16_t>(flag::qr | (req_flags & 0x7800) |
                                           (req_flags & flag::rd) | (rc & 0x0F));
    put16(p + 2, flags);
    put16(p + 4, with_question ? 1 : 0);
    put16(p + 6, 0);
    put16(p + 8, 0);
    put16(p + 10, edns.present ? 1 : 0);
    if (qlen > 0)
        std::memcpy(p + header_size, request.data() + header_size, qlen);
    size_t len = header_size + qlen;
    if (edns.present)
        len += write_opt(edns, out.subspan(len));
    return len;
}

size_t write_query(std::span<uint8_t> out, uint16_t id, const Name& qname, uint16_t qtype,
                   uint16_t qclass, QueryFlags flags) {
    EdnsOut edns;
    edns.present = true;
    edns.do_bit = flags.do_bit;
    size_t need = header_size + qname.size() + 4 + edns_size(edns);
    if (out.size() < need)
        return 0;
    uint8_t* p = out.data();
    put16(p, id);
    put16(p + 2, flags.rd ? flag::rd : 0);
    put16(p + 4, 1);
    put16(p + 6, 0);
    put16(p + 8, 0);
    put16(p + 10, 1);
    std::memcpy(p + header_size, qname.data(), qname.size());
    size_t pos = header_size + qname.size();
    put16(p + pos, qtype);
    put16(p + pos + 2, qclass);
    pos += 4;
    return pos + write_opt(edns, out.subspan(pos));
}

}  // namespace muster::dns
