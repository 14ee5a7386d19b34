// TlsLinkSession: two ends of a server-port link handshaking through memory, with and without
// the same cluster key.
#include "common/tls_link.hh"

#include <boost/test/unit_test.hpp>

namespace muster {
namespace {

std::vector<uint8_t> key_of(const std::string& text) {
    return decode_cluster_key(text).value();
}

struct Pair {
    std::unique_ptr<TlsLinkSession> dialler;
    std::unique_ptr<TlsLinkSession> acceptor;
    std::vector<uint8_t> at_dialler, at_acceptor;  // plaintext each side received
    Result<void> last{};

    Pair(const std::string& dialler_key, const std::string& acceptor_key) {
        dialler = TlsLinkSession::create(TlsLinkContext::create(key_of(dialler_key)).value(),
                                         TlsLinkRole::dialler)
                      .value();
        acceptor = TlsLinkSession::create(TlsLinkContext::create(key_of(acceptor_key)).value(),
                                          TlsLinkRole::acceptor)
                       .value();
    }
    // Moves bytes both ways until nothing is left; the first error stops it.
    Result<void> pump() {
        for (int round = 0; round < 20; ++round) {
            std::vector<uint8_t> a, b;
            dialler->take_output(a);
            acceptor->take_output(b);
            if (a.empty() && b.empty())
                return {};
            if (auto r = acceptor->receive(a, at_acceptor); !r)
                return r;
            if (auto r = dialler->receive(b, at_dialler); !r)
                return r;
        }
        return make_error("no end");
    }
};

const std::string key_a = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=";
const std::string key_b = "8gYVdF4x4gjHy2nbM3h2zX4y5mXQ2m8n+Xx0QKzWmqM=";

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_link)

BOOST_AUTO_TEST_CASE(the_same_key_gives_a_link_that_carries_bytes_both_ways) {
    Pair p(key_a, key_a);
    BOOST_REQUIRE(p.dialler->send(std::vector<uint8_t>{'M', 'S', 'T', 'R', 1}).ok());
    BOOST_REQUIRE(p.pump().ok());
    BOOST_TEST(p.dialler->established());
    BOOST_TEST(p.acceptor->established());
    BOOST_TEST((p.at_acceptor == std::vector<uint8_t>{'M', 'S', 'T', 'R', 1}),
               "bytes sent before the handshake arrive after it");
    std::vector<uint8_t> big(200000, 7);
    BOOST_REQUIRE(p.acceptor->send(big).ok());
    BOOST_REQUIRE(p.pump().ok());
    BOOST_TEST(p.at_dialler.size() == big.size());
}

BOOST_AUTO_TEST_CASE(another_key_fails_the_handshake_and_delivers_nothing) {
    Pair p(key_a, key_b);
    BOOST_REQUIRE(p.dialler->send(std::vector<uint8_t>{'M', 'S', 'T', 'R', 1}).ok());
    auto r = p.pump();
    BOOST_TEST(!r.ok());
    BOOST_TEST(!p.acceptor->established());
    BOOST_TEST(p.at_acceptor.empty());
}

BOOST_AUTO_TEST_CASE(plaintext_or_garbage_is_refused_by_the_acceptor) {
    auto acceptor =
        TlsLinkSession::create(TlsLinkContext::create(key_of(key_a)).value(), TlsLinkRole::acceptor)
            .value();
    std::vector<uint8_t> plain;
    std::vector<uint8_t> garbage{0x16, 3, 1, 0, 5, 'M', 'S', 'T', 'R', 1};
    BOOST_TEST(!acceptor->receive(garbage, plain).ok());
    BOOST_TEST(plain.empty());
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_in_a_record_ends_the_link) {
    Pair p(key_a, key_a);
    BOOST_REQUIRE(p.pump().ok());
    BOOST_REQUIRE(p.dialler->send(std::vector<uint8_t>(100, 1)).ok());
    std::vector<uint8_t> wire;
    p.dialler->take_output(wire);
    wire[wire.size() - 3] ^= 0x01;
    std::vector<uint8_t> plain;
    BOOST_TEST(!p.acceptor->receive(wire, plain).ok());
    BOOST_TEST(plain.empty());
}

BOOST_AUTO_TEST_CASE(cluster_keys_are_base64_of_16_24_or_32_bytes) {
    BOOST_TEST(decode_cluster_key(key_a).value().size() == 32u);
    BOOST_TEST(decode_cluster_key("cg8StVXbQJ0gPvMd9o7yrg==").value().size() == 16u);
    auto made = make_cluster_key();
    BOOST_TEST(made.size() == 44u);
    BOOST_TEST(decode_cluster_key(made).value().size() == 32u);
    BOOST_TEST(made != make_cluster_key());
    for (const char* bad :
         {"", "not base64!", "AAAA", "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s",
          " pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="}) {
        auto r = decode_cluster_key(bad);
        BOOST_TEST(!r.ok(), bad);
        if (!r.ok())
            BOOST_TEST(r.error().message.find("pUqJ") == std::string::npos, "never echoes a key");
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster
