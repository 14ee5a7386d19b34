// libFuzzer target: snapshot files (muster snapshot restore, PUT /v1/snapshot): the framing and
// checksum, then the catalog image and its entries. Every refusal says why; what is accepted
// re-frames to the same bytes and its Restore command survives the Raft encoding.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "catalog/command.hh"
#include "catalog/snapshot_file.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    namespace catalog = muster::catalog;
    const std::span<const uint8_t> bytes(data, size);
    auto file = catalog::decode_snapshot_file(bytes);
    auto read = catalog::read_snapshot_file(bytes);
    if (!file.ok()) {
        if (file.error().message.empty() || read.ok())
            __builtin_trap();  // every error says why, and read checks at least the framing
        return 0;
    }
    // One canonical framing: the accepted bytes are exactly what encoding produces.
    if (catalog::encode_snapshot_file(file->info, file->image) !=
        std::vector<uint8_t>(bytes.begin(), bytes.end()))
        __builtin_trap();
    if (!read.ok()) {
        if (read.error().message.empty())
            __builtin_trap();
        return 0;
    }
    std::vector<catalog::Command> batch{read->command};
    auto decoded = catalog::decode(catalog::encode(batch));
    if (!decoded.ok() || decoded->size() != 1 ||
        catalog::encode(*decoded) != catalog::encode(batch))
        __builtin_trap();
    return 0;
}
