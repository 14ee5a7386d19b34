// pid_file / -pid-file: the agent's process ID in a file while it runs (Consul's option).
#pragma once

#include <string>

#include "common/result.hh"

namespace muster::app {

class PidFile {
  public:
    // Writes this process's ID and a newline to `path` (through a temporary file and a rename,
    // so a reader never sees half of it). An empty path writes nothing.
    static Result<PidFile> write(const std::string& path);
    PidFile() = default;
    PidFile(PidFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    PidFile& operator=(PidFile&&) = delete;
    PidFile(const PidFile&) = delete;
    PidFile& operator=(const PidFile&) = delete;
    // Removes the file if it still holds this process's ID (another agent may have taken it).
    ~PidFile();

  private:
    explicit PidFile(std::string path) : path_(std::move(path)) {}
    void remove();
    std::string path_;
};

}  // namespace muster::app
