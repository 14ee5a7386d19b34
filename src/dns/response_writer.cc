// Builds answers into a caller buffer: question echo, RR insertion per section, truncation
// (RFC 2181 §9) and the OPT record (RFC 6891) reserved up front.
#include "dns/response_writer.hh"

#include <algorithm>
#include <cstring>

namespace muster::dns {

namespace {

constexpr uint16_t qname_pointer = 0xC000 | header_size;  // RFC 1035 §4.1.4
constexpr size_t rr_fixed = 10;

uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

}  // namespace

ResponseWriter::ResponseWriter(std::span<uint8_t> out, size_t limit)
    : out_(out), limit_(std::min({limit, out.size(), max_message})) {}

void ResponseWriter::begin(const Query& q, uint16_t flags, uint8_t rc, const EdnsOut& edns) {
    edns_ = edns;
    truncated_ = false;
    counts_[0] = counts_[1] = counts_[2] = 0;
    reserve_ = edns_.present ? edns_size(edns_) : 0;
    pos_ = 0;
    begun_ = false;
    size_t question = q.qname.size() + 4;
    if (header_size + question + reserve_ > limit_)
        return;

    uint8_t* p = out_.data();
    put16(p, q.id);
    uint16_t word = static_cast<uint16_t>(flag::qr | (q.opcode & 0x0F) << 11 |
                                          (q.flags & (flag::rd | flag::cd)) |
                                          (flags & (flag::aa | flag::ra | flag::ad)));
    put16(p + 2, word);
    put16(p + 4, 1);
    std::memset(p + 6, 0, 6);
    std::memcpy(p + header_size, q.qname.data(), q.qname.size());
    pos_ = header_size + q.qname.size();
    put16(p + pos_, q.qtype);
    put16(p + pos_ + 2, q.qclass);
    pos_ += 4;
    question_end_ = pos_;
    section_end_[0] = section_end_[1] = section_end_[2] = pos_;
    begun_ = true;
    p[3] = static_cast<uint8_t>((p[3] & 0xF0) | (rc & 0x0F));
    if ((rc >> 4) != 0)
        edns_.ext_rcode = static_cast<uint8_t>(rc >> 4);
}

bool ResponseWriter::owner_is_qname(const Name& owner) const {
    size_t qlen = question_end_ - header_size - 4;
    if (owner.size() != qlen)
        return false;
    const uint8_t* q = out_.data() + header_size;
    for (size_t i = 0; i < qlen; ++i)
        if (lower(owner.data()[i]) != lower(q[i]))
            return false;
    return true;
}

bool ResponseWriter::add(Section section, const Name& owner, uint16_t rtype, uint16_t rclass,
                         uint32_t ttl, std::span<const uint8_t> rdata) {
    auto s = static_cast<size_t>(section);
    if (!begun_ || truncated_ || s > 2 || rdata.size() > 65535 || counts_[s] == 65535)
        return false;
    bool compress = owner_is_qname(owner);
    size_t owner_len = compress ? 2 : owner.size();
    size_t size = owner_len + rr_fixed + rdata.size();
    if (!fits(size)) {
        if (section == Section::additional)
            return false;
        // RFC 2181 §9: a partial answer/authority section must not be presented as complete.
        truncated_ = true;
        pos_ = question_end_;
        counts_[0] = counts_[1] = counts_[2] = 0;
        section_end_[0] = section_end_[1] = section_end_[2] = pos_;
        return false;
    }
    // Make room at the end of this section, moving the later sections back.
    size_t at = section_end_[s];
    uint8_t* p = out_.data();
    std::memmove(p + at + size, p + at, pos_ - at);
    if (compress) {
        put16(p + at, qname_pointer);
    } else {
        std::memcpy(p + at, owner.data(), owner.size());
    }
    uint8_t* f = p + at + owner_len;
    put16(f, rtype);
    put16(f + 2, rclass);
    put32(f + 4, ttl);
    put16(f + 8, static_cast<uint16_t>(rdata.size()));
    if (!rdata.empty())
        std::memcpy(f + rr_fixed, rdata.data(), rdata.size());
    for (size_t k = s; k < 3; ++k)
        section_end_[k] += size;
    pos_ += size;
    ++counts_[s];
    return true;
}

void ResponseWriter::set_rcode(uint8_t rc) {
    if (!begun_)
        return;
    uint8_t* p = out_.data();
    p[3] = static_cast<uint8_t>((p[3] & 0xF0) | (rc & 0x0F));
    // The upper bits of a 12-bit rcode travel in the OPT record (RFC 6891 §6.1.3).
    edns_.ext_rcode = static_cast<uint8_t>(rc >> 4);
}

size_t ResponseWriter::finish() {
    if (!begun_)
        return 0;
    uint8_t* p = out_.data();
    if (truncated_)
        p[2] = static_cast<uint8_t>(p[2] | flag::tc >> 8);
    put16(p + 6, counts_[0]);
    put16(p + 8, counts_[1]);
    put16(p + 10, static_cast<uint16_t>(counts_[2] + (edns_.present ? 1 : 0)));
    size_t len = pos_;
    // Always fits: reserve_ was held back from every add().
    if (edns_.present)
        len += write_opt(edns_, out_.subspan(pos_));
    return len;
}

}  // namespace muster::dns
