// Tests for cluster/raft_server.cc: real servers (libraft's libuv I/O) over loopback TCP, on
// temp dirs.
// Waits poll with deadlines; nothing sleeps a fixed time.
#include "cluster/raft_server.hh"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "node_fixture.hh"
#include "recording_state_machine.hh"

namespace muster::cluster {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::bytes;
using test::RecordingStateMachine;
using namespace test;

// Three servers on 127.0.0.1, their IDs known up front through RaftServer::server_id.
struct Trio {
    TempDir dirs[3];
    RecordingStateMachine sms[3];
    std::unique_ptr<RaftServer> nodes[3];

    Trio() {
        std::vector<Peer> voters;
        std::string addresses[3];
        for (int i = 0; i < 3; ++i) {
            addresses[i] = free_address();
            auto id = RaftServer::server_id(dirs[i].file("raft"));
            BOOST_REQUIRE(id.ok());
            voters.push_back(Peer{*id, addresses[i]});
        }
        for (int i = 0; i < 3; ++i)
            nodes[i] = start(options(dirs[i].file("raft"), addresses[i], voters), sms[i]);
    }
    // The leader once every server knows the same one.
    int leader() {
        int l = -1;
        bool agreed = eventually(
            [&] {
                l = -1;
                for (int i = 0; i < 3; ++i)
                    if (is_leader(*nodes[i]))
                        l = i;
                if (l < 0)
                    return false;
                for (int i = 0; i < 3; ++i)
                    if (nodes[i]->status().leader_id != nodes[l]->id())
                        return false;
                return true;
            },
            5s);
        BOOST_REQUIRE(agreed);
        return l;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(node)

BOOST_AUTO_TEST_CASE(a_single_server_leads_and_group_commits_1000_commands_from_4_threads) {
    TempDir dir;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto node = start(options(dir.file("raft"), address, {Peer{0, address}}), sm);
    BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
    auto st = node->status();
    BOOST_TEST(st.id == node->id());
    BOOST_TEST(st.leader_id == node->id());
    BOOST_TEST(st.leader_address == address);
    BOOST_REQUIRE_EQUAL(st.voters.size(), 1U);
    BOOST_TEST(st.voters[0] == (Peer{node->id(), address}));

    constexpr int threads = 4;
    constexpr int per_thread = 250;
    std::vector<std::vector<Outcome>> outcomes(threads, std::vector<Outcome>(per_thread));
    std::atomic<int> done{0};
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t)
        submitters.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                node->submit(bytes(std::to_string(t) + "-" + std::to_string(i)),
                             [&, t, i](Fate f, Result<uint64_t> r) {
                                 outcomes[t][i] =
                                     Outcome{f, r.ok() ? std::optional<uint64_t>(*r) : std::nullopt,
                                             r.ok() ? "" : r.error().message};
                                 done.fetch_add(1, std::memory_order_release);
                             });
        });
    for (auto& th : submitters)
        th.join();
    BOOST_REQUIRE(eventually([&] { return done.load(std::memory_order_acquire) == 1000; }, 8s));
    auto elapsed = std::chrono::steady_clock::now() - t0;

    std::vector<bool> positions(1001, false);
    for (int t = 0; t < threads; ++t) {
        uint64_t prev = 0;
        for (int i = 0; i < per_thread; ++i) {
            const Outcome& o = outcomes[t][i];
            BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied && o.value, o.error);
            BOOST_TEST(*o.value > prev);  // each thread's commands apply in its submit order
            prev = *o.value;
            BOOST_REQUIRE(*o.value >= 1 && *o.value <= 1000);
            BOOST_TEST(!positions[*o.value]);
            positions[*o.value] = true;
        }
    }
    auto seen = sm.seen();
    size_t commands = 0;
    uint64_t prev_index = 0;
    for (const auto& s : seen) {
        BOOST_TEST(s.index > prev_index);
        prev_index = s.index;
        commands += s.commands.size();
    }
    BOOST_TEST(commands == 1000U);
    BOOST_TEST(seen.size() < 1000U);  // group commit packed commands into shared entries
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    BOOST_TEST_MESSAGE("1000 commands in " << ms << " ms, " << seen.size() << " entries, "
                                           << (ms > 0 ? 1000 * 1000 / ms : 0) << " commands/s");
    BOOST_TEST(barrier_and_wait(*node).ok());
    BOOST_TEST(node->status().last_applied >= prev_index);
}

