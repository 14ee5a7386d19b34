// SHA-256 over OpenSSL's EVP interface (the one place outside tls/ that includes OpenSSL for it).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace muster {

inline constexpr std::size_t sha256_size = 32;
using Sha256 = std::array<uint8_t, sha256_size>;

// The digest of the parts joined, in order. Aborts (MUSTER_PANIC) only if OpenSSL cannot digest
// at all: there is no input it refuses.
Sha256 sha256(std::span<const std::span<const uint8_t>> parts);

}  // namespace muster
