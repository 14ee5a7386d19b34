// DirLock: flock on dir/LOCK.
#include "common/dir_lock.hh"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace muster {

Result<DirLock> DirLock::acquire(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
        return make_error("data_dir " + dir + ": " + ec.message());
    std::string path = (std::filesystem::path(dir) / "LOCK").string();
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd.valid())
        return make_error("data_dir " + dir + ": cannot open " + path + ": " +
                          std::strerror(errno));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        char buf[32] = "";
        ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
        fd.reset();
        std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        if (err == EWOULDBLOCK)
            return make_error("data_dir " + dir + " is in use by another muster" +
                              (holder.empty() ? "" : " (pid " + holder + ")") +
                              "; each agent needs a data_dir of its own");
        return make_error("data_dir " + dir + ": cannot lock " + path + ": " + std::strerror(err));
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        return make_error("data_dir " + dir + ": cannot write " + path + ": " +
                          std::strerror(errno));
    }
    return DirLock(std::move(fd));
}

}  // namespace muster
