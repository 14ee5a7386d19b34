// Tests for src/resolver/catalog_zone.cc: catalog answers read back from the wire: node,
// service (A/AAAA/SRV + glue, tags, RFC 2782, health), addr, PTR, apex SOA/NS, NXDOMAIN and
// NODATA with SOA, truncation, a_record_limit, TTL rules, shuffling, names left to others, and
// one read snapshot per batch of answers.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/catalog_zone.hh"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../dns/ldns_view.hh"
#include "fake_catalog.hh"
#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;
using catalog::Status;
using std::chrono::seconds;

namespace {

struct Srv {
    uint16_t priority = 0, weight = 0, port = 0;
    std::string target;
};

Srv srv_of(const Rr& rr) {
    BOOST_REQUIRE(rr.type == dns::type::srv);
    BOOST_REQUIRE(rr.rdata.size() > 6);
    Srv s{dns::get16(&rr.rdata[0]), dns::get16(&rr.rdata[2]), dns::get16(&rr.rdata[4]), {}};
    dns::Name t;
    BOOST_REQUIRE(t.assign_wire(std::span(rr.rdata).subspan(6)));
    s.target = t.to_text();
    return s;
}

std::string address_of(const Rr& rr) {
    auto ip = rr.rdata;
    char buf[64];
    if (rr.type == dns::type::a && ip.size() == 4)
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    else if (rr.type == dns::type::aaaa && ip.size() == 16)
        std::snprintf(buf, sizeof buf, "aaaa:%02x%02x..%02x%02x", ip[0], ip[1], ip[14], ip[15]);
    else
        return "?";
    return buf;
}

std::string name_rdata(const Rr& rr) {
    dns::Name n;
    BOOST_REQUIRE(n.assign_wire(rr.rdata));
    return n.to_text();
}

struct Soa {
    std::string mname, rname;
    uint32_t serial = 0, minimum = 0;
};
Soa soa_of(const Rr& rr) {
    BOOST_REQUIRE(rr.type == dns::type::soa);
    dns::Name m, r;
    BOOST_REQUIRE(m.assign_wire(rr.rdata));
    BOOST_REQUIRE(r.assign_wire(std::span(rr.rdata).subspan(m.size())));
    size_t at = m.size() + r.size();
    BOOST_REQUIRE(rr.rdata.size() == at + 20);
    return {m.to_text(), r.to_text(), dns::get32(&rr.rdata[at]), dns::get32(&rr.rdata[at + 16])};
}

std::multiset<std::string> addresses(const std::vector<Rr>& rrs, uint16_t type) {
    std::multiset<std::string> out;
    for (const Rr& rr : rrs)
        if (rr.type == type)
            out.insert(address_of(rr));
    return out;
}

struct Answer {
    CatalogZone::Outcome outcome = CatalogZone::Outcome::not_ours;
    Message msg;
    Bytes wire;
};

struct Fixture {
    std::shared_ptr<FakeCatalogData> data = std::make_shared<FakeCatalogData>();
    CatalogOptions options;
    std::unique_ptr<CatalogZone> zone;
    bool in_batch = false;  // between batch_begin() and batch_end(): the snapshot stays open

    Fixture() {
        options.source = std::make_shared<FakeDnsSource>(data);
        options.domain = name("internal.");
        options.datacenter = "dc1";
        data->index = 42;
        data->add_node("alpha", "10.0.0.1", {{"rack", "r1"}, {"env", "prod"}});
        data->add_node("beta", "2001:db8::2");
        data->add_node("gamma", "10.0.0.3");
        data->set_service("web", {instance("alpha", "10.0.0.1", 80, Status::passing, {"primary"}),
                                  instance("beta", "2001:db8::2", 81, Status::warning),
                                  instance("gamma", "10.0.0.3", 82, Status::critical)});
    }

