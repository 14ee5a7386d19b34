// Tests for src/resolver/upstream_pool.cc: strategies, failover, health and the time budget,
// with fake channels, a fake wakeup scheduler and a FakeClock (no sockets, no sleeps).
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/upstream_pool.hh"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fake_channel.hh"
#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;
using namespace std::chrono_literals;

namespace {

class FakeScheduler final : public WakeupScheduler {
  public:
    void wake_at(TimePoint when) override { wakeups.push_back(when); }
    std::vector<TimePoint> wakeups;
};

class RecordingListener final : public PoolListener {
  public:
    struct Reply {
        uint64_t id;
        Bytes msg;
    };
    void on_pool_reply(uint64_t id, std::span<const uint8_t> msg) override {
        replies.push_back({id, Bytes(msg.begin(), msg.end())});
    }
    void on_pool_failure(uint64_t id) override { failures.push_back(id); }
    size_t outcomes() const { return replies.size() + failures.size(); }

    std::vector<Reply> replies;
    std::vector<uint64_t> failures;
};

struct PoolFixture {
    FakeClock clock;
    FakeScheduler scheduler;
    RecordingListener listener;
    std::vector<FakeChannel*> channels;  // owned by the pool, in upstream order
    std::unique_ptr<UpstreamPool> pool;
    dns::Query q = make_query("www.example.", dns::type::a);
    Bytes query;

    PoolFixture() {
        query.resize(512);
        query.resize(
            dns::write_query(query, 0, q.qname, q.qtype, q.qclass, {.rd = true, .do_bit = false}));
    }

    UpstreamPool& make(size_t n, Strategy strategy = Strategy::sequential,
                       std::chrono::milliseconds timeout = 2000ms) {
        UpstreamOptions o;
        o.strategy = strategy;
        o.timeout = timeout;
        for (size_t i = 0; i < n; ++i) {
            UpstreamSpec spec;
            spec.label = "upstream" + std::to_string(i);
            o.upstreams.push_back(spec);
        }
        channels.clear();
        ChannelFactory factory = [this](const UpstreamSpec& spec, UpstreamListener& l) {
            auto c = std::make_unique<FakeChannel>(spec, l);
            channels.push_back(c.get());
            return std::unique_ptr<UpstreamChannel>(std::move(c));
        };
        pool = std::make_unique<UpstreamPool>(o, factory, clock, scheduler, listener);
        BOOST_REQUIRE_EQUAL(channels.size(), n);
        return *pool;
    }

    Bytes answer(uint8_t rcode = dns::rcode::noerror) {
        if (rcode != dns::rcode::noerror)
            return make_response(q, rcode, {});
        return make_response(q, rcode, {{"www.example.", dns::type::a, 300, "192.0.2.1"}});
    }

    size_t sends(size_t i) const { return channels[i]->sent.size(); }
    size_t total_sends() const {
        size_t n = 0;
        for (auto* c : channels)
            n += c->sent.size();
        return n;
    }
    // The channel that got the most recent send (tokens grow).
    size_t current() const {
        size_t best = channels.size();
        uint64_t token = 0;
        for (size_t i = 0; i < channels.size(); ++i)
            if (!channels[i]->sent.empty() && channels[i]->sent.back().token > token) {
                token = channels[i]->sent.back().token;
                best = i;
            }
        BOOST_REQUIRE(best < channels.size());
        return best;
    }

    void advance(Duration d) {
        clock.advance(d);
        pool->expire(clock.now());
    }
    // Runs the scheduler as an owner would: jumps to each requested wakeup in turn and
    // expires, until the listener has heard an outcome or nothing is left to wait for.
    void run_timers(size_t outcomes_wanted) {
        size_t done = 0;
        while (listener.outcomes() < outcomes_wanted) {
            std::sort(scheduler.wakeups.begin(), scheduler.wakeups.end());
            auto next = std::find_if(scheduler.wakeups.begin(), scheduler.wakeups.end(),
                                     [&](TimePoint t) { return t >= clock.now(); });
            if (next == scheduler.wakeups.end())
                return;
            TimePoint when = *next;
            scheduler.wakeups.erase(next);
            if (when > clock.now())
                clock.advance(when - clock.now());
            pool->expire(clock.now());
            BOOST_REQUIRE_LT(++done, 1000u);
        }
    }

