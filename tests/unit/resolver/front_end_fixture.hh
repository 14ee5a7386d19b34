// Test fixture for the UDP and TCP front ends: a fake QuerySink that answers by echoing the
// query with QR set (or holds it pending, or answers nothing), socketpairs, and a loop runner.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "common/event_loop.hh"
#include "common/fd.hh"
#include "messages.hh"
#include "resolver/internal/context_pool.hh"
#include "resolver/internal/query_sink.hh"

namespace muster::resolver::test {

using internal::Outcome;

class FakeSink final : public internal::QuerySink {
  public:
    enum class Mode { answer, pending, none };
    Mode mode = Mode::answer;
    bool shed = false;                // acquire() returns null, as a full pool or draining
    std::vector<QueryContext*> held;  // pending queries, oldest first
    std::vector<uint16_t> processed;  // ids of the queries processed, in order
    int batches = 0, open_batch = 0, rejected = 0, progress = 0, drops = 0;
    int acquired = 0, released = 0;

    QueryContext* acquire(ClientTransport t) override {
        if (shed) {
            ++drops;
            return nullptr;
        }
        ++acquired;
        return pool_.acquire(t);
    }
    void release(QueryContext& ctx) override {
        ++released;
        pool_.release(ctx);
    }
    Outcome process(QueryContext& ctx, std::span<const uint8_t> msg) override {
        BOOST_CHECK_MESSAGE(open_batch == 1, "query processed outside a batch");
        auto status = dns::parse_query(msg, ctx.query);
        if (status == dns::ParseStatus::drop)
            return Outcome::none;
        processed.push_back(dns::get16(msg.data()));
        if (status != dns::ParseStatus::ok) {
            ctx.length = dns::write_error(msg, ctx.query, dns::rcode::formerr, ctx.response);
            return Outcome::send;
        }
        if (mode == Mode::pending) {
            held.push_back(&ctx);
            return Outcome::pending;
        }
        if (mode == Mode::none)
            return Outcome::none;
        answer(ctx, msg);
        return Outcome::send;
    }
    // The echo answer: the query itself with QR set.
    static void answer(QueryContext& ctx, std::span<const uint8_t> msg) {
        std::copy(msg.begin(), msg.end(), ctx.response.begin());
        ctx.response[2] |= 0x80;
        ctx.length = msg.size();
    }
    void batch_begin() override {
        ++batches;
        ++open_batch;
    }
    void batch_end() override { --open_batch; }
    void tcp_rejected() override { ++rejected; }
    void tcp_progress() override { ++progress; }

  private:
    internal::ContextPool pool_;
};

// Runs the loop until done() or the limit; returns done().
inline bool run_until(EventLoop& loop, const std::function<bool()>& done,
                      Duration limit = std::chrono::seconds(2)) {
    auto deadline = SteadyClock::instance().now() + limit;
    Timer* self = nullptr;
    Timer poll_timer(loop, [&] {
        if (done() || SteadyClock::instance().now() >= deadline)
            loop.stop();
        else
            self->arm(std::chrono::milliseconds(1));
    });
    self = &poll_timer;
    poll_timer.arm(std::chrono::milliseconds(0));
    loop.run();
    return done();
}

// Runs the loop for a while (to show that something does not happen).
inline void run_for(EventLoop& loop, Duration d) {
    run_until(
        loop, [] { return false; }, d);
}

inline std::pair<Fd, Fd> socket_pair(int type) {
    int sv[2];
    BOOST_REQUIRE(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    return {Fd(sv[0]), Fd(sv[1])};
}

inline bool readable(const Fd& fd) {
    pollfd p{fd.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

// A well-formed query for name A with the given id.
inline Bytes query_bytes(uint16_t id, std::string_view qname = "www.example.") {
    Bytes buf(512);
    size_t len = dns::write_query(buf, id, name(qname), dns::type::a, dns::klass::in, {});
    BOOST_REQUIRE(len > 0);
    buf.resize(len);
    return buf;
}

// Ignores SIGPIPE for the test runner, as the agent does (a write to a closed peer).
struct IgnoreSigpipe {
    IgnoreSigpipe() { std::signal(SIGPIPE, SIG_IGN); }
};

}  // namespace muster::resolver::test