BOOST_AUTO_TEST_CASE(one_entry_in_flight_and_small_entries_still_apply_every_command_in_order) {
    TempDir dir;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto o = options(dir.file("raft"), address, {Peer{0, address}});
    o.max_in_flight = 1;      // the next entry waits for the completion of this one
    o.max_entry_bytes = 256;  // about 20 commands of this size per entry
    auto node = start(o, sm);
    BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
    constexpr int n = 500;
    std::vector<Outcome> outcomes(n);
    std::atomic<int> done{0};
    for (int i = 0; i < n; ++i)
        node->submit(bytes("command-" + std::to_string(i)), [&, i](Fate f, Result<uint64_t> r) {
            outcomes[i] = Outcome{f, r.ok() ? std::optional<uint64_t>(*r) : std::nullopt, ""};
            done.fetch_add(1, std::memory_order_release);
        });
    BOOST_REQUIRE(eventually([&] { return done.load(std::memory_order_acquire) == n; }, 8s));
    for (int i = 0; i < n; ++i) {
        BOOST_REQUIRE((outcomes[i].fate == Fate::applied));
        BOOST_REQUIRE(outcomes[i].value == std::optional<uint64_t>(i + 1));
    }
    auto seen = sm.seen();
    BOOST_TEST(seen.size() >= n / 25U);  // max_entry_bytes held
    BOOST_TEST(seen.size() < static_cast<size_t>(n));
    BOOST_TEST_MESSAGE(n << " commands in " << seen.size() << " entries, one in flight");
}

BOOST_AUTO_TEST_CASE(a_restart_replays_the_log_skipping_applied_entries_and_keeps_the_id) {
    TempDir dir;
    RecordingStateMachine sm;  // its applied index outlives the Nodes, as LMDB's would
    const std::string address = free_address();
    const auto o = options(dir.file("raft"), address, {Peer{0, address}});
    uint64_t id = 0;
    uint64_t applied = 0;
    {
        auto node = start(o, sm);
        BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
        for (int i = 0; i < 10; ++i)
            BOOST_REQUIRE(
                (submit_and_wait(*node, bytes("c" + std::to_string(i))).fate == Fate::applied));
        id = node->id();
        applied = sm.applied_index();
    }
    BOOST_TEST(id != 0U);
    auto again = RaftServer::server_id(dir.file("raft"));
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(*again == id);
    {
        auto node = start(o, sm);  // bootstrap again: the dir has state, so it is ignored
        BOOST_TEST(node->id() == id);
        BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
        BOOST_REQUIRE(eventually([&] { return node->status().last_applied >= applied; }, 5s));
        BOOST_TEST(sm.replayed() > 0U);
        BOOST_TEST(sm.log().size() == 10U);
        auto o11 = submit_and_wait(*node, bytes("c10"));
        BOOST_TEST((o11.fate == Fate::applied));
        BOOST_TEST(o11.value == std::optional<uint64_t>(11));
        BOOST_TEST(sm.seen().back().index > applied);
    }
    // A state machine that starts empty rebuilds the same log from the Raft log.
    RecordingStateMachine fresh;
    auto node = start(o, fresh);
    BOOST_REQUIRE(eventually([&] { return fresh.log().size() == 11U; }, 5s));
    BOOST_TEST(fresh.log() == sm.log());
    BOOST_TEST(fresh.replayed() == 0U);
}

BOOST_AUTO_TEST_CASE(a_restart_restores_the_latest_snapshot_then_replays_the_rest) {
    TempDir dir;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto o = options(dir.file("raft"), address, {Peer{0, address}});
    o.snapshot_threshold = 4;
    o.snapshot_trailing = 2;
    {
        auto node = start(o, sm);
        BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
        for (int i = 0; i < 20; ++i)  // one entry each: the Done comes before the next submit
            BOOST_REQUIRE(
                (submit_and_wait(*node, bytes("s" + std::to_string(i))).fate == Fate::applied));
        BOOST_REQUIRE(eventually([&] { return sm.snapshots() > 0U; }, 5s));
    }
    bool snapshot_file = false;
    for (const auto& e : std::filesystem::directory_iterator(dir.file("raft")))
        snapshot_file |= e.path().filename().string().starts_with("snapshot-");
    BOOST_TEST(snapshot_file);
    {
        // The state machine is past the snapshot: restore keeps it, the rest replays as skips.
        auto node = start(o, sm);
        BOOST_TEST(sm.restores_kept() == 1U);
        BOOST_TEST(sm.restores() == 0U);
        BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
        BOOST_TEST(sm.log().size() == 20U);
    }
    RecordingStateMachine fresh;
    auto node = start(o, fresh);
    BOOST_TEST(fresh.restores() == 1U);
    BOOST_REQUIRE(eventually([&] { return fresh.log().size() == 20U; }, 5s));
    BOOST_TEST(fresh.log() == sm.log());
    BOOST_TEST(fresh.seen().size() < 20U);  // entries after the snapshot only
}

BOOST_AUTO_TEST_CASE(three_servers_elect_a_leader_and_replicate) {
    Trio trio;
    int l = trio.leader();
    auto st = trio.nodes[l]->status();
    BOOST_TEST(st.voters.size() == 3U);
    BOOST_TEST(st.term > 0U);
    for (int k = 0; k < 3; ++k) {
        auto o = submit_and_wait(*trio.nodes[l], bytes("r" + std::to_string(k)));
        BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, o.error);
        BOOST_TEST(o.value == std::optional<uint64_t>(k + 1));
    }
    for (int i = 0; i < 3; ++i) {
        BOOST_REQUIRE(eventually([&] { return trio.sms[i].log().size() == 3U; }, 5s));
        BOOST_TEST(trio.sms[i].seen() == trio.sms[l].seen());
    }
    for (int i = 0; i < 3; ++i) {
        if (i == l)
            continue;
        auto f = trio.nodes[i]->status();
        BOOST_TEST((f.role == Role::follower));
        BOOST_TEST(f.leader_address == st.leader_address);
        BOOST_TEST((f.last_contact > std::chrono::steady_clock::time_point{}));
        BOOST_TEST((std::chrono::steady_clock::now() - f.last_contact < 2s));
    }
}

