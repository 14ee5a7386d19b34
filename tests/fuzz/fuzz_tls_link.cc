// Fuzz target: the server port's TLS link (src/common/tls_link.cc) and the cluster key parser.
// The first byte picks what the rest is: 0 a cluster key's text; 1 bytes from the network to
// an acceptor; 2 bytes to a dialler that sent its ClientHello; 3 and 4 the same with mutual
// TLS (certificates and the key, verify_incoming, verify_server_hostname). Whatever arrives,
// the link never hands out plaintext before a handshake it can verify, and never crashes.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/certificate.hh"
#include "common/tls_link.hh"

namespace {

const std::shared_ptr<muster::TlsLinkContext>& context() {
    static const auto ctx =
        muster::TlsLinkContext::create(
            muster::decode_cluster_key("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=").value())
            .value();
    return ctx;
}

void write_file(const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size())
        __builtin_trap();
    std::fclose(f);
}

// Certificates from a CA made at start, in files as an agent has them.
const std::shared_ptr<muster::TlsLinkContext>& certificate_context() {
    static const auto ctx = [] {
        char dir[] = "/tmp/fuzz_tls_link.XXXXXX";
        if (::mkdtemp(dir) == nullptr)
            __builtin_trap();
        const std::string d = dir;
        const auto now = std::chrono::system_clock::now() - std::chrono::hours(1);
        auto ca = muster::create_ca({.common_name = "Muster CA", .not_before = now}).value();
        auto leaf =
            muster::create_leaf(ca, {.common_name = "server.dc1.muster",
                                     .dns_names = {"server.dc1.muster", "localhost"},
                                     .ip_addresses = {"127.0.0.1"},
                                     .extended_key_usage = {muster::ExtendedKeyUsage::server_auth,
                                                            muster::ExtendedKeyUsage::client_auth},
                                     .not_before = now})
                .value();
        muster::TlsLinkSettings s;
        s.key = muster::decode_cluster_key("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=").value();
        s.ca_file = d + "/ca.pem";
        s.cert_file = d + "/cert.pem";
        s.key_file = d + "/key.pem";
        s.verify_incoming = true;
        s.server_name = "server.dc1.muster";
        write_file(s.ca_file, ca.cert_pem);
        write_file(s.cert_file, leaf.cert_pem);
        write_file(s.key_file, leaf.key_pem);
        auto out = muster::TlsLinkContext::create(s).value();
        for (const auto& f : {s.ca_file, s.cert_file, s.key_file})
            std::remove(f.c_str());
        ::rmdir(dir);
        return out;
    }();
    return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    std::span<const uint8_t> rest(data + 1, size - 1);
    switch (data[0] % 5) {
        case 0: {
            auto key = muster::decode_cluster_key(
                std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()));
            if (key && key->size() != 16 && key->size() != 24 && key->size() != 32)
                __builtin_trap();
            return 0;
        }
        default: {
            const int mode = data[0] % 5;
            auto role =
                mode % 2 == 1 ? muster::TlsLinkRole::acceptor : muster::TlsLinkRole::dialler;
            auto session =
                muster::TlsLinkSession::create(mode <= 2 ? context() : certificate_context(), role);
            if (!session)
                __builtin_trap();
            std::vector<uint8_t> plain, wire;
            (*session)->take_output(wire);
            // in pieces, as the network delivers them
            while (!rest.empty()) {
                size_t n = std::min<size_t>(rest.size(), 1 + rest[0] % 200);
                auto r = (*session)->receive(rest.first(n), plain);
                rest = rest.subspan(n);
                (*session)->take_output(wire);
                if (!r)
                    break;
            }
            // No forged stream gets through a handshake it cannot complete (no PSK).
            if (!plain.empty())
                __builtin_trap();
            return 0;
        }
    }
}
