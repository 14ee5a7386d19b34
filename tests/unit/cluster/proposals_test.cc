// Tests for cluster/internal/proposals.cc: group commit and result routing, without Raft.
#include "cluster/internal/proposals.hh"

#include <boost/test/unit_test.hpp>

namespace muster::cluster::internal {
namespace {

using Bytes = std::vector<uint8_t>;

struct Outcome {
    Fate fate;
    bool ok;
    uint64_t value;
    std::string error;
};

struct Recorder {
    std::vector<Outcome> outcomes;
    Proposals::Done done() {
        return [this](Fate f, Result<uint64_t> r) {
            outcomes.push_back(
                Outcome{f, r.ok(), r.ok() ? *r : 0, r.ok() ? std::string() : r.error().message});
        };
    }
};

std::vector<Result<uint64_t>> results(std::initializer_list<uint64_t> values) {
    std::vector<Result<uint64_t>> out;
    for (auto v : values)
        out.emplace_back(v);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(proposals)

BOOST_AUTO_TEST_CASE(queued_commands_share_one_entry_up_to_max_entry_bytes) {
    // Room for the header and two commands of 10 bytes.
    const size_t max = padded_entry_size(entry_header_bytes + 2 * encoded_command_size(10));
    Recorder rec;
    Proposals p(7, max, 10);
    for (int i = 0; i < 5; ++i)
        p.enqueue(Bytes(10, static_cast<uint8_t>(i)), rec.done());
    auto e1 = p.take_entry();
    BOOST_TEST(e1.commands == 2U);
    BOOST_TEST(e1.bytes.size() == max);
    auto d = decode_entry(e1.bytes);
    BOOST_REQUIRE(d.ok());
    BOOST_TEST((d->tag == EntryTag{7, e1.seq}));
    BOOST_TEST(d->commands[1][0] == 1);
    BOOST_TEST(p.take_entry().commands == 2U);
    BOOST_TEST(p.take_entry().commands == 1U);
    BOOST_TEST(p.queued() == 0U);
    BOOST_TEST(p.in_flight() == 3U);
}

BOOST_AUTO_TEST_CASE(an_oversized_command_goes_alone) {
    Recorder rec;
    Proposals p(7, 64, 10);
    p.enqueue(Bytes(1000, 1), rec.done());
    p.enqueue(Bytes(1, 2), rec.done());
    BOOST_TEST(p.take_entry().commands == 1U);
    BOOST_TEST(p.take_entry().commands == 1U);
}

BOOST_AUTO_TEST_CASE(no_entry_beyond_max_in_flight) {
    Recorder rec;
    Proposals p(7, 1 << 20, 2);
    p.enqueue(Bytes{1}, rec.done());
    auto a = p.take_entry();
    p.enqueue(Bytes{2}, rec.done());
    auto b = p.take_entry();
    p.enqueue(Bytes{3}, rec.done());
    BOOST_TEST(!p.ready());
    p.appended(a.seq, 5);
    p.on_applied(EntryTag{7, a.seq}, 5, results({11}));
    p.completed(a.seq, 0, "");
    BOOST_TEST(p.ready());
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 1U);
    BOOST_TEST(rec.outcomes[0].value == 11U);
    (void)b;
}

BOOST_AUTO_TEST_CASE(results_reach_their_dones_in_submit_order) {
    Recorder rec;
    Proposals p(7, 1 << 20, 10);
    for (uint8_t i = 0; i < 3; ++i)
        p.enqueue(Bytes{i}, rec.done());
    auto e = p.take_entry();
    p.appended(e.seq, 9);
    std::vector<Result<uint64_t>> r;
    r.emplace_back(uint64_t{100});
    r.emplace_back(make_error("refused"));
    r.emplace_back(uint64_t{101});
    p.on_applied(EntryTag{7, e.seq}, 9, std::move(r));
    p.completed(e.seq, 0, "");
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 3U);
    BOOST_TEST((rec.outcomes[0].fate == Fate::applied && rec.outcomes[0].value == 100U));
    BOOST_TEST((rec.outcomes[1].fate == Fate::applied && !rec.outcomes[1].ok));
    BOOST_TEST(rec.outcomes[1].error == "refused");
    BOOST_TEST((rec.outcomes[2].fate == Fate::applied && rec.outcomes[2].value == 101U));
}

BOOST_AUTO_TEST_CASE(entries_of_other_sessions_are_not_taken_for_ours) {
    Recorder rec;
    Proposals p(7, 1 << 20, 10);
    p.enqueue(Bytes{1}, rec.done());
    auto e = p.take_entry();
    p.appended(e.seq, 4);
    // Another leader's entry at our index, with our seq but its own session.
    p.on_applied(EntryTag{8, e.seq}, 4, results({55}));
    p.completed(e.seq, 8 /* RAFT_LEADERSHIPLOST */, "leadership lost");
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 1U);
    BOOST_TEST((rec.outcomes[0].fate == Fate::unknown));
    BOOST_TEST(rec.outcomes[0].error == "leadership lost");
}

