// `muster agent` and `muster validate`: command line → config::LoadRequest. The agent's flags
// come from the option table (OptionDef::flags), so a new option needs no code here.
#pragma once

#include <string>
#include <vector>

#include "common/result.hh"
#include "config/config.hh"

namespace muster::app {

// What the agent's command line asks for.
struct AgentCommandLine {
    config::LoadRequest request;
    bool help = false;
};

// Parses the arguments after "agent" (args[0] is "agent"). Flags are GNU long options:
// --dev, --config-file F, --config-dir D, --help, and every flag of the option table.
// The error says which argument was wrong.
Result<AgentCommandLine> parse_agent_args(const std::vector<std::string>& args);

// The synopsis of `muster agent`, generated from the same table: "[--node NAME] ...".
std::string agent_synopsis();

// `muster agent ...`: runs the agent until it is stopped; returns the exit status.
int agent_command(int argc, char** argv);
// `muster validate PATH...`: loads every PATH as the agent would, without starting.
int validate_command(int argc, char** argv);

}  // namespace muster::app