    Answer ask(std::string_view qname, uint16_t qtype, size_t limit = 4096) {
        if (!zone)
            zone = std::make_unique<CatalogZone>(options, 7);
        dns::Query q = make_query(qname, qtype);
        std::vector<uint8_t> buf(65535);
        dns::ResponseWriter w(buf, limit);
        Answer a;
        a.outcome = zone->answer(q, w, edns_of(q), 0);
        if (!in_batch)
            BOOST_TEST(data->open == 0);  // end() after every query
        if (a.outcome == CatalogZone::Outcome::answered) {
            size_t len = w.finish();
            BOOST_REQUIRE(len > 0);
            BOOST_TEST(len <= limit);
            auto m = read_message({buf.data(), len});
            BOOST_REQUIRE(m.has_value());
            a.msg = *m;
            a.wire.assign(buf.data(), buf.data() + len);
            // ldns, an independent decoder, reads every answer too (compressed names above all).
            auto view = dns::test::ldns_view(a.wire);
            BOOST_REQUIRE(view.has_value());
            BOOST_TEST(view->answer.size() == a.msg.answer.size());
            BOOST_TEST(view->authority.size() == a.msg.authority.size());
            for (size_t i = 0; i < a.msg.additional.size() && i < view->additional.size(); ++i)
                BOOST_TEST(view->additional[i].owner == a.msg.additional[i].owner.to_text());
        }
        return a;
    }
    Answer answered(std::string_view qname, uint16_t qtype, size_t limit = 4096) {
        Answer a = ask(qname, qtype, limit);
        BOOST_REQUIRE(a.outcome == CatalogZone::Outcome::answered);
        BOOST_TEST(a.msg.has(dns::flag::aa));
        return a;
    }
    void batch_begin() {
        if (!zone)
            zone = std::make_unique<CatalogZone>(options, 7);
        zone->batch_begin();
        in_batch = true;
    }
    void batch_end() {
        zone->batch_end();
        in_batch = false;
        BOOST_TEST(data->open == 0);
    }
};

void require_negative(const Answer& a, uint8_t rcode) {
    BOOST_TEST(a.msg.rcode() == rcode);
    BOOST_TEST(a.msg.answer.empty());
    BOOST_REQUIRE(a.msg.authority.size() == 1u);
    BOOST_TEST(a.msg.authority[0].type == dns::type::soa);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(catalog_zone)

BOOST_AUTO_TEST_CASE(service_ttl_exact_then_longest_prefix_then_star) {
    std::vector<TtlRule> rules{{"*", seconds(5)},
                               {"web*", seconds(10)},
                               {"web-a*", seconds(20)},
                               {"web-api", seconds(30)}};
    BOOST_TEST(select_service_ttl(rules, "web-api").count() == 30);
    BOOST_TEST(select_service_ttl(rules, "WEB-API").count() == 30);
    BOOST_TEST(select_service_ttl(rules, "web-admin").count() == 20);
    BOOST_TEST(select_service_ttl(rules, "web").count() == 10);
    BOOST_TEST(select_service_ttl(rules, "db").count() == 5);
    BOOST_TEST(select_service_ttl({}, "db").count() == 0);
    std::vector<TtlRule> no_star{{"web*", seconds(10)}};
    BOOST_TEST(select_service_ttl(no_star, "db").count() == 0);
    std::vector<TtlRule> order{{"w*", seconds(1)}, {"we*", seconds(2)}, {"w*", seconds(3)}};
    BOOST_TEST(select_service_ttl(order, "web").count() == 2);
}

BOOST_FIXTURE_TEST_CASE(node_a_answer_is_authoritative_with_node_ttl, Fixture) {
    options.node_ttl = seconds(15);
    auto a = answered("alpha.node.internal.", dns::type::a);
    BOOST_TEST(a.msg.rcode() == dns::rcode::noerror);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(address_of(a.msg.answer[0]) == "10.0.0.1");
    BOOST_TEST(a.msg.answer[0].ttl == 15u);
    BOOST_TEST(a.msg.answer[0].owner.to_text() == "alpha.node.internal.");
}

BOOST_FIXTURE_TEST_CASE(node_txt_has_one_string_per_meta_pair_and_any_adds_address, Fixture) {
    auto a = answered("alpha.node.dc1.internal.", dns::type::txt);
    std::set<std::string> txt;
    for (const Rr& rr : a.msg.answer) {
        BOOST_REQUIRE(rr.type == dns::type::txt);
        BOOST_REQUIRE(rr.rdata.size() == size_t{rr.rdata[0]} + 1);
        txt.insert(std::string(rr.rdata.begin() + 1, rr.rdata.end()));
    }
    BOOST_TEST((txt == std::set<std::string>{"env=prod", "rack=r1"}));
    auto any = answered("alpha.node.internal.", dns::type::any);
    BOOST_TEST(addresses(any.msg.answer, dns::type::a).size() == 1u);
    BOOST_TEST(any.msg.answer.size() == 3u);
}

BOOST_FIXTURE_TEST_CASE(node_aaaa_and_nodata_for_other_types, Fixture) {
    auto a = answered("beta.node.internal.", dns::type::aaaa);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(a.msg.answer[0].type == dns::type::aaaa);
    auto nodata = answered("beta.node.internal.", dns::type::a);
    require_negative(nodata, dns::rcode::noerror);
    auto mx = answered("alpha.node.internal.", dns::type::mx);
    require_negative(mx, dns::rcode::noerror);
}

BOOST_FIXTURE_TEST_CASE(unknown_node_is_nxdomain_with_soa, Fixture) {
    auto a = answered("nosuch.node.internal.", dns::type::a);
    require_negative(a, dns::rcode::nxdomain);
    Soa soa = soa_of(a.msg.authority[0]);
    BOOST_TEST(soa.serial == 42u);
    BOOST_TEST(soa.mname == "ns.internal.");
    BOOST_TEST(soa.rname == "hostmaster.internal.");
    BOOST_TEST(a.msg.authority[0].owner.to_text() == "internal.");
}

BOOST_FIXTURE_TEST_CASE(fqdn_node_answers_short_and_multi_label_names, Fixture) {
    options.domain = name("mooncarrot.space.");
    data->add_node("Harpsichord.Mooncarrot.Space", "10.9.9.9");
    data->add_node("db.rack1", "10.9.9.8");
    auto a = answered("harpsichord.node.mooncarrot.space.", dns::type::a);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(address_of(a.msg.answer[0]) == "10.9.9.9");
    auto full = answered("harpsichord.mooncarrot.space.node.mooncarrot.space.", dns::type::a);
    BOOST_TEST(full.msg.answer.size() == 1u);
    auto multi = answered("DB.Rack1.node.dc1.mooncarrot.space.", dns::type::a);
    BOOST_REQUIRE(multi.msg.answer.size() == 1u);
    BOOST_TEST(address_of(multi.msg.answer[0]) == "10.9.9.8");
    // The answer keeps the query's case.
    BOOST_TEST(multi.msg.answer[0].owner.to_text() == "DB.Rack1.node.dc1.mooncarrot.space.");
}

BOOST_FIXTURE_TEST_CASE(service_a_hides_critical_and_keeps_warning, Fixture) {
    data->set_service("api", {instance("alpha", "10.0.0.1", 80, Status::passing),
                              instance("gamma", "10.0.0.3", 80, Status::warning),
                              instance("beta", "10.0.0.4", 80, Status::critical)});
    auto a = answered("API.service.internal.", dns::type::a);
    BOOST_TEST((addresses(a.msg.answer, dns::type::a) ==
                std::multiset<std::string>{"10.0.0.1", "10.0.0.3"}));
    options.only_passing = true;
    auto p = answered("api.service.internal.", dns::type::a);
    BOOST_TEST((addresses(p.msg.answer, dns::type::a) == std::multiset<std::string>{"10.0.0.1"}));
}

BOOST_FIXTURE_TEST_CASE(service_with_only_filtered_instances_is_nxdomain, Fixture) {
    data->set_service("down", {instance("alpha", "10.0.0.1", 80, Status::critical)});
    require_negative(answered("down.service.internal.", dns::type::a), dns::rcode::nxdomain);
    require_negative(answered("nosuch.service.internal.", dns::type::srv), dns::rcode::nxdomain);
    options.only_passing = true;
    data->set_service("warn", {instance("alpha", "10.0.0.1", 80, Status::warning)});
    require_negative(answered("warn.service.internal.", dns::type::a), dns::rcode::nxdomain);
}

BOOST_FIXTURE_TEST_CASE(known_service_other_type_is_nodata, Fixture) {
    require_negative(answered("web.service.internal.", dns::type::txt), dns::rcode::noerror);
    data->set_service("v4only", {instance("alpha", "10.0.0.1", 80)});
    require_negative(answered("v4only.service.internal.", dns::type::aaaa), dns::rcode::noerror);
}

BOOST_FIXTURE_TEST_CASE(tag_filter_is_case_insensitive, Fixture) {
    auto a = answered("PRIMARY.web.service.internal.", dns::type::a);
    BOOST_TEST((addresses(a.msg.answer, dns::type::a) == std::multiset<std::string>{"10.0.0.1"}));
    require_negative(answered("secondary.web.service.internal.", dns::type::a),
                     dns::rcode::nxdomain);
}

BOOST_FIXTURE_TEST_CASE(srv_targets_nodes_with_glue, Fixture) {
    options.service_ttl = {{"web", seconds(60)}};
    std::vector<catalog::InstanceData> list{instance("alpha", "10.0.0.1", 80),
                                            instance("beta", "2001:db8::2", 81, Status::warning)};
    list[0].weights = {.passing = 5, .warning = 2};
    list[1].weights = {.passing = 9, .warning = 3};
    data->set_service("web", list);
    auto a = answered("web.service.internal.", dns::type::srv);
    BOOST_REQUIRE(a.msg.answer.size() == 2u);
    std::map<std::string, Srv> by_target;
    for (const Rr& rr : a.msg.answer) {
        BOOST_TEST(rr.ttl == 60u);
        Srv s = srv_of(rr);
        by_target[s.target] = s;
    }
    BOOST_REQUIRE(by_target.count("alpha.node.dc1.internal."));
    BOOST_REQUIRE(by_target.count("beta.node.dc1.internal."));
    const Srv& alpha = by_target["alpha.node.dc1.internal."];
    BOOST_TEST(alpha.priority == 1);
    BOOST_TEST(alpha.weight == 5);  // passing weight
    BOOST_TEST(alpha.port == 80);
    BOOST_TEST(by_target["beta.node.dc1.internal."].weight == 3);  // warning weight
    BOOST_REQUIRE(a.msg.additional.size() == 3u);                  // two glue RRs and OPT
    std::map<std::string, std::string> glue;
    for (const Rr& rr : a.msg.additional)
        if (rr.type != dns::type::opt)
            glue[rr.owner.to_text()] = address_of(rr);
    BOOST_TEST(glue["alpha.node.dc1.internal."] == "10.0.0.1");
    BOOST_TEST(glue["beta.node.dc1.internal."] == "aaaa:2001..0002");
}

BOOST_FIXTURE_TEST_CASE(srv_glue_owners_point_at_the_targets_as_knot_writes_them, Fixture) {
    // The benchmark's shape: 3 instances on their own nodes. 12 header + 25 question + 3 SRV
    // of 2 + 10 + 6 + 22 (targets uncompressed, RFC 2782) + 3 glue of 2 + 10 + 4 (owners
    // point at the targets) + 11 OPT: 216 octets, Knot's size (276 with glue owners in full).
    data->set_service("s1", {instance("n3", "10.0.0.4", 8001), instance("n4", "10.0.0.5", 8001),
                             instance("n5", "10.0.0.6", 8001)});
    auto a = answered("s1.service.internal.", dns::type::srv);
    BOOST_TEST(a.wire.size() == 216u);
    auto view = dns::test::ldns_view(a.wire);
    BOOST_REQUIRE(view.has_value());
    BOOST_REQUIRE(view->answer.size() == 3u);
    BOOST_REQUIRE(view->additional.size() == 3u);
    std::set<std::string> targets, owners;
    for (const auto& rr : view->answer) {
        BOOST_TEST(rr.owner == "s1.service.internal.");
        targets.insert(rr.rdata.substr(rr.rdata.rfind(' ') + 1));
    }
    for (const auto& rr : view->additional)
        owners.insert(rr.owner);
    BOOST_TEST((targets == std::set<std::string>{"n3.node.dc1.internal.", "n4.node.dc1.internal.",
                                                 "n5.node.dc1.internal."}));
    BOOST_TEST((owners == targets));
}

BOOST_FIXTURE_TEST_CASE(srv_own_address_targets_addr_name, Fixture) {
    std::vector<catalog::InstanceData> list{instance("alpha", "10.1.2.3", 8080)};
    list[0].own_address = true;
    data->set_service("svc", list);
    auto a = answered("svc.service.internal.", dns::type::srv);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(srv_of(a.msg.answer[0]).target == "0a010203.addr.dc1.internal.");
    BOOST_REQUIRE(a.msg.additional.size() == 2u);
    BOOST_TEST(a.msg.additional[0].owner.to_text() == "0a010203.addr.dc1.internal.");
    // ... and that target resolves through the addr form.
    auto t = answered("0a010203.addr.dc1.internal.", dns::type::a);
    BOOST_REQUIRE(t.msg.answer.size() == 1u);
    BOOST_TEST(address_of(t.msg.answer[0]) == "10.1.2.3");
}

BOOST_FIXTURE_TEST_CASE(srv_target_strips_the_domain_from_fqdn_nodes, Fixture) {
    options.domain = name("mooncarrot.space.");
    data->add_node("harpsichord.mooncarrot.space", "10.9.9.9");
    data->set_service("music", {instance("harpsichord.mooncarrot.space", "10.9.9.9", 1)});
    auto a = answered("music.service.mooncarrot.space.", dns::type::srv);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(srv_of(a.msg.answer[0]).target == "harpsichord.node.dc1.mooncarrot.space.");
}

BOOST_FIXTURE_TEST_CASE(rfc2782_form_answers_srv, Fixture) {
    auto a = answered("_web._tcp.service.internal.", dns::type::srv);
    BOOST_TEST(a.msg.answer.size() == 2u);  // gamma is critical
    auto tagged = answered("_web._primary.service.dc1.internal.", dns::type::srv);
    BOOST_REQUIRE(tagged.msg.answer.size() == 1u);
    BOOST_TEST(srv_of(tagged.msg.answer[0]).target == "alpha.node.dc1.internal.");
    require_negative(answered("_web._nosuchtag.service.internal.", dns::type::srv),
                     dns::rcode::nxdomain);
}

BOOST_FIXTURE_TEST_CASE(shared_node_glue_and_addresses_are_not_duplicated, Fixture) {
    data->set_service("multi",
                      {instance("alpha", "10.0.0.1", 80), instance("alpha", "10.0.0.1", 81),
                       instance("alpha", "10.0.0.1", 82)});
    auto a = answered("multi.service.internal.", dns::type::a);
    BOOST_TEST(a.msg.answer.size() == 1u);  // RFC 2181 §5
    auto s = answered("multi.service.internal.", dns::type::srv);
    BOOST_TEST(s.msg.answer.size() == 3u);
    BOOST_TEST(addresses(s.msg.additional, dns::type::a).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(thousands_of_instances_sharing_addresses_give_each_address_once, Fixture) {
    // 3,000 instances on 1,500 nodes (two per node): the answer has every address exactly once.
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 3000; ++i) {
        int node = i / 2;
        list.push_back(
            instance("n" + std::to_string(node),
                     "10.9." + std::to_string(node / 256) + "." + std::to_string(node % 256),
                     static_cast<uint16_t>(1000 + i)));
    }
    data->set_service("wide", list);
    auto a = answered("wide.service.internal.", dns::type::a, 65535);
    auto got = addresses(a.msg.answer, dns::type::a);
    BOOST_TEST(got.size() == 1500u);
    BOOST_TEST(std::set<std::string>(got.begin(), got.end()).size() == 1500u);
    // a_record_limit counts distinct addresses
    options.a_record_limit = 700;
    auto limited = answered("wide.service.internal.", dns::type::a, 65535);
    auto some = addresses(limited.msg.answer, dns::type::a);
    BOOST_TEST(some.size() == 700u);
    BOOST_TEST(std::set<std::string>(some.begin(), some.end()).size() == 700u);
}

// 10,000 instances on distinct addresses, every other one warning, every 100th tagged
// "canary": the service a big deployment has, answered from the ready sets (issue 18).
std::vector<catalog::InstanceData> ten_thousand() {
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 10000; ++i) {
        std::vector<std::string> tags{"all"};
        if (i % 100 == 0)
            tags.emplace_back("Canary");
        list.push_back(instance("n" + std::to_string(i),
                                "10.8." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                                static_cast<uint16_t>(i), i % 2 ? Status::warning : Status::passing,
                                tags));
    }
    return list;
}

int host_number(const std::string& addr) {  // 10.8.x.y -> x * 256 + y
    const size_t dot = addr.rfind('.');
    const size_t prev = addr.rfind('.', dot - 1);
    return std::stoi(addr.substr(prev + 1, dot - prev - 1)) * 256 + std::stoi(addr.substr(dot + 1));
}

BOOST_FIXTURE_TEST_CASE(ten_thousand_instances_answer_a_uniform_random_sample, Fixture) {
    data->set_service("huge", ten_thousand());
    options.a_record_limit = 3;
    for (bool only_passing : {false, true}) {
        options.only_passing = only_passing;
        std::set<int> seen;
        for (int q = 0; q < 2000; ++q) {
            auto a = answered(q % 2 ? "huge.service.internal." : "all.huge.service.internal.",
                              dns::type::a);
            auto got = addresses(a.msg.answer, dns::type::a);
            BOOST_REQUIRE(got.size() == 3u);
            BOOST_REQUIRE(std::set<std::string>(got.begin(), got.end()).size() == 3u);
            for (const std::string& addr : got) {
                const int n = host_number(addr);
                BOOST_REQUIRE((!only_passing || n % 2 == 0));
                seen.insert(n);
            }
        }
        // 6,000 uniform draws over the eligible set reach most of it: 10,000 (5,000 passing)
        // gives 4,512 (3,494) distinct on average; the first instances alone would give 3.
        BOOST_TEST(seen.size() > (only_passing ? 3200u : 4200u), "only_passing " << only_passing);
    }
}

BOOST_FIXTURE_TEST_CASE(ten_thousand_instances_truncate_and_a_tag_answers_its_own, Fixture) {
    data->set_service("huge", ten_thousand());
    for (uint16_t qtype : {dns::type::a, dns::type::srv}) {
        auto tcp = answered("huge.service.internal.", qtype, 65535);
        BOOST_TEST(tcp.msg.has(dns::flag::tc));  // 10,000 do not fit 64 KiB
        BOOST_TEST(tcp.msg.answer.empty());
    }
    // The tag (case-insensitive) has 100 instances, 100 healthy: all of them, glue included.
    auto srv = answered("canary.huge.service.internal.", dns::type::srv, 65535);
    BOOST_TEST(!srv.msg.has(dns::flag::tc));
    BOOST_REQUIRE(srv.msg.answer.size() == 100u);
    std::set<uint16_t> ports;
    for (const Rr& rr : srv.msg.answer)
        ports.insert(srv_of(rr).port);
    BOOST_TEST(ports.size() == 100u);
    BOOST_TEST((*ports.begin() == 0 && *ports.rbegin() == 9900));
    for (uint16_t port : ports)
        BOOST_TEST(port % 100 == 0);
    BOOST_TEST(addresses(srv.msg.additional, dns::type::a).size() == 100u);
    // Every 100th instance is even: all passing, so only_passing keeps all 100.
    options.only_passing = true;
    auto a = answered("canary.huge.service.internal.", dns::type::a, 65535);
    BOOST_TEST(addresses(a.msg.answer, dns::type::a).size() == 100u);
    require_negative(answered("nosuch.huge.service.internal.", dns::type::a), dns::rcode::nxdomain);
}

BOOST_FIXTURE_TEST_CASE(a_whole_address_set_comes_in_a_new_order_each_time, Fixture) {
    // A and AAAA: the in-place shuffle moves 4- or 16-byte addresses.
    for (uint16_t qtype : {dns::type::a, dns::type::aaaa}) {
        BOOST_TEST_CONTEXT("type " << qtype) {
            const bool v4 = qtype == dns::type::a;
            std::vector<catalog::InstanceData> list;
            for (int i = 0; i < 10; ++i)
                list.push_back(instance("n" + std::to_string(i),
                                        (v4 ? "10.7.0." : "fd00::70:") + std::to_string(i), 80));
            data->set_service("ten", list);
            std::set<std::vector<std::string>> orders;
            std::vector<int> first(10, 0);
            for (int q = 0; q < 400; ++q) {
                auto a = answered("ten.service.internal.", qtype);
                std::vector<std::string> order;
                for (const Rr& rr : a.msg.answer)
                    order.push_back(address_of(rr));
                BOOST_REQUIRE(order.size() == 10u);
                BOOST_REQUIRE(std::set<std::string>(order.begin(), order.end()).size() == 10u);
                // the last octet is the instance's number (the v6 form ends in its hex)
                const std::string& f = order[0];
                ++first[v4 ? std::stoi(f.substr(f.rfind('.') + 1))
                           : std::stoi(f.substr(f.size() - 2), nullptr, 16)];
                orders.insert(order);
            }
            BOOST_TEST(orders.size() > 390u);  // 10! orders: repeats are rare
            for (int n : first)
                BOOST_TEST((n > 15 && n < 75), "first place counts " << n);  // 40 expected each
        }
    }
}

BOOST_FIXTURE_TEST_CASE(many_instances_truncate_at_512_and_fit_in_tcp, Fixture) {
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 100; ++i)
        list.push_back(instance("node" + std::to_string(i), "10.1.0." + std::to_string(i), 80));
    data->set_service("big", list);
    for (uint16_t qtype : {dns::type::a, dns::type::srv}) {
        auto udp = answered("big.service.internal.", qtype, 512);
        BOOST_TEST(udp.msg.has(dns::flag::tc));
        BOOST_TEST(udp.msg.answer.empty());  // never a silently partial answer
        auto tcp = answered("big.service.internal.", qtype, 65535);
        BOOST_TEST(!tcp.msg.has(dns::flag::tc));
        BOOST_TEST(tcp.msg.answer.size() == 100u);
    }
    // SRV over TCP: glue for every target too.
    auto tcp = answered("big.service.internal.", dns::type::srv, 65535);
    BOOST_TEST(addresses(tcp.msg.additional, dns::type::a).size() == 100u);
}

BOOST_FIXTURE_TEST_CASE(srv_glue_that_does_not_fit_is_dropped_without_tc, Fixture) {
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 12; ++i)
        list.push_back(instance("n" + std::to_string(i), "10.2.0." + std::to_string(i), 80));
    data->set_service("mid", list);
    // 12 SRV RRs of ~40 octets (528 with header, question and OPT) fit 600; 12 glue RRs of 16
    // more do not.
    auto a = answered("mid.service.internal.", dns::type::srv, 600);
    BOOST_TEST(!a.msg.has(dns::flag::tc));
    BOOST_TEST(a.msg.answer.size() == 12u);
    BOOST_TEST(addresses(a.msg.additional, dns::type::a).size() < 12u);
}

