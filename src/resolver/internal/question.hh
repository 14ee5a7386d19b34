// Matching replies to queries by question (RFC 5452 §4.1; RFC 7766 §7 for TCP/TLS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace muster::resolver::internal {

// The first question of a message in canonical form: the name uncompressed and lowercased
// (RFC 4343: names compare case-insensitively), with its type and class.
struct Question {
    uint8_t name[255];
    size_t name_len = 0;
    uint16_t qtype = 0;
    uint16_t qclass = 0;

    bool operator==(const Question& o) const {
        return qtype == o.qtype && qclass == o.qclass && name_len == o.name_len &&
               std::memcmp(name, o.name, name_len) == 0;
    }
};

// Reads the first question after the 12-byte header (RFC 1035 §4.1.2). Compression pointers
// are followed (bounded, backwards only) although no sane server compresses the question.
// False when QDCOUNT is 0 or the question is malformed or truncated.
bool read_question(std::span<const uint8_t> msg, Question& out);

// A query we are willing to send: a header, QDCOUNT 1, a readable question, at most 65535
// octets (the TCP length prefix, RFC 1035 §4.2.2).
bool read_query_question(std::span<const uint8_t> query, Question& out);

// Header fields (RFC 1035 §4.1.1).
inline uint16_t message_id(std::span<const uint8_t> m) {
    return static_cast<uint16_t>(m[0] << 8 | m[1]);
}
inline bool is_response(std::span<const uint8_t> m) {
    return (m[2] & 0x80) != 0;
}
inline bool is_truncated(std::span<const uint8_t> m) {
    return (m[2] & 0x02) != 0;
}
inline uint8_t rcode_of(std::span<const uint8_t> m) {
    return m[3] & 0x0f;
}
inline uint16_t qdcount_of(std::span<const uint8_t> m) {
    return static_cast<uint16_t>(m[4] << 8 | m[5]);
}

enum class ReplyMatch {
    ours,         // a response with our ID and exactly our question
    not_ours,     // drop it and keep waiting (count it: it may be a spoofing attempt)
    no_question,  // our ID but no question to compare (e.g. FORMERR with QDCOUNT 0)
};

// RFC 5452 §4.1 and §9.1 (and RFC 7766 §7 for TCP/TLS): a reply is accepted only when it is a
// response, carries the ID we sent and one question equal to ours (name case-insensitively,
// type and class). Where it came from is the transport's check, not this one's.
ReplyMatch match_reply(std::span<const uint8_t> msg, uint16_t id, const Question& asked);

}  // namespace muster::resolver::internal
