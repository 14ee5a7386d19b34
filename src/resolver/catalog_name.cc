// The catalog zone's name grammar: domain match, the dc label, node/service/addr forms and
// reverse names, parsed as views into the wire name.
#include "resolver/catalog_name.hh"

#include <cstring>

#include "common/ascii.hh"

namespace muster::resolver {
namespace {

constexpr int max_labels = 128;  // a 255-octet name has at most 127 labels

dns::Name from_wire(std::span<const uint8_t> wire) {
    dns::Name n;
    n.assign_wire(wire);
    return n;
}

const dns::Name& in_addr_arpa() {
    static constexpr uint8_t wire[] = {7,   'i', 'n', '-', 'a', 'd', 'd',
                                       'r', 4,   'a', 'r', 'p', 'a', 0};
    static const dns::Name name = from_wire(wire);
    return name;
}

const dns::Name& ip6_arpa() {
    static constexpr uint8_t wire[] = {3, 'i', 'p', '6', 4, 'a', 'r', 'p', 'a', 0};
    static const dns::Name name = from_wire(wire);
    return name;
}

// Every label of name as a view, with the offset of its length octet.
int split_labels(const dns::Name& name, std::string_view (&labels)[max_labels],
                 size_t (&offsets)[max_labels]) {
    const uint8_t* w = name.data();
    int n = 0;
    for (size_t pos = 0; pos < name.size() && w[pos] != 0 && n < max_labels; pos += 1 + w[pos]) {
        offsets[n] = pos;
        labels[n++] = {reinterpret_cast<const char*>(w + pos + 1), w[pos]};
    }
    return n;
}

// RFC 1035 §3.5: d.c.b.a.in-addr.arpa; each label a decimal octet without leading zeros.
bool parse_reverse_v4(const std::string_view* labels, int count, catalog::IpBytes& out) {
    if (count != 4)
        return false;
    for (int i = 0; i < 4; ++i) {
        std::string_view l = labels[i];
        if (l.empty() || l.size() > 3 || (l.size() > 1 && l[0] == '0'))
            return false;
        unsigned v = 0;
        for (char c : l) {
            if (c < '0' || c > '9')
                return false;
            v = v * 10 + static_cast<unsigned>(c - '0');
        }
        if (v > 255)
            return false;
        out.bytes[3 - i] = static_cast<uint8_t>(v);
    }
    out.family = 4;
    return true;
}

// RFC 3596 §2.5: 32 nibble labels, least significant first.
bool parse_reverse_v6(const std::string_view* labels, int count, catalog::IpBytes& out) {
    if (count != 32)
        return false;
    for (int i = 0; i < 32; ++i) {
        int v = labels[i].size() == 1 ? ascii::hex_digit_value(labels[i][0]) : -1;
        if (v < 0)
            return false;
        int byte = 15 - i / 2;
        if (i % 2 == 0)
            out.bytes[byte] = static_cast<uint8_t>(v);
        else
            out.bytes[byte] = static_cast<uint8_t>(out.bytes[byte] | (v << 4));
    }
    out.family = 6;
    return true;
}

bool parse_hex_addr(std::string_view hex, catalog::IpBytes& out) {
    if (hex.size() != 8 && hex.size() != 32)
        return false;
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = ascii::hex_digit_value(hex[i]), lo = ascii::hex_digit_value(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out.bytes[i / 2] = static_cast<uint8_t>(hi << 4 | lo);
    }
    out.family = hex.size() == 8 ? 4 : 6;
    return true;
}

CatalogName parse_reverse(const dns::Name& qname, const dns::Name& tree, bool v4) {
    CatalogName out;
    std::string_view labels[max_labels];
    size_t offsets[max_labels];
    int count = split_labels(qname, labels, offsets) - tree.label_count();
    bool ok =
        v4 ? parse_reverse_v4(labels, count, out.addr) : parse_reverse_v6(labels, count, out.addr);
    out.kind = ok ? CatalogNameKind::reverse : CatalogNameKind::not_ours;
    return out;
}

bool is_keyword(std::string_view label) {
    return label == "node" || label == "service" || label == "addr";
}

// [<tag>.]<service> or _<service>._<tag> (RFC 2782; _tcp/_udp mean no tag).
void parse_service(const std::string_view* labels, int count, CatalogName& out) {
    out.kind = CatalogNameKind::invalid;
    if (count == 1) {
        out.service = labels[0];
    } else if (count == 2 && labels[0].starts_with('_') && labels[1].starts_with('_')) {
        out.service = labels[0].substr(1);
        out.tag = labels[1].substr(1);
        if (out.tag == "tcp" || out.tag == "udp")
            out.tag = {};
        if (out.tag.empty() && labels[1].size() == 1)
            return;  // "_" alone names no tag
    } else if (count == 2) {
        out.tag = labels[0];
        out.service = labels[1];
    } else {
        return;
    }
    if (!out.service.empty())
        out.kind = CatalogNameKind::service;
}

CatalogName parse_in_domain(const dns::Name& qname, const dns::Name& domain,
                            const CatalogOptions& options) {
    CatalogName out;
    out.domain = &domain;
    std::string_view labels[max_labels];
    size_t offsets[max_labels];
    int rel = split_labels(qname, labels, offsets) - domain.label_count();
    if (rel <= 0) {
        out.kind = CatalogNameKind::apex;
        return out;
    }
    // The keyword is the last label before the domain, or the one before the dc label.
    int k = -1;
    std::string_view dc;
    if (is_keyword(labels[rel - 1])) {
        k = rel - 1;
    } else if (rel >= 2 && is_keyword(labels[rel - 2])) {
        k = rel - 2;
        dc = labels[rel - 1];
    }
    if (k <= 0) {
        out.kind = CatalogNameKind::non_grammar;
        return out;
    }
    if (!dc.empty() && !ascii::iequals(dc, options.datacenter)) {
        out.kind = CatalogNameKind::invalid;
        return out;
    }
    std::string_view keyword = labels[k];
    if (keyword == "node") {
        out.kind = CatalogNameKind::node;
        out.node = {qname.data(), offsets[k]};
    } else if (keyword == "service") {
        parse_service(labels, k, out);
    } else {
        out.kind = k == 1 && parse_hex_addr(labels[0], out.addr) ? CatalogNameKind::addr
                                                                 : CatalogNameKind::invalid;
    }
    return out;
}

}  // namespace

CatalogName parse_catalog_name(const dns::Name& qname, const CatalogOptions& options) {
    // The more specific domain wins when one is under the other.
    const dns::Name* domain = nullptr;
    if (qname.is_subdomain_of(options.domain))
        domain = &options.domain;
    if (options.alt_domain && qname.is_subdomain_of(*options.alt_domain) &&
        (!domain || options.alt_domain->label_count() > domain->label_count()))
        domain = &*options.alt_domain;
    if (domain)
        return parse_in_domain(qname, *domain, options);
    if (qname.is_subdomain_of(in_addr_arpa()))
        return parse_reverse(qname, in_addr_arpa(), true);
    if (qname.is_subdomain_of(ip6_arpa()))
        return parse_reverse(qname, ip6_arpa(), false);
    return {};
}

size_t dotted_labels(std::span<const uint8_t> labels, std::span<char> out) {
    size_t len = 0;
    for (size_t pos = 0; pos < labels.size();) {
        size_t n = labels[pos];
        if (pos + 1 + n > labels.size() || len + n + (len > 0 ? 1 : 0) > out.size())
            return 0;
        if (len > 0)
            out[len++] = '.';
        std::memcpy(out.data() + len, labels.data() + pos + 1, n);
        len += n;
        pos += 1 + n;
    }
    return len;
}

}  // namespace muster::resolver
