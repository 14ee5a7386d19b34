// Tests for src/resolver/forwarder.cc: zone selection, shared in-flight queries, cache fill,
// serve-stale on failure and SERVFAIL answers, with fake channels (the loop is never run).
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/forwarder.hh"

#include <boost/test/unit_test.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_channel.hh"
#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;
using namespace std::chrono_literals;

namespace {

UpstreamSpec spec(const std::string& label) {
    UpstreamSpec s;
    s.label = label;
    return s;
}

struct ForwarderFixture {
    EventLoop loop;  // for the forwarder's timer; never run, so nothing fires
    FakeClock clock;
    Cache cache{CacheOptions{}, clock};
    std::map<std::string, FakeChannel*> channels;  // by label
    std::vector<QueryContext*> completed;
    std::vector<std::unique_ptr<QueryContext>> contexts;
    Forwarder forwarder{loop, cache, clock,
                        [this](const UpstreamSpec& s, UpstreamListener& l) {
                            auto c = std::make_unique<FakeChannel>(s, l);
                            channels[s.label] = c.get();
                            return std::unique_ptr<UpstreamChannel>(std::move(c));
                        },
                        [this](QueryContext& ctx) { completed.push_back(&ctx); }};

    void configure(std::vector<std::string> recursors,
                   std::vector<std::pair<std::string, std::string>> zones = {}) {
        Zones z;
        for (auto& r : recursors)
            z.upstream.upstreams.push_back(spec(r));
        for (auto& [zone, label] : zones)
            z.forward_zones.push_back({name(zone), {spec(label)}});
        forwarder.configure(z);
    }

    QueryContext& context(std::string_view qname, uint16_t id, uint16_t qtype = dns::type::a) {
        auto ctx = std::make_unique<QueryContext>();
        ctx->query = make_query(qname, qtype, id);
        ctx->edns = edns_of(ctx->query);
        ctx->recursion_allowed = true;
        ctx->limit = 1232;
        ctx->response.resize(4096);
        contexts.push_back(std::move(ctx));
        return *contexts.back();
    }

    // The question the forwarder sent on channel `label`, as a parsed query.
    dns::Query sent_query(const std::string& label) {
        FakeChannel* c = channels.at(label);
        BOOST_REQUIRE(!c->sent.empty());
        dns::Query q;
        BOOST_REQUIRE(dns::parse_query(c->sent.back().query, q) == dns::ParseStatus::ok);
        return q;
    }

