// Tests for src/common/certificate.cc: a CA and its leaves as Consul makes them, checked by
// OpenSSL's own path validation.
#include "common/certificate.hh"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <string>

using namespace muster;
using namespace std::chrono;

namespace {

const system_clock::time_point now = system_clock::now();

PemCertificate make_ca() {
    auto ca =
        create_ca({.common_name = "Muster Agent CA", .not_before = now, .validity = days(30)});
    BOOST_REQUIRE(ca.ok());
    return *ca;
}

LeafSpec server_spec() {
    return {.common_name = "server.dc1.internal",
            .dns_names = {"server.dc1.internal", "localhost"},
            .ip_addresses = {"127.0.0.1", "::1"},
            .extended_key_usage = {ExtendedKeyUsage::server_auth, ExtendedKeyUsage::client_auth},
            .not_before = now,
            .validity = days(365)};
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(certificate)

BOOST_AUTO_TEST_CASE(ca_is_a_p256_certificate_authority_with_key_ids) {
    auto info = inspect_certificate(make_ca().cert_pem);
    BOOST_REQUIRE(info.ok());
    // Consul's "Consul Agent CA <serial>", the serial in decimal
    BOOST_TEST(info->common_name.starts_with("Muster Agent CA "));
    BOOST_TEST(info->common_name.size() > std::string("Muster Agent CA 1").size());
    BOOST_TEST(info->is_ca);
    BOOST_TEST(info->key_group == "prime256v1");
    BOOST_TEST(contains<std::string>(info->key_usage, "keyCertSign"));
    BOOST_TEST(contains<std::string>(info->key_usage, "cRLSign"));
    BOOST_TEST(!info->subject_key_id.empty());
    BOOST_TEST(info->authority_key_id == info->subject_key_id);  // self-signed
    BOOST_TEST(duration_cast<hours>(info->not_after - info->not_before).count() == 30 * 24);
}

BOOST_AUTO_TEST_CASE(ca_key_is_sec1_pem_as_consul_writes_it) {
    BOOST_TEST(make_ca().key_pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
}

BOOST_AUTO_TEST_CASE(serials_are_random) {
    auto a = inspect_certificate(make_ca().cert_pem);
    auto b = inspect_certificate(make_ca().cert_pem);
    BOOST_REQUIRE(a.ok() && b.ok());
    BOOST_TEST(a->serial_hex != b->serial_hex);
    BOOST_TEST(a->serial_hex.size() >= 16u);
}

BOOST_AUTO_TEST_CASE(server_leaf_verifies_against_its_ca_for_its_name) {
    PemCertificate ca = make_ca();
    auto leaf = create_leaf(ca, server_spec());
    BOOST_REQUIRE(leaf.ok());
    auto ok = verify_certificate(ca.cert_pem, leaf->cert_pem, "server.dc1.internal");
    BOOST_TEST(ok.ok(), (ok.ok() ? "" : ok.error().message));
    BOOST_TEST(verify_certificate(ca.cert_pem, leaf->cert_pem, "localhost").ok());
}

BOOST_AUTO_TEST_CASE(leaf_does_not_verify_for_another_name_or_another_ca) {
    PemCertificate ca = make_ca();
    auto leaf = create_leaf(ca, server_spec());
    BOOST_REQUIRE(leaf.ok());
    BOOST_TEST(!verify_certificate(ca.cert_pem, leaf->cert_pem, "server.dc2.internal").ok());
    auto other = verify_certificate(make_ca().cert_pem, leaf->cert_pem, "server.dc1.internal");
    BOOST_REQUIRE(!other.ok());
    BOOST_TEST(other.error().message.find("verification failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_name_is_matched_by_its_length_never_past_it) {
    PemCertificate ca = make_ca();
    auto leaf = create_leaf(ca, server_spec());
    BOOST_REQUIRE(leaf.ok());
    const std::string text = "localhostX";
    BOOST_TEST(
        verify_certificate(ca.cert_pem, leaf->cert_pem, std::string_view(text).substr(0, 9)).ok());
    auto empty =
        verify_certificate(ca.cert_pem, leaf->cert_pem, std::string_view(text).substr(0, 0));
    BOOST_REQUIRE(!empty.ok());
    BOOST_TEST(empty.error().message.find("no host name") != std::string::npos);
    // A leading dot is OpenSSL's "any name under": never a match for one host.
    BOOST_TEST(!verify_certificate(ca.cert_pem, leaf->cert_pem, ".internal").ok());
    // OpenSSL drops a final NUL; a name with a NUL in it is no host's name.
    BOOST_TEST(
        !verify_certificate(ca.cert_pem, leaf->cert_pem, std::string_view("localhost\0", 10)).ok());
}

BOOST_AUTO_TEST_CASE(leaf_has_the_sans_usages_validity_and_key_ids) {
    PemCertificate ca = make_ca();
    auto leaf = create_leaf(ca, server_spec());
    BOOST_REQUIRE(leaf.ok());
    auto info = inspect_certificate(leaf->cert_pem);
    auto ca_info = inspect_certificate(ca.cert_pem);
    BOOST_REQUIRE(info.ok() && ca_info.ok());
    BOOST_TEST(info->common_name == "server.dc1.internal");
    BOOST_TEST((info->dns_names == std::vector<std::string>{"server.dc1.internal", "localhost"}));
    BOOST_TEST((info->ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"}));
    BOOST_TEST(!info->is_ca);
    BOOST_TEST(info->key_group == "prime256v1");
    BOOST_TEST(
        (info->key_usage == std::vector<std::string>{"digitalSignature", "keyEncipherment"}));
    BOOST_TEST(contains(info->extended_key_usage, ExtendedKeyUsage::server_auth));
    BOOST_TEST(contains(info->extended_key_usage, ExtendedKeyUsage::client_auth));
    BOOST_TEST(info->authority_key_id == ca_info->subject_key_id);
    BOOST_TEST(info->subject_key_id != ca_info->subject_key_id);
    BOOST_TEST(duration_cast<hours>(info->not_after - info->not_before).count() == 365 * 24);
    BOOST_TEST(duration_cast<seconds>(info->not_before - now).count() <= 1);
}

BOOST_AUTO_TEST_CASE(client_only_usage_is_just_client_auth) {
    LeafSpec spec = server_spec();
    spec.extended_key_usage = {ExtendedKeyUsage::client_auth};
    auto leaf = create_leaf(make_ca(), spec);
    BOOST_REQUIRE(leaf.ok());
    auto info = inspect_certificate(leaf->cert_pem);
    BOOST_REQUIRE(info.ok());
    BOOST_TEST((info->extended_key_usage == std::vector{ExtendedKeyUsage::client_auth}));
}

BOOST_AUTO_TEST_CASE(expired_leaf_does_not_verify) {
    PemCertificate ca = make_ca();
    LeafSpec spec = server_spec();
    spec.not_before = now - days(10);
    spec.validity = days(2);
    auto leaf = create_leaf(ca, spec);
    BOOST_REQUIRE(leaf.ok());
    auto r = verify_certificate(ca.cert_pem, leaf->cert_pem, "server.dc1.internal");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("expired") != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_CASE(bad_names_and_addresses_are_refused) {
    PemCertificate ca = make_ca();
    LeafSpec spec = server_spec();
    spec.dns_names.push_back("evil.example,DNS:other.example");
    auto r = create_leaf(ca, spec);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("not a host name") != std::string::npos);
    spec = server_spec();
    spec.ip_addresses.push_back("300.1.2.3");
    r = create_leaf(ca, spec);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("not an IP address") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mismatched_ca_key_is_refused) {
    PemCertificate ca = make_ca();
    ca.key_pem = make_ca().key_pem;
    auto r = create_leaf(ca, server_spec());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("does not belong") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_pem_is_an_error_not_a_crash) {
    BOOST_TEST(!inspect_certificate("not a certificate").ok());
    auto r = create_leaf({.cert_pem = "x", .key_pem = "y"}, server_spec());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("CA certificate") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(zero_validity_is_refused) {
    auto r = create_ca({.common_name = "x", .not_before = now, .validity = days(0)});
    BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_SUITE_END()
