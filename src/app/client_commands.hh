// The client commands of `muster`: each makes one request to the local agent's HTTP API at
// $MUSTER_HTTP_ADDR (default http://127.0.0.1:8500) and prints the answer. argv[0] is the
// command's own name ("services", "catalog", ...). They return the exit status: 0, 1 when the
// agent failed or could not be reached, 2 for a usage error.
#pragma once

namespace muster::app {

int services_command(int argc, char** argv);  // register FILE | deregister ID
int check_command(int argc, char** argv);     // pass|warn|fail CHECK_ID [--note TEXT]
int catalog_command(int argc, char** argv);   // nodes | services | service NAME
int members_command(int argc);
int leave_command(int argc);
int reload_command(int argc);
// muster join ADDR...: the local agent joins the cluster through these servers.
int join_command(int argc, char** argv);
int operator_command(int argc, char** argv);  // raft list-peers
int cache_command(int argc, char** argv);     // flush [--zone] [NAME] | stats [-format=json]
int snapshot_command(int argc, char** argv);  // save FILE | restore FILE | inspect FILE
int info_command(int argc);                   // /v1/agent/self's Stats, as `consul info`
// muster monitor [--log-level L] [--log-json]: the agent's log until SIGINT/SIGTERM (0) or until
// the agent goes away (1).
int monitor_command(int argc, char** argv);

}  // namespace muster::app
