// Files the agent rewrites whole: a reader or a crash sees the old or the new one, never half.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.hh"

namespace muster::app {

// Writes `text` to PATH.tmp with `mode`, flushes it to disk and renames it over `path`. Errors
// name the file and the reason.
Result<void> write_atomically(const std::string& path, const std::string& text, mode_t mode);

}  // namespace muster::app
