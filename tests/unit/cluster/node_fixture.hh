// Helpers for the tests of real Nodes on 127.0.0.1: temp dirs, free ports, bounded polling
// waits (no fixed sleeps) and submit/barrier/leave calls that wait for their callbacks.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "cluster/raft_server.hh"
#include "recording_state_machine.hh"
#include "support/eventually.hh"
#include "support/temp_dir.hh"

namespace muster::cluster::test {

using namespace std::chrono_literals;

using muster::test::eventually;
using muster::test::TempDir;

// A port nobody listens on right now (the kernel's pick for an ephemeral bind).
inline std::string free_address() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    BOOST_REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

inline RaftServerOptions options(const std::string& dir, const std::string& address,
                                 std::vector<Peer> bootstrap) {
    RaftServerOptions o;
    o.dir = dir;
    o.address = address;
    o.bootstrap = std::move(bootstrap);
    o.election_timeout = 300ms;
    o.heartbeat_timeout = 30ms;
    o.retry_interval = 100ms;
    o.forward_timeout = 2s;
    return o;
}

inline std::unique_ptr<RaftServer> start(const RaftServerOptions& o, StateMachine& sm) {
    auto node = RaftServer::start(o, sm);
    BOOST_REQUIRE_MESSAGE(node.ok(), (node.ok() ? "" : node.error().message));
    return std::move(*node);
}

inline bool is_leader(const RaftServer& n) {
    return n.status().role == Role::leader;
}

struct Outcome {
    Fate fate = Fate::unknown;
    std::optional<uint64_t> value;
    std::string error;
};

// A callback's result, handed from the Raft thread to the test thread. Shared, so a callback
// that comes after the test gave up waiting writes into live memory.
template <class T>
struct Slot {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<T> value;
    void set(T v) {
        std::lock_guard lock(mu);
        value = std::move(v);
        cv.notify_all();
    }
    std::optional<T> wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu);
        cv.wait_for(lock, timeout, [&] { return value.has_value(); });
        return value;
    }
};

inline void submit_async(RaftServer& node, Bytes command, std::shared_ptr<Slot<Outcome>> slot) {
    node.submit(std::move(command), [slot](Fate f, Result<uint64_t> r) {
        slot->set(Outcome{f, r.ok() ? std::optional<uint64_t>(*r) : std::nullopt,
                          r.ok() ? "" : r.error().message});
    });
}

// Submits and waits (bounded) for the Done.
inline Outcome submit_and_wait(RaftServer& node, Bytes command,
                               std::chrono::milliseconds timeout = 10s) {
    auto slot = std::make_shared<Slot<Outcome>>();
    submit_async(node, std::move(command), slot);
    auto got = slot->wait(timeout);
    BOOST_REQUIRE_MESSAGE(got.has_value(), "no Done within the timeout");
    return *got;
}

template <class Call>
Result<void> wait_for_result(Call call, std::chrono::milliseconds timeout) {
    auto slot = std::make_shared<Slot<Result<void>>>();
    call([slot](Result<void> r) { slot->set(std::move(r)); });
    auto got = slot->wait(timeout);
    BOOST_REQUIRE_MESSAGE(got.has_value(), "no callback within the timeout");
    return *got;
}

inline Result<void> barrier_and_wait(RaftServer& node, std::chrono::milliseconds timeout = 10s) {
    return wait_for_result([&](auto done) { node.barrier(std::move(done)); }, timeout);
}

inline Result<void> leave_and_wait(RaftServer& node, std::chrono::milliseconds timeout = 10s) {
    return wait_for_result([&](auto done) { node.leave(std::move(done)); }, timeout);
}

inline std::vector<uint64_t> voter_ids(const Status& s) {
    std::vector<uint64_t> ids;
    for (const auto& p : s.voters)
        ids.push_back(p.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

// Servers that form their cluster themselves: bootstrap_expect and a discover listing every
// server's address (as retry_join would), each on its own dir and port.
class Cluster {
  public:
    explicit Cluster(size_t servers) {
        for (size_t i = 0; i < servers; ++i)
            add_slot();
    }
    ~Cluster() {
        for (auto& n : nodes)
            n.reset();
    }

    size_t size() const { return nodes.size(); }
    // A server slot (not started): its address joins what discover returns.
    size_t add_slot() {
        dirs.push_back(std::make_unique<TempDir>());
        sms.push_back(std::make_unique<RecordingStateMachine>());
        nodes.emplace_back();
        std::lock_guard lock(discovered_->mu);
        discovered_->addresses.push_back(free_address());
        return nodes.size() - 1;
    }
    std::string address(size_t i) const {
        std::lock_guard lock(discovered_->mu);
        return discovered_->addresses.at(i);
    }
    RaftServerOptions options_for(size_t i, unsigned bootstrap_expect) const {
        RaftServerOptions o = options(dirs[i]->file("raft"), address(i), {});
        o.bootstrap_expect = bootstrap_expect;
        o.discover = [d = discovered_] {
            std::lock_guard lock(d->mu);
            return d->addresses;
        };
        return o;
    }
    void start_server(size_t i, unsigned bootstrap_expect) {
        nodes[i] = start(options_for(i, bootstrap_expect), *sms[i]);
    }
    void start_all(unsigned bootstrap_expect) {
        for (size_t i = 0; i < nodes.size(); ++i)
            start_server(i, bootstrap_expect);
    }
    std::vector<size_t> running() const {
        std::vector<size_t> r;
        for (size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i])
                r.push_back(i);
        return r;
    }
    // The one leader every running server agrees on, with `voters` voters everywhere; -1 if
    // that does not happen within the timeout.
    int settled(size_t voters, std::chrono::milliseconds timeout = 10s) const {
        int leader = -1;
        eventually(
            [&] {
                leader = -1;
                auto r = running();
                int leaders = 0;
                for (size_t i : r)
                    if (is_leader(*nodes[i])) {
                        leader = static_cast<int>(i);
                        ++leaders;
                    }
                if (leaders != 1)
                    return false;
                auto ids = voter_ids(nodes[leader]->status());
                for (size_t i : r) {
                    auto st = nodes[i]->status();
                    if (st.leader_id != nodes[leader]->id() || voter_ids(st) != ids ||
                        ids.size() != voters)
                        return false;
                }
                return true;
            },
            timeout);
        if (leader >= 0 && voter_ids(nodes[leader]->status()).size() != voters)
            return -1;
        return leader;
    }

    std::vector<std::unique_ptr<TempDir>> dirs;
    std::vector<std::unique_ptr<RecordingStateMachine>> sms;
    std::vector<std::unique_ptr<RaftServer>> nodes;

  private:
    struct Discovered {
        mutable std::mutex mu;
        std::vector<std::string> addresses;
    };
    std::shared_ptr<Discovered> discovered_ = std::make_shared<Discovered>();
};

}  // namespace muster::cluster::test
