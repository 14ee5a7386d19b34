// muster: command-line entry point (agent, validate, version).
#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/daemon.hh"
#include "config/config.hh"

namespace {

constexpr const char* usage_text =
    "usage: muster agent [--dev] [--config-file F]... [--config-dir D]... [--dns-port P]\n"
    "                    [--client ADDR] [--recursor URI]... [--data-dir D] [--log-level L]\n"
    "       muster validate PATH...\n"
    "       muster version\n";

// Commands of the design that later versions bring; say so rather than pretend.
constexpr const char* planned_commands[] = {"members",  "join",  "leave",   "keygen",
                                            "services", "check", "catalog", "operator"};

int usage(FILE* out, int status) {
    std::fputs(usage_text, out);
    return status;
}

int agent(int argc, char** argv) {
    enum {
        opt_dev = 1,
        opt_config_file,
        opt_config_dir,
        opt_dns_port,
        opt_client,
        opt_recursor,
        opt_data_dir,
        opt_log_level,
        opt_help
    };
    static const option longopts[] = {
        {"dev", no_argument, nullptr, opt_dev},
        {"config-file", required_argument, nullptr, opt_config_file},
        {"config-dir", required_argument, nullptr, opt_config_dir},
        {"dns-port", required_argument, nullptr, opt_dns_port},
        {"client", required_argument, nullptr, opt_client},
        {"recursor", required_argument, nullptr, opt_recursor},
        {"data-dir", required_argument, nullptr, opt_data_dir},
        {"log-level", required_argument, nullptr, opt_log_level},
        {"help", no_argument, nullptr, opt_help},
        {nullptr, 0, nullptr, 0},
    };
    muster::config::LoadRequest req;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
        switch (c) {
            case opt_dev:
                req.dev = true;
                break;
            case opt_config_file:
                req.files.emplace_back(optarg);
                break;
            case opt_config_dir:
                req.dirs.emplace_back(optarg);
                break;
            case opt_dns_port:
                req.overrides.emplace_back("ports.dns", optarg);
                break;
            case opt_client:
                req.overrides.emplace_back("client_addr", optarg);
                break;
            case opt_recursor:
                req.overrides.emplace_back("recursors", optarg);
                break;
            case opt_data_dir:
                req.overrides.emplace_back("data_dir", optarg);
                break;
            case opt_log_level:
                req.overrides.emplace_back("log_level", optarg);
                break;
            case opt_help:
                return usage(stdout, 0);
            default:
                return usage(stderr, 2);
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "muster agent: unexpected argument \"%s\"\n", argv[optind]);
        return usage(stderr, 2);
    }
    return muster::app::run_agent(req);
}

int validate(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("muster validate: give at least one config file or directory\n", stderr);
        return usage(stderr, 2);
    }
    muster::config::LoadRequest req;
    for (int i = 1; i < argc; ++i) {
        struct stat st {};
        if (::stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            req.dirs.emplace_back(argv[i]);
        else
            req.files.emplace_back(argv[i]);
    }
    auto settings = muster::config::load(req);
    if (!settings) {
        std::fprintf(stderr, "%s\n", settings.error().message.c_str());
        return 2;
    }
    std::puts("configuration valid");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        return usage(stderr, 2);
    std::string cmd = argv[1];
    try {
        if (cmd == "agent")
            return agent(argc - 1, argv + 1);
        if (cmd == "validate")
            return validate(argc - 1, argv + 1);
        if (cmd == "version" || cmd == "--version") {
            std::printf("muster %s\n", MUSTER_VERSION);
            return 0;
        }
        if (cmd == "help" || cmd == "--help" || cmd == "-h")
            return usage(stdout, 0);
        for (const char* p : planned_commands) {
            if (cmd == p) {
                std::fprintf(stderr,
                             "muster %s: not available in this version yet (the catalog and "
                             "cluster are still to come)\n",
                             p);
                return 1;
            }
        }
    } catch (const std::exception& e) {
        // Exceptions are for start-up only (STYLE.md); anything else is a bug, said plainly.
        std::fprintf(stderr, "muster: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "muster: unknown command \"%s\"\n", cmd.c_str());
    return usage(stderr, 2);
}
