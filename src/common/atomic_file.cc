// write_atomically: a temporary file, fsync, rename(2), fsync of the directory.
#include "common/atomic_file.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/fd.hh"

namespace muster {
namespace {

Result<void> write_synced(const std::string& tmp, const std::string& text, mode_t mode) {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd.valid())
        return make_error(tmp + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(tmp + ": " + std::strerror(errno));
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || fd.close() != 0)
        return make_error(tmp + ": " + std::strerror(errno));
    return {};
}

}  // namespace

Result<void> write_atomically(const std::string& path, const std::string& text, mode_t mode) {
    const std::string tmp = path + ".tmp";
    if (auto r = write_synced(tmp, text, mode); !r) {
        ::unlink(tmp.c_str());
        return r;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return make_error(path + ": " + std::strerror(err));
    }
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    const Fd dir_fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.valid())
        (void)::fsync(dir_fd.get());
    return {};
}

}  // namespace muster
