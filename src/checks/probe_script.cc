// Script probes: the argv is spawned with posix_spawnp in a process group of its own; its output
// comes through a pipe and its exit through a pidfd, both watched on the loop, so nothing blocks
// and no SIGCHLD handler is needed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "checks/probe.hh"
#include "common/duration.hh"
#include "common/log.hh"
#include "common/subprocess.hh"

extern char** environ;

namespace muster::checks {
namespace {

constexpr log::Logger logger("checks");

constexpr size_t read_chunk_bytes = 65536;
constexpr int reads_per_wakeup = 4;   // then other events get their turn
constexpr int reads_after_exit = 16;  // what the script left in the pipe; bounded because a
                                      // background process may go on writing
constexpr int reap_wait_ms = 1000;    // in the destructor, for a SIGKILLed script to die

// The last max_output_bytes of the output, as Consul's circular buffer keeps them, and how
// much there was in all.
class OutputTail {
  public:
    void append(std::string_view data) {
        total_ += data.size();
        buf_.append(data);
        if (buf_.size() > 2 * max_output_bytes)
            buf_.erase(0, buf_.size() - max_output_bytes);
    }
    std::string text() const {
        if (total_ <= max_output_bytes)
            return buf_;
        // Consul's note for a truncated output (agent/checks/check.go, CheckMonitor).
        return "Captured " + std::to_string(max_output_bytes) + " of " + std::to_string(total_) +
               " bytes\n...\n" + buf_.substr(buf_.size() - max_output_bytes);
    }

  private:
    std::string buf_;
    uint64_t total_ = 0;
};

struct Spawned {
    pid_t pid = -1;
    Fd pidfd;
    Fd output;  // read end, non-blocking
};

// glibc 2.36's <sys/pidfd.h> lacks extern "C" (fixed in 2.37), so call the kernel directly.
int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

Result<Spawned> spawn(const std::vector<std::string>& args) {
    if (args.empty() || args[0].empty())
        return make_error("cannot run a script without args");
    auto child = spawn_subprocess(args, ChildStderr::to_output);
    if (!child)
        return child.error();
    const pid_t pid = child->pid;
    Fd read_end = std::move(child->output);
    // Only our end is non-blocking; the script's writes block on a full pipe as usual.
    if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
        int err = errno;
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return make_error(std::string("cannot run the script: fcntl: ") + std::strerror(err));
    }
    Spawned out{.pid = pid, .pidfd = Fd(pidfd_open(pid)), .output = std::move(read_end)};
    if (out.pidfd.get() < 0) {
        int err = errno;
        // Unwatchable: end it now. It has only just started, so it dies at once.
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return make_error(std::string("cannot watch the script: pidfd_open: ") +
                          std::strerror(err));
    }
    return out;
}

std::string with_output(std::string note, const std::string& output) {
    return output.empty() ? note : note + "\n" + output;
}

class ScriptProbe final : public Probe {
  public:
    ScriptProbe(EventLoop& loop, ScriptOptions options)
        : loop_(loop),
          options_(std::move(options)),
          timeout_timer_(loop, [this] { on_timeout(); }),
          finish_timer_(loop, [this] { deliver(); }) {}

    ~ScriptProbe() override {
        release_watchers();
        if (pid_ > 0)
            kill_and_reap_now();
    }

    void run(std::function<void(Outcome)> done) override {
        if (done_)
            MUSTER_PANIC("script probe: run() while a run is in flight");
        done_ = std::move(done);
        output_ = OutputTail();
        timed_out_ = false;
        auto spawned = spawn(options_.args);
        if (!spawned) {
            finish({.status = catalog::Status::critical, .output = spawned.error().message});
            return;
        }
        pid_ = spawned->pid;
        pidfd_ = std::move(spawned->pidfd);
        out_ = std::move(spawned->output);
        out_watch_ = std::make_unique<IoWatcher>(loop_, out_.get(), IoWhat::read,
                                                 [this](IoWhat) { read_output(reads_per_wakeup); });
        exit_watch_ = std::make_unique<IoWatcher>(loop_, pidfd_.get(), IoWhat::read,
                                                  [this](IoWhat) { on_exit(); });
        out_watch_->enable();
        exit_watch_->enable();
        timeout_timer_.arm(options_.timeout);
    }

