// Tests for src/common/log.cc: levels, and the taps that copy the log to monitors.
#include "common/log.hh"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace muster;

namespace {

constexpr log::Logger logger("test");

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        BOOST_REQUIRE(nl != std::string::npos);  // every line ends in '\n'
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

// Restores the configured level a test changes.
struct LevelGuard {
    log::Level saved = log::level();
    ~LevelGuard() { log::set_level(saved); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(log_tap)

BOOST_AUTO_TEST_CASE(levels_parse_with_consul_names) {
    log::Level l = log::Level::info;
    BOOST_TEST(log::parse_level("DEBUG", l));
    BOOST_TEST((l == log::Level::debug));
    BOOST_TEST(log::parse_level("err", l));
    BOOST_TEST((l == log::Level::error));
    BOOST_TEST(log::parse_level("warning", l));
    BOOST_TEST((l == log::Level::warn));
    BOOST_TEST(!log::parse_level("loud", l));
}

BOOST_AUTO_TEST_CASE(a_tap_gets_lines_at_its_level_and_above) {
    LevelGuard guard;
    log::set_level(log::Level::error);  // the warning goes to the tap only
    log::Tap tap({.level = log::Level::warn});
    logger.info("quiet");
    logger.warn("loud", {{"k", "v w"}});
    logger.error("louder");
    auto lines = lines_of(tap.take());
    BOOST_REQUIRE(lines.size() == 2u);
    BOOST_TEST(lines[0].find(" warn test: loud k=\"v w\"") != std::string::npos);
    BOOST_TEST(lines[1].find(" error test: louder") != std::string::npos);
    BOOST_TEST(tap.take().empty());
}

BOOST_AUTO_TEST_CASE(a_verbose_tap_lowers_the_threshold_until_it_leaves) {
    LevelGuard guard;
    log::set_level(log::Level::info);
    BOOST_TEST(!logger.enabled(log::Level::debug));
    {
        log::Tap quiet({.level = log::Level::error});
        BOOST_TEST((log::threshold() == log::Level::info));
        {
            log::Tap verbose({.level = log::Level::trace});
            BOOST_TEST((log::threshold() == log::Level::trace));
            BOOST_TEST(logger.enabled(log::Level::debug));
            logger.debug("for the monitor only");
            BOOST_TEST(lines_of(verbose.take()).size() == 1u);
            BOOST_TEST(quiet.take().empty());
        }
        BOOST_TEST((log::threshold() == log::Level::info));
    }
    BOOST_TEST((log::threshold() == log::Level::info));
    BOOST_TEST(!logger.enabled(log::Level::debug));
    // The configured level still counts while a tap listens.
    log::Tap tap({.level = log::Level::warn});
    log::set_level(log::Level::debug);
    BOOST_TEST((log::threshold() == log::Level::debug));
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_lines_and_says_how_many_once) {
    LevelGuard guard;
    log::set_level(log::Level::error);  // the lines go to the tap only
    log::Tap tap({.level = log::Level::info, .max_queued_lines = 3});
    for (int i = 0; i < 10; ++i)
        logger.info("line", {{"n", std::to_string(i)}});
    auto lines = lines_of(tap.take());
    BOOST_REQUIRE(lines.size() == 4u);
    BOOST_TEST(lines[0].find("n=0") != std::string::npos);
    BOOST_TEST(lines[2].find("n=2") != std::string::npos);
    BOOST_TEST(lines[3] == "... 7 lines dropped");
    logger.info("after");
    lines = lines_of(tap.take());
    BOOST_REQUIRE(lines.size() == 1u);  // the notice came once
    BOOST_TEST(lines[0].find("after") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_queue_is_bounded_in_bytes_too) {
    LevelGuard guard;
    log::set_level(log::Level::error);
    log::Tap tap({.level = log::Level::info, .max_queued_bytes = 300});
    const std::string output(200, 'x');
    logger.info("big", {{"output", output}});  // ~250 bytes: fits
    logger.info("big", {{"output", output}});  // would pass 300: dropped
    logger.info("small");                      // ~40 bytes: fits
    auto lines = lines_of(tap.take());
    BOOST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[0].find(output) != std::string::npos);
    BOOST_TEST(lines[1].find("small") != std::string::npos);
    BOOST_TEST(lines[2] == "... 1 line dropped");
}

BOOST_AUTO_TEST_CASE(wake_runs_when_the_queue_stops_being_empty) {
    LevelGuard guard;
    log::set_level(log::Level::error);
    int wakes = 0;
    log::Tap tap({.level = log::Level::info, .max_queued_lines = 2, .wake = [&] { ++wakes; }});
    logger.info("one");
    logger.info("two");
    logger.info("three (dropped)");
    BOOST_TEST(wakes == 1);
    (void)tap.take();
    logger.info("four");
    BOOST_TEST(wakes == 2);
}

BOOST_AUTO_TEST_CASE(a_json_tap_gets_consul_json_lines) {
    LevelGuard guard;
    log::set_level(log::Level::error);
    log::Tap tap({.level = log::Level::info, .format = log::TapFormat::json});
    logger.info("say \"hi\"", {{"node", "a\nb"}});
    auto lines = lines_of(tap.take());
    BOOST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(
        lines[0].starts_with(R"({"@level":"info","@message":"say \"hi\"","@module":"test",)"));
    BOOST_TEST(lines[0].ends_with(R"("node":"a\nb"})"));
}

BOOST_AUTO_TEST_CASE(lines_from_many_threads_are_each_delivered_or_counted) {
    LevelGuard guard;
    log::set_level(log::Level::error);
    log::Tap tap({.level = log::Level::info, .max_queued_lines = 64});
    constexpr int threads = 4;
    constexpr int per_thread = 2000;
    std::atomic<int> running{threads};
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i)
                logger.info("line");
            --running;
        });
    uint64_t delivered = 0;
    uint64_t dropped = 0;
    auto count = [&] {
        for (const auto& line : lines_of(tap.take())) {
            if (line.starts_with("... "))
                dropped += std::stoull(line.substr(4));
            else
                ++delivered;
        }
    };
    while (running > 0)
        count();
    for (auto& w : writers)
        w.join();
    count();
    BOOST_TEST(delivered + dropped == uint64_t{threads * per_thread});
    BOOST_TEST(delivered > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
