// The catalog zone's name grammar (docs/design.md "DNS names"): which form a query name has and
// its parts, as views into the (lowercased) query name. Parsing allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "catalog/dns_record.hh"
#include "dns/name.hh"
#include "resolver/options.hh"

namespace muster::resolver {

enum class CatalogNameKind {
    not_ours,     // outside domain, alt_domain and the reverse trees
    non_grammar,  // under the domain, but no form of the grammar ("peppermint.<domain>")
    invalid,      // a form of the grammar that names nothing: another dc, bad hex, extra labels
    apex,         // <domain>
    node,         // <node>.node[.<dc>].<domain>
    service,      // [<tag>.]<service>.service[.<dc>].<domain>, _<service>._<tag>.service...
    addr,         // <hex>.addr[.<dc>].<domain>
    reverse,      // <v4>.in-addr.arpa, <v6 nibbles>.ip6.arpa
};

struct CatalogName {
    CatalogNameKind kind = CatalogNameKind::not_ours;
    const dns::Name* domain = nullptr;  // the domain the name is under (domain or alt_domain)
    std::span<const uint8_t> node;      // node: the node part's wire labels (no root label)
    std::string_view service;           // service: the service label (underscore removed)
    std::string_view tag;               // service: "" = no tag filter
    catalog::IpBytes addr;              // addr, reverse: the address named
};

// Parses qname, which must be lowercase (Query::qname_lower); the result's views point into
// it. Domain labels and the dc label are compared ASCII case-insensitively.
CatalogName parse_catalog_name(const dns::Name& qname, const CatalogOptions& options);

// Writes the node part as dotted text ("harpsichord.mooncarrot") into out; returns its
// length, 0 when it does not fit.
size_t dotted_labels(std::span<const uint8_t> labels, std::span<char> out);

}  // namespace muster::resolver
