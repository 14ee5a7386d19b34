// sha256: EVP_Digest* with the context freed on every path.
#include "common/sha256.hh"

#include <openssl/evp.h>

#include <memory>

#include "common/result.hh"

namespace muster {

Sha256 sha256(std::span<const std::span<const uint8_t>> parts) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        MUSTER_PANIC("OpenSSL cannot start a SHA-256 digest");
    for (const auto& part : parts) {
        if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1)
            MUSTER_PANIC("OpenSSL SHA-256 update failed");
    }
    Sha256 out{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx.get(), out.data(), &size) != 1 || size != out.size())
        MUSTER_PANIC("OpenSSL SHA-256 final failed");
    return out;
}

}  // namespace muster
