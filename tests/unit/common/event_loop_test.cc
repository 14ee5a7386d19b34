// Tests for src/common/event_loop.cc: stopping a loop from its own thread and from others.
#include "common/event_loop.hh"

#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

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

BOOST_AUTO_TEST_SUITE_END()
