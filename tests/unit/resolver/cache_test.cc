// Tests for src/resolver/cache.cc: TTL countdown, RFC 2308 negative TTLs, RFC 8767 serve-stale,
// clamping, keys, prefetch marks and the size bound, all on a FakeClock.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/cache.hh"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;
using namespace std::chrono_literals;

namespace muster::resolver {
std::ostream& operator<<(std::ostream& os, CacheState s) {
    const char* names[] = {"miss", "fresh", "stale"};
    return os << names[static_cast<int>(s)];
}
}  // namespace muster::resolver

namespace {

CacheKey key_of(const dns::Query& q) {
    return CacheKey(q.qname_lower, q.qtype, q.qclass, q.do_bit);
}

dns::Name name_of(std::string_view text) {
    auto n = dns::Name::from_text(text);
    BOOST_REQUIRE(n);
    return *n;
}

// Analyses msg as the answer to q, as the forwarder does.
std::unique_ptr<dns::ResponseInfo> analyse(const dns::Query& q, const Bytes& msg) {
    auto info = std::make_unique<dns::ResponseInfo>();
    BOOST_REQUIRE(dns::parse_response(msg, q.qname, q.qtype, q.qclass, *info) ==
                  dns::ResponseStatus::ok);
    return info;
}

void store(Cache& cache, const dns::Query& q, const Bytes& msg) {
    cache.store(key_of(q), msg, *analyse(q, msg));
}

struct Hit {
    CacheLookup result;
    std::optional<Message> msg;  // the rendered answer, when something was rendered
};

Hit lookup(Cache& cache, const dns::Query& q, StaleUse stale = StaleUse::never,
           const dns::EdnsOut* edns = nullptr) {
    Bytes out(4096);
    Hit h;
    h.result = cache.lookup(key_of(q), q, edns ? *edns : edns_of(q), out, out.size(), stale);
    if (h.result.length > 0) {
        out.resize(h.result.length);
        h.msg = read_message(out);
        BOOST_REQUIRE_MESSAGE(h.msg, "the cache rendered an unreadable message");
    }
    return h;
}

Bytes a_answer(const dns::Query& q, uint32_t ttl) {
    return make_response(q, dns::rcode::noerror,
                         {{q.qname.to_text(), dns::type::a, ttl, "192.0.2.1"}});
}

// A negative answer with the SOA (TTL soa_ttl, MINIMUM minimum) in the authority section.
Bytes negative_answer(const dns::Query& q, uint8_t rcode, uint32_t soa_ttl, uint32_t minimum) {
    std::string soa = "ns.example. hostmaster.example. 1 3600 600 86400 " + std::to_string(minimum);
    return make_response(q, rcode,
                         {{"example.", dns::type::soa, soa_ttl, soa, dns::Section::authority}});
}

struct CacheFixture {
    FakeClock clock;
    CacheOptions options;
    std::unique_ptr<Cache> made;

    Cache& cache() {
        if (!made)
            made = std::make_unique<Cache>(options, clock);
        return *made;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(cache, CacheFixture)

BOOST_AUTO_TEST_CASE(fresh_hit_renders_ttl_counted_down) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 300));

    clock.advance(100s);
    Hit h = lookup(cache(), q);
    BOOST_TEST(h.result.state == CacheState::fresh);
    BOOST_REQUIRE(h.msg);
    BOOST_REQUIRE_EQUAL(h.msg->answer.size(), 1u);
    BOOST_TEST(h.msg->answer[0].ttl == 200u);
    BOOST_TEST(h.msg->answer[0].rdata == rdata(dns::type::a, "192.0.2.1"));
    BOOST_TEST(h.msg->rcode() == dns::rcode::noerror);
    BOOST_TEST(h.msg->has(dns::flag::qr));
    BOOST_TEST(!h.msg->has(dns::flag::aa));  // we forward, we are not the authority

    clock.advance(1500ms);  // partial seconds do not count yet
    h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 199u);
    BOOST_TEST(cache().stats().hits.load() == 2u);
}

BOOST_AUTO_TEST_CASE(miss_for_unknown_key) {
    auto q = make_query("www.example.", dns::type::a);
    Hit h = lookup(cache(), q, StaleUse::serve);
    BOOST_TEST(h.result.state == CacheState::miss);
    BOOST_TEST(h.result.length == 0u);
    BOOST_TEST(cache().stats().misses.load() == 1u);
}

