// HCL, the subset Consul configuration files use, read into the same tree a JSON file gives.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hh"

namespace muster::config::internal {

// Key path -> 1-based line where it was written. Paths name keys as the loader does:
// "ports", "dns_config.udp_answer_limit", "services[1].checks[0].interval".
using HclLines = std::map<std::string, int, std::less<>>;

struct HclDocument {
    nlohmann::json tree;  // always an object
    HclLines lines;
};

// Paths without list indices ("services", "services.checks") where a block given once is a
// one-element list, as in Consul's PatchSliceOfMaps exceptions. Elsewhere a block given once
// is an object and a block repeated is a list of objects.
struct HclShape {
    std::vector<std::string> list_blocks;
};

// Attributes (`a = 1`), blocks (`ports { }`, labelled `service "web" { }`), lists, object
// literals (`{ k = "v" }`, `{ "k": "v" }`), strings with escapes, heredocs (`<<EOF`,
// indented `<<-EOF`), numbers, true/false and `#`, `//`, `/* */` comments. `${` is an error:
// nothing is interpolated. Errors read "LINE: message"; the caller puts the file name first.
Result<HclDocument> parse_hcl(std::string_view text, const HclShape& shape);

// Line of path, or of the nearest enclosing key that has one; 0 when none.
int hcl_line(const HclLines& lines, std::string_view path);

}  // namespace muster::config::internal
