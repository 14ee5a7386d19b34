// PidFile: write through a temporary file and rename(2); remove only our own ID.
#include "app/pid_file.hh"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/atomic_file.hh"

namespace muster::app {
namespace {

std::string own_pid_text() {
    return std::to_string(::getpid()) + "\n";
}

}  // namespace

Result<PidFile> PidFile::write(const std::string& path) {
    if (path.empty())
        return PidFile();
    if (auto r = write_atomically(path, own_pid_text(), 0644); !r)
        return make_error("pid_file: cannot write " + r.error().message);
    return PidFile(path);
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
