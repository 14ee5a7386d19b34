// muster: command-line entry point. Dispatches to the agent command (agent_command.cc), the
// client commands (client_commands.cc) and `muster tls` (tls_command.cc).
#include <cstdio>
#include <exception>
#include <string>

#include "app/agent_command.hh"
#include "app/client_commands.hh"
#include "app/tls_command.hh"
#include "common/tls_link.hh"

namespace {

void print_usage(FILE* out) {
    std::fprintf(out,
                 "usage: muster agent %s\n"
                 "       muster validate PATH...\n"
                 "       muster services register FILE | deregister ID\n"
                 "       muster catalog nodes | services | service NAME\n"
                 "       muster check pass|warn|fail CHECK_ID [--note TEXT]\n"
                 "       muster members\n"
                 "       muster leave\n"
                 "       muster reload\n"
                 "       muster info\n"
                 "       muster monitor [--log-level L] [--log-json]\n"
                 "       muster cache flush [--zone] [NAME] | cache stats [-format=table|json]\n"
                 "       muster operator raft list-peers\n"
                 "       muster snapshot save FILE | restore FILE | inspect FILE\n"
                 "       muster tls ca create [-days N] [-domain D]\n"
                 "       muster tls cert create -server|-client [-dc DC] [-domain D] [-days N]\n"
                 "              [-ca F] [-key F] [-node N] [-additional-dnsname NAME]...\n"
                 "              [-additional-ipaddress IP]...\n"
                 "       muster keygen\n"
                 "       muster version\n"
                 "(client commands reach the agent at $MUSTER_HTTP_ADDR, default "
                 "http://127.0.0.1:8500;\n"
                 " for https:// also $MUSTER_CACERT, $MUSTER_CLIENT_CERT, $MUSTER_CLIENT_KEY)\n",
                 muster::app::agent_synopsis().c_str());
}

int usage(FILE* out, int status) {
    print_usage(out);
    return status;
}

int dispatch(const std::string& cmd, int argc, char** argv) {
    using namespace muster::app;
    if (cmd == "agent")
        return agent_command(argc, argv);
    if (cmd == "validate")
        return validate_command(argc, argv);
    if (cmd == "services")
        return services_command(argc, argv);
    if (cmd == "catalog")
        return catalog_command(argc, argv);
    if (cmd == "members")
        return members_command(argc);
    if (cmd == "check")
        return check_command(argc, argv);
    if (cmd == "leave")
        return leave_command(argc);
    if (cmd == "reload")
        return reload_command(argc);
    if (cmd == "join")
        return join_command(argc, argv);
    if (cmd == "cache")
        return cache_command(argc, argv);
    if (cmd == "operator")
        return operator_command(argc, argv);
    if (cmd == "info")
        return info_command(argc);
    if (cmd == "monitor")
        return monitor_command(argc, argv);
    if (cmd == "snapshot")
        return snapshot_command(argc, argv);
    if (cmd == "tls")
        return tls_command(argc, argv);
    if (cmd == "keygen") {
        if (argc > 2) {
            std::fputs("muster keygen: takes no arguments\n", stderr);
            return 2;
        }
        std::printf("%s\n", muster::make_cluster_key().c_str());
        return 0;
    }
    if (cmd == "version" || cmd == "--version") {
        std::printf("muster %s\n", MUSTER_VERSION);
        return 0;
    }
    if (cmd == "help" || cmd == "--help" || cmd == "-h")
        return usage(stdout, 0);
    std::fprintf(stderr, "muster: unknown command \"%s\"\n", cmd.c_str());
    return usage(stderr, 2);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage(stderr, 2);
    try {
        return dispatch(argv[1], argc - 1, argv + 1);
    } catch (const std::exception& e) {
        // Exceptions are for start-up only (docs/style.md); anything else is a bug, said plainly.
        std::fprintf(stderr, "muster: %s\n", e.what());
        return 1;
    }
}
