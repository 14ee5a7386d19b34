// Tests for src/common/event_loop.cc: stopping a loop from its own thread and from others, and
// pointing a watcher at another descriptor.
#include "common/event_loop.hh"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "common/fd.hh"

using namespace muster;

BOOST_AUTO_TEST_SUITE(event_loop)

BOOST_AUTO_TEST_CASE(a_stop_before_the_loop_runs_ends_that_run) {
    // The teardown race: the owner stops a thread's loop before the thread got to run().
    EventLoop loop;
    loop.stop();
    auto ran = std::async(std::launch::async, [&] { loop.run(); });
    BOOST_TEST((ran.wait_for(std::chrono::seconds(10)) == std::future_status::ready));
}

BOOST_AUTO_TEST_CASE(a_stop_from_a_callback_or_another_thread_ends_the_run_once) {
    EventLoop loop;
    int runs = 0;
    loop.post([&] {
        ++runs;
        loop.stop();
    });
    loop.run();
    BOOST_TEST(runs == 1);
    // That stop is spent: the loop runs again until the next one, here from another thread.
    bool posted = false;
    loop.post([&] { posted = true; });
    std::thread other([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        loop.stop();
    });
    loop.run();
    other.join();
    BOOST_TEST(posted);
}

BOOST_AUTO_TEST_CASE(a_watcher_set_to_another_fd_watches_only_that_one) {
    // UdpChannel points one watcher at each new query's socket in turn.
    int a[2], b[2];
    BOOST_REQUIRE(::pipe2(a, O_NONBLOCK) == 0);
    BOOST_REQUIRE(::pipe2(b, O_NONBLOCK) == 0);
    Fd a_read(a[0]), a_write(a[1]), b_read(b[0]), b_write(b[1]);
    EventLoop loop;
    int fired = 0;
    IoWatcher w(loop, a_read.get(), IoWhat::read, [&](IoWhat) {
        ++fired;
        char c;
        (void)::read(b_read.get(), &c, 1);
        loop.stop();
    });
    w.set_fd(b_read.get());
    w.enable();
    Timer limit(loop, [&] { loop.stop(); });
    // The old descriptor stays readable (nobody reads it): a watcher still on it would fire.
    BOOST_REQUIRE(::write(a_write.get(), "a", 1) == 1);
    limit.arm(std::chrono::milliseconds(50));
    loop.run();
    BOOST_TEST(fired == 0);
    BOOST_REQUIRE(::write(b_write.get(), "b", 1) == 1);
    limit.arm(std::chrono::seconds(10));
    loop.run();
    BOOST_TEST(fired == 1);
}

BOOST_AUTO_TEST_SUITE_END()