BOOST_FIXTURE_TEST_CASE(a_record_limit_caps_address_answers_only, Fixture) {
    options.a_record_limit = 3;
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 10; ++i)
        list.push_back(instance("n" + std::to_string(i), "10.3.0." + std::to_string(i), 80));
    data->set_service("lim", list);
    BOOST_TEST(answered("lim.service.internal.", dns::type::a).msg.answer.size() == 3u);
    BOOST_TEST(answered("lim.service.internal.", dns::type::srv).msg.answer.size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(answers_are_shuffled_per_query, Fixture) {
    options.a_record_limit = 1;
    std::vector<catalog::InstanceData> list;
    for (int i = 0; i < 10; ++i)
        list.push_back(instance("n" + std::to_string(i), "10.4.0." + std::to_string(i), 80));
    data->set_service("shuf", list);
    std::set<std::string> firsts;
    for (int i = 0; i < 50; ++i) {
        auto a = answered("shuf.service.internal.", dns::type::a);
        BOOST_REQUIRE(a.msg.answer.size() == 1u);
        firsts.insert(address_of(a.msg.answer[0]));
    }
    BOOST_TEST(firsts.size() >= 5u);
}

BOOST_FIXTURE_TEST_CASE(ttl_rules_apply_to_service_answers, Fixture) {
    options.service_ttl = {{"*", seconds(5)}, {"we*", seconds(11)}};
    options.node_ttl = seconds(3);
    auto a = answered("web.service.internal.", dns::type::a);
    BOOST_REQUIRE(!a.msg.answer.empty());
    BOOST_TEST(a.msg.answer[0].ttl == 11u);
    data->set_service("db", {instance("alpha", "10.0.0.1", 5432)});
    auto d = answered("db.service.internal.", dns::type::a);
    BOOST_REQUIRE(!d.msg.answer.empty());
    BOOST_TEST(d.msg.answer[0].ttl == 5u);
    BOOST_TEST(answered("alpha.node.internal.", dns::type::a).msg.answer[0].ttl == 3u);
}

BOOST_FIXTURE_TEST_CASE(addr_form_answers_without_lookup, Fixture) {
    auto v4 = answered("c0a80001.addr.internal.", dns::type::a);
    BOOST_REQUIRE(v4.msg.answer.size() == 1u);
    BOOST_TEST(address_of(v4.msg.answer[0]) == "192.168.0.1");
    auto v6 = answered("20010db8000000000000000000000002.addr.dc1.internal.", dns::type::aaaa);
    BOOST_REQUIRE(v6.msg.answer.size() == 1u);
    BOOST_TEST(address_of(v6.msg.answer[0]) == "aaaa:2001..0002");
    require_negative(answered("c0a80001.addr.internal.", dns::type::aaaa), dns::rcode::noerror);
    require_negative(answered("c0a8001.addr.internal.", dns::type::a), dns::rcode::nxdomain);
    BOOST_TEST(data->lookups == 0);
}

BOOST_FIXTURE_TEST_CASE(ptr_names_nodes_and_services, Fixture) {
    data->add_ptr("10.0.0.1",
                  {{catalog::PtrKind::node, "alpha"}, {catalog::PtrKind::service, "web"}});
    data->add_ptr("2001:db8::2", {{catalog::PtrKind::node, "beta"}});
    auto a = answered("1.0.0.10.in-addr.arpa.", dns::type::ptr);
    std::set<std::string> targets;
    for (const Rr& rr : a.msg.answer) {
        BOOST_TEST(rr.type == dns::type::ptr);
        targets.insert(name_rdata(rr));
    }
    BOOST_TEST((targets ==
                std::set<std::string>{"alpha.node.dc1.internal.", "web.service.dc1.internal."}));
    auto v6 = answered("2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                       dns::type::ptr);
    BOOST_REQUIRE(v6.msg.answer.size() == 1u);
    BOOST_TEST(name_rdata(v6.msg.answer[0]) == "beta.node.dc1.internal.");
}

BOOST_FIXTURE_TEST_CASE(reverse_names_without_entry_go_on, Fixture) {
    data->add_ptr("10.0.0.1", {{catalog::PtrKind::node, "alpha"}});
    BOOST_TEST(
        (ask("9.9.9.9.in-addr.arpa.", dns::type::ptr).outcome == CatalogZone::Outcome::not_ours));
    BOOST_TEST(
        (ask("1.0.0.10.in-addr.arpa.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    BOOST_TEST(data->begins == data->ends);
}

BOOST_FIXTURE_TEST_CASE(apex_answers_soa_and_ns, Fixture) {
    auto soa = answered("Internal.", dns::type::soa);
    BOOST_REQUIRE(soa.msg.answer.size() == 1u);
    Soa s = soa_of(soa.msg.answer[0]);
    BOOST_TEST(s.serial == 42u);
    BOOST_TEST(s.minimum == 0u);
    BOOST_TEST(soa.msg.answer[0].ttl == 0u);
    auto ns = answered("internal.", dns::type::ns);
    BOOST_REQUIRE(ns.msg.answer.size() == 1u);
    BOOST_TEST(name_rdata(ns.msg.answer[0]) == "ns.internal.");
    BOOST_TEST(answered("internal.", dns::type::any).msg.answer.size() == 2u);
    require_negative(answered("internal.", dns::type::a), dns::rcode::noerror);
}

BOOST_FIXTURE_TEST_CASE(catalog_change_is_visible_to_the_next_query, Fixture) {
    BOOST_TEST(answered("web.service.internal.", dns::type::a).msg.answer.size() == 1u);
    data->set_service("web", {instance("gamma", "10.0.0.3", 82)});
    data->index = 43;
    auto a = answered("web.service.internal.", dns::type::a);
    BOOST_TEST((addresses(a.msg.answer, dns::type::a) == std::multiset<std::string>{"10.0.0.3"}));
    BOOST_TEST(soa_of(answered("internal.", dns::type::soa).msg.answer[0]).serial == 43u);
}

BOOST_FIXTURE_TEST_CASE(one_snapshot_serves_every_answer_of_a_batch, Fixture) {
    batch_begin();
    BOOST_TEST(data->begins == 0);  // taken by the first catalog answer, not by the batch
    BOOST_TEST(answered("web.service.internal.", dns::type::a).msg.answer.size() == 1u);
    BOOST_TEST(answered("alpha.node.internal.", dns::type::a).msg.answer.size() == 1u);
    require_negative(answered("nosuch.node.internal.", dns::type::a), dns::rcode::nxdomain);
    BOOST_TEST(soa_of(answered("internal.", dns::type::soa).msg.answer[0]).serial == 42u);
    BOOST_TEST(data->begins == 1);
    BOOST_TEST(data->open == 1);
    batch_end();
    BOOST_TEST(data->ends == 1);
}

BOOST_FIXTURE_TEST_CASE(a_catalog_change_is_visible_to_the_next_batch, Fixture) {
    batch_begin();
    BOOST_TEST(answered("web.service.internal.", dns::type::a).msg.answer.size() == 1u);
    batch_end();
    data->set_service("web", {instance("gamma", "10.0.0.3", 82)});
    data->index = 43;
    batch_begin();
    auto a = answered("web.service.internal.", dns::type::a);
    BOOST_TEST((addresses(a.msg.answer, dns::type::a) == std::multiset<std::string>{"10.0.0.3"}));
    BOOST_TEST(soa_of(answered("internal.", dns::type::soa).msg.answer[0]).serial == 43u);
    batch_end();
    BOOST_TEST(data->begins == 2);
    BOOST_TEST(data->ends == 2);
}

BOOST_FIXTURE_TEST_CASE(a_batch_of_names_not_ours_takes_no_snapshot, Fixture) {
    batch_begin();
    BOOST_TEST((ask("www.example.com.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    BOOST_TEST(
        (ask("9.9.9.9.in-addr.arpa.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    batch_end();
    BOOST_TEST(data->begins == 0);
    BOOST_TEST(data->ends == 0);
}

BOOST_FIXTURE_TEST_CASE(answers_outside_a_batch_take_their_own_snapshot, Fixture) {
    batch_begin();
    answered("web.service.internal.", dns::type::a);
    batch_end();
    // After the batch (and before the next one) every answer opens and closes its own.
    answered("web.service.internal.", dns::type::a);
    answered("alpha.node.internal.", dns::type::a);
    BOOST_TEST(data->begins == 3);
    BOOST_TEST(data->ends == 3);
    // An empty batch, and a zone destroyed inside a batch, leave nothing open.
    batch_begin();
    batch_end();
    batch_begin();
    answered("web.service.internal.", dns::type::a);
    zone.reset();
    BOOST_TEST(data->open == 0);
    BOOST_TEST(data->ends == 4);
}

BOOST_FIXTURE_TEST_CASE(other_dc_and_bad_forms_are_nxdomain, Fixture) {
    require_negative(answered("alpha.node.dc2.internal.", dns::type::a), dns::rcode::nxdomain);
    require_negative(answered("a.b.web.service.internal.", dns::type::a), dns::rcode::nxdomain);
    BOOST_TEST(answered("alpha.node.dc1.internal.", dns::type::a).msg.answer.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(non_grammar_names_go_on_unless_configured_nxdomain, Fixture) {
    BOOST_TEST(
        (ask("peppermint.internal.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    BOOST_TEST((ask("ns.internal.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    BOOST_TEST((ask("www.example.com.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
    options.forward_unknown_in_domain = false;
    require_negative(answered("peppermint.internal.", dns::type::a), dns::rcode::nxdomain);
    BOOST_TEST((ask("www.example.com.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
}

BOOST_FIXTURE_TEST_CASE(alt_domain_answers_with_its_own_names, Fixture) {
    options.alt_domain = name("consul.");
    auto a = answered("web.service.consul.", dns::type::srv);
    BOOST_REQUIRE(!a.msg.answer.empty());
    BOOST_TEST(srv_of(a.msg.answer[0]).target.ends_with(".node.dc1.consul."));
    auto n = answered("nosuch.node.consul.", dns::type::a);
    require_negative(n, dns::rcode::nxdomain);
    BOOST_TEST(n.msg.authority[0].owner.to_text() == "consul.");
}

BOOST_FIXTURE_TEST_CASE(no_source_means_no_zone, Fixture) {
    options.source.reset();
    BOOST_TEST(
        (ask("alpha.node.internal.", dns::type::a).outcome == CatalogZone::Outcome::not_ours));
}

BOOST_FIXTURE_TEST_CASE(chaos_class_is_not_ours, Fixture) {
    zone = std::make_unique<CatalogZone>(options, 1);
    dns::Query q =
        make_query("alpha.node.internal.", dns::type::txt, 1, Dnssec::off, dns::klass::ch);
    std::vector<uint8_t> buf(512);
    dns::ResponseWriter w(buf, buf.size());
    BOOST_TEST((zone->answer(q, w, edns_of(q), 0) == CatalogZone::Outcome::not_ours));
}

BOOST_FIXTURE_TEST_CASE(malformed_service_record_answers_what_it_could_read, Fixture) {
    auto bytes = catalog::encode_service_record(std::vector<catalog::InstanceData>{
        instance("alpha", "10.0.0.1", 80), instance("beta", "10.0.0.2", 80)});
    auto truncated = bytes;
    truncated.resize(bytes.size() - 3);
    data->services["broken"] = truncated;
    require_negative(answered("broken.service.internal.", dns::type::srv), dns::rcode::nxdomain);
    // beta's offset points nowhere: SRV answers with alpha alone.
    bytes[29] = 0xff;
    bytes[30] = 0xff;
    data->services["broken"] = bytes;
    auto a = answered("broken.service.internal.", dns::type::srv);
    BOOST_REQUIRE(a.msg.answer.size() == 1u);
    BOOST_TEST(srv_of(a.msg.answer[0]).target == "alpha.node.dc1.internal.");
}

BOOST_AUTO_TEST_SUITE_END()
