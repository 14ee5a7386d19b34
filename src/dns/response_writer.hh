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

    // Appends one RR. owner must be given in wire form; when it equals the qname
    // (case-insensitively) a compression pointer to the question is written instead.
    // rdata is written as is (names in rdata are never compressed). Sections may be filled in
    // any order: an RR is inserted at the end of its section.
    // When the RR does not fit: in answer/authority the response becomes truncated (TC set,
    // every RR dropped, later adds ignored); in additional it is silently skipped.
    // Returns false when the RR was not written.
    bool add(Section section, const Name& owner, uint16_t type, uint16_t klass, uint32_t ttl,
             std::span<const uint8_t> rdata);

    void set_rcode(uint8_t rcode);
    bool truncated() const { return truncated_; }

    // Writes counts and the OPT record; returns the message length (0 when begin() was not
    // called or the header and question did not fit the buffer/limit).
    size_t finish();

  private:
    bool fits(size_t more) const { return pos_ + more + reserve_ <= limit_; }
    bool owner_is_qname(const Name& owner) const;

    std::span<uint8_t> out_;
    size_t limit_;
    size_t pos_ = 0;
    size_t question_end_ = 0;
    size_t reserve_ = 0;
    uint16_t counts_[3] = {0, 0, 0};
    size_t section_end_[3] = {0, 0, 0};  // RRs of a section end here; later sections follow
    bool begun_ = false;                 // begin() succeeded: header and question fit
    bool truncated_ = false;
    EdnsOut edns_;
};

}  // namespace muster::dns
