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
    // What decodes must re-encode and decode to the same number of commands.
    auto again = muster::catalog::decode(muster::catalog::encode(*decoded));
    if (!again.ok() || again->size() != decoded->size())
        __builtin_trap();
    return 0;
}
