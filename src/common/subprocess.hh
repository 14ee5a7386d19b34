// Spawning a child process the same way everywhere (script checks, retry_join's exec:): in a
// process group of its own (a timeout kills it with everything it started), stdin from
// /dev/null, no signal blocked and every signal disposition at its default, whatever the
// daemon set (it ignores SIGPIPE), and its output read through a pipe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/fd.hh"
#include "common/result.hh"

namespace muster {

enum class ChildStderr {
    to_output,  // stderr joins stdout in `output` (a check's output is both, as in Consul)
    inherit,    // stderr stays the daemon's (its log)
};

struct Subprocess {
    pid_t pid = -1;  // also the process group's ID
    Fd output;       // read end of the child's stdout; EOF once the child (and its group) closed it
};

// Spawns argv (argv[0] looked up in PATH). Errors: "cannot run "argv0": REASON".
Result<Subprocess> spawn_subprocess(const std::vector<std::string>& argv, ChildStderr stderr_to);

}  // namespace muster
