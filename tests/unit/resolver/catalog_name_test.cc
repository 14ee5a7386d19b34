// Tests for src/resolver/catalog_name.cc: every form of the catalog grammar, the dc label,
// alt_domain, multi-label nodes, case, names that are not of the grammar and reverse names.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/catalog_name.hh"

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;

namespace muster::resolver {
std::ostream& operator<<(std::ostream& os, CatalogNameKind k) {
    static constexpr const char* names[] = {"not_ours", "non_grammar", "invalid", "apex",
                                            "node",     "service",     "addr",    "reverse"};
    return os << names[static_cast<int>(k)];
}
}  // namespace muster::resolver

namespace {

struct Parsed {
    dns::Name qname;  // the parse result's views point here
    CatalogName result;
};

CatalogOptions default_options() {
    CatalogOptions o;
    o.domain = name("internal.");
    o.datacenter = "dc1";
    return o;
}

// Parses text as the worker would: the lowercased query name.
void parse(Parsed& p, std::string_view text, const CatalogOptions& options = default_options()) {
    p.qname = name(text);
    p.qname.lowercase();
    p.result = parse_catalog_name(p.qname, options);
}

std::string node_text(const CatalogName& n) {
    char buf[256];
    size_t len = dotted_labels(n.node, buf);
    return {buf, len};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catalog_name)

BOOST_AUTO_TEST_CASE(node_form_with_and_without_dc) {
    Parsed p;
    parse(p, "alpha.node.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::node);
    BOOST_TEST(node_text(p.result) == "alpha");
    parse(p, "alpha.node.dc1.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::node);
    BOOST_TEST(node_text(p.result) == "alpha");
}

BOOST_AUTO_TEST_CASE(multi_label_node_keeps_every_label) {
    Parsed p;
    parse(p, "harpsichord.mooncarrot.space.node.dc1.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::node);
    BOOST_TEST(node_text(p.result) == "harpsichord.mooncarrot.space");
}

BOOST_AUTO_TEST_CASE(other_dc_is_invalid) {
    Parsed p;
    parse(p, "alpha.node.dc2.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::invalid);
    parse(p, "web.service.dc2.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::invalid);
    parse(p, "0a000001.addr.dc2.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::invalid);
}

BOOST_AUTO_TEST_CASE(dc_label_compares_case_insensitively) {
    CatalogOptions o = default_options();
    o.datacenter = "DC-East";
    Parsed p;
    parse(p, "web.service.dc-east.internal.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
}

BOOST_AUTO_TEST_CASE(service_and_tagged_service) {
    Parsed p;
    parse(p, "web.service.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag.empty());
    parse(p, "primary.web.service.dc1.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag == "primary");
}

BOOST_AUTO_TEST_CASE(rfc2782_form_strips_underscores_and_protocol) {
    Parsed p;
    parse(p, "_web._tcp.service.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag.empty());
    parse(p, "_web._udp.service.dc1.internal.");
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag.empty());
    parse(p, "_web._primary.service.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag == "primary");
}

BOOST_AUTO_TEST_CASE(service_with_too_many_labels_is_invalid) {
    Parsed p;
    parse(p, "a.b.web.service.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::invalid);
    parse(p, "_._tcp.service.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::invalid);  // "_" names no service
}

BOOST_AUTO_TEST_CASE(addr_form_decodes_v4_and_v6_hex) {
    Parsed p;
    parse(p, "0A000102.addr.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::addr);
    BOOST_TEST(p.result.addr.family == 4);
    BOOST_TEST(p.result.addr.bytes[0] == 10);
    BOOST_TEST(p.result.addr.bytes[3] == 2);
    parse(p, "20010db8000000000000000000000001.addr.dc1.internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::addr);
    BOOST_TEST(p.result.addr.family == 6);
    BOOST_TEST(p.result.addr.bytes[0] == 0x20);
    BOOST_TEST(p.result.addr.bytes[15] == 1);
}

BOOST_AUTO_TEST_CASE(bad_hex_addr_is_invalid) {
    Parsed p;
    for (const char* text :
         {"0a0001.addr.internal.", "0a00010g.addr.internal.", "x.0a000102.addr.internal."}) {
        parse(p, text);
        BOOST_TEST(p.result.kind == CatalogNameKind::invalid, text);
    }
}

BOOST_AUTO_TEST_CASE(apex_and_non_grammar_names) {
    Parsed p;
    parse(p, "internal.");
    BOOST_TEST(p.result.kind == CatalogNameKind::apex);
    for (const char* text :
         {"peppermint.internal.", "ns.internal.", "node.internal.", "service.dc1.internal.",
          "a.b.c.internal.", "x.node.dc1.extra.internal."}) {
        parse(p, text);
        BOOST_TEST(p.result.kind == CatalogNameKind::non_grammar, text);
    }
}

BOOST_AUTO_TEST_CASE(names_outside_the_domain_are_not_ours) {
    Parsed p;
    for (const char* text : {"example.com.", "web.service.consul.", "internal.example.", "."}) {
        parse(p, text);
        BOOST_TEST(p.result.kind == CatalogNameKind::not_ours, text);
    }
}

BOOST_AUTO_TEST_CASE(case_insensitive_and_domain_recorded) {
    const CatalogOptions o = default_options();
    Parsed p;
    parse(p, "Primary.WEB.Service.DC1.Internal.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.service == "web");
    BOOST_TEST(p.result.tag == "primary");
    BOOST_REQUIRE(p.result.domain != nullptr);
    BOOST_TEST(p.result.domain == &o.domain);
}

BOOST_AUTO_TEST_CASE(alt_domain_is_parsed_and_more_specific_domain_wins) {
    CatalogOptions o = default_options();
    o.domain = name("Mooncarrot.Space.");
    o.alt_domain = name("consul.");
    Parsed p;
    parse(p, "web.service.consul.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.domain == &*o.alt_domain);
    parse(p, "web.service.mooncarrot.space.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.domain == &o.domain);
    parse(p, "internal.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::not_ours);

    o.alt_domain = name("dc.mooncarrot.space.");  // under the primary domain
    parse(p, "web.service.dc.mooncarrot.space.", o);
    BOOST_TEST(p.result.kind == CatalogNameKind::service);
    BOOST_TEST(p.result.domain == &*o.alt_domain);
}

BOOST_AUTO_TEST_CASE(reverse_v4_names) {
    Parsed p;
    parse(p, "4.3.2.10.in-addr.arpa.");
    BOOST_TEST(p.result.kind == CatalogNameKind::reverse);
    BOOST_TEST(p.result.addr.family == 4);
    BOOST_TEST(p.result.addr.bytes[0] == 10);
    BOOST_TEST(p.result.addr.bytes[1] == 2);
    BOOST_TEST(p.result.addr.bytes[2] == 3);
    BOOST_TEST(p.result.addr.bytes[3] == 4);
    for (const char* text :
         {"3.2.10.in-addr.arpa.", "256.3.2.10.in-addr.arpa.", "04.3.2.10.in-addr.arpa.",
          "x.3.2.10.in-addr.arpa.", "in-addr.arpa.", "5.4.3.2.10.in-addr.arpa."}) {
        parse(p, text);
        BOOST_TEST(p.result.kind == CatalogNameKind::not_ours, text);
    }
}

BOOST_AUTO_TEST_CASE(reverse_v6_names) {
    Parsed p;
    // 2001:db8::1
    parse(p, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6.arpa.");
    BOOST_TEST(p.result.kind == CatalogNameKind::reverse);
    BOOST_TEST(p.result.addr.family == 6);
    BOOST_TEST(p.result.addr.bytes[0] == 0x20);
    BOOST_TEST(p.result.addr.bytes[1] == 0x01);
    BOOST_TEST(p.result.addr.bytes[2] == 0x0d);
    BOOST_TEST(p.result.addr.bytes[3] == 0xb8);
    BOOST_TEST(p.result.addr.bytes[15] == 0x01);
    parse(p, "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
    BOOST_TEST(p.result.kind == CatalogNameKind::not_ours);
}

BOOST_AUTO_TEST_CASE(dotted_labels_rejects_small_buffers) {
    Parsed p;
    parse(p, "abc.def.node.internal.");
    char small[5];
    BOOST_TEST(dotted_labels(p.result.node, small) == 0u);
    char exact[7];
    BOOST_TEST(dotted_labels(p.result.node, exact) == 7u);
}

BOOST_AUTO_TEST_SUITE_END()
