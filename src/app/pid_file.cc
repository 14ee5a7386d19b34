// PidFile: write through a temporary file and rename(2); remove only our own ID.
#include "app/pid_file.hh"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace muster::app {
namespace {

std::string own_pid_text() {
    return std::to_string(::getpid()) + "\n";
}

}  // namespace

Result<PidFile> PidFile::write(const std::string& path) {
    if (path.empty())
        return PidFile();
    const std::string temporary = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << own_pid_text();
        out.close();
        if (!out) {
            const int err = errno;
            ::unlink(temporary.c_str());
            return make_error("pid_file: cannot write " + path + ": " + std::strerror(err));
        }
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(temporary.c_str());
        return make_error("pid_file: cannot write " + path + ": " + std::strerror(err));
    }
    return PidFile(path);
}

PidFile& PidFile::operator=(PidFile&& other) noexcept {
    if (this != &other) {
        remove();
        path_ = std::move(other.path_);
        other.path_.clear();
    }
    return *this;
}

PidFile::~PidFile() {
    remove();
}

void PidFile::remove() {
    if (path_.empty())
        return;
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    if (in && text.str() == own_pid_text())
        ::unlink(path_.c_str());
    path_.clear();
}

}  // namespace muster::app
