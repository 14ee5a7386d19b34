// Upstream responses: validation against the query we sent, TTL analysis for the cache
// (RFC 2308 negative caching), and re-stamping a stored answer for a client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire.hh"

namespace muster::dns {

constexpr size_t max_ttl_offsets = 256;

struct ResponseInfo {
    uint16_t id = 0;
    uint8_t rcode = 0;
    bool truncated = false;
    uint16_t ancount = 0, nscount = 0, arcount = 0;  // arcount excludes the OPT record
    // The message without its OPT record: bytes [0, body_end) with arcount already lowered.
    // parse_response strips OPT only when it is the last RR; otherwise cacheable is false.
    size_t body_end = 0;
    // positive answers: the smallest TTL of all non-OPT RRs;
    // negative (NXDOMAIN, or NOERROR with no answer RRs): min(SOA TTL, SOA MINIMUM) of the SOA in
    // the authority section (RFC 2308 §5), or 0 with has_soa false.
    uint32_t ttl = 0;
    bool negative = false;
    bool has_soa = false;
    // NOERROR/NXDOMAIN, not truncated, all TTL offsets recorded, OPT (if any) stripped, no
    // extended rcode; a negative answer without SOA is not cacheable (RFC 2308 §5).
    bool cacheable = false;
    uint16_t ttl_offsets[max_ttl_offsets] = {};  // where each non-OPT RR's TTL field sits
    uint16_t ttl_count = 0;
    bool has_opt = false;       // the response carried an OPT record
    bool opt_stripped = false;  // ... and it was the last RR, so body_end excludes it
    uint8_t ext_rcode = 0;      // upper rcode bits from the OPT record (non-zero: not cacheable)
};

enum class ResponseStatus {
    ok,
    malformed,          // not a parseable DNS message, or compression loop/out of bounds
    not_a_response,     // QR bit clear
    question_mismatch,  // QDCOUNT != 1, or qname/qtype/qclass differ from what was asked
};

// Validates and analyses msg as the answer to (qname, qtype, qclass). Does not check the ID
// (the transport matches IDs). Follows compression pointers safely (bounded, backwards only).
ResponseStatus parse_response(std::span<const uint8_t> msg, const Name& qname, uint16_t qtype,
                              uint16_t qclass, ResponseInfo& info);

// Lowers arcount by one when the OPT record was stripped: call on a copy of msg[0, body_end)
// before storing it. (parse_response does not modify msg.)
void strip_opt_header(std::span<uint8_t> body, const ResponseInfo& info);

struct RenderParams {
    uint32_t elapsed_s = 0;  // seconds since the answer was stored: subtracted from every TTL
    bool stale = false;      // serve-stale: every TTL becomes stale_ttl_s (RFC 8767 §4)
    uint32_t stale_ttl_s = 30;
    EdnsOut edns;  // the client's EDNS (present == client sent OPT), EDE when stale
    bool ra = true;
};

// Copies a stored body (from strip_opt_header) into out for this client: the client's ID,
// RD/CD bits and question (original case), TTLs lowered by elapsed (never below 0) or set to
// the stale TTL, RA per params, then the OPT record. When it would exceed `limit` the
// answer is truncated to header + question (+OPT) with TC set. AA is cleared (we forward), AD
// is kept only when the client set AD or DO (RFC 6840 §5.8), the stored rcode is kept.
// Returns the length (0 when out is too small even for that, or when body's question name is
// not client.qname in another case).
size_t render_stored(std::span<const uint8_t> body, std::span<const uint16_t> ttl_offsets,
                     const Query& client, const RenderParams& params, std::span<uint8_t> out,
                     size_t limit);

}  // namespace muster::dns
