// `muster agent` and `muster validate`: the flags the option table declares, parsed with
// getopt_long_only (so Consul's single-dash `-server -bootstrap-expect=3` work as well as
// `--server`), become overrides of a config::LoadRequest.
#include "app/agent_command.hh"

#include <getopt.h>
#include <sys/stat.h>

#include <cstdio>

#include "app/agent.hh"
#include "config/options.hh"

namespace muster::app {
namespace {

// Flags that are not configuration keys.
enum : int { opt_dev = 1, opt_config_file, opt_config_dir, opt_help, opt_table_base = 100 };

// The argument name shown in the synopsis for a kind of value.
const char* metavar(config::Kind kind) {
    switch (kind) {
        case config::Kind::port:
            return "P";
        case config::Kind::uint:
            return "N";
        case config::Kind::address_list:
        case config::Kind::join_list:
            return "ADDR";
        case config::Kind::recursor_list:
            return "URI";
        case config::Kind::enumeration:
            return "L";
        case config::Kind::name:
            return "D";
        case config::Kind::string:
            return "S";
        default:
            return "VALUE";
    }
}

bool is_list(config::Kind kind) {
    return kind == config::Kind::join_list || kind == config::Kind::recursor_list;
}

// (flag, option) for every flag of the table, in table order.
std::vector<std::pair<std::string_view, const config::OptionDef*>> table_flags() {
    std::vector<std::pair<std::string_view, const config::OptionDef*>> out;
    for (const auto& def : config::option_table())
        for (std::string_view flag : def.flags)
            if (!flag.empty())
                out.emplace_back(flag, &def);
    return out;
}

}  // namespace

Result<AgentCommandLine> parse_agent_args(const std::vector<std::string>& args) {
    const auto flags = table_flags();
    std::vector<std::string> names;  // getopt keeps pointers: own the strings
    names.reserve(flags.size());
    for (const auto& [flag, def] : flags)
        names.emplace_back(flag);
    std::vector<option> longopts = {
        {"dev", no_argument, nullptr, opt_dev},
        {"config-file", required_argument, nullptr, opt_config_file},
        {"config-dir", required_argument, nullptr, opt_config_dir},
        {"help", no_argument, nullptr, opt_help},
    };
    for (size_t i = 0; i < flags.size(); ++i) {
        // A boolean flag alone is true; `-server=false` as in Go's flag package.
        bool boolean = flags[i].second->kind == config::Kind::boolean;
        longopts.push_back({names[i].c_str(), boolean ? optional_argument : required_argument,
                            nullptr, opt_table_base + static_cast<int>(i)});
    }
    longopts.push_back({nullptr, 0, nullptr, 0});

    std::vector<std::string> storage(args);
    std::vector<char*> argv;
    for (auto& a : storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const int argc = static_cast<int>(storage.size());

    AgentCommandLine out;
    optind = 0;  // 0: getopt starts over (GNU), also after an earlier parse
    opterr = 0;
    int c;
    while ((c = getopt_long_only(argc, argv.data(), "", longopts.data(), nullptr)) != -1) {
        switch (c) {
            case opt_dev:
                out.request.dev = true;
                break;
            case opt_config_file:
                out.request.files.emplace_back(optarg);
                break;
            case opt_config_dir:
                out.request.dirs.emplace_back(optarg);
                break;
            case opt_help:
                out.help = true;
                break;
            case '?': {
                // getopt_long sets optopt to a known option's value when its argument is missing
                std::string bad = optind > 0 && optind <= argc ? storage[optind - 1] : "";
                return make_error(optopt != 0 ? "option \"" + bad + "\" needs a value"
                                              : "unknown option \"" + bad + "\"");
            }
            default: {
                const auto* def = flags[static_cast<size_t>(c - opt_table_base)].second;
                out.request.overrides.emplace_back(std::string(def->key),
                                                   optarg != nullptr ? optarg : "true");
            }
        }
    }
    if (optind < argc)
        return make_error("unexpected argument \"" + storage[optind] + "\"");
    return out;
}

std::string agent_synopsis() {
    // Wrapped under "usage: muster agent " like the rest of the usage text.
    const std::string indent(20, ' ');
    std::string out = "[--dev] [--config-file F]... [--config-dir D]...";
    size_t line_start = 0;
    for (const auto& [flag, def] : table_flags()) {
        std::string item = "[--" + std::string(flag);
        if (def->kind != config::Kind::boolean)
            item += std::string(" ") + metavar(def->kind);
        item += is_list(def->kind) ? "]..." : "]";
        if (out.size() - line_start + 1 + item.size() > 80) {
            out += "\n" + indent;
            line_start = out.size();
        } else {
            out += ' ';
        }
        out += item;
    }
    return out;
}

int agent_command(int argc, char** argv) {
    auto line = parse_agent_args(std::vector<std::string>(argv, argv + argc));
    if (!line) {
        std::fprintf(stderr, "muster agent: %s\nusage: muster agent %s\n",
                     line.error().message.c_str(), agent_synopsis().c_str());
        return 2;
    }
    if (line->help) {
        std::printf("usage: muster agent %s\n", agent_synopsis().c_str());
        return 0;
    }
    return run_agent(line->request);
}

int validate_command(int argc, char** argv) {
    if (argc < 2) {
        std::fputs("muster validate: give at least one config file or directory\n", stderr);
        return 2;
    }
    config::LoadRequest req;
    for (int i = 1; i < argc; ++i) {
        struct stat st {};
        if (::stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            req.dirs.emplace_back(argv[i]);
        else
            req.files.emplace_back(argv[i]);
    }
    auto settings = config::load(req);
    if (!settings) {
        std::fprintf(stderr, "%s\n", settings.error().message.c_str());
        return 2;
    }
    for (const auto& w : settings->warnings)
        std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::puts("configuration valid");
    return 0;
}

}  // namespace muster::app
