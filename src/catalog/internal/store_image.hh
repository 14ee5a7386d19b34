// The catalog image (a Raft snapshot): a compacted copy of the store's LMDB file
// (mdb_env_copyfd2, MDB_CP_COMPACT) behind a small header. Taking one costs a walk of the
// B-trees page by page (about 13 times faster than reading every entry), which matters because
// libraft takes snapshots on its own loop. Restoring opens the image as a second, read-only
// environment and copies its entries into the live store.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "catalog/internal/store_db.hh"
#include "common/lmdb.hh"
#include "common/result.hh"

namespace muster::catalog::internal {

// Layout, every integer little-endian:
//   magic "MUSTRIMG" (8) | u32 format version (1) | u64 applied Raft index | u64 catalog index |
//   u64 LMDB file size | u64 checksum of the LMDB file (image_checksum) | the LMDB file
// and nothing after it. The header's indexes are those the file's meta database holds.
//
// LMDB trusts its file: a damaged one can crash the reader. So nothing opens the file before the
// checksum matched, which guards against damage on disk or in transit. A peer that sends a
// forged image with a matching checksum is as trusted as one sending forged log entries: the
// Raft transport is not authenticated before TLS comes to it.
inline constexpr std::array<uint8_t, 8> image_magic = {'M', 'U', 'S', 'T', 'R', 'I', 'M', 'G'};
inline constexpr uint32_t image_version = 1;
inline constexpr std::size_t image_header_size = 8 + 4 + 8 + 8 + 8 + 8;

struct ImageHeader {
    uint64_t raft_index = 0;
    uint64_t index = 0;
    uint64_t file_size = 0;
    uint64_t checksum = 0;
};

// A 64-bit checksum (four interleaved multiply-rotate lanes: over 10 GB/s on data in cache; for
// catching damage, not forgery), fed in pieces of any size.
class ImageChecksum {
  public:
    void update(std::span<const uint8_t> bytes);
    uint64_t finish() const;

    static constexpr uint64_t prime1 = 0x9e3779b185ebca87ULL;
    static constexpr uint64_t prime2 = 0xc2b2ae3d27d4eb4fULL;
    static constexpr uint64_t prime3 = 0x165667b19e3779f9ULL;

  private:
    void block(const uint8_t* p);
    std::array<uint64_t, 4> lane_ = {prime1 + prime2, prime2, 0, 0 - prime1};
    std::array<uint8_t, 32> pending_{};
    std::size_t pending_size_ = 0;
    uint64_t total_ = 0;
};

// The checksum of the bytes in one piece.
uint64_t image_checksum(std::span<const uint8_t> bytes);

// The header's bytes (magic and version included).
std::array<uint8_t, image_header_size> encode_image_header(const ImageHeader& header);

// The header alone: magic, version, and that the file size is what follows it. The checksum
// is checked by open_image.
Result<ImageHeader> parse_image_header(std::span<const uint8_t> bytes);

// A written image: its header, and its LMDB file in an anonymous memory file mapped read-only.
// Both stay valid as long as the object lives.
class ImageFile {
  public:
    ~ImageFile();
    ImageFile(const ImageFile&) = delete;
    ImageFile& operator=(const ImageFile&) = delete;
    std::span<const uint8_t> header() const { return header_; }
    std::span<const uint8_t> file() const { return {map_, size_}; }

  private:
    friend Result<std::shared_ptr<const ImageFile>> write_image(const lmdb::Env& env,
                                                                uint64_t raft_index);
    ImageFile() = default;
    std::array<uint8_t, image_header_size> header_{};
    int fd_ = -1;
    const uint8_t* map_ = nullptr;
    std::size_t size_ = 0;
};

// Copies `env`'s newest committed state into an image, without the copy ever passing through
// fresh user memory: LMDB writes it into the memory file, the checksum reads it back through
// one small reused buffer, and the result is a mapping of that file. Checks that the copy's
// meta database says `raft_index` (the caller's applied Raft index: nothing else may write
// meanwhile).
Result<std::shared_ptr<const ImageFile>> write_image(const lmdb::Env& env, uint64_t raft_index);

// An image opened for reading: its LMDB file in an anonymous memory file, a read-only
// environment over it, and one read transaction.
class OpenImage {
  public:
    ~OpenImage();
    OpenImage(const OpenImage&) = delete;
    OpenImage& operator=(const OpenImage&) = delete;

    const ImageHeader& header() const { return header_; }
    const lmdb::Txn& txn() const { return *txn_; }
    const Dbs& dbs() const { return dbs_; }

  private:
    friend Result<std::unique_ptr<OpenImage>> open_image(std::span<const uint8_t> bytes);
    OpenImage() = default;
    int fd_ = -1;
    ImageHeader header_;
    std::shared_ptr<lmdb::Env> env_;
    std::optional<lmdb::Txn> txn_;
    Dbs dbs_;
};

// Checks the header and checksum, then opens the file and checks that its meta database agrees
// with the header. Errors say what is wrong.
Result<std::unique_ptr<OpenImage>> open_image(std::span<const uint8_t> bytes);

}  // namespace muster::catalog::internal