BOOST_AUTO_TEST_CASE(entry_is_stale_after_ttl) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 60));

    clock.advance(59s);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::fresh);
    clock.advance(1s);
    Hit h = lookup(cache(), q, StaleUse::never);
    BOOST_TEST(h.result.state == CacheState::stale);
    BOOST_TEST(h.result.length == 0u);
    BOOST_TEST(cache().size() == 1u);  // kept for serve-stale
}

BOOST_AUTO_TEST_CASE(stale_answer_has_ede_3_and_ttl_30) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 60));

    clock.advance(600s);
    Hit h = lookup(cache(), q, StaleUse::serve);
    BOOST_TEST(h.result.state == CacheState::stale);
    BOOST_REQUIRE(h.msg);
    BOOST_REQUIRE_EQUAL(h.msg->answer.size(), 1u);
    BOOST_TEST(h.msg->answer[0].ttl == 30u);  // RFC 8767 §4
    BOOST_TEST(ede_code(*h.msg).value_or(0) == dns::ede::stale_answer);
    BOOST_TEST(h.msg->opt()->rdata == (Bytes{0, 15, 0, 2, 0, 3}));  // RFC 8914 §2, no extra text
    BOOST_TEST(cache().stats().stale_hits.load() == 1u);
}

BOOST_AUTO_TEST_CASE(stale_answer_without_client_edns_has_no_opt) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 60));
    clock.advance(61s);

    dns::EdnsOut none;  // the client sent no OPT record
    Hit h = lookup(cache(), q, StaleUse::serve, &none);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 30u);
    BOOST_TEST(h.msg->opt() == nullptr);
}

BOOST_AUTO_TEST_CASE(stale_answer_not_served_past_stale_max_age) {
    options.stale_max_age = 100s;
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 60));

    clock.advance(160s);  // exactly stale_max_age past expiry: still served
    BOOST_TEST(lookup(cache(), q, StaleUse::serve).result.length > 0u);
    clock.advance(1s);
    Hit h = lookup(cache(), q, StaleUse::serve);
    BOOST_TEST(h.result.state == CacheState::miss);
    BOOST_TEST(h.result.length == 0u);
    BOOST_TEST(cache().size() == 0u);  // dropped for good
}

BOOST_AUTO_TEST_CASE(serve_stale_off_never_serves_expired_entries) {
    options.serve_stale = false;
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 60));

    clock.advance(61s);
    Hit h = lookup(cache(), q, StaleUse::serve);
    BOOST_TEST(h.result.length == 0u);
    BOOST_TEST(h.result.state != CacheState::fresh);
    BOOST_TEST(cache().stats().stale_hits.load() == 0u);
}

BOOST_AUTO_TEST_CASE(negative_answer_ttl_is_soa_minimum) {
    // RFC 2308 §5: min(SOA TTL, SOA MINIMUM).
    auto nx = make_query("gone.example.", dns::type::a);
    store(cache(), nx, negative_answer(nx, dns::rcode::nxdomain, 3600, 300));
    auto nodata = make_query("www.example.", dns::type::aaaa);
    store(cache(), nodata, negative_answer(nodata, dns::rcode::noerror, 120, 600));

    Hit h = lookup(cache(), nx);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->rcode() == dns::rcode::nxdomain);
    BOOST_REQUIRE_EQUAL(h.msg->authority.size(), 1u);
    BOOST_TEST(h.msg->authority[0].type == dns::type::soa);
    BOOST_TEST(h.msg->authority[0].ttl == 300u);

    h = lookup(cache(), nodata);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->rcode() == dns::rcode::noerror);
    BOOST_TEST(h.msg->answer.empty());
    BOOST_REQUIRE_EQUAL(h.msg->authority.size(), 1u);
    BOOST_TEST(h.msg->authority[0].ttl == 120u);

    clock.advance(120s);
    BOOST_TEST(lookup(cache(), nodata).result.state == CacheState::stale);
    clock.advance(180s);
    BOOST_TEST(lookup(cache(), nx).result.state == CacheState::stale);
}

BOOST_AUTO_TEST_CASE(negative_answer_ttl_capped_by_negative_max_ttl) {
    options.negative_max_ttl = 60s;
    auto q = make_query("gone.example.", dns::type::a);
    store(cache(), q, negative_answer(q, dns::rcode::nxdomain, 3600, 900));

    Hit h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->authority[0].ttl == 60u);
    clock.advance(60s);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::stale);
}