    // One query answered by whichever upstream the pool picks first.
    size_t resolve_and_answer(uint64_t id, Duration rtt = 10ms) {
        pool->resolve(id, query);
        size_t i = current();
        clock.advance(rtt);
        channels[i]->reply(answer());
        return i;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(upstream_pool, PoolFixture)

BOOST_AUTO_TEST_CASE(sequential_uses_first_upstream) {
    make(3);
    for (uint64_t id = 1; id <= 3; ++id) {
        pool->resolve(id, query);
        BOOST_TEST(listener.outcomes() == id - 1);  // never from inside resolve()
        BOOST_REQUIRE_EQUAL(sends(0), id);
        BOOST_TEST(channels[0]->sent.back().query == query);
        channels[0]->reply(answer());
    }
    BOOST_TEST(sends(1) == 0u);
    BOOST_TEST(sends(2) == 0u);
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 3u);
    BOOST_TEST(listener.replies[2].id == 3u);
    BOOST_TEST(listener.replies[2].msg == answer());
    BOOST_TEST(pool->health(0).queries == 3u);
    BOOST_TEST(pool->in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(connect_failure_fails_over_to_next) {
    make(3);
    pool->resolve(7, query);
    channels[0]->fail(UpstreamFailure::connect);
    BOOST_REQUIRE_EQUAL(sends(1), 1u);
    BOOST_TEST(sends(2) == 0u);
    BOOST_TEST(listener.outcomes() == 0u);

    channels[1]->reply(answer());
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST(listener.replies[0].id == 7u);
    BOOST_TEST(listener.failures.empty());
    BOOST_TEST(pool->health(0).failures == 1u);
    BOOST_TEST(pool->health(0).consecutive_failures == 1u);
    BOOST_TEST(pool->health(1).failures == 0u);
}

BOOST_AUTO_TEST_CASE(attempt_timeout_moves_to_next_and_cancels_first) {
    make(2, Strategy::sequential, 2000ms);
    TimePoint start = clock.now();
    pool->resolve(1, query);
    uint64_t first = channels[0]->last_token();
    BOOST_REQUIRE(!scheduler.wakeups.empty());
    TimePoint attempt_deadline = scheduler.wakeups.back();
    BOOST_TEST((attempt_deadline > start));
    BOOST_TEST((attempt_deadline - start <= 2000ms));

    advance(attempt_deadline - start - 1ms);
    BOOST_TEST(sends(1) == 0u);
    BOOST_TEST(channels[0]->cancelled.empty());

    advance(1ms);
    BOOST_REQUIRE_EQUAL(channels[0]->cancelled.size(), 1u);
    BOOST_TEST(channels[0]->cancelled[0] == first);
    BOOST_REQUIRE_EQUAL(sends(1), 1u);
    BOOST_TEST(pool->health(0).failures == 1u);

    // The first upstream's late answer is ignored; the second's is the one delivered.
    channels[0]->reply(first, answer(dns::rcode::nxdomain));
    BOOST_TEST(listener.outcomes() == 0u);
    channels[1]->reply(answer());
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST(listener.replies[0].msg == answer());
}

BOOST_AUTO_TEST_CASE(all_failing_reports_failure_exactly_once) {
    make(3);
    pool->resolve(9, query);
    for (size_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE_EQUAL(current(), i);
        channels[i]->fail(UpstreamFailure::tls);
    }
    BOOST_REQUIRE_EQUAL(listener.failures.size(), 1u);
    BOOST_TEST(listener.failures[0] == 9u);
    BOOST_TEST(listener.replies.empty());
    BOOST_TEST(pool->in_flight() == 0u);

    // The wakeups still pending must not report it again.
    advance(10s);
    BOOST_TEST(listener.failures.size() == 1u);
}

BOOST_AUTO_TEST_CASE(all_timing_out_reports_failure_exactly_once) {
    make(3, Strategy::sequential, 1500ms);
    pool->resolve(4, query);
    run_timers(1);
    BOOST_REQUIRE_EQUAL(listener.failures.size(), 1u);
    BOOST_TEST(listener.failures[0] == 4u);
    BOOST_TEST(total_sends() == 3u);
    for (auto* c : channels)
        BOOST_TEST(c->cancelled.size() == 1u);
    advance(10s);
    BOOST_TEST(listener.outcomes() == 1u);
}

BOOST_AUTO_TEST_CASE(upstream_down_after_three_failures_goes_last) {
    make(2);
    for (uint64_t id = 1; id <= UpstreamPool::fail_threshold; ++id) {
        pool->resolve(id, query);
        BOOST_REQUIRE_EQUAL(current(), 0u);
        BOOST_TEST(!pool->health(0).down);
        channels[0]->fail();
        channels[1]->reply(answer());
    }
    BOOST_TEST(pool->health(0).down);
    BOOST_TEST(pool->health(0).consecutive_failures == UpstreamPool::fail_threshold);

    // Skipped while down...
    size_t before = sends(0);
    pool->resolve(10, query);
    BOOST_TEST(current() == 1u);
    BOOST_TEST(sends(0) == before);
    // ...but still a last resort.
    channels[1]->fail();
    BOOST_TEST(current() == 0u);
    BOOST_TEST(sends(0) == before + 1);
    channels[0]->reply(answer());
    BOOST_TEST(listener.replies.size() == 4u);
}

BOOST_AUTO_TEST_CASE(down_upstream_probed_after_interval_and_rises) {
    make(2);
    for (uint64_t id = 1; id <= UpstreamPool::fail_threshold; ++id) {
        pool->resolve(id, query);
        channels[0]->fail();
        channels[1]->reply(answer());
    }
    BOOST_REQUIRE(pool->health(0).down);

    clock.advance(UpstreamPool::probe_interval - 1ms);
    BOOST_TEST(resolve_and_answer(20) == 1u);  // not yet

    clock.advance(1ms);
    BOOST_TEST(resolve_and_answer(21) == 0u);  // the probe
    BOOST_TEST(pool->health(0).down);          // one success is not enough
    for (unsigned i = 1; i < UpstreamPool::rise_threshold; ++i)
        BOOST_TEST(resolve_and_answer(22 + i) == 0u);
    BOOST_TEST(!pool->health(0).down);
    BOOST_TEST(pool->health(0).consecutive_failures == 0u);
    BOOST_TEST(resolve_and_answer(30) == 0u);  // first again
}

BOOST_AUTO_TEST_CASE(failed_probe_waits_another_interval) {
    make(2);
    for (uint64_t id = 1; id <= UpstreamPool::fail_threshold; ++id) {
        pool->resolve(id, query);
        channels[0]->fail();
        channels[1]->reply(answer());
    }
    clock.advance(UpstreamPool::probe_interval);
    pool->resolve(20, query);
    BOOST_REQUIRE_EQUAL(current(), 0u);
    channels[0]->fail();  // the probe fails; the next upstream answers
    channels[1]->reply(answer());
    BOOST_TEST(pool->health(0).down);
    BOOST_TEST(resolve_and_answer(21) == 1u);
}

BOOST_AUTO_TEST_CASE(down_upstream_probed_first_with_random_strategy) {
    make(2, Strategy::random);
    for (uint64_t id = 1; !pool->health(0).down; ++id) {
        BOOST_REQUIRE_LT(id, 200u);
        pool->resolve(id, query);
        if (current() == 0)
            channels[0]->fail();
        channels[1]->reply(answer());
    }
    // Every probe interval the down upstream is asked first, not wherever a shuffle puts it.
    for (uint64_t id = 1000; id < 1020; ++id) {
        clock.advance(UpstreamPool::probe_interval);
        pool->resolve(id, query);
        BOOST_TEST_REQUIRE(current() == 0u);
        channels[0]->fail();
        channels[1]->reply(answer());
        BOOST_TEST_REQUIRE(pool->health(0).down);
    }
}

BOOST_AUTO_TEST_CASE(down_upstream_probed_first_with_fastest_strategy) {
    make(2, Strategy::fastest);
    BOOST_TEST(resolve_and_answer(1, 100ms) == 0u);
    BOOST_TEST(resolve_and_answer(2, 10ms) == 1u);
    // Upstream 0 fails three times in a row (asked second, after upstream 1 fails too);
    // upstream 1 answers in between so only upstream 0 goes down.
    for (uint64_t id = 3; id < 3 + 2 * UpstreamPool::fail_threshold; id += 2) {
        pool->resolve(id, query);
        BOOST_REQUIRE_EQUAL(current(), 1u);
        channels[1]->fail();
        BOOST_REQUIRE_EQUAL(current(), 0u);
        channels[0]->fail();
        BOOST_TEST(resolve_and_answer(id + 1, 10ms) == 1u);
    }
    BOOST_REQUIRE(pool->health(0).down);
    BOOST_REQUIRE(!pool->health(1).down);
    BOOST_REQUIRE(pool->health(0).srtt_ms > pool->health(1).srtt_ms);

    // Its old RTT must not keep it from being probed, or it could never rise.
    clock.advance(UpstreamPool::probe_interval);
    BOOST_TEST(resolve_and_answer(100, 10ms) == 0u);
    BOOST_TEST(resolve_and_answer(101, 10ms) == 0u);
    BOOST_TEST(!pool->health(0).down);
}

BOOST_AUTO_TEST_CASE(servfail_tries_next_upstream) {
    make(2);
    pool->resolve(1, query);
    channels[0]->reply(answer(dns::rcode::servfail));
    BOOST_TEST(listener.outcomes() == 0u);
    BOOST_REQUIRE_EQUAL(sends(1), 1u);
    channels[1]->reply(answer());
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST(listener.replies[0].msg == answer());
}

BOOST_AUTO_TEST_CASE(refused_tries_next_upstream) {
    make(2);
    pool->resolve(1, query);
    channels[0]->reply(answer(dns::rcode::refused));
    BOOST_REQUIRE_EQUAL(sends(1), 1u);
    channels[1]->reply(answer());
    BOOST_TEST(listener.replies.size() == 1u);
}

BOOST_AUTO_TEST_CASE(all_servfail_returns_servfail_answer) {
    make(3);
    pool->resolve(5, query);
    for (size_t i = 0; i < 3; ++i) {
        BOOST_REQUIRE_EQUAL(current(), i);
        channels[i]->reply(answer(dns::rcode::servfail));
    }
    BOOST_TEST(listener.failures.empty());
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST(listener.replies[0].id == 5u);
    BOOST_TEST((listener.replies[0].msg[3] & 0x0F) == dns::rcode::servfail);
}

BOOST_AUTO_TEST_CASE(servfail_then_timeout_returns_servfail_answer) {
    make(2);
    pool->resolve(5, query);
    channels[0]->reply(answer(dns::rcode::servfail));
    run_timers(1);
    BOOST_TEST(listener.failures.empty());
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST((listener.replies[0].msg[3] & 0x0F) == dns::rcode::servfail);
}

BOOST_AUTO_TEST_CASE(fastest_prefers_lower_smoothed_rtt) {
    make(3, Strategy::fastest);
    // Unmeasured upstreams are tried first, so each gets measured once.
    BOOST_TEST(resolve_and_answer(1, 80ms) == 0u);
    BOOST_TEST(resolve_and_answer(2, 10ms) == 1u);
    BOOST_TEST(resolve_and_answer(3, 40ms) == 2u);
    BOOST_TEST(pool->health(1).srtt_ms < pool->health(2).srtt_ms);
    for (uint64_t id = 4; id < 10; ++id)
        BOOST_TEST(resolve_and_answer(id, 10ms) == 1u);

    // Upstream 1 slows down: its smoothed RTT climbs past upstream 2's and 2 takes over.
    for (uint64_t id = 10; id < 30 && pool->health(1).srtt_ms <= pool->health(2).srtt_ms; ++id)
        BOOST_TEST_REQUIRE(resolve_and_answer(id, 200ms) == 1u);
    BOOST_TEST(resolve_and_answer(40, 40ms) == 2u);
}

BOOST_AUTO_TEST_CASE(fastest_moves_off_a_failing_upstream_before_it_is_down) {
    make(2, Strategy::fastest);
    BOOST_TEST(resolve_and_answer(1, 10ms) == 0u);
    BOOST_TEST(resolve_and_answer(2, 40ms) == 1u);
    // One failure of the fast one (then answered by the other) doubles its RTT estimate
    // (RTT backoff): the next query goes to the other upstream although 0 is not down.
    pool->resolve(3, query);
    BOOST_REQUIRE_EQUAL(current(), 0u);
    channels[0]->fail();
    BOOST_REQUIRE_EQUAL(current(), 1u);
    channels[1]->reply(answer());
    BOOST_REQUIRE(!pool->health(0).down);
    BOOST_TEST(resolve_and_answer(4, 40ms) == 1u);
}

BOOST_AUTO_TEST_CASE(random_eventually_uses_every_upstream) {
    make(4, Strategy::random);
    std::set<size_t> used;
    for (uint64_t id = 1; id <= 400 && used.size() < 4; ++id)
        used.insert(resolve_and_answer(id));
    BOOST_TEST(used.size() == 4u);
}

BOOST_AUTO_TEST_CASE(empty_pool_fails_only_through_expire) {
    make(0);
    BOOST_TEST(pool->empty());
    pool->resolve(3, query);
    BOOST_TEST(listener.outcomes() == 0u);  // never from inside resolve()
    BOOST_REQUIRE(!scheduler.wakeups.empty());
    BOOST_TEST((scheduler.wakeups.back() <= clock.now()));
    pool->expire(clock.now());
    BOOST_REQUIRE_EQUAL(listener.failures.size(), 1u);
    BOOST_TEST(listener.failures[0] == 3u);
    pool->expire(clock.now() + 10s);
    BOOST_TEST(listener.failures.size() == 1u);
    BOOST_TEST(pool->in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(cancel_stops_callbacks) {
    make(2);
    pool->resolve(1, query);
    uint64_t token = channels[0]->last_token();
    pool->cancel(1);
    BOOST_REQUIRE_EQUAL(channels[0]->cancelled.size(), 1u);
    BOOST_TEST(channels[0]->cancelled[0] == token);
    BOOST_TEST(pool->in_flight() == 0u);

    channels[0]->reply(token, answer());
    channels[0]->fail();
    advance(10s);
    BOOST_TEST(listener.outcomes() == 0u);
    BOOST_TEST(sends(1) == 0u);
    pool->cancel(1);  // unknown ids are ignored
}

BOOST_AUTO_TEST_CASE(overall_budget_is_never_exceeded) {
    for (auto timeout : {300ms, 1000ms, 2000ms}) {
        for (size_t n : {1u, 2u, 5u}) {
            BOOST_TEST_CONTEXT("timeout " << timeout.count() << "ms, " << n << " upstreams") {
                scheduler.wakeups.clear();
                listener.failures.clear();
                make(n, Strategy::sequential, timeout);
                TimePoint start = clock.now();
                pool->resolve(1, query);
                run_timers(1);
                BOOST_REQUIRE_EQUAL(listener.failures.size(), 1u);
                BOOST_TEST((clock.now() - start <= timeout));
                for (TimePoint t : scheduler.wakeups)
                    BOOST_TEST((t - start <= timeout));
                BOOST_TEST(total_sends() <= n);
                BOOST_TEST(total_sends() >= 1u);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(servfail_failover_stays_inside_budget) {
    make(3, Strategy::sequential, 1000ms);
    TimePoint start = clock.now();
    pool->resolve(1, query);
    clock.advance(1000ms);  // the budget is spent by the time the SERVFAIL arrives
    channels[0]->reply(answer(dns::rcode::servfail));
    BOOST_TEST(sends(1) == 0u);
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 1u);
    BOOST_TEST((clock.now() - start <= 1000ms));
}

BOOST_AUTO_TEST_CASE(independent_requests_do_not_interfere) {
    make(2);
    pool->resolve(1, query);
    uint64_t t1 = channels[0]->last_token();
    pool->resolve(2, query);
    uint64_t t2 = channels[0]->last_token();
    BOOST_TEST(t1 != t2);
    channels[0]->reply(t2, answer());
    channels[0]->reply(t1, answer(dns::rcode::nxdomain));
    BOOST_REQUIRE_EQUAL(listener.replies.size(), 2u);
    BOOST_TEST(listener.replies[0].id == 2u);
    BOOST_TEST(listener.replies[1].id == 1u);
    BOOST_TEST((listener.replies[1].msg[3] & 0x0F) == dns::rcode::nxdomain);
}

BOOST_AUTO_TEST_SUITE_END()
