// `muster info`'s text: /v1/agent/self's "Stats" as `consul info` prints it, one section per
// key, so a section the agent adds shows up without a change here.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace muster::app {

// "section:\n\tkey = value\n..." with sections and keys sorted; string values as they are,
// others as JSON; empty or non-object sections left out.
std::string format_info(const nlohmann::json& stats);

}  // namespace muster::app