BOOST_AUTO_TEST_CASE(negative_answer_without_soa_is_not_cached) {
    auto q = make_query("gone.example.", dns::type::a);
    Bytes msg = make_response(q, dns::rcode::nxdomain, {});
    auto info = analyse(q, msg);
    BOOST_TEST(!info->cacheable);
    cache().store(key_of(q), msg, *info);
    // Even when a caller thinks it cacheable, there is no TTL to keep it for.
    info->cacheable = true;
    cache().store(key_of(q), msg, *info);
    BOOST_TEST(cache().size() == 0u);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::miss);
}

BOOST_AUTO_TEST_CASE(max_ttl_caps_positive_ttl) {
    options.max_ttl = 100s;
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 86400));

    Hit h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 100u);
    clock.advance(100s);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::stale);
}

BOOST_AUTO_TEST_CASE(min_ttl_raises_positive_ttl) {
    options.min_ttl = 60s;
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 5));

    Hit h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 60u);
    clock.advance(30s);
    h = lookup(cache(), q);
    BOOST_TEST(h.result.state == CacheState::fresh);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 30u);
}

BOOST_AUTO_TEST_CASE(rr_ttls_never_outlive_the_entry) {
    // Entry TTL is the smallest RR TTL; no RR may count down past 0 while the entry is fresh.
    auto q = make_query("www.example.", dns::type::a);
    Bytes msg = make_response(q, dns::rcode::noerror,
                              {{"www.example.", dns::type::a, 3600, "192.0.2.1"},
                               {"www.example.", dns::type::a, 50, "192.0.2.2"}});
    store(cache(), q, msg);
    clock.advance(49s);
    Hit h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_REQUIRE_EQUAL(h.msg->answer.size(), 2u);
    BOOST_TEST(h.msg->answer[0].ttl == 1u);
    BOOST_TEST(h.msg->answer[1].ttl == 1u);
}

BOOST_AUTO_TEST_CASE(key_includes_do_bit) {
    auto plain = make_query("www.example.", dns::type::a, 1, Dnssec::off);
    auto dnssec = make_query("www.example.", dns::type::a, 2, Dnssec::on);
    store(cache(), dnssec, a_answer(dnssec, 300));

    BOOST_TEST(lookup(cache(), plain).result.state == CacheState::miss);
    BOOST_TEST(lookup(cache(), dnssec).result.state == CacheState::fresh);
}

BOOST_AUTO_TEST_CASE(key_includes_qtype) {
    auto a = make_query("www.example.", dns::type::a);
    auto aaaa = make_query("www.example.", dns::type::aaaa);
    store(cache(), a, a_answer(a, 300));
    BOOST_TEST(lookup(cache(), aaaa).result.state == CacheState::miss);
}

BOOST_AUTO_TEST_CASE(answer_carries_client_id_and_qname_case) {
    auto first = make_query("www.example.", dns::type::a, 0x0001);
    store(cache(), first, a_answer(first, 300));

    auto second = make_query("WwW.ExAmPle.", dns::type::a, 0xBEEF);
    Hit h = lookup(cache(), second);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->id == 0xBEEF);
    BOOST_TEST(h.msg->qname.to_text() == "WwW.ExAmPle.");  // case included
    BOOST_TEST(h.msg->qtype == dns::type::a);
    BOOST_REQUIRE_EQUAL(h.msg->answer.size(), 1u);
}

BOOST_AUTO_TEST_CASE(prefetch_due_only_in_last_tenth_of_ttl) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 100));

    clock.advance(89s);
    BOOST_TEST(!lookup(cache(), q).result.prefetch_due);
    clock.advance(1s);  // 10 s of 100 left
    BOOST_TEST(lookup(cache(), q).result.prefetch_due);

    BOOST_TEST(cache().claim_prefetch(key_of(q)));
    BOOST_TEST(!cache().claim_prefetch(key_of(q)));  // once only
    BOOST_TEST(!lookup(cache(), q).result.prefetch_due);

    BOOST_TEST(cache().stats().prefetches.load() == 1u);  // the refused claim is not counted

    // A fresh answer replaces the entry and its mark.
    store(cache(), q, a_answer(q, 100));
    BOOST_TEST(cache().claim_prefetch(key_of(q)));
    BOOST_TEST(cache().stats().prefetches.load() == 2u);
}

BOOST_AUTO_TEST_CASE(prefetch_never_due_when_disabled) {
    options.prefetch = false;
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 100));
    clock.advance(95s);
    Hit h = lookup(cache(), q);
    BOOST_TEST(h.result.state == CacheState::fresh);
    BOOST_TEST(!h.result.prefetch_due);
}

