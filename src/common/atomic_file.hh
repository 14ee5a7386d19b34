// Files rewritten whole: a reader or a crash sees the old or the new one, never half.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.hh"

namespace muster {

// Writes `text` to PATH.tmp with `mode`, flushes it to disk, renames it over `path` and flushes
// the directory, so the rename survives a crash too. On an error the temporary file is
// removed; errors name the file and the reason.
Result<void> write_atomically(const std::string& path, const std::string& text, mode_t mode);

}  // namespace muster
