// Builds answers into a caller buffer: question echo, RR insertion per section, owner name
// compression (RFC 1035 §4.1.4), truncation (RFC 2181 §9) and the OPT record (RFC 6891)
// reserved up front.
#include "dns/response_writer.hh"

#include <algorithm>
#include <cstring>

namespace muster::dns {

namespace {

constexpr uint16_t pointer_bits = 0xC000;                       // RFC 1035 §4.1.4
constexpr uint16_t qname_pointer = pointer_bits | header_size;  // the question's name
constexpr size_t pointer_reach = 0x4000;                        // 14 bits of offset
constexpr size_t rr_fixed = 10;
constexpr size_t max_label = 63;
constexpr size_t max_labels = max_name_wire / 2;  // 127 one-octet labels and the root

// RRs 1..count-1 of a run whose first RR is written: the first one's owner and fixed fields,
// then rdata k, with sizes known at compile time.
template <size_t Head, size_t RdLen>
void copy_run(uint8_t* rr, const uint8_t* rdatas, size_t count) {
    for (size_t k = 1; k < count; ++k) {
        uint8_t* next = rr + k * (Head + RdLen);
        std::memcpy(next, rr, Head);
        std::memcpy(next + Head, rdatas + k * RdLen, RdLen);
    }
}

uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// Where the name starts in the rdata of the types whose rdata ends with one (RFC 1035 §3.3,
// RFC 2782): the name is the rest of the rdata. -1 for the other types.
int rdata_name_offset(uint16_t rtype) {
    switch (rtype) {
        case type::cname:
        case type::ns:
        case type::ptr:
            return 0;
        case type::mx:
            return 2;
        case type::srv:
            return 6;
        default:
            return -1;
    }
}

// The offsets of the labels (root excluded) of the name that is exactly wire[0, size): -1
// when those octets are not one uncompressed name (rdata is the caller's and not trusted).
int label_starts(const uint8_t* wire, size_t size, uint8_t (&starts)[max_labels]) {
    int n = 0;
    for (size_t pos = 0; pos < size && size <= max_name_wire;) {
        uint8_t len = wire[pos];
        if (len == 0)
            return pos + 1 == size ? n : -1;
        if (len > max_label || n == static_cast<int>(max_labels))
            return -1;
        starts[n++] = static_cast<uint8_t>(pos);
        pos += 1 + size_t{len};
    }
    return -1;
}

// Two labels (length octet first), with or without ASCII case.
bool label_equal(const uint8_t* a, const uint8_t* b, bool any_case) {
    if (a[0] != b[0])
        return false;
    if (!any_case)
        return std::memcmp(a + 1, b + 1, a[0]) == 0;
    for (size_t k = 1; k <= a[0]; ++k)
        if (lower(a[k]) != lower(b[k]))
            return false;
    return true;
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
    nwritten_ = 0;
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
    if (std::memcmp(owner.data(), q, qlen) == 0)
        return true;  // the usual case: the owner is the query's own name
    for (size_t i = 0; i < qlen; ++i)
        if (lower(owner.data()[i]) != lower(q[i]))
            return false;
    return true;
}

ResponseWriter::Compressed ResponseWriter::compress(const Name& owner) const {
    if (owner_is_qname(owner))
        return {0, qname_pointer};
    // The glue of an SRV target is the target itself: one compare per name written.
    const uint8_t* p = out_.data();
    for (size_t i = 0; i < nwritten_; ++i) {
        const Written& w = written_[i];
        if (w.length == owner.size() && std::memcmp(p + w.offset, owner.data(), w.length) == 0)
            return {0, static_cast<uint16_t>(pointer_bits | w.offset)};
    }
    return longest_suffix(owner);
}

ResponseWriter::Compressed ResponseWriter::longest_suffix(const Name& owner) const {
    uint8_t own[max_labels];
    int nown = label_starts(owner.data(), owner.size(), own);  // a Name is a clean name
    int best = 0;
    size_t target = 0;
    // The labels at the end of owner equal to those at the end of the name at `offset`.
    auto consider = [&](size_t offset, size_t length, bool any_case) {
        uint8_t other[max_labels];
        const uint8_t* name = out_.data() + offset;
        int nother = label_starts(name, length, other);  // -1 (none) for rdata that is no name
        int k = 0;
        while (
            k < nown && k < nother &&
            label_equal(owner.data() + own[nown - 1 - k], name + other[nother - 1 - k], any_case))
            ++k;
        if (k > best) {
            best = k;
            target = offset + other[nother - k];
        }
    };
    // Names under the question take its case (a whole owner equal to it always did).
    consider(header_size, question_end_ - header_size - 4, true);
    for (size_t i = 0; i < nwritten_; ++i)
        consider(written_[i].offset, written_[i].length, false);
    if (best == 0)
        return {owner.size(), 0};
    return {own[nown - best], static_cast<uint16_t>(pointer_bits | target)};
}

void ResponseWriter::remember(size_t offset, size_t length) {
    if (nwritten_ < max_written && length > 1 && length <= max_name_wire &&
        offset + length <= pointer_reach)
        written_[nwritten_++] = {static_cast<uint16_t>(offset), static_cast<uint16_t>(length)};
}

bool ResponseWriter::add(Section section, const Name& owner, uint16_t rtype, uint16_t rclass,
                         uint32_t ttl, std::span<const uint8_t> rdata) {
    auto s = static_cast<size_t>(section);
    if (!begun_ || truncated_ || s > 2 || rdata.size() > 65535 || counts_[s] == 65535)
        return false;
    // Owners are compressed, never rdata (RFC 3597 §4; RFC 2782 for SRV targets).
    auto [prefix, pointer] = compress(owner);
    size_t owner_len = prefix + (pointer != 0 ? 2 : 0);
    size_t size = owner_len + rr_fixed + rdata.size();
    if (!fits(size)) {
        if (section == Section::additional)
            return false;
        truncate();
        return false;
    }
    // Make room at the end of this section, moving the later sections back (never a name a
    // pointer targets: those are all in the question and the answer section, before `at`).
    size_t at = section_end_[s];
    uint8_t* p = out_.data();
    std::memmove(p + at + size, p + at, pos_ - at);
    std::memcpy(p + at, owner.data(), prefix);
    if (pointer != 0)
        put16(p + at + prefix, pointer);
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
    // Names in the answer section never move (RRs are only inserted after them), so later
    // owners may point at them; names in the other sections move when an answer is added.
    if (section == Section::answer) {
        if (pointer == 0)
            remember(at, owner.size());
        int name_at = rdata_name_offset(rtype);
        if (name_at >= 0 && rdata.size() > static_cast<size_t>(name_at))
            remember(at + owner_len + rr_fixed + static_cast<size_t>(name_at),
                     rdata.size() - static_cast<size_t>(name_at));
    }
    return true;
}

std::span<uint8_t> ResponseWriter::add_run(Section section, const Name& owner, uint16_t rtype,
                                           uint16_t rclass, uint32_t ttl,
                                           std::span<const uint8_t> rdatas, size_t rdlen,
                                           size_t& rr_size) {
    rr_size = 0;
    auto s = static_cast<size_t>(section);
    if (!begun_ || truncated_ || s > 2 || rdlen == 0 || rdlen > 65535 ||
        rdatas.size() % rdlen != 0 || rdatas.empty())
        return {};
    const size_t count = rdatas.size() / rdlen;
    auto [prefix, pointer] = compress(owner);
    // Only what needs no name bookkeeping (see the header); the caller uses add() otherwise.
    if (section != Section::answer || pointer == 0 || rdata_name_offset(rtype) >= 0 ||
        counts_[s] + count > 65535)
        return {};
    const size_t owner_len = prefix + 2;
    const size_t size = owner_len + rr_fixed + rdlen;
    if (!fits(size * count)) {
        truncate();  // RFC 2181 §9, as add()
        return {};
    }
    const size_t at = section_end_[s];
    uint8_t* p = out_.data();
    std::memmove(p + at + size * count, p + at, pos_ - at);
    uint8_t* rr = p + at;
    std::memcpy(rr, owner.data(), prefix);
    put16(rr + prefix, pointer);
    uint8_t* f = rr + owner_len;
    put16(f, rtype);
    put16(f + 2, rclass);
    put32(f + 4, ttl);
    put16(f + 8, static_cast<uint16_t>(rdlen));
    std::memcpy(f + rr_fixed, rdatas.data(), rdlen);
    // The usual runs (a pointer owner and an A or AAAA address) copy with sizes the compiler
    // knows: variable-size copies were a libc call each, a fifth of a 1,000-address answer.
    if (owner_len == 2 && rdlen == 4)
        copy_run<2 + rr_fixed, 4>(rr, rdatas.data(), count);
    else if (owner_len == 2 && rdlen == 16)
        copy_run<2 + rr_fixed, 16>(rr, rdatas.data(), count);
    else
        for (size_t k = 1; k < count; ++k) {
            uint8_t* next = rr + k * size;
            std::memcpy(next, rr, owner_len + rr_fixed);
            std::memcpy(next + owner_len + rr_fixed, rdatas.data() + k * rdlen, rdlen);
        }
    for (size_t k = s; k < 3; ++k)
        section_end_[k] += size * count;
    pos_ += size * count;
    counts_[s] = static_cast<uint16_t>(counts_[s] + count);
    // The owner is a pointer and the rdata ends in no name the writer tracks: nothing for later
    // owners to point at, as add() would have remembered nothing either.
    rr_size = size;
    return {rr, size * count};
}

void ResponseWriter::truncate() {
    if (!begun_)
        return;
    // RFC 2181 §9: a partial answer/authority section must not be presented as complete.
    truncated_ = true;
    pos_ = question_end_;
    counts_[0] = counts_[1] = counts_[2] = 0;
    section_end_[0] = section_end_[1] = section_end_[2] = pos_;
    nwritten_ = 0;
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
