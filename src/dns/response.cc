// Upstream response validation and TTL analysis (RFC 1035 §4.1, RFC 2308) and re-stamping
// stored answers for clients.
#include "dns/response.hh"

#include <algorithm>
#include <cstring>

namespace muster::dns {

namespace {

constexpr size_t rr_fixed = 10;
constexpr uint32_t ttl_max_positive = 0x7FFFFFFF;

// RFC 2181 §8: a TTL with the top bit set is treated as zero.
uint32_t clamp_ttl(uint32_t ttl) {
    return ttl > ttl_max_positive ? 0 : ttl;
}

// Reads the TTL and MINIMUM of SOA RDATA at msg[pos, pos + rdlen).
bool read_soa_minimum(std::span<const uint8_t> msg, size_t pos, size_t rdlen, uint32_t* minimum) {
    std::span<const uint8_t> upto = msg.first(pos + rdlen);  // names must stay inside RDATA
    Name scratch;
    size_t after = 0;
    if (!scratch.assign_message(upto, pos, &after))
        return false;  // MNAME
    if (!scratch.assign_message(upto, after, &after))
        return false;  // RNAME
    if (pos + rdlen - after != 20)
        return false;  // SERIAL REFRESH RETRY EXPIRE MINIMUM
    *minimum = get32(msg.data() + after + 16);
    return true;
}

struct Walk {
    uint32_t min_ttl = ttl_max_positive;
    uint32_t soa_ttl = 0;
    bool all_offsets = true;
    size_t opt_start = 0;
    size_t opt_end = 0;
};

// Walks every RR after the question (RFC 1035 §4.1.3).
ResponseStatus walk_records(std::span<const uint8_t> msg, size_t pos, ResponseInfo& info, Walk& w,
                            size_t* end) {
    uint32_t counts[3] = {info.ancount, info.nscount, info.arcount};
    Name owner;
    for (int section = 0; section < 3; ++section) {
        for (uint32_t i = 0; i < counts[section]; ++i) {
            size_t rr_start = pos;
            if (!owner.assign_message(msg, pos, &pos))
                return ResponseStatus::malformed;
            if (msg.size() - pos < rr_fixed)
                return ResponseStatus::malformed;
            const uint8_t* f = msg.data() + pos;
            uint16_t rtype = get16(f);
            uint32_t ttl = clamp_ttl(get32(f + 4));
            size_t rdlen = get16(f + 8);
            size_t ttl_at = pos + 4;
            pos += rr_fixed;
            if (msg.size() - pos < rdlen)
                return ResponseStatus::malformed;
            if (rtype == type::opt) {
                // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
                if (section != 2 || info.has_opt || owner.size() != 1)
                    return ResponseStatus::malformed;
                info.has_opt = true;
                info.ext_rcode = f[4];
                w.opt_start = rr_start;
                w.opt_end = pos + rdlen;
            } else {
                if (info.ttl_count < max_ttl_offsets)
                    info.ttl_offsets[info.ttl_count++] = static_cast<uint16_t>(ttl_at);
                else
                    w.all_offsets = false;
                w.min_ttl = std::min(w.min_ttl, ttl);
                if (rtype == type::soa && section == 1 && !info.has_soa) {
                    uint32_t minimum = 0;
                    if (!read_soa_minimum(msg, pos, rdlen, &minimum))
                        return ResponseStatus::malformed;
                    info.has_soa = true;
                    w.soa_ttl = std::min(ttl, clamp_ttl(minimum));  // RFC 2308 §5
                }
            }
            pos += rdlen;
        }
    }
    *end = pos;
    return ResponseStatus::ok;
}

}  // namespace

ResponseStatus parse_response(std::span<const uint8_t> msg, const Name& qname, uint16_t qtype,
                              uint16_t qclass, ResponseInfo& info) {
    info = ResponseInfo{};
    if (msg.size() < header_size || msg.size() > max_message)
        return ResponseStatus::malformed;
    const uint8_t* p = msg.data();
    uint16_t flags = get16(p + 2);
    if ((flags & flag::qr) == 0)
        return ResponseStatus::not_a_response;
    info.id = get16(p);
    info.rcode = static_cast<uint8_t>(flags & 0x0F);
    info.truncated = (flags & flag::tc) != 0;
    if (get16(p + 4) != 1)
        return ResponseStatus::question_mismatch;
    info.ancount = get16(p + 6);
    info.nscount = get16(p + 8);
    info.arcount = get16(p + 10);

    Name asked;
    size_t pos = 0;
    if (!asked.assign_message(msg, header_size, &pos) || msg.size() - pos < 4)
        return ResponseStatus::malformed;
    if (!asked.equals(qname) || get16(p + pos) != qtype || get16(p + pos + 2) != qclass)
        return ResponseStatus::question_mismatch;
    pos += 4;

    Walk w;
    size_t end = 0;
    if (auto st = walk_records(msg, pos, info, w, &end); st != ResponseStatus::ok)
        return st;

    // Trailing octets after the counted records are ignored and never stored.
    info.body_end = end;
    if (info.has_opt) {
        --info.arcount;
        if (w.opt_end == end) {
            info.opt_stripped = true;
            info.body_end = w.opt_start;
        }
    }
    bool noerror = info.rcode == rcode::noerror, nxdomain = info.rcode == rcode::nxdomain;
    info.negative = nxdomain || (noerror && info.ancount == 0);
    if (info.negative)
        info.ttl = info.has_soa ? w.soa_ttl : 0;
    else
        info.ttl = info.ttl_count > 0 ? w.min_ttl : 0;
    info.cacheable = (noerror || nxdomain) && !info.truncated && w.all_offsets &&
                     info.ext_rcode == 0 && (!info.has_opt || info.opt_stripped) &&
                     (!info.negative || info.has_soa);
    return ResponseStatus::ok;
}

void strip_opt_header(std::span<uint8_t> body, const ResponseInfo& info) {
    if (info.opt_stripped && body.size() >= header_size)
        put16(body.data() + 10, info.arcount);
}

namespace {

uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// The stored question name must be the client's, byte for byte but for case, so it can be
// overwritten in place.
bool question_matches(std::span<const uint8_t> body, const Name& qname) {
    if (body.size() < header_size + qname.size() + 4)
        return false;
    const uint8_t* s = body.data() + header_size;
    for (size_t i = 0; i < qname.size(); ++i)
        if (lower(s[i]) != lower(qname.data()[i]))
            return false;
    return true;
}

uint16_t client_flags(uint16_t stored, const Query& client, const RenderParams& params) {
    uint16_t f = stored & static_cast<uint16_t>(0x7800 | 0x000F);  // opcode, rcode
    f |= flag::qr;
    f |= client.flags & (flag::rd | flag::cd);
    if (params.ra)
        f |= flag::ra;
    // RFC 6840 §5.8: AD only for clients that asked for it (AD or DO set).
    if ((stored & flag::ad) != 0 && ((client.flags & flag::ad) != 0 || client.do_bit))
        f |= flag::ad;
    return f;
}

}  // namespace

size_t render_stored(std::span<const uint8_t> body, std::span<const uint16_t> ttl_offsets,
                     const Query& client, const RenderParams& params, std::span<uint8_t> out,
                     size_t limit) {
    limit = std::min({limit, out.size(), max_message});
    if (!question_matches(body, client.qname))
        return 0;
    size_t question_end = header_size + client.qname.size() + 4;
    size_t opt = params.edns.present ? edns_size(params.edns) : 0;
    bool truncate = body.size() + opt > limit;
    size_t copy = truncate ? question_end : body.size();
    if (copy + opt > limit)
        return 0;

    uint8_t* p = out.data();
    std::memcpy(p, body.data(), copy);
    put16(p, client.id);
    uint16_t flags = client_flags(get16(body.data() + 2), client, params);
    if (truncate)
        flags |= flag::tc;  // RFC 2181 §9
    put16(p + 2, flags);
    std::memcpy(p + header_size, client.qname.data(), client.qname.size());  // client's case
    uint16_t arcount = 0;
    if (truncate) {
        put16(p + 4, 1);
        put16(p + 6, 0);
        put16(p + 8, 0);
    } else {
        arcount = get16(body.data() + 10);
        for (uint16_t off : ttl_offsets) {
            if (off < question_end || static_cast<size_t>(off) + 4 > copy)
                continue;
            uint32_t ttl = clamp_ttl(get32(p + off));
            ttl = params.stale ? params.stale_ttl_s
                               : (ttl > params.elapsed_s ? ttl - params.elapsed_s : 0);
            put32(p + off, ttl);
        }
    }
    size_t len = copy;
    if (params.edns.present) {
        EdnsOut e = params.edns;
        len += write_opt(e, out.subspan(len));
        ++arcount;
    }
    put16(p + 10, arcount);
    return len;
}

}  // namespace muster::dns
