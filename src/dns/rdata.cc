// RDATA from presentation text via ldns (RFC 1035 §5); load time only, may allocate.
#include "dns/rdata.hh"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <memory>
#include <string>

#include "common/ascii.hh"
#include "dns/wire.hh"

namespace muster::dns {

namespace {

struct RrFree {
    void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct RdfFree {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct BufferFree {
    void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};

// What each type's RDATA looks like, for error messages.
std::string expectation(uint16_t t) {
    switch (t) {
        case type::a:
            return "an IPv4 address like 192.0.2.1";
        case type::aaaa:
            return "an IPv6 address like 2001:db8::1";
        case type::cname:
        case type::ptr:
        case type::ns:
            return "a domain name like target.example.";
        case type::mx:
            return "\"PREFERENCE EXCHANGE\" like \"10 mail.example.\"";
        case type::srv:
            return "\"PRIORITY WEIGHT PORT TARGET\" like \"10 5 8080 host.example.\"";
        case type::txt:
            return "one or more character strings like \"some text\"";
        case type::soa:
            return "\"MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM\" like "
                   "\"ns.example. hostmaster.example. 1 3600 600 86400 300\"";
        default:
            return std::string("RDATA for ") + std::string(type_to_text(t));
    }
}

Error expected(uint16_t t, std::string_view got) {
    return make_error("expected " + expectation(t) + " (got \"" + std::string(got) + "\")");
}

size_t count_tokens(std::string_view s) {
    size_t n = 0;
    bool in = false;
    for (char c : s) {
        bool space = c == ' ' || c == '\t';
        if (!space && !in)
            ++n;
        in = !space;
    }
    return n;
}

// An unquoted TXT value is one character string (split every 255 octets, RFC 1035 §3.3),
// handed to ldns quoted and escaped.
std::string quote_txt(std::string_view text) {
    std::string out;
    for (size_t start = 0; start < text.size(); start += 255) {
        auto chunk = text.substr(start, 255);
        if (!out.empty())
            out += ' ';
        out += '"';
        for (char ch : chunk) {
            auto c = static_cast<unsigned char>(ch);
            if (c == '"' || c == '\\') {
                out += '\\';
                out += ch;
            } else if (c < 0x20 || c > 0x7e) {
                char esc[5] = {'\\', static_cast<char>('0' + c / 100),
                               static_cast<char>('0' + c / 10 % 10),
                               static_cast<char>('0' + c % 10), 0};
                out += esc;
            } else {
                out += ch;
            }
        }
        out += '"';
    }
    return out;
}

std::string_view token(std::string_view s, size_t i) {
    size_t pos = 0;
    for (size_t k = 0;; ++k) {
        pos = s.find_first_not_of(" \t", pos);
        if (pos == std::string_view::npos)
            return {};
        size_t end = s.find_first_of(" \t", pos);
        if (k == i)
            return s.substr(pos, end == std::string_view::npos ? end : end - pos);
        if (end == std::string_view::npos)
            return {};
        pos = end;
    }
}

// ldns silently wraps 16-bit fields ("70000" becomes 4464), so range-check them here.
bool is_u16(std::string_view s) {
    if (s.empty() || s.size() > 5)
        return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v <= 65535;
}

// Quoted character strings must be closed (ldns accepts a missing final quote).
bool quotes_balanced(std::string_view s) {
    bool in = false;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\') {
            ++i;
        } else if (s[i] == '"') {
            in = !in;
        }
    }
    return !in;
}

// Checks we can do better than ldns's generic status strings.
Result<void> precheck(uint16_t t, std::string_view text) {
    std::string s(text);
    unsigned char buf[16];
    switch (t) {
        case type::a:
            if (inet_pton(AF_INET, s.c_str(), buf) != 1)
                return expected(t, text);
            break;
        case type::aaaa:
            if (inet_pton(AF_INET6, s.c_str(), buf) != 1)
                return expected(t, text);
            break;
        case type::cname:
        case type::ptr:
        case type::ns:
            if (count_tokens(text) != 1)
                return expected(t, text);
            break;
        case type::mx:
            if (count_tokens(text) != 2 || !is_u16(token(text, 0)))
                return expected(t, text);
            break;
        case type::srv:
            if (count_tokens(text) != 4)
                return expected(t, text);
            for (size_t i = 0; i < 3; ++i)
                if (!is_u16(token(text, i)))
                    return expected(t, text);
            break;
        case type::txt:
            if (!quotes_balanced(text))
                return expected(t, text);
            break;
        case type::soa:
            if (count_tokens(text) != 7)
                return expected(t, text);
            break;
        default:
            break;
    }
    return {};
}

}  // namespace

Result<std::vector<uint8_t>> rdata_from_text(uint16_t t, std::string_view raw) {
    std::string_view text = ascii::trim(raw);
    if (text.empty())
        return expected(t, raw);
    if (t == type::opt || t == type::any || t == type::axfr || t == type::ixfr || t == 0)
        return make_error("type " + std::string(type_to_text(t)) + " cannot hold local data");
    if (auto r = precheck(t, text); !r)
        return r.error();

    std::string rdata_text(text);
    if (t == type::txt && text.front() != '"')
        rdata_text = quote_txt(text);
    // The owner is a placeholder; only the RDATA is kept. Relative names in the RDATA get the
    // root appended (origin "."), so "host.example" becomes "host.example.".
    std::string line = "muster.invalid. 0 IN " + std::string(type_to_text(t)) + " " + rdata_text;

    std::unique_ptr<ldns_rdf, RdfFree> origin(ldns_dname_new_frm_str("."));
    if (!origin)
        return make_error("out of memory");
    ldns_rr* rr_raw = nullptr;
    ldns_status st = ldns_rr_new_frm_str(&rr_raw, line.c_str(), 0, origin.get(), nullptr);
    std::unique_ptr<ldns_rr, RrFree> rr(rr_raw);
    if (st != LDNS_STATUS_OK || !rr) {
        return make_error("expected " + expectation(t) + " (got \"" + std::string(text) +
                          "\": " + ldns_get_errorstr_by_id(st) + ")");
    }
    const ldns_rr_descriptor* desc = ldns_rr_descript(t);
    if (ldns_rr_get_type(rr.get()) != t ||
        (desc != nullptr && ldns_rr_rd_count(rr.get()) < ldns_rr_descriptor_minimum(desc)))
        return expected(t, text);

    std::unique_ptr<ldns_buffer, BufferFree> buf(ldns_buffer_new(512));
    if (!buf)
        return make_error("out of memory");
    // Writes every rdf uncompressed (ldns compresses only in ldns_pkt2buffer_wire).
    if (ldns_rr_rdata2buffer_wire(buf.get(), rr.get()) != LDNS_STATUS_OK)
        return expected(t, text);
    const uint8_t* begin = ldns_buffer_begin(buf.get());
    std::vector<uint8_t> out(begin, begin + ldns_buffer_position(buf.get()));
    if (out.size() > 65535)
        return make_error("RDATA over 65535 octets");
    return out;
}

}  // namespace muster::dns