BOOST_AUTO_TEST_CASE(claim_prefetch_of_missing_entry_fails) {
    auto q = make_query("www.example.", dns::type::a);
    BOOST_TEST(!cache().claim_prefetch(key_of(q)));
}

BOOST_AUTO_TEST_CASE(size_bound_holds) {
    for (uint64_t size : {1u, 5u, 10u, 17u, 100u, 1000u}) {
        BOOST_TEST_CONTEXT("size " << size) {
            FakeClock c;
            CacheOptions o;
            o.size = size;
            Cache cache(o, c);
            size_t inserted = 4 * size + 64;
            for (size_t i = 0; i < inserted; ++i) {
                auto q = make_query("host" + std::to_string(i) + ".example.", dns::type::a);
                store(cache, q, a_answer(q, 300));
                BOOST_REQUIRE_LE(cache.size(), size);
            }
            // Below 16 entries some shards keep nothing; above, every shard keeps its share.
            if (size >= 16)
                BOOST_TEST(cache.size() > size / 2);
            BOOST_TEST(cache.stats().evictions.load() + cache.size() ==
                       cache.stats().inserts.load());
        }
    }
}

BOOST_AUTO_TEST_CASE(most_recent_store_survives_eviction) {
    options.size = 64;
    for (int i = 0; i < 1000; ++i) {
        auto q = make_query("host" + std::to_string(i) + ".example.", dns::type::a);
        store(cache(), q, a_answer(q, 300));
        BOOST_TEST_REQUIRE(lookup(cache(), q).result.state == CacheState::fresh);
    }
    BOOST_TEST(cache().size() <= 64u);
}

BOOST_AUTO_TEST_CASE(store_replaces_existing_entry) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, a_answer(q, 300));
    clock.advance(200s);
    store(
        cache(), q,
        make_response(q, dns::rcode::noerror, {{"www.example.", dns::type::a, 300, "192.0.2.9"}}));
    BOOST_TEST(cache().size() == 1u);
    Hit h = lookup(cache(), q);
    BOOST_REQUIRE(h.msg);
    BOOST_TEST(h.msg->answer[0].ttl == 300u);
    BOOST_TEST(h.msg->answer[0].rdata == rdata(dns::type::a, "192.0.2.9"));
}

BOOST_AUTO_TEST_CASE(truncated_response_is_not_cached) {
    auto q = make_query("www.example.", dns::type::a);
    Bytes msg = a_answer(q, 300);
    msg[2] |= dns::flag::tc >> 8;
    auto info = analyse(q, msg);
    cache().store(key_of(q), msg, *info);
    BOOST_TEST(cache().size() == 0u);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::miss);
}

BOOST_AUTO_TEST_CASE(servfail_response_is_not_cached) {
    auto q = make_query("www.example.", dns::type::a);
    store(cache(), q, make_response(q, dns::rcode::servfail, {}));
    BOOST_TEST(cache().size() == 0u);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::miss);
}

BOOST_AUTO_TEST_CASE(clear_drops_every_entry) {
    for (int i = 0; i < 20; ++i) {
        auto q = make_query("host" + std::to_string(i) + ".example.", dns::type::a);
        store(cache(), q, a_answer(q, 300));
    }
    BOOST_TEST(cache().size() == 20u);
    cache().clear();
    BOOST_TEST(cache().size() == 0u);
    auto q = make_query("host3.example.", dns::type::a);
    BOOST_TEST(lookup(cache(), q).result.state == CacheState::miss);
}

BOOST_AUTO_TEST_CASE(clear_returns_how_many_it_removed) {
    for (int i = 0; i < 7; ++i) {
        auto q = make_query("host" + std::to_string(i) + ".example.", dns::type::a);
        store(cache(), q, a_answer(q, 300));
    }
    BOOST_TEST(cache().clear() == 7u);
    BOOST_TEST(cache().clear() == 0u);
}

