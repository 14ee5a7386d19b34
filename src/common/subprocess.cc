// spawn_subprocess: posix_spawnp with the file and signal actions every child of muster gets.
// posix_spawn (a vfork-like clone in glibc) is safe in a multi-threaded process: nothing runs
// in the child between fork and exec but these actions.
#include "common/subprocess.hh"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace muster {
namespace {

class SpawnSetup {
  public:
    SpawnSetup(int write_fd, ChildStderr stderr_to) {
        posix_spawn_file_actions_init(&actions_);
        posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions_, write_fd, STDOUT_FILENO);
        if (stderr_to == ChildStderr::to_output)
            posix_spawn_file_actions_adddup2(&actions_, write_fd, STDERR_FILENO);
        posix_spawnattr_init(&attr_);
        posix_spawnattr_setflags(
            &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawnattr_setpgroup(&attr_, 0);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr_, &none);
        sigset_t all;
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        posix_spawnattr_setsigdefault(&attr_, &all);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions_);
        posix_spawnattr_destroy(&attr_);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

    const posix_spawn_file_actions_t* actions() const { return &actions_; }
    const posix_spawnattr_t* attr() const { return &attr_; }

  private:
    posix_spawn_file_actions_t actions_;
    posix_spawnattr_t attr_;
};

}  // namespace

Result<Subprocess> spawn_subprocess(const std::vector<std::string>& args, ChildStderr stderr_to) {
    if (args.empty() || args[0].empty())
        return make_error("cannot run a command without args");
    const std::string what = "cannot run \"" + args[0] + "\": ";
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return make_error(what + "pipe: " + std::strerror(errno));
    Fd read_end(fds[0]);
    Fd write_end(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    SpawnSetup setup(write_end.get(), stderr_to);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], setup.actions(), setup.attr(), argv.data(), environ);
    if (rc != 0)
        return make_error(what + std::strerror(rc));
    // The child holds the only write end now, so EOF means it is done.
    return Subprocess{.pid = pid, .output = std::move(read_end)};
}

}  // namespace muster
