// Test helper: an UpstreamChannel that records sends and cancels; tests deliver the outcomes.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <span>
#include <vector>

#include "resolver/upstream_channel.hh"

namespace muster::resolver::test {

// Records what the pool asks of it; the test delivers outcomes through the pool's listener.
class FakeChannel final : public UpstreamChannel {
  public:
    struct Sent {
        uint64_t token;
        std::vector<uint8_t> query;
    };

    FakeChannel(const UpstreamSpec& spec, UpstreamListener& listener)
        : spec_(spec), listener_(listener) {}

    void send(uint64_t token, std::span<const uint8_t> query) override {
        sent.push_back({token, std::vector<uint8_t>(query.begin(), query.end())});
    }
    void cancel(uint64_t token) override { cancelled.push_back(token); }
    const UpstreamSpec& spec() const override { return spec_; }

    uint64_t last_token() const {
        BOOST_REQUIRE(!sent.empty());
        return sent.back().token;
    }
    void reply(uint64_t token, const std::vector<uint8_t>& msg) {
        listener_.on_upstream_reply(token, msg);
    }
    void reply(const std::vector<uint8_t>& msg) { reply(last_token(), msg); }
    void fail(UpstreamFailure why = UpstreamFailure::connect) {
        listener_.on_upstream_failure(last_token(), why);
    }

    std::vector<Sent> sent;
    std::vector<uint64_t> cancelled;

  private:
    UpstreamSpec spec_;
    UpstreamListener& listener_;
};

}  // namespace muster::resolver::test
