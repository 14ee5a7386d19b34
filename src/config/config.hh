// Loading configuration: JSON with comments or HCL from files and directories plus command-line
// overrides, driven by the one option table (options.hh).
#pragma once

#include <string>
#include <vector>

#include "common/result.hh"
#include "config/settings.hh"

namespace muster::config {

struct LoadRequest {
    std::vector<std::string> files;  // --config-file, in order
    std::vector<std::string> dirs;   // --config-dir: every *.json and *.hcl inside, lexical order
    // Command-line overrides, applied last, as (key path, value text) pairs, e.g.
    // {"ports.dns", "5353"}, {"recursors", "tls://1.1.1.1#one.one.one.one"} (list keys append
    // in order given), {"client_addr", "127.0.0.1"}, {"data_dir", "/tmp/x"},
    // {"log_level", "debug"}.
    std::vector<std::pair<std::string, std::string>> overrides;
    bool dev = false;  // --dev: defaults for a single-node development agent
};

// Loads and validates; files ending in .hcl are read as HCL, others as JSON. On error the message
// has one line per problem, each "FILE: KEY: expected WHAT (got VALUE)" ("FILE:LINE: KEY: ..."
// for HCL); overrides use "command line" as FILE. Files of a directory that are neither .json
// nor .hcl are skipped with a warning.
Result<Settings> load(const LoadRequest& req);

}  // namespace muster::config
