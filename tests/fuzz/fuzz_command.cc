// libFuzzer target: catalog command batch decoding (the bytes Raft replicates).
#include <cstddef>
#include <cstdint>
#include <span>

#include "catalog/command.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto decoded = muster::catalog::decode(std::span<const uint8_t>(data, size));
    if (!decoded.ok()) {
        if (decoded.error().message.empty())
            __builtin_trap();  // every error says what was wrong
        return 0;
    }
    // What decodes must re-encode and decode to the same commands (same bytes once more).
    auto bytes = muster::catalog::encode(*decoded);
    auto again = muster::catalog::decode(bytes);
    if (!again.ok() || again->size() != decoded->size() || muster::catalog::encode(*again) != bytes)
        __builtin_trap();
    return 0;
}
