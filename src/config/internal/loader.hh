// Loading from already-read texts: JSON with comments, table walk, overrides, defaults.
#pragma once

#include <string>
#include <vector>

#include "common/result.hh"
#include "config/config.hh"

namespace muster::config::internal {

struct Source {
    std::string name;  // shown in errors: the path, or "command line"
    std::string text;
};

// What load() does once every file is read; errors of reading are passed in so they are
// reported together with the rest.
Result<Settings> load_sources(const std::vector<Source>& sources, const LoadRequest& req,
                              std::vector<std::string> read_errors);

// Edit distance (insert, delete, substitute), for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace muster::config::internal
