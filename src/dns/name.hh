// Domain names in wire form (RFC 1035 §3.1), stored inline so the hot path never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hh"

namespace muster::dns {

constexpr size_t max_name_wire = 255;
constexpr int max_pointer_hops = 64;

class Name {
  public:
    Name() = default;  // the root name "."

    // "www.Example.com", "www.example.com." and "." (the root). Escapes (\. \065) are
    // accepted as in RFC 1035 §5.1. Errors name the problem (empty label, label over 63, name
    // over 255 octets).
    static Result<Name> from_text(std::string_view text);
    // Copies an uncompressed wire name; false when malformed. The name starts at wire[0];
    // bytes after its root label are ignored.
    bool assign_wire(std::span<const uint8_t> wire);
    // Reads a possibly compressed name at msg[offset] (RFC 1035 §4.1.4). Pointers must point
    // strictly before the previous jump's target (so loops are impossible) and at most
    // max_pointer_hops are followed. On success *end is the offset just after the name in
    // msg (after the first pointer when compressed). False when malformed or out of bounds.
    bool assign_message(std::span<const uint8_t> msg, size_t offset, size_t* end);

    // Text form with the trailing dot ("www.example.com."); the root is ".".
    std::string to_text() const;

    const uint8_t* data() const { return wire_; }
    size_t size() const { return len_; }  // wire length including the root label
    std::span<const uint8_t> wire() const { return {wire_, len_}; }
    int label_count() const;  // root is 0

    void lowercase();  // ASCII only, in place
    // Case-insensitive equality.
    bool equals(const Name& other) const;
    // True when this name equals zone or is below it (case-insensitive).
    bool is_subdomain_of(const Name& zone) const;
    // Drops the first n labels (n <= label_count()).
    Name parent(int n = 1) const;
    // Offset in wire() where the suffix of the last `labels` labels starts.
    size_t suffix_offset(int labels) const;
    // The i-th label (0 = leftmost) without its length octet.
    std::string_view label(int i) const;

    bool operator==(const Name& o) const;  // exact (case-sensitive) bytes

  private:
    uint8_t wire_[max_name_wire] = {0};
    uint8_t len_ = 1;
};

}  // namespace muster::dns
