// write_atomically: a temporary file, fsync, rename(2).
#include "app/atomic_file.hh"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/fd.hh"

namespace muster::app {

// Written to a temporary file, flushed and renamed, so a crash leaves the old or the new file.
Result<void> write_atomically(const std::string& path, const std::string& text, mode_t mode) {
    const std::string tmp = path + ".tmp";
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
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        return make_error(path + ": " + std::strerror(errno));
    return {};
}

}  // namespace muster::app