    static Message reply_of(const QueryContext& ctx) {
        BOOST_REQUIRE(ctx.length > 0);
        auto m = read_message(std::span(ctx.response).first(ctx.length));
        BOOST_REQUIRE(m);
        return *m;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(forwarder, ForwarderFixture)

BOOST_AUTO_TEST_CASE(no_upstream_answers_servfail_with_ede_network_error) {
    configure({});
    QueryContext& ctx = context("www.example.", 0x1111);
    BOOST_TEST((forwarder.forward(ctx) == Verdict::answered));
    Message m = reply_of(ctx);
    BOOST_TEST(m.id == 0x1111);
    BOOST_TEST(m.rcode() == dns::rcode::servfail);
    BOOST_TEST(ede_code(m).value_or(0) == dns::ede::network_error);
}

BOOST_AUTO_TEST_CASE(identical_queries_share_one_upstream_query) {
    configure({"r0"});
    QueryContext& a = context("www.example.", 0x0001);
    QueryContext& b = context("WWW.Example.", 0x0002);
    BOOST_TEST((forwarder.forward(a) == Verdict::pending));
    BOOST_TEST((forwarder.forward(b) == Verdict::pending));
    BOOST_REQUIRE_EQUAL(channels.at("r0")->sent.size(), 1u);
    BOOST_TEST(forwarder.in_flight() == 1u);

    dns::Query up = sent_query("r0");
    channels.at("r0")->reply(
        make_response(up, dns::rcode::noerror, {{"www.example.", dns::type::a, 300, "192.0.2.1"}}));
    BOOST_REQUIRE_EQUAL(completed.size(), 2u);
    BOOST_TEST(forwarder.in_flight() == 0u);
    for (QueryContext* ctx : {&a, &b}) {
        Message m = reply_of(*ctx);
        BOOST_TEST(m.id == ctx->query.id);
        BOOST_TEST(m.qname.to_text() == ctx->query.qname.to_text());
        BOOST_REQUIRE_EQUAL(m.answer.size(), 1u);
        BOOST_TEST(m.answer[0].rdata == rdata(dns::type::a, "192.0.2.1"));
    }
    BOOST_TEST(cache.size() == 1u);  // and the answer is cached
}

BOOST_AUTO_TEST_CASE(most_specific_forward_zone_wins) {
    configure({"recursor"}, {{"lan.", "lan"}, {"x.lan.", "x"}});
    forwarder.forward(context("a.x.lan.", 1));
    forwarder.forward(context("b.lan.", 2));
    forwarder.forward(context("X.LAN.", 3));
    forwarder.forward(context("example.com.", 4));
    BOOST_TEST(channels.at("x")->sent.size() == 2u);
    BOOST_TEST(channels.at("lan")->sent.size() == 1u);
    BOOST_TEST(channels.at("recursor")->sent.size() == 1u);
}

BOOST_AUTO_TEST_CASE(failure_serves_stale_answer) {
    configure({"r0"});
    auto q = make_query("www.example.", dns::type::a);
    Bytes msg =
        make_response(q, dns::rcode::noerror, {{"www.example.", dns::type::a, 60, "192.0.2.1"}});
    auto info = std::make_unique<dns::ResponseInfo>();
    BOOST_REQUIRE(dns::parse_response(msg, q.qname, q.qtype, q.qclass, *info) ==
                  dns::ResponseStatus::ok);
    cache.store(CacheKey(q.qname_lower, q.qtype, q.qclass, q.do_bit), msg, *info);
    clock.advance(120s);

    QueryContext& ctx = context("www.example.", 0x7777);
    BOOST_TEST((forwarder.forward(ctx) == Verdict::pending));
    channels.at("r0")->fail(UpstreamFailure::connect);
    BOOST_REQUIRE_EQUAL(completed.size(), 1u);
    Message m = reply_of(ctx);
    BOOST_TEST(m.id == 0x7777);
    BOOST_TEST(m.rcode() == dns::rcode::noerror);
    BOOST_REQUIRE_EQUAL(m.answer.size(), 1u);
    BOOST_TEST(m.answer[0].ttl == 30u);
    BOOST_TEST(ede_code(m).value_or(0) == dns::ede::stale_answer);
}

BOOST_AUTO_TEST_CASE(failure_without_stale_answer_is_servfail) {
    configure({"r0"});
    QueryContext& ctx = context("www.example.", 0x7777);
    forwarder.forward(ctx);
    channels.at("r0")->fail(UpstreamFailure::tls);
    BOOST_REQUIRE_EQUAL(completed.size(), 1u);
    Message m = reply_of(ctx);
    BOOST_TEST(m.rcode() == dns::rcode::servfail);
    BOOST_TEST(ede_code(m).value_or(0) == dns::ede::network_error);
}

BOOST_AUTO_TEST_CASE(answer_to_another_question_counts_as_failure) {
    configure({"r0"});
    QueryContext& ctx = context("www.example.", 0x2222);
    forwarder.forward(ctx);
    auto other = make_query("evil.example.", dns::type::a);
    channels.at("r0")->reply(make_response(other, dns::rcode::noerror,
                                           {{"evil.example.", dns::type::a, 300, "203.0.113.1"}}));
    BOOST_REQUIRE_EQUAL(completed.size(), 1u);
    BOOST_TEST(reply_of(ctx).rcode() == dns::rcode::servfail);
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(prefetch_refreshes_cache_without_a_client) {
    configure({"r0"});
    auto q = make_query("www.example.", dns::type::a);
    forwarder.prefetch(q);
    BOOST_REQUIRE_EQUAL(channels.at("r0")->sent.size(), 1u);
    dns::Query up = sent_query("r0");
    channels.at("r0")->reply(
        make_response(up, dns::rcode::noerror, {{"www.example.", dns::type::a, 300, "192.0.2.1"}}));
    BOOST_TEST(completed.empty());
    BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