BOOST_AUTO_TEST_CASE(submit_and_barrier_on_a_follower_go_to_the_leader) {
    Trio trio;
    int l = trio.leader();
    int f = (l + 1) % 3;
    auto o = submit_and_wait(*trio.nodes[f], bytes("forwarded"));
    BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, o.error);
    BOOST_TEST(o.value == std::optional<uint64_t>(1));
    BOOST_TEST(barrier_and_wait(*trio.nodes[f]).ok());
    // The follower's barrier returns once the follower itself applied the command.
    BOOST_TEST(trio.sms[f].log() == std::vector<Bytes>{bytes("forwarded")});
    BOOST_TEST(barrier_and_wait(*trio.nodes[l]).ok());
}

BOOST_AUTO_TEST_CASE(
    a_command_of_several_mebibytes_commits_through_a_follower_and_larger_is_refused) {
    // A snapshot restore is one such command: far above the group-commit entry size.
    Trio trio;
    int l = trio.leader();
    int f = (l + 1) % 3;
    Bytes big(max_command_bytes - 1024, 0x5a);
    big.front() = 1;
    auto o = submit_and_wait(*trio.nodes[f], big);
    BOOST_REQUIRE_MESSAGE(o.fate == Fate::applied, o.error);
    for (int i = 0; i < 3; ++i) {
        BOOST_REQUIRE(eventually([&] { return trio.sms[i].log().size() == 1U; }, 10s));
        BOOST_TEST((trio.sms[i].log().front() == big));
    }
    auto refused = submit_and_wait(*trio.nodes[l], Bytes(max_command_bytes + 1, 0));
    BOOST_TEST((refused.fate == Fate::not_leader));
    BOOST_TEST(refused.error.find("larger than the") != std::string::npos);
    // the cluster goes on
    auto next = submit_and_wait(*trio.nodes[l], bytes("after"));
    BOOST_REQUIRE_MESSAGE(next.fate == Fate::applied, next.error);
}

BOOST_AUTO_TEST_CASE(stopping_runs_every_pending_done_exactly_once) {
    TempDir dir;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto node = start(options(dir.file("raft"), address, {Peer{0, address}}), sm);
    BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
    constexpr int n = 2000;
    std::vector<std::atomic<int>> calls(n);
    std::vector<Fate> fates(n);
    for (int i = 0; i < n; ++i)
        node->submit(bytes(std::to_string(i)), [&, i](Fate f, Result<uint64_t> r) {
            fates[i] = f;
            BOOST_CHECK_EQUAL(r.ok(), f == Fate::applied);
            calls[i].fetch_add(1);
        });
    node.reset();
    int applied = 0;
    for (int i = 0; i < n; ++i) {
        BOOST_REQUIRE_EQUAL(calls[i].load(), 1);
        applied += fates[i] == Fate::applied;
    }
    BOOST_TEST(static_cast<size_t>(applied) == sm.log().size());
}

BOOST_AUTO_TEST_CASE(a_broken_state_machine_stops_the_node) {
    TempDir dir;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto node = start(options(dir.file("raft"), address, {Peer{0, address}}), sm);
    BOOST_REQUIRE(eventually([&] { return is_leader(*node); }, 5s));
    auto o = submit_and_wait(*node, Bytes{RecordingStateMachine::break_marker});
    BOOST_TEST((o.fate == Fate::unknown));
    BOOST_REQUIRE(eventually([&] { return node->status().role == Role::unavailable; }, 5s));
    auto later = submit_and_wait(*node, bytes("later"));
    BOOST_TEST((later.fate == Fate::not_leader));
    BOOST_TEST(later.error.find("state machine is broken") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(start_errors_name_the_dir_and_address) {
    TempDir dir;
    TempDir other;
    RecordingStateMachine sm;
    const std::string address = free_address();
    auto bad = RaftServer::start(options(dir.file("raft"), "localhost:7000", {}), sm);
    BOOST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.error().message.find("IPv4") != std::string::npos);
    {
        auto node = start(options(dir.file("raft"), address, {Peer{0, address}}), sm);
        RecordingStateMachine sm2;
        auto clash =
            RaftServer::start(options(other.file("raft"), address, {Peer{0, address}}), sm2);
        BOOST_REQUIRE(!clash.ok());
        BOOST_TEST(clash.error().message.find(address) != std::string::npos);
        BOOST_TEST(clash.error().message.find(other.file("raft")) != std::string::npos);
        BOOST_TEST_MESSAGE("address in use: " << clash.error().message);
    }
    std::filesystem::remove(dir.file("raft") + "/id");
    auto no_id = RaftServer::start(options(dir.file("raft"), address, {Peer{0, address}}), sm);
    BOOST_REQUIRE(!no_id.ok());
    BOOST_TEST(no_id.error().message.find("no id file") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster
