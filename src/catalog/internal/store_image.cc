// The catalog image: a compacted LMDB copy in an anonymous memory file, framed and checksummed.
#include "catalog/internal/store_image.hh"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace muster::catalog::internal {

namespace {

Error image_error(const std::string& what) {
    return make_error("catalog image: " + what);
}

Error errno_error(const std::string& what) {
    return image_error(what + ": " + std::generic_category().message(errno));
}

uint64_t load_le(const uint8_t* p, std::size_t size) {
    uint64_t v = 0;
    for (std::size_t i = size; i > 0; --i)
        v = (v << 8) | p[i - 1];
    return v;
}

void store_le(uint8_t* p, uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i, value >>= 8)
        p[i] = static_cast<uint8_t>(value & 0xff);
}

uint64_t load64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big)
        v = __builtin_bswap64(v);
    return v;
}

// An anonymous memory file (memfd), closed with its owner.
class MemFile {
  public:
    MemFile() : fd_(memfd_create("muster-catalog-image", MFD_CLOEXEC)) {}
    ~MemFile() {
        if (fd_ >= 0)
            close(fd_);
    }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;
    int fd() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

// An LMDB file in `fd`, opened read-only, with the catalog's databases and indexes.
struct OpenedFile {
    std::shared_ptr<lmdb::Env> env;
    std::optional<lmdb::Txn> txn;
    Dbs dbs;
    uint64_t raft_index = 0;
    uint64_t index = 0;
};

Result<OpenedFile> open_file(int fd) {
    OpenedFile out;
    auto env = lmdb::Env::open({.path = "/proc/self/fd/" + std::to_string(fd),
                                .map_size = 0,
                                .max_dbs = db_count + 1,
                                .max_readers = 1,
                                .sync = lmdb::Sync::no_sync,
                                .write_map = false,
                                .read_only = true});
    if (!env.ok())
        return image_error("not an LMDB file: " + env.error().message);
    out.env = std::move(env).value();
    auto txn = lmdb::Txn::begin_read(out.env);
    if (!txn.ok())
        return image_error(txn.error().message);
    out.txn.emplace(std::move(txn).value());
    auto dbs = open_dbs(*out.txn, lmdb::DbCreate::no);
    if (!dbs.ok())
        return image_error("not a catalog: " + dbs.error().message);
    out.dbs = *dbs;
    out.raft_index = read_raft_index(*out.txn, out.dbs);
    out.index = read_index(*out.txn, out.dbs);
    return out;
}

}  // namespace

void ImageChecksum::block(const uint8_t* p) {
    for (std::size_t i = 0; i < 4; ++i)
        lane_[i] = std::rotl(lane_[i] + load64(p + 8 * i) * prime2, 31) * prime1;
}

void ImageChecksum::update(std::span<const uint8_t> bytes) {
    total_ += bytes.size();
    const uint8_t* p = bytes.data();
    std::size_t n = bytes.size();
    if (pending_size_ > 0) {
        std::size_t take = std::min(n, pending_.size() - pending_size_);
        if (take > 0)  // never memcpy from the null data() of an empty span
            std::memcpy(pending_.data() + pending_size_, p, take);
        pending_size_ += take;
        p += take;
        n -= take;
        if (pending_size_ < pending_.size())
            return;
        block(pending_.data());
        pending_size_ = 0;
    }
    for (; n >= 32; p += 32, n -= 32)
        block(p);
    if (n > 0)
        std::memcpy(pending_.data(), p, n);
    pending_size_ = n;
}

uint64_t ImageChecksum::finish() const {
    uint64_t h = std::rotl(lane_[0], 1) + std::rotl(lane_[1], 7) + std::rotl(lane_[2], 12) +
                 std::rotl(lane_[3], 18) + total_;
    for (std::size_t i = 0; i < pending_size_; ++i)
        h = std::rotl(h ^ (pending_[i] * prime3), 11) * prime1;
    h ^= h >> 33;
    h *= prime2;
    h ^= h >> 29;
    h *= prime3;
    h ^= h >> 32;
    return h;
}

uint64_t image_checksum(std::span<const uint8_t> bytes) {
    ImageChecksum sum;
    sum.update(bytes);
    return sum.finish();
}

std::array<uint8_t, image_header_size> encode_image_header(const ImageHeader& header) {
    std::array<uint8_t, image_header_size> out{};
    std::copy(image_magic.begin(), image_magic.end(), out.begin());
    store_le(out.data() + 8, image_version, 4);
    store_le(out.data() + 12, header.raft_index, 8);
    store_le(out.data() + 20, header.index, 8);
    store_le(out.data() + 28, header.file_size, 8);
    store_le(out.data() + 36, header.checksum, 8);
    return out;
}

Result<ImageHeader> parse_image_header(std::span<const uint8_t> bytes) {
    if (bytes.size() < image_header_size)
        return image_error("truncated header (" + std::to_string(bytes.size()) + " of " +
                           std::to_string(image_header_size) + " bytes)");
    const uint8_t* p = bytes.data();
    if (!std::equal(image_magic.begin(), image_magic.end(), p))
        return image_error("not a catalog image (bad magic)");
    auto version = load_le(p + 8, 4);
    if (version != image_version)
        return image_error("format version " + std::to_string(version) + ", this build reads " +
                           std::to_string(image_version));
    ImageHeader header;
    header.raft_index = load_le(p + 12, 8);
    header.index = load_le(p + 20, 8);
    header.file_size = load_le(p + 28, 8);
    header.checksum = load_le(p + 36, 8);
    if (header.file_size != bytes.size() - image_header_size)
        return image_error("the header says " + std::to_string(header.file_size) +
                           " bytes of LMDB file, " +
                           std::to_string(bytes.size() - image_header_size) + " follow");
    return header;
}

ImageFile::~ImageFile() {
    if (map_ != nullptr)
        munmap(const_cast<uint8_t*>(map_), size_);
    if (fd_ >= 0)
        close(fd_);
}

Result<std::shared_ptr<const ImageFile>> write_image(const lmdb::Env& env, uint64_t raft_index) {
    MemFile file;
    if (file.fd() < 0)
        return errno_error("memfd_create");
    if (auto r = env.copy_compact(file.fd()); !r)
        return r.error();
    struct stat st {};
    if (fstat(file.fd(), &st) != 0)
        return errno_error("fstat");
    auto size = static_cast<std::size_t>(st.st_size);
    ImageHeader header{.raft_index = 0, .index = 0, .file_size = size, .checksum = 0};
    {
        auto opened = open_file(file.fd());
        if (!opened.ok())
            return opened.error();
        if (opened->raft_index != raft_index)
            return image_error("the copy is at Raft index " + std::to_string(opened->raft_index) +
                               ", expected " + std::to_string(raft_index) +
                               " (written meanwhile?)");
        header.raft_index = opened->raft_index;
        header.index = opened->index;
    }
    // Read back through a small buffer that stays in cache: on this class of machine the first
    // touch of fresh pages through a user mapping costs several times the read itself.
    ImageChecksum sum;
    std::vector<uint8_t> chunk(std::size_t{1} << 20);
    for (std::size_t done = 0; done < size;) {
        ssize_t n = pread(file.fd(), chunk.data(), std::min(chunk.size(), size - done),
                          static_cast<off_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno_error("read") : image_error("the copy shrank while read");
        sum.update({chunk.data(), static_cast<std::size_t>(n)});
        done += static_cast<std::size_t>(n);
    }
    header.checksum = sum.finish();
    void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, file.fd(), 0);
    if (map == MAP_FAILED)
        return errno_error("mmap");
    std::shared_ptr<ImageFile> image(new ImageFile());
    image->header_ = encode_image_header(header);
    image->map_ = static_cast<const uint8_t*>(map);
    image->size_ = size;
    image->fd_ = file.release();
    return std::shared_ptr<const ImageFile>(std::move(image));
}

OpenImage::~OpenImage() {
    txn_.reset();
    env_.reset();
    if (fd_ >= 0)
        close(fd_);
}

Result<std::unique_ptr<OpenImage>> open_image(std::span<const uint8_t> bytes) {
    auto header = parse_image_header(bytes);
    if (!header.ok())
        return header.error();
    auto file_bytes = bytes.subspan(image_header_size);
    if (image_checksum(file_bytes) != header->checksum)
        return image_error("checksum mismatch: the image is damaged");
    MemFile file;
    if (file.fd() < 0)
        return errno_error("memfd_create");
    for (std::size_t done = 0; done < file_bytes.size();) {
        ssize_t n = ::write(file.fd(), file_bytes.data() + done, file_bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errno_error("write");
        done += static_cast<std::size_t>(n);
    }
    auto opened = open_file(file.fd());
    if (!opened.ok())
        return opened.error();
    if (opened->raft_index != header->raft_index || opened->index != header->index)
        return image_error("the header says Raft index " + std::to_string(header->raft_index) +
                           " and catalog index " + std::to_string(header->index) +
                           ", the file holds " + std::to_string(opened->raft_index) + " and " +
                           std::to_string(opened->index));
    std::unique_ptr<OpenImage> image(new OpenImage());
    image->header_ = *header;
    image->env_ = std::move(opened->env);
    image->txn_ = std::move(opened->txn);
    image->dbs_ = opened->dbs;
    image->fd_ = file.release();
    return image;
}

}  // namespace muster::catalog::internal