  private:
    // Reads what the pipe holds, up to `reads` chunks; beyond the kept tail it is discarded, so
    // the script never blocks on a full pipe.
    void read_output(int reads) {
        static thread_local std::array<char, read_chunk_bytes> buf;
        for (int i = 0; i < reads && out_.get() >= 0; ++i) {
            ssize_t n = ::read(out_.get(), buf.data(), buf.size());
            if (n > 0) {
                output_.append({buf.data(), static_cast<size_t>(n)});
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                return;
            } else {
                close_output();  // EOF: every writer is gone (or the pipe broke)
            }
        }
    }

    void close_output() {
        if (out_watch_)
            out_watch_->disable();
        out_.reset();
    }

    // The pidfd is readable: the script has exited (its children may live on).
    void on_exit() {
        int status = 0;
        pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
        if (reaped == 0)
            return;
        int wait_errno = errno;
        pid_ = -1;
        exit_watch_->disable();
        timeout_timer_.cancel();
        read_output(reads_after_exit);
        close_output();

        std::string output = output_.text();
        if (timed_out_) {
            finish({.status = catalog::Status::critical,
                    .output = with_output("timed out after " + go_duration_text(options_.timeout) +
                                              " (process group killed)",
                                          output),
                    .timed_out = true});
        } else if (reaped < 0) {
            finish({.status = catalog::Status::critical,
                    .output = with_output(
                        std::string("exit status unknown: waitpid: ") + std::strerror(wait_errno),
                        output)});
        } else if (WIFEXITED(status)) {
            // Nagios plugin exit codes, as Consul reads them.
            int code = WEXITSTATUS(status);
            finish({.status = code == 0   ? catalog::Status::passing
                              : code == 1 ? catalog::Status::warning
                                          : catalog::Status::critical,
                    .output = output});
        } else {
            int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            std::string note =
                "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")";
            finish({.status = catalog::Status::critical,
                    .output = output.empty() || output.ends_with('\n') ? output + note
                                                                       : output + "\n" + note});
        }
    }

    void on_timeout() {
        // The leader is not reaped yet (at most a zombie), so its pid is still our group's id.
        timed_out_ = true;
        ::kill(-pid_, SIGKILL);
        // on_exit follows once the leader is dead.
    }

    void finish(Outcome outcome) {
        timeout_timer_.cancel();
        result_ = std::move(outcome);
        finish_timer_.arm(Duration::zero());
    }

    void deliver() {
        release_watchers();
        pidfd_.reset();
        auto done = std::move(done_);
        done_ = nullptr;
        done(std::move(result_));  // last: the owner may destroy or re-run the probe in here
    }

    void release_watchers() {
        out_watch_.reset();
        exit_watch_.reset();
        out_.reset();
    }

    // The destructor's path: the script is still running. SIGKILL cannot be caught, so the
    // leader dies at once unless stuck in the kernel; wait for that a bounded time only.
    void kill_and_reap_now() {
        ::kill(-pid_, SIGKILL);
        pollfd p{.fd = pidfd_.get(), .events = POLLIN, .revents = 0};
        int ready = ::poll(&p, 1, reap_wait_ms);
        if (ready <= 0 || ::waitpid(pid_, nullptr, WNOHANG) != pid_)
            logger.warn("script did not die after SIGKILL; left unreaped",
                        {{"pid", std::to_string(pid_)}});
        pid_ = -1;
    }

    EventLoop& loop_;
    ScriptOptions options_;
    std::function<void(Outcome)> done_;
    Timer timeout_timer_;
    Timer finish_timer_;
    pid_t pid_ = -1;  // spawned and not reaped yet
    Fd pidfd_;
    Fd out_;
    std::unique_ptr<IoWatcher> out_watch_;
    std::unique_ptr<IoWatcher> exit_watch_;
    OutputTail output_;
    bool timed_out_ = false;
    Outcome result_;
};

}  // namespace

std::unique_ptr<Probe> make_script_probe(EventLoop& loop, ScriptOptions options) {
    return std::make_unique<ScriptProbe>(loop, std::move(options));
}

}  // namespace muster::checks
