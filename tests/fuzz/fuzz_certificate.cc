// Fuzz target: reading certificates and matching their names (src/common/certificate.cc), what
// `muster tls` and the TLS settings' checks do with the files an operator gives them. The first
// byte picks what the rest is: 0 PEM text to inspect; 1 a certificate's DER body, wrapped in
// PEM, inspected and verified against a fixed CA; 2 the host name a fixed leaf is checked for.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/ascii.hh"
#include "common/certificate.hh"

namespace {

struct Fixture {
    muster::PemCertificate ca;
    muster::PemCertificate leaf;
};

const Fixture& fixture() {
    static const Fixture f = [] {
        const auto now = std::chrono::system_clock::now() - std::chrono::hours(1);
        Fixture out;
        out.ca = muster::create_ca({.common_name = "Muster CA", .not_before = now}).value();
        out.leaf = muster::create_leaf(
                       out.ca, {.common_name = "server.dc1.muster",
                                .dns_names = {"server.dc1.muster", "localhost"},
                                .ip_addresses = {"127.0.0.1"},
                                .extended_key_usage = {muster::ExtendedKeyUsage::server_auth,
                                                       muster::ExtendedKeyUsage::client_auth},
                                .not_before = now})
                       .value();
        return out;
    }();
    return f;
}

std::string pem_of_der(std::span<const uint8_t> der) {
    std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), der.data(),
                            static_cast<int>(der.size()));
    b64.resize(static_cast<size_t>(n));
    std::string pem = "-----BEGIN CERTIFICATE-----\n";
    for (size_t i = 0; i < b64.size(); i += 64)
        pem += b64.substr(i, 64) + "\n";
    return pem + "-----END CERTIFICATE-----\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    std::span<const uint8_t> rest(data + 1, size - 1);
    std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
    const Fixture& f = fixture();
    switch (data[0] % 3) {
        case 0:
            (void)muster::inspect_certificate(text);
            return 0;
        case 1: {
            const std::string pem = pem_of_der(rest);
            (void)muster::inspect_certificate(pem);
            // Only the CA's own leaves verify: a forged body never chains to it.
            if (muster::verify_certificate(f.ca.cert_pem, pem, "server.dc1.muster") &&
                pem != f.leaf.cert_pem)
                __builtin_trap();
            return 0;
        }
        default: {
            // The host name, unterminated as it arrives: no read past it, and a match only for
            // a name the leaf carries (no wildcards in it), compared without case.
            auto r = muster::verify_certificate(f.ca.cert_pem, f.leaf.cert_pem, text);
            const bool named = muster::ascii::iequals(text, "server.dc1.muster") ||
                               muster::ascii::iequals(text, "localhost");
            if (r && !named)
                __builtin_trap();
            return 0;
        }
    }
}
