// Certificates for the agent's TLS: a private CA and the leaves it signs, made and read with
// OpenSSL (the model is Consul's tlsutil/generate.go, so `consul tls` users find the same files).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hh"

namespace muster {

// RFC 5280 §4.2.1.12: what a leaf may be used for in a TLS handshake.
enum class ExtendedKeyUsage { server_auth, client_auth };

// A certificate and its private key, both PEM. The key is an ECDSA P-256 key in SEC 1 form
// ("EC PRIVATE KEY"), the form Consul writes and reads.
struct PemCertificate {
    std::string cert_pem;
    std::string key_pem;
};

struct CaSpec {
    std::string common_name;  // followed by the serial number in decimal, as Consul names its CA
    std::chrono::system_clock::time_point not_before;
    std::chrono::days validity{1825};
};

struct LeafSpec {
    std::string common_name;
    std::vector<std::string> dns_names;     // subjectAltName dNSName entries, in this order
    std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries (IPv4 or IPv6 text)
    std::vector<ExtendedKeyUsage> extended_key_usage;
    std::chrono::system_clock::time_point not_before;
    std::chrono::days validity{365};
};

// A self-signed CA: a fresh P-256 key, a random 128-bit serial, basicConstraints CA:TRUE
// (critical), keyUsage keyCertSign, cRLSign, digitalSignature (critical), subject and authority
// key identifiers, signed with ECDSA-SHA256.
Result<PemCertificate> create_ca(const CaSpec& spec);

// A leaf signed by `ca` (whose key must match its certificate): a fresh P-256 key, a random
// serial, basicConstraints CA:FALSE, keyUsage digitalSignature, keyEncipherment (as Consul),
// the extended key usages and subjectAltNames of the spec, key identifiers. Names that are not
// host names and addresses that do not parse are errors, not silently dropped.
Result<PemCertificate> create_leaf(const PemCertificate& ca, const LeafSpec& spec);

// What a certificate says, for checks and messages.
struct CertificateInfo {
    std::string common_name;
    std::string serial_hex;
    std::string key_group;  // OpenSSL's group name of an EC key, "prime256v1" for P-256
    std::vector<std::string> dns_names;
    std::vector<std::string> ip_addresses;
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after;
    bool is_ca = false;
    std::vector<std::string> key_usage;  // RFC 5280 names: "digitalSignature", "keyCertSign", ...
    std::vector<ExtendedKeyUsage> extended_key_usage;
    std::string subject_key_id;    // hex, "" when absent
    std::string authority_key_id;  // hex, "" when absent
};

Result<CertificateInfo> inspect_certificate(std::string_view cert_pem);

// Checks `cert_pem` as a TLS peer would: a chain to `ca_pem` alone (RFC 5280 path validation
// with OpenSSL's strict checks), valid now, and naming `host_name` in its subjectAltName.
Result<void> verify_certificate(std::string_view ca_pem, std::string_view cert_pem,
                                std::string_view host_name);

}  // namespace muster
