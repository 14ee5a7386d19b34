// DirLock: one process per data directory. LMDB and libraft lock nothing themselves, so two
// agents on one data_dir would corrupt each other's state; the second fails with a clear error.
#pragma once

#include <string>

#include "common/fd.hh"
#include "common/result.hh"

namespace muster {

class DirLock {
  public:
    // Takes an exclusive flock on dir/LOCK (created) and writes our pid into it. Fails at once,
    // naming the directory and the pid that holds it, when another process has it.
    static Result<DirLock> acquire(const std::string& dir);
    DirLock(DirLock&&) noexcept = default;
    DirLock& operator=(DirLock&&) = delete;
    DirLock(const DirLock&) = delete;
    ~DirLock() = default;  // closing the descriptor releases the lock (the file stays)

  private:
    explicit DirLock(Fd fd) : fd_(std::move(fd)) {}
    Fd fd_;
};

}  // namespace muster
