// Bounded parsing of the question section for reply matching (RFC 1035 §4.1.2, §4.1.4).
#include "resolver/internal/question.hh"

namespace muster::resolver::internal {
namespace {
constexpr size_t header_size = 12;
constexpr size_t max_name = 255;
constexpr int max_pointers = 16;

uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}
}  // namespace

bool read_question(std::span<const uint8_t> msg, Question& out) {
    if (msg.size() < header_size || qdcount_of(msg) == 0)
        return false;
    size_t pos = header_size;
    size_t end_of_name = 0;  // where the question continues after the name (first pointer)
    int pointers = 0;
    out.name_len = 0;
    for (;;) {
        if (pos >= msg.size())
            return false;
        uint8_t len = msg[pos];
        if ((len & 0xc0) == 0xc0) {
            if (pos + 1 >= msg.size() || ++pointers > max_pointers)
                return false;
            size_t target = static_cast<size_t>(len & 0x3f) << 8 | msg[pos + 1];
            if (end_of_name == 0)
                end_of_name = pos + 2;
            if (target >= pos)
                return false;  // only backwards: no loops
            pos = target;
            continue;
        }
        if ((len & 0xc0) != 0)
            return false;  // RFC 6891 §5: extended label types are gone
        if (out.name_len + 1 + len > max_name || pos + 1 + len > msg.size())
            return false;
        out.name[out.name_len++] = len;
        for (size_t i = 0; i < len; ++i)
            out.name[out.name_len++] = lower(msg[pos + 1 + i]);
        pos += 1 + len;
        if (len == 0)
            break;
    }
    if (end_of_name == 0)
        end_of_name = pos;
    if (end_of_name + 4 > msg.size())
        return false;
    out.qtype = static_cast<uint16_t>(msg[end_of_name] << 8 | msg[end_of_name + 1]);
    out.qclass = static_cast<uint16_t>(msg[end_of_name + 2] << 8 | msg[end_of_name + 3]);
    return true;
}

ReplyMatch match_reply(std::span<const uint8_t> msg, uint16_t id, const Question& asked) {
    if (msg.size() < header_size || !is_response(msg) || message_id(msg) != id)
        return ReplyMatch::not_ours;
    if (qdcount_of(msg) > 1)
        return ReplyMatch::not_ours;  // we asked one question; no server answers more
    Question answered;
    if (!read_question(msg, answered))
        return ReplyMatch::no_question;
    return answered == asked ? ReplyMatch::ours : ReplyMatch::not_ours;
}

bool read_query_question(std::span<const uint8_t> query, Question& out) {
    if (query.size() < header_size || query.size() > 65535 || qdcount_of(query) != 1)
        return false;
    return read_question(query, out);
}

}  // namespace muster::resolver::internal
