// Unpredictable 16-bit DNS message IDs (RFC 5452 §9.2: IDs must not be guessable).
#pragma once

#include <cstddef>
#include <cstdint>

namespace muster::resolver::internal {

// Draws IDs from the kernel CSPRNG (getrandom), a batch at a time: one syscall per 256 IDs,
// and nothing an off-path attacker can predict from earlier IDs, unlike a seeded PRNG.
class IdSource {
  public:
    uint16_t next();

  private:
    void refill();
    uint8_t buf_[512];
    size_t pos_ = sizeof buf_;
};

}  // namespace muster::resolver::internal
