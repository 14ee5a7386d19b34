// Tests for cluster/internal/rpc_frame.cc: frames round-trip however the stream is split, and
// bytes that are not frames fail the stream without ever crashing or over-allocating.
#include "cluster/internal/rpc_frame.hh"

#include <boost/test/unit_test.hpp>
#include <random>

BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::internal::Frame)

namespace muster::cluster::internal {

namespace {
std::vector<uint8_t> b(const std::string& s) {
    return std::vector<uint8_t>(s.begin(), s.end());
}
}  // namespace

BOOST_AUTO_TEST_SUITE(rpc_frame)

BOOST_AUTO_TEST_CASE(frames_round_trip_whole_and_split_at_every_byte) {
    std::vector<uint8_t> stream;
    append_frame(stream, 1, static_cast<uint8_t>(MessageType::hello), b("{\"id\":1}"));
    append_frame(stream, 0xfedcba9876543210ULL,
                 static_cast<uint8_t>(MessageType::apply) | reply_bit, {});
    append_frame(stream, 3, static_cast<uint8_t>(MessageType::apply), b("command bytes"));
    const std::vector<Frame> expected = {
        {1, 1, b("{\"id\":1}")}, {0xfedcba9876543210ULL, 0x82, {}}, {3, 2, b("command bytes")}};
    for (size_t split = 0; split <= stream.size(); ++split) {
        FrameDecoder d(1024);
        std::vector<Frame> out;
        BOOST_REQUIRE(d.feed(std::span(stream).first(split), out).ok());
        BOOST_REQUIRE(d.feed(std::span(stream).subspan(split), out).ok());
        BOOST_REQUIRE(out == expected);
        BOOST_TEST(d.buffered() == 0U);
    }
    FrameDecoder bytewise(1024);
    std::vector<Frame> out;
    for (uint8_t c : stream)
        BOOST_REQUIRE(bytewise.feed(std::span(&c, 1), out).ok());
    BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(a_length_outside_the_bounds_fails_the_stream_for_good) {
    FrameDecoder d(16);
    std::vector<Frame> out;
    auto ok = encode_frame(1, 1, std::vector<uint8_t>(16, 'x'));
    BOOST_TEST(d.feed(ok, out).ok());
    BOOST_TEST(out.size() == 1U);
    auto big = encode_frame(2, 1, std::vector<uint8_t>(17, 'x'));
    auto r = d.feed(big, out);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("bad frame length") != std::string::npos);
    BOOST_TEST(d.failed());
    BOOST_TEST(!d.feed(ok, out).ok());  // nothing more comes out of a failed stream
    BOOST_TEST(out.size() == 1U);

    FrameDecoder short_length(16);
    const uint8_t eight[] = {8, 0, 0, 0};  // less than id + type
    BOOST_TEST(!short_length.feed(eight, out).ok());
}

BOOST_AUTO_TEST_CASE(random_bytes_never_yield_a_frame_over_the_limit) {
    std::mt19937_64 rng(42);
    for (int round = 0; round < 2000; ++round) {
        FrameDecoder d(64);
        std::vector<Frame> out;
        size_t total = 0;
        while (total < 512 && !d.failed()) {
            std::vector<uint8_t> chunk(1 + rng() % 40);
            for (auto& c : chunk)
                c = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 16 : rng());
            total += chunk.size();
            (void)d.feed(chunk, out);
            BOOST_REQUIRE(d.buffered() <= 64 + frame_header_bytes + 40);
        }
        for (const auto& f : out)
            BOOST_REQUIRE(f.payload.size() <= 64U);
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
