// DNS message basics: constants, query parsing, query and error writing (RFC 1035, 6891).
// Nothing here allocates; callers pass buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dns/name.hh"

namespace muster::dns {

namespace type {
constexpr uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16, aaaa = 28,
                   srv = 33, opt = 41, ixfr = 251, axfr = 252, any = 255;
}
namespace klass {
constexpr uint16_t in = 1, ch = 3, any = 255;
}
namespace rcode {
constexpr uint8_t noerror = 0, formerr = 1, servfail = 2, nxdomain = 3, notimp = 4, refused = 5;
}
namespace opcode {
constexpr uint8_t query = 0;
}
// RFC 8914 Extended DNS Error info-codes we emit.
namespace ede {
constexpr uint16_t stale_answer = 3, network_error = 23, not_ready = 14, prohibited = 18;
}

constexpr size_t header_size = 12;
constexpr uint16_t edns_advertised_size = 1232;  // DNS flag day 2020
constexpr size_t max_message = 65535;
constexpr uint16_t edns_option_ede = 15;

// Header flag bits, in the second 16-bit word (RFC 1035 §4.1.1).
namespace flag {
constexpr uint16_t qr = 0x8000, aa = 0x0400, tc = 0x0200, rd = 0x0100, ra = 0x0080, ad = 0x0020,
                   cd = 0x0010;
}

// "A", "aaaa", "SRV", "TYPE65" → number; 0 when unknown.
uint16_t type_from_text(std::string_view text);
// 1 → "A"; unknown → "TYPE<n>" written to a static thread-local buffer.
std::string_view type_to_text(uint16_t type);

// A parsed client query (RFC 1035 §4.1). Reused per query; no heap.
struct Query {
    uint16_t id = 0;
    uint16_t flags = 0;  // the raw flags word as received
    uint8_t opcode = 0;
    Name qname;        // as received (case preserved, for the answer's question)
    Name qname_lower;  // lowercased, for every lookup
    uint16_t qtype = 0;
    uint16_t qclass = 0;
    bool has_edns = false;
    uint16_t edns_udp_size = 512;  // the client's advertised size (>= 512), 512 without EDNS
    bool do_bit = false;
    uint8_t edns_version = 0;
    size_t question_end = 0;  // offset just after the question section

    bool rd() const { return (flags & flag::rd) != 0; }
    bool cd() const { return (flags & flag::cd) != 0; }
};

enum class ParseStatus {
    ok,
    drop,     // not answerable at all: shorter than a header, or QR set (a response)
    formerr,  // header readable, message malformed: answer FORMERR
    notimp,   // opcode other than QUERY: answer NOTIMP
    badvers,  // EDNS version > 0: answer BADVERS (RFC 6891 §6.1.3)
};

// Parses a query: exactly one question (QDCOUNT 1), no answer/authority records, at most one
// OPT record in the additional section (others in additional are ignored), no trailing junk
// beyond the counted records. Names in the question must not be compressed.
ParseStatus parse_query(std::span<const uint8_t> msg, Query& q);

// Writes a header-only (plus question, when q has one) error response for a query that could
// not be answered. Works from the raw request so it can answer messages parse_query rejected:
// echoes the ID, opcode and RD bit; copies the question only when status is notimp/badvers/ok
// and q.question_end > 0. Adds an OPT record when q.has_edns. Returns the length, 0 when
// nothing should be sent (drop).
size_t write_error(std::span<const uint8_t> request, const Query& q, uint8_t rcode,
                   std::span<uint8_t> out);

struct EdnsOut {
    bool present = false;
    uint16_t udp_size = edns_advertised_size;
    bool do_bit = false;
    uint16_t ede_code = 0;  // RFC 8914 info-code; used when has_ede
    bool has_ede = false;
    uint8_t ext_rcode = 0;  // upper 8 bits of a 12-bit rcode (BADVERS = 1)
};
// Size an OPT record with these contents occupies on the wire.
size_t edns_size(const EdnsOut& e);
// Appends an OPT RR at out[0..]; returns bytes written (0 when it does not fit).
size_t write_opt(const EdnsOut& e, std::span<uint8_t> out);

// What an upstream query asks for (designated initialisers: {.rd = true, .do_bit = q.do_bit}).
struct QueryFlags {
    bool rd = true;       // recursion desired
    bool do_bit = false;  // DNSSEC OK (RFC 3225)
};

// Writes an upstream query: header (RD per flags, the ID given by the caller), one question,
// an OPT record advertising edns_advertised_size with the DO bit per flags.
// Returns the length, 0 when out is too small.
size_t write_query(std::span<uint8_t> out, uint16_t id, const Name& qname, uint16_t qtype,
                   uint16_t qclass, QueryFlags flags);

// Big-endian helpers.
inline uint16_t get16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t get32(const uint8_t* p) {
    return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
           static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

}  // namespace muster::dns