BOOST_AUTO_TEST_CASE(applied_before_leadership_was_lost_is_still_applied) {
    Recorder rec;
    Proposals p(7, 1 << 20, 10);
    p.enqueue(Bytes{1}, rec.done());
    auto e = p.take_entry();
    p.appended(e.seq, 4);
    p.on_applied(EntryTag{7, e.seq}, 4, results({3}));
    p.completed(e.seq, 8, "leadership lost");
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 1U);
    BOOST_TEST((rec.outcomes[0].fate == Fate::applied));
    BOOST_TEST(rec.outcomes[0].value == 3U);
}

BOOST_AUTO_TEST_CASE(not_appended_queued_and_in_flight_failures_get_their_fates) {
    Recorder rec;
    Proposals p(7, 1 << 20, 10);
    p.enqueue(Bytes{1}, rec.done());
    auto a = p.take_entry();
    p.not_appended(a.seq, Fate::not_leader, "not the leader; leader is 10.0.0.1:7000");
    p.enqueue(Bytes{2}, rec.done());
    p.take_entry();
    p.enqueue(Bytes{3}, rec.done());
    p.fail_in_flight("stopped");
    p.fail_queued(Fate::not_leader, "no leader");
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 3U);
    BOOST_TEST((rec.outcomes[0].fate == Fate::not_leader));
    BOOST_TEST(rec.outcomes[0].error == "not the leader; leader is 10.0.0.1:7000");
    BOOST_TEST((rec.outcomes[1].fate == Fate::unknown));
    BOOST_TEST((rec.outcomes[2].fate == Fate::not_leader));
    BOOST_TEST(p.in_flight() == 0U);
    BOOST_TEST(p.queued() == 0U);
}

BOOST_AUTO_TEST_CASE(a_throwing_done_does_not_stop_the_others) {
    Recorder rec;
    Proposals p(7, 1 << 20, 10);
    p.enqueue(Bytes{1}, [](Fate, Result<uint64_t>) { throw std::runtime_error("boom"); });
    p.enqueue(Bytes{2}, rec.done());
    p.fail_queued(Fate::not_leader, "no leader");
    BOOST_TEST(rec.outcomes.size() == 1U);
}

BOOST_AUTO_TEST_CASE(destruction_runs_pending_dones) {
    Recorder rec;
    {
        Proposals p(7, 1 << 20, 10);
        p.enqueue(Bytes{1}, rec.done());
        p.take_entry();
        p.enqueue(Bytes{2}, rec.done());
    }
    BOOST_REQUIRE_EQUAL(rec.outcomes.size(), 2U);
    BOOST_TEST((rec.outcomes[0].fate == Fate::unknown));
    BOOST_TEST((rec.outcomes[1].fate == Fate::not_leader));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
