// entry_codec: the bytes of one Raft entry, the commands of a group commit plus the tag its
// proposer matches the applied results by.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hh"

namespace muster::cluster::internal {

// Who proposed an entry: a random number per RaftServer instance and a counter, so a proposer never
// mistakes an entry of an earlier run, or of another leader at the same index, for its own.
struct EntryTag {
    uint64_t session = 0;
    uint64_t seq = 0;
    bool operator==(const EntryTag&) const = default;
};

// Format (little-endian):
//   u8 version (1), u64 session, u64 seq, u32 count,
//   count times: u32 length, then that many bytes of the command,
//   then zero bytes up to a multiple of 8: libraft's libuv log refuses other entry lengths
//   (RAFT_INVALID, after which the next append crashes inside libraft).
inline constexpr uint8_t entry_format_version = 1;
inline constexpr size_t entry_header_bytes = 1 + 8 + 8 + 4;
inline constexpr size_t command_header_bytes = 4;
inline constexpr size_t entry_alignment = 8;

// The bytes a command adds to an entry, before padding.
inline size_t encoded_command_size(size_t command_bytes) {
    return command_header_bytes + command_bytes;
}
// An entry of `unpadded` bytes (header plus commands) as stored.
inline size_t padded_entry_size(size_t unpadded) {
    return (unpadded + entry_alignment - 1) / entry_alignment * entry_alignment;
}
size_t encoded_entry_size(std::span<const std::vector<uint8_t>> commands);

// Encodes into `out`, which has exactly encoded_entry_size(commands) bytes.
void encode_entry(EntryTag tag, std::span<const std::vector<uint8_t>> commands,
                  std::span<uint8_t> out);
std::vector<uint8_t> encode_entry(EntryTag tag, std::span<const std::vector<uint8_t>> commands);

struct DecodedEntry {
    EntryTag tag;
    std::vector<std::span<const uint8_t>> commands;  // views into the decoded bytes
};
Result<DecodedEntry> decode_entry(std::span<const uint8_t> bytes);

}  // namespace muster::cluster::internal
