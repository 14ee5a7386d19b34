// The file of `muster snapshot save` (GET /v1/snapshot): a catalog image (a Raft snapshot, see
// internal/store_image.hh) with a header saying what it is and a SHA-256 over everything, so a
// foreign, truncated or damaged file is refused before anything reads its image.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "catalog/command.hh"
#include "common/result.hh"

namespace muster::catalog {

// Layout, every integer little-endian:
//   magic "MUSTERSNAP" (10) | u16 format version (1) | u64 applied Raft index |
//   u64 catalog index | u16 datacenter length | datacenter | u64 image length | image |
//   SHA-256 of everything before it (32)
// and nothing after it.
inline constexpr std::array<uint8_t, 10> snapshot_file_magic = {'M', 'U', 'S', 'T', 'E',
                                                                'R', 'S', 'N', 'A', 'P'};
inline constexpr uint16_t snapshot_file_version = 1;

struct SnapshotFileInfo {
    uint64_t raft_index = 0;  // the applied Raft index the image was taken at (0: no Raft)
    uint64_t index = 0;       // the catalog index the image was taken at
    std::string datacenter;   // of the agent that saved it (at most 65535 bytes)
};

std::vector<uint8_t> encode_snapshot_file(const SnapshotFileInfo& info,
                                          std::span<const uint8_t> image);

struct SnapshotFile {
    SnapshotFileInfo info;
    std::span<const uint8_t> image;  // inside the decoded bytes
};

// Checks magic, version, lengths and the checksum; the Error says which failed ("not a muster
// snapshot", "unsupported … version", "truncated", "damaged"). The image itself is checked by
// Store::image_contents.
Result<SnapshotFile> decode_snapshot_file(std::span<const uint8_t> bytes);

class Store;

// The store's newest state as a snapshot file (GET /v1/snapshot). Under Raft the image must be
// at the applied index; a Raft apply that lands while it is copied spoils the copy, so it is
// taken again (a few times, then the Error).
Result<std::vector<uint8_t>> save_snapshot_file(const Store& store, const std::string& datacenter);

// A snapshot file checked in full (framing, checksum, the image's own checksum, every entry)
// and turned into the command that restores it. Nothing is touched.
struct RestoreFromFile {
    SnapshotFileInfo info;
    Restore command;
};
Result<RestoreFromFile> read_snapshot_file(std::span<const uint8_t> bytes);

}  // namespace muster::catalog
