// Snapshot files: framing and checksum around a catalog image.
#include "catalog/snapshot_file.hh"

#include <algorithm>

#include "catalog/internal/store_image.hh"
#include "catalog/store.hh"
#include "common/sha256.hh"

namespace muster::catalog {
namespace {

void put_le(std::vector<uint8_t>& out, uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i)
        out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// Reads little-endian integers and byte runs off the front; false once the input ran out.
class Cursor {
  public:
    explicit Cursor(std::span<const uint8_t> bytes) : rest_(bytes) {}
    bool take(std::size_t bytes, uint64_t& out) {
        if (rest_.size() < bytes)
            return false;
        out = 0;
        for (std::size_t i = 0; i < bytes; ++i)
            out |= uint64_t{rest_[i]} << (8 * i);
        rest_ = rest_.subspan(bytes);
        return true;
    }
    bool take(uint64_t size, std::span<const uint8_t>& out) {
        if (rest_.size() < size)
            return false;
        out = rest_.first(size);
        rest_ = rest_.subspan(size);
        return true;
    }
    std::size_t remaining() const { return rest_.size(); }

  private:
    std::span<const uint8_t> rest_;
};

Error truncated(std::string_view what) {
    return make_error("truncated snapshot: the file ends inside its " + std::string(what));
}

}  // namespace

std::vector<uint8_t> encode_snapshot_file(const SnapshotFileInfo& info,
                                          std::span<const uint8_t> image) {
    const std::size_t dc_size = std::min<std::size_t>(info.datacenter.size(), 0xffff);
    std::vector<uint8_t> out(snapshot_file_magic.begin(), snapshot_file_magic.end());
    out.reserve(64 + dc_size + image.size());
    put_le(out, snapshot_file_version, 2);
    put_le(out, info.raft_index, 8);
    put_le(out, info.index, 8);
    put_le(out, dc_size, 2);
    out.insert(out.end(), info.datacenter.begin(), info.datacenter.begin() + dc_size);
    put_le(out, image.size(), 8);
    out.insert(out.end(), image.begin(), image.end());
    const std::span<const uint8_t> covered(out);
    const auto digest = sha256(std::span(&covered, 1));
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
}

Result<SnapshotFile> decode_snapshot_file(std::span<const uint8_t> bytes) {
    if (bytes.size() < snapshot_file_magic.size() ||
        !std::equal(snapshot_file_magic.begin(), snapshot_file_magic.end(), bytes.begin()))
        return make_error("not a muster snapshot (the file does not start with MUSTERSNAP)");
    Cursor in(bytes.subspan(snapshot_file_magic.size()));
    SnapshotFile out;
    uint64_t version = 0;
    if (!in.take(2, version))
        return truncated("header");
    if (version != snapshot_file_version)
        return make_error("unsupported snapshot format version " + std::to_string(version) +
                          " (this muster reads version " + std::to_string(snapshot_file_version) +
                          ")");
    uint64_t dc_size = 0;
    std::span<const uint8_t> dc;
    if (!in.take(8, out.info.raft_index) || !in.take(8, out.info.index) || !in.take(2, dc_size) ||
        !in.take(dc_size, dc))
        return truncated("header");
    out.info.datacenter.assign(dc.begin(), dc.end());
    uint64_t image_size = 0;
    if (!in.take(8, image_size))
        return truncated("header");
    if (!in.take(image_size, out.image))
        return make_error("truncated snapshot: the header announces " + std::to_string(image_size) +
                          " bytes of catalog image, the file holds " +
                          std::to_string(in.remaining()));
    if (in.remaining() < sha256_size)
        return truncated("checksum");
    if (in.remaining() > sha256_size)
        return make_error("damaged snapshot: " + std::to_string(in.remaining() - sha256_size) +
                          " bytes after the checksum");
    const auto covered = bytes.first(bytes.size() - sha256_size);
    const auto digest = sha256(std::span(&covered, 1));
    if (!std::equal(digest.begin(), digest.end(), bytes.end() - sha256_size))
        return make_error("damaged snapshot: the SHA-256 checksum does not match its contents");
    return out;
}

Result<std::vector<uint8_t>> save_snapshot_file(const Store& store, const std::string& datacenter) {
    constexpr int attempts = 5;
    Error last = make_error("no attempt");
    for (int i = 0; i < attempts; ++i) {
        auto image = store.image();
        if (!image.ok()) {
            last = image.error();
            continue;
        }
        auto header = internal::parse_image_header(*image);
        if (!header.ok())
            return header.error();
        return encode_snapshot_file(
            {.raft_index = header->raft_index, .index = header->index, .datacenter = datacenter},
            *image);
    }
    return make_error("cannot take a snapshot of the catalog: " + last.message);
}

Result<RestoreFromFile> read_snapshot_file(std::span<const uint8_t> bytes) {
    auto file = decode_snapshot_file(bytes);
    if (!file.ok())
        return file.error();
    auto contents = Store::image_contents(file->image);
    if (!contents.ok())
        return make_error("damaged snapshot: its catalog image: " + contents.error().message);
    contents->datacenter = file->info.datacenter;
    return RestoreFromFile{.info = std::move(file->info), .command = std::move(contents).value()};
}

}  // namespace muster::catalog
