// Builds an authoritative/local answer into a caller buffer with truncation (RFC 2181 §9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/wire.hh"

namespace muster::dns {

enum class Section { answer = 0, authority = 1, additional = 2 };

class ResponseWriter {
  public:
    // out: the buffer; limit: the most the answer may take (client's UDP size, or 65535 for TCP).
    ResponseWriter(std::span<uint8_t> out, size_t limit);

    // Header + the question from q (original case). Sets QR, copies RD and CD, sets the given
    // extra flags (flag::aa, flag::ra) and rcode. `edns` is reserved now and written by finish().
    void begin(const Query& q, uint16_t flags, uint8_t rcode, const EdnsOut& edns);

    // Appends one RR. owner must be given in wire form; it is compressed (RFC 1035 §4.1.4)
    // against the names already in the question and the answer section: the qname, answer
    // owners, and the names in the rdata of answer CNAME, NS, PTR, MX and SRV records (so the
    // glue of an SRV target points at the target). Only those are pointer targets because RRs
    // are only ever inserted after them: they never move, whatever is added later. Matching
    // the question ignores ASCII case (an owner under the qname takes the question's case, as
    // 0x20-randomising clients expect); matching other names does not, so no name changes
    // case. rdata is written as is (names in rdata are never compressed; RFC 2782 and RFC 3597
    // §4 forbid it for SRV and newer types). Sections may be filled in any order: an RR is
    // inserted at the end of its section.
    // When the RR does not fit: in answer/authority the response becomes truncated (TC set,
    // every RR dropped, later adds ignored); in additional it is silently skipped.
    // Returns false when the RR was not written.
    bool add(Section section, const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl,
             std::span<const uint8_t> rdata);

    // Appends one RR per `rdlen`-octet slice of `rdatas`, all with the same owner, type, class
    // and TTL, as add() would one by one, but with the header built once: an answer of 1,000
    // addresses costs a copy, not 1,000 compressions. Only in the answer section, for an owner
    // that compresses to a pointer (the question's name, say) and a type whose rdata holds no
    // name; otherwise nothing is written (the caller uses add()). Returns the RRs written
    // (rr_size octets each, in order) so the caller may reorder them; empty when nothing was
    // written: truncated() then says whether that is because they did not all fit.
    std::span<uint8_t> add_run(Section section, const Name& owner, uint16_t type, uint16_t klass,
                               uint32_t ttl, std::span<const uint8_t> rdatas, size_t rdlen,
                               size_t& rr_size);

    void set_rcode(uint8_t rcode);
    bool truncated() const { return truncated_; }
    // The octets RRs may still take (the reserved OPT record excluded).
    size_t room() const { return pos_ + reserve_ < limit_ ? limit_ - reserve_ - pos_ : 0; }
    // Truncates now, as add() does when an answer RR does not fit: for a caller that knows its
    // RRset cannot fit before writing any of it (TC set, every RR dropped, later adds ignored).
    void truncate();

    // Writes counts and the OPT record; returns the message length (0 when begin() was not
    // called or the header and question did not fit the buffer/limit).
    size_t finish();

  private:
    // A whole name written uncompressed in the answer section (an owner written in full, the
    // name that ends the rdata of a CNAME, NS, PTR, MX or SRV record), which later owners may
    // point at. The question's name is the other such name.
    struct Written {
        uint16_t offset;  // its first length octet; the whole name lies below 0x4000
        uint16_t length;  // wire length, root label included
    };
    // Enough for the names of a UDP answer; past it owners are still written, less compressed.
    static constexpr size_t max_written = 32;
    // How an owner is written: its first `prefix` octets, then `pointer` (0: none).
    struct Compressed {
        size_t prefix;
        uint16_t pointer;
    };

    bool fits(size_t more) const { return pos_ + more + reserve_ <= limit_; }
    bool owner_is_qname(const Name& owner) const;
    Compressed compress(const Name& owner) const;
    // The most labels owner shares at its end with the question or a Written name.
    Compressed longest_suffix(const Name& owner) const;
    void remember(size_t offset, size_t length);

    std::span<uint8_t> out_;
    size_t limit_;
    size_t pos_ = 0;
    size_t question_end_ = 0;
    size_t reserve_ = 0;
    uint16_t counts_[3] = {0, 0, 0};
    size_t section_end_[3] = {0, 0, 0};  // RRs of a section end here; later sections follow
    bool begun_ = false;                 // begin() succeeded: header and question fit
    bool truncated_ = false;
    size_t nwritten_ = 0;
    Written written_[max_written];
    EdnsOut edns_;
};

}  // namespace muster::dns