BOOST_AUTO_TEST_CASE(flush_name_removes_every_type_and_do_bit_of_that_name_only) {
    auto a = make_query("www.example.", dns::type::a, 1, Dnssec::off);
    auto a_do = make_query("www.example.", dns::type::a, 2, Dnssec::on);
    auto aaaa = make_query("www.example.", dns::type::aaaa);
    auto below = make_query("mail.www.example.", dns::type::a);
    auto other = make_query("other.example.", dns::type::a);
    store(cache(), a, a_answer(a, 300));
    store(cache(), a_do, a_answer(a_do, 300));
    store(cache(), aaaa, negative_answer(aaaa, dns::rcode::noerror, 300, 300));  // NODATA
    store(cache(), below, a_answer(below, 300));
    store(cache(), other, a_answer(other, 300));
    BOOST_REQUIRE_EQUAL(cache().size(), 5u);

    BOOST_TEST(cache().flush(name_of("WWW.Example"), FlushScope::name) == 3u);  // any case
    BOOST_TEST(lookup(cache(), a).result.state == CacheState::miss);
    BOOST_TEST(lookup(cache(), a_do).result.state == CacheState::miss);
    BOOST_TEST(lookup(cache(), aaaa).result.state == CacheState::miss);
    BOOST_TEST(lookup(cache(), below).result.state == CacheState::fresh);
    BOOST_TEST(lookup(cache(), other).result.state == CacheState::fresh);
    BOOST_TEST(cache().flush(name_of("www.example."), FlushScope::name) == 0u);
}

BOOST_AUTO_TEST_CASE(flush_zone_removes_the_name_and_everything_below_it) {
    std::vector<dns::Query> inside, outside;
    for (const char* n : {"example.", "www.example.", "a.b.EXAMPLE."})
        inside.push_back(make_query(n, dns::type::a));
    // notexample. shares the zone's bytes but not at a label boundary.
    for (const char* n : {"notexample.", "example.org.", "org."})
        outside.push_back(make_query(n, dns::type::a));
    for (const auto& q : inside)
        store(cache(), q, a_answer(q, 300));
    for (const auto& q : outside)
        store(cache(), q, a_answer(q, 300));

    BOOST_TEST(cache().flush(name_of("Example."), FlushScope::zone) == 3u);
    for (const auto& q : inside)
        BOOST_TEST(lookup(cache(), q).result.state == CacheState::miss, q.qname.to_text());
    for (const auto& q : outside)
        BOOST_TEST(lookup(cache(), q).result.state == CacheState::fresh, q.qname.to_text());
    BOOST_TEST(cache().flush(name_of("."), FlushScope::zone) == 3u);  // the root: everything
    BOOST_TEST(cache().size() == 0u);
}

BOOST_AUTO_TEST_CASE(every_entry_stays_findable_while_the_hash_table_grows) {
    // 3,000 names over 16 shards: each shard's bucket array doubles a few times.
    options.size = 10000;
    std::vector<dns::Query> qs;
    for (int i = 0; i < 3000; ++i) {
        qs.push_back(make_query("host" + std::to_string(i) + ".example.", dns::type::a));
        store(cache(), qs.back(), a_answer(qs.back(), 300));
    }
    BOOST_TEST(cache().size() == 3000u);
    for (size_t i = 0; i < qs.size(); i += 2)
        BOOST_TEST_REQUIRE(cache().flush(qs[i].qname, FlushScope::name) == 1u);
    for (size_t i = 0; i < qs.size(); ++i) {
        Hit h = lookup(cache(), qs[i]);
        if (i % 2 == 0) {
            BOOST_TEST_REQUIRE(h.result.state == CacheState::miss);
            continue;
        }
        BOOST_TEST_REQUIRE(h.result.state == CacheState::fresh);
        BOOST_REQUIRE(h.msg);
        BOOST_TEST_REQUIRE(h.msg->answer.size() == 1u);
        BOOST_TEST_REQUIRE(h.msg->answer[0].owner.equals(qs[i].qname));
    }
    BOOST_TEST(cache().size() == 1500u);
}

BOOST_AUTO_TEST_CASE(flush_keeps_the_lru_bound) {
    options.size = 4;  // four shards of one entry: a broken LRU list shows at once
    std::vector<dns::Query> qs;
    for (int i = 0; i < 40; ++i)
        qs.push_back(make_query("host" + std::to_string(i) + ".example.", dns::type::a));
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 4; ++i)
            store(cache(), qs[round * 4 + i], a_answer(qs[round * 4 + i], 300));
        (void)cache().flush(qs[round * 4].qname, FlushScope::name);
        BOOST_TEST_REQUIRE(cache().size() <= 4u);
    }
    // Stores after flushes evict as before: the newest entry is always there.
    auto last = make_query("last.example.", dns::type::a);
    store(cache(), last, a_answer(last, 300));
    BOOST_TEST(lookup(cache(), last).result.state == CacheState::fresh);
    BOOST_TEST(cache().size() <= 4u);
}

BOOST_AUTO_TEST_SUITE_END()
