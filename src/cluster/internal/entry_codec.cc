// entry_codec: encodes and checks the group-commit entry format.
#include "cluster/internal/entry_codec.hh"

#include <cstring>
#include <string>

namespace muster::cluster::internal {
namespace {

void put_u32(uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
        v |= static_cast<uint32_t>(p[i]) << (8 * i);
    return v;
}
uint64_t get_u64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= static_cast<uint64_t>(p[i]) << (8 * i);
    return v;
}

}  // namespace

size_t encoded_entry_size(std::span<const std::vector<uint8_t>> commands) {
    size_t n = entry_header_bytes;
    for (const auto& c : commands)
        n += encoded_command_size(c.size());
    return padded_entry_size(n);
}

void encode_entry(EntryTag tag, std::span<const std::vector<uint8_t>> commands,
                  std::span<uint8_t> out) {
    if (out.size() != encoded_entry_size(commands))
        MUSTER_PANIC("encode_entry: output size does not match the commands");
    uint8_t* p = out.data();
    p[0] = entry_format_version;
    put_u64(p + 1, tag.session);
    put_u64(p + 9, tag.seq);
    put_u32(p + 17, static_cast<uint32_t>(commands.size()));
    p += entry_header_bytes;
    for (const auto& c : commands) {
        put_u32(p, static_cast<uint32_t>(c.size()));
        p += command_header_bytes;
        if (!c.empty())
            std::memcpy(p, c.data(), c.size());
        p += c.size();
    }
    std::memset(p, 0, static_cast<size_t>(out.data() + out.size() - p));
}

std::vector<uint8_t> encode_entry(EntryTag tag, std::span<const std::vector<uint8_t>> commands) {
    std::vector<uint8_t> out(encoded_entry_size(commands));
    encode_entry(tag, commands, out);
    return out;
}

Result<DecodedEntry> decode_entry(std::span<const uint8_t> bytes) {
    if (bytes.size() < entry_header_bytes)
        return make_error("entry of " + std::to_string(bytes.size()) + " bytes is too short");
    if (bytes[0] != entry_format_version)
        return make_error("entry format version " + std::to_string(bytes[0]) + " is unknown");
    DecodedEntry e;
    e.tag.session = get_u64(bytes.data() + 1);
    e.tag.seq = get_u64(bytes.data() + 9);
    uint32_t count = get_u32(bytes.data() + 17);
    size_t pos = entry_header_bytes;
    // Every command takes at least its length field: a count beyond that is corrupt.
    if (count > (bytes.size() - pos) / command_header_bytes)
        return make_error("entry claims " + std::to_string(count) + " commands in " +
                          std::to_string(bytes.size()) + " bytes");
    e.commands.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        if (bytes.size() - pos < command_header_bytes)
            return make_error("entry truncated at command " + std::to_string(i));
        size_t len = get_u32(bytes.data() + pos);
        pos += command_header_bytes;
        if (bytes.size() - pos < len)
            return make_error("command " + std::to_string(i) + " of " + std::to_string(len) +
                              " bytes overruns the entry");
        e.commands.push_back(bytes.subspan(pos, len));
        pos += len;
    }
    if (bytes.size() % entry_alignment != 0 || bytes.size() - pos >= entry_alignment)
        return make_error(std::to_string(bytes.size() - pos) +
                          " trailing bytes after the commands");
    for (size_t i = pos; i < bytes.size(); ++i)
        if (bytes[i] != 0)
            return make_error("nonzero padding after the commands");
    return e;
}

}  // namespace muster::cluster::internal
