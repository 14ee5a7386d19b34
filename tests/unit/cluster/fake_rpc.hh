// FakeRpc: the cluster RPC as a list of calls the test answers (RpcCalls), for the tests of the
// parts that talk to other servers without a loop or a socket.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "cluster/internal/rpc_client.hh"

namespace muster::cluster::test {

struct FakeRpc final : internal::RpcCalls {
    struct Call {
        std::string address;
        internal::MessageType type;
        std::vector<uint8_t> payload;
        Callback done;
    };
    std::vector<Call> calls;
    void call(const std::string& address, internal::MessageType type, std::vector<uint8_t> payload,
              std::chrono::milliseconds, Callback done) override {
        calls.push_back(Call{address, type, std::move(payload), std::move(done)});
    }
    // Answers the oldest call not answered yet.
    void answer(Outcome outcome, std::vector<uint8_t> payload = {}, std::string error = {}) {
        BOOST_REQUIRE(!calls.empty());
        Call c = std::move(calls.front());
        calls.erase(calls.begin());
        c.done(Response{outcome, std::move(payload), std::move(error)});
    }
};

}  // namespace muster::cluster::test
