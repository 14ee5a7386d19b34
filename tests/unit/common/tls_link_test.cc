// TlsLinkSession: two ends of a server-port link handshaking through memory, with and without
// the same cluster key.
#include "common/tls_link.hh"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>

#include "common/certificate.hh"
#include "support/temp_dir.hh"

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

    Pair(std::shared_ptr<TlsLinkContext> d, std::shared_ptr<TlsLinkContext> a) {
        dialler = TlsLinkSession::create(std::move(d), TlsLinkRole::dialler).value();
        acceptor = TlsLinkSession::create(std::move(a), TlsLinkRole::acceptor).value();
    }
    Pair(const std::string& dialler_key, const std::string& acceptor_key)
        : Pair(TlsLinkContext::create(key_of(dialler_key)).value(),
               TlsLinkContext::create(key_of(acceptor_key)).value()) {}
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

// ---- mutual TLS: certificates from a private CA, as muster tls makes them

namespace muster {
namespace {

struct Pki {
    test::TempDir dir;
    std::string write(const std::string& name, const std::string& pem) {
        std::string path = (dir.path() / name).string();
        std::ofstream(path) << pem;
        return path;
    }
    std::string ca, other_ca;
    PemCertificate ca_pem, other_pem;
    struct Files {
        std::string cert, key;
    };
    Files leaf(const std::string& name, const std::string& dns, bool other = false,
               std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() -
                                                                  std::chrono::hours(1),
               std::chrono::days days = std::chrono::days(365)) {
        auto pem = create_leaf(other ? other_pem : ca_pem,
                               LeafSpec{.common_name = dns,
                                        .dns_names = {dns, "localhost"},
                                        .ip_addresses = {"127.0.0.1"},
                                        .extended_key_usage = {ExtendedKeyUsage::server_auth,
                                                               ExtendedKeyUsage::client_auth},
                                        .not_before = not_before,
                                        .validity = days})
                       .value();
        return {write(name + ".pem", pem.cert_pem), write(name + "-key.pem", pem.key_pem)};
    }
    Pki() {
        auto now = std::chrono::system_clock::now() - std::chrono::hours(1);
        ca_pem = create_ca(CaSpec{.common_name = "Test CA",
                                  .not_before = now,
                                  .validity = std::chrono::days(30)})
                     .value();
        other_pem = create_ca(CaSpec{.common_name = "Other CA",
                                     .not_before = now,
                                     .validity = std::chrono::days(30)})
                        .value();
        ca = write("ca.pem", ca_pem.cert_pem);
        other_ca = write("other-ca.pem", other_pem.cert_pem);
    }
};

constexpr const char* server_name = "server.dc1.internal";

std::shared_ptr<TlsLinkContext> mtls(const std::string& ca, const Pki::Files& f,
                                     std::vector<uint8_t> key = {}) {
    return TlsLinkContext::create(TlsLinkSettings{.key = std::move(key),
                                                  .ca_file = ca,
                                                  .cert_file = f.cert,
                                                  .key_file = f.key,
                                                  .verify_incoming = true,
                                                  .server_name = server_name})
        .value();
}

using CertPair = Pair;

}  // namespace

BOOST_AUTO_TEST_SUITE(tls_link_certificates)

BOOST_AUTO_TEST_CASE(servers_and_clients_of_one_ca_connect_and_only_servers_count_as_servers) {
    Pki pki;
    auto server = pki.leaf("server", server_name);
    auto client = pki.leaf("client", "client.dc1.internal");
    // a client dials a server
    CertPair p(mtls(pki.ca, client), mtls(pki.ca, server));
    BOOST_REQUIRE(p.dialler->send(std::vector<uint8_t>{'h', 'i'}).ok());
    BOOST_REQUIRE_MESSAGE(p.pump().ok(), "client to server");
    BOOST_TEST((p.at_acceptor == std::vector<uint8_t>{'h', 'i'}));
    BOOST_TEST(!p.acceptor->peer_is_server(), "a client certificate acts as a client only");
    // a server dials a server
    CertPair q(mtls(pki.ca, server), mtls(pki.ca, server));
    BOOST_REQUIRE(q.pump().ok());
    BOOST_TEST(q.acceptor->peer_is_server());
    // a "server" with a client certificate is refused by whoever it dials
    CertPair r(mtls(pki.ca, server), mtls(pki.ca, client));
    BOOST_TEST(!r.pump().ok(), "the dialler checks server.dc1.internal");
}

BOOST_AUTO_TEST_CASE(wrong_ca_expired_and_missing_certificates_are_refused) {
    Pki pki;
    auto server = pki.leaf("server", server_name);
    auto stranger = pki.leaf("stranger", server_name, /*other=*/true);
    auto expired =
        pki.leaf("expired", server_name, false,
                 std::chrono::system_clock::now() - std::chrono::days(10), std::chrono::days(2));
    for (const auto& peer : {stranger, expired}) {
        CertPair p(mtls(peer.cert == stranger.cert ? pki.other_ca : pki.ca, peer),
                   mtls(pki.ca, server));
        BOOST_REQUIRE(p.dialler->send(std::vector<uint8_t>{'x'}).ok());
        BOOST_TEST(!p.pump().ok(), peer.cert);
        BOOST_TEST(p.at_acceptor.empty());
    }
    // A dialler with the cluster key only (no certificate) gets nowhere either.
    CertPair p(TlsLinkContext::create(key_of(key_a)).value(), mtls(pki.ca, server));
    BOOST_TEST(!p.pump().ok());
    // Unusable files: an error that names the file.
    auto bad = TlsLinkContext::create(TlsLinkSettings{.key = {},
                                                      .ca_file = pki.ca,
                                                      .cert_file = pki.ca + ".missing",
                                                      .key_file = server.key,
                                                      .verify_incoming = true,
                                                      .server_name = ""});
    BOOST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.error().message.find(pki.ca + ".missing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(with_certificates_and_a_key_both_ends_prove_the_key) {
    Pki pki;
    auto server = pki.leaf("server", server_name);
    CertPair good(mtls(pki.ca, server, key_of(key_a)), mtls(pki.ca, server, key_of(key_a)));
    BOOST_REQUIRE(good.dialler->send(std::vector<uint8_t>{'o', 'k'}).ok());
    BOOST_REQUIRE(good.pump().ok());
    BOOST_TEST((good.at_acceptor == std::vector<uint8_t>{'o', 'k'}), "the binding is not data");
    CertPair bad(mtls(pki.ca, server, key_of(key_b)), mtls(pki.ca, server, key_of(key_a)));
    BOOST_REQUIRE(bad.dialler->send(std::vector<uint8_t>{'n', 'o'}).ok());
    auto r = bad.pump();
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("another cluster key") != std::string::npos);
    BOOST_TEST(bad.at_acceptor.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster
