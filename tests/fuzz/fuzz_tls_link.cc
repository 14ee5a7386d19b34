// Fuzz target: the server port's TLS link (src/common/tls_link.cc) and the cluster key parser.
// The first byte picks what the rest is: 0 a cluster key's text; 1 bytes from the network to
// an acceptor; 2 bytes to a dialler that sent its ClientHello. Whatever arrives, the link
// never hands out plaintext before a handshake with the right key, and never crashes.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/tls_link.hh"

namespace {

const std::shared_ptr<muster::TlsLinkContext>& context() {
    static const auto ctx =
        muster::TlsLinkContext::create(
            muster::decode_cluster_key("pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s=").value())
            .value();
    return ctx;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    std::span<const uint8_t> rest(data + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            auto key = muster::decode_cluster_key(
                std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()));
            if (key && key->size() != 16 && key->size() != 24 && key->size() != 32)
                __builtin_trap();
            return 0;
        }
        default: {
            auto role =
                data[0] % 3 == 1 ? muster::TlsLinkRole::acceptor : muster::TlsLinkRole::dialler;
            auto session = muster::TlsLinkSession::create(context(), role);
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
