// Two-octet length framing of DNS messages over TCP and TLS (RFC 1035 §4.2.2, RFC 7766 §8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/stream.hh"

namespace muster::resolver::internal {

// Appends the length prefix and the message to `out`.
inline void append_framed(std::vector<uint8_t>& out, std::span<const uint8_t> msg) {
    out.push_back(static_cast<uint8_t>(msg.size() >> 8));
    out.push_back(static_cast<uint8_t>(msg.size()));
    out.insert(out.end(), msg.begin(), msg.end());
}

// The next complete framed message at the front of `in` (without its prefix), or an empty
// span when none is complete yet. `consumed` gets prefix + message length to drain after use
// (0 when nothing is complete). A zero-length frame yields an empty span with consumed == 2.
inline std::span<const uint8_t> next_frame(StreamInput& in, size_t& consumed) {
    consumed = 0;
    uint8_t prefix[2];
    if (in.peek(prefix) < 2)
        return {};
    size_t len = static_cast<size_t>(prefix[0]) << 8 | prefix[1];
    if (in.size() < 2 + len)
        return {};
    consumed = 2 + len;
    return in.contiguous(2 + len).subspan(2);
}

}  // namespace muster::resolver::internal
