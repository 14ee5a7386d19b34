// Domain names in wire form: text conversion, decompression and comparison (RFC 1035 §3.1).
#include "dns/name.hh"

#include <algorithm>
#include <cstring>

namespace muster::dns {

namespace {

constexpr size_t max_label = 63;

uint8_t lower(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c;
}

// Length octets are <= 63, below 'A', so lowercasing a whole wire name leaves them alone.
bool equal_nocase(const uint8_t* a, const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

std::string quote(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}

// One character of a presentation-format label: plain, "\X" or "\DDD" (RFC 1035 §5.1).
// Returns the number of input characters consumed, 0 on a bad escape.
size_t decode_char(std::string_view text, size_t i, uint8_t* out) {
    if (text[i] != '\\') {
        *out = static_cast<uint8_t>(text[i]);
        return 1;
    }
    if (i + 1 >= text.size())
        return 0;
    char c = text[i + 1];
    if (c >= '0' && c <= '9') {
        if (i + 3 >= text.size())
            return 0;
        unsigned v = 0;
        for (size_t k = 1; k <= 3; ++k) {
            char d = text[i + k];
            if (d < '0' || d > '9')
                return 0;
            v = v * 10 + static_cast<unsigned>(d - '0');
        }
        if (v > 255)
            return 0;
        *out = static_cast<uint8_t>(v);
        return 4;
    }
    *out = static_cast<uint8_t>(c);
    return 2;
}

}  // namespace

Result<Name> Name::from_text(std::string_view text) {
    if (text.empty())
        return make_error("empty name (use \".\" for the root)");
    Name n;
    if (text == ".")
        return n;
    size_t len = 0;  // bytes of wire_ used, excluding the final root label
    size_t label_start = 0;
    size_t i = 0;
    auto close_label = [&](size_t at) -> Result<void> {
        size_t label_len = len - label_start - 1;
        if (label_len == 0)
            return make_error("empty label at offset " + std::to_string(at) + " in " + quote(text));
        if (label_len > max_label)
            return make_error("label over 63 octets in " + quote(text));
        n.wire_[label_start] = static_cast<uint8_t>(label_len);
        return {};
    };
    bool open = false;
    while (i < text.size()) {
        if (!open) {
            if (len + 1 >= max_name_wire)
                return make_error("name over 255 octets: " + quote(text));
            label_start = len++;
            open = true;
        }
        if (text[i] == '.') {
            if (auto r = close_label(i); !r)
                return r.error();
            open = false;
            ++i;
            continue;
        }
        uint8_t c = 0;
        size_t used = decode_char(text, i, &c);
        if (used == 0)
            return make_error("bad escape at offset " + std::to_string(i) + " in " + quote(text));
        // Room for this octet and the root label.
        if (len + 1 >= max_name_wire)
            return make_error("name over 255 octets: " + quote(text));
        n.wire_[len++] = c;
        i += used;
    }
    if (open) {
        if (auto r = close_label(text.size()); !r)
            return r.error();
    }
    n.wire_[len++] = 0;
    n.len_ = static_cast<uint8_t>(len);
    return n;
}

bool Name::assign_wire(std::span<const uint8_t> wire) {
    size_t pos = 0;
    while (true) {
        if (pos >= wire.size() || pos >= max_name_wire)
            return false;
        uint8_t l = wire[pos];
        if (l > max_label)
            return false;  // compression pointers and reserved label types
        if (pos + 1 + l > wire.size() || pos + 1 + l > max_name_wire)
            return false;
        pos += 1 + l;
        if (l == 0)
            break;
    }
    std::memcpy(wire_, wire.data(), pos);
    len_ = static_cast<uint8_t>(pos);
    return true;
}

bool Name::assign_message(std::span<const uint8_t> msg, size_t offset, size_t* end) {
    uint8_t buf[max_name_wire];
    size_t len = 0;
    size_t pos = offset;
    size_t limit = offset;  // every pointer must land strictly before this
    size_t after = 0;       // end of the name in msg, known at the first pointer
    int hops = 0;
    while (true) {
        if (pos >= msg.size())
            return false;
        uint8_t l = msg[pos];
        if ((l & 0xC0) == 0xC0) {
            // RFC 1035 §4.1.4 pointer: 14-bit offset from the start of the message.
            if (pos + 1 >= msg.size())
                return false;
            size_t target = static_cast<size_t>(l & 0x3F) << 8 | msg[pos + 1];
            if (target >= limit || ++hops > max_pointer_hops)
                return false;
            if (hops == 1)
                after = pos + 2;
            limit = target;
            pos = target;
            continue;
        }
        if (l > max_label)
            return false;  // 0x40/0x80: obsolete/reserved label types
        if (pos + 1 + l > msg.size() || len + 1 + l > max_name_wire)
            return false;
        std::memcpy(buf + len, msg.data() + pos, 1 + static_cast<size_t>(l));
        len += 1 + static_cast<size_t>(l);
        pos += 1 + static_cast<size_t>(l);
        if (l == 0)
            break;
    }
    std::memcpy(wire_, buf, len);
    len_ = static_cast<uint8_t>(len);
    if (end != nullptr)
        *end = hops > 0 ? after : pos;
    return true;
}

std::string Name::to_text() const {
    if (len_ <= 1)
        return ".";
    std::string out;
    size_t pos = 0;
    while (pos < len_ && wire_[pos] != 0) {
        uint8_t l = wire_[pos++];
        for (size_t k = 0; k < l && pos < len_; ++k, ++pos) {
            uint8_t c = wire_[pos];
            if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c < 0x21 || c > 0x7e) {
                char esc[5] = {'\\', static_cast<char>('0' + c / 100),
                               static_cast<char>('0' + c / 10 % 10),
                               static_cast<char>('0' + c % 10), 0};
                out += esc;
            } else {
                out += static_cast<char>(c);
            }
        }
        out += '.';
    }
    return out;
}

int Name::label_count() const {
    int n = 0;
    for (size_t pos = 0; pos < len_ && wire_[pos] != 0; pos += 1 + wire_[pos])
        ++n;
    return n;
}

void Name::lowercase() {
    for (size_t i = 0; i < len_; ++i)
        wire_[i] = lower(wire_[i]);
}

bool Name::equals(const Name& other) const {
    return len_ == other.len_ && equal_nocase(wire_, other.wire_, len_);
}

bool Name::is_subdomain_of(const Name& zone) const {
    int mine = label_count(), theirs = zone.label_count();
    if (theirs > mine)
        return false;
    size_t off = suffix_offset(theirs);
    return len_ - off == zone.len_ && equal_nocase(wire_ + off, zone.wire_, zone.len_);
}

Name Name::parent(int n) const {
    Name p;
    int count = label_count();
    if (n <= 0)
        return *this;
    if (n >= count)
        return p;
    size_t off = suffix_offset(count - n);
    std::memcpy(p.wire_, wire_ + off, len_ - off);
    p.len_ = static_cast<uint8_t>(len_ - off);
    return p;
}

size_t Name::suffix_offset(int labels) const {
    int skip = label_count() - std::max(labels, 0);
    size_t pos = 0;
    for (int i = 0; i < skip; ++i)
        pos += 1 + wire_[pos];
    return pos;
}

std::string_view Name::label(int i) const {
    if (i < 0)
        return {};
    size_t pos = 0;
    for (int k = 0; k < i; ++k) {
        if (wire_[pos] == 0)
            return {};
        pos += 1 + wire_[pos];
    }
    return {reinterpret_cast<const char*>(wire_ + pos + 1), wire_[pos]};
}

bool Name::operator==(const Name& o) const {
    return len_ == o.len_ && std::memcmp(wire_, o.wire_, len_) == 0;
}

}  // namespace muster::dns
