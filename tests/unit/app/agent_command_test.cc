// Tests for src/app/agent_command.cc: the agent's flags, generated from the option table.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/agent_command.hh"
#include "config/options.hh"

using namespace muster;
using namespace muster::app;

namespace {

using Overrides = std::vector<std::pair<std::string, std::string>>;

Result<AgentCommandLine> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "agent");
    return parse_agent_args(args);
}

std::string read_source(const std::string& relative) {
    const char* root = std::getenv("MUSTER_SOURCE_ROOT");
    BOOST_REQUIRE_MESSAGE(root != nullptr, "MUSTER_SOURCE_ROOT is not set (meson test sets it)");
    std::ifstream in(std::string(root) + "/" + relative);
    BOOST_REQUIRE_MESSAGE(in.good(), "cannot read " + relative);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "--dns-port" as roff writes it: "\-\-dns\-port".
std::string roff_flag(std::string_view flag) {
    std::string out = "\\-\\-";
    for (char c : flag)
        out += c == '-' ? std::string("\\-") : std::string(1, c);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(agent_command)

BOOST_AUTO_TEST_CASE(every_table_flag_sets_its_key) {
    size_t flags = 0;
    for (const auto& def : config::option_table()) {
        for (std::string_view flag : def.flags) {
            if (flag.empty())
                continue;
            ++flags;
            BOOST_TEST_CONTEXT(flag) {
                bool boolean = def.kind == config::Kind::boolean;
                std::vector<std::string> args = {"--" + std::string(flag)};
                if (!boolean)
                    args.push_back("v1");
                auto r = parse(args);
                BOOST_REQUIRE(r.ok());
                Overrides want = {{std::string(def.key), boolean ? "true" : "v1"}};
                BOOST_TEST((r->request.overrides == want));
            }
        }
    }
    BOOST_TEST(flags >= 17u);
}

BOOST_AUTO_TEST_CASE(flags_keep_their_order_and_repeated_list_flags_append) {
    auto r = parse({"--join", "10.0.0.1", "--retry-join=10.0.0.2", "--server", "--node", "n1",
                    "--recursor", "tls://1.1.1.1#one", "--recursor", "9.9.9.9"});
    BOOST_REQUIRE(r.ok());
    Overrides want = {
        {"retry_join", "10.0.0.1"}, {"retry_join", "10.0.0.2"},         {"server", "true"},
        {"node_name", "n1"},        {"recursors", "tls://1.1.1.1#one"}, {"recursors", "9.9.9.9"}};
    BOOST_TEST((r->request.overrides == want));
}

BOOST_AUTO_TEST_CASE(dev_config_files_and_dirs_are_not_overrides) {
    auto r =
        parse({"--dev", "--config-file", "a.json", "--config-dir", "d", "--config-file", "b.json"});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->request.dev);
    BOOST_TEST((r->request.files == std::vector<std::string>{"a.json", "b.json"}));
    BOOST_TEST((r->request.dirs == std::vector<std::string>{"d"}));
    BOOST_TEST(r->request.overrides.empty());
    BOOST_TEST(!r->help);
    BOOST_TEST(parse({"--help"})->help);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_errors_that_name_them) {
    auto unknown = parse({"--node", "a", "--no-such-flag"});
    BOOST_REQUIRE(!unknown.ok());
    BOOST_TEST(unknown.error().message == "unknown option \"--no-such-flag\"");
    auto missing = parse({"--dns-port"});
    BOOST_REQUIRE(!missing.ok());
    BOOST_TEST(missing.error().message == "option \"--dns-port\" needs a value");
    auto stray = parse({"--dev", "extra"});
    BOOST_REQUIRE(!stray.ok());
    BOOST_TEST(stray.error().message == "unexpected argument \"extra\"");
    auto single = parse({"-bogus"});
    BOOST_REQUIRE(!single.ok());
    BOOST_TEST(single.error().message == "unknown option \"-bogus\"");
}

BOOST_AUTO_TEST_CASE(consul_single_dash_flags_work_as_the_long_ones) {
    // A line from a script written for `consul agent`.
    auto r = parse({"-server", "-bootstrap-expect=3", "-data-dir=/var/lib/x", "-bind", "10.0.0.5",
                    "-config-dir", "/etc/consul.d", "-retry-join", "10.0.0.6", "-pid-file",
                    "/run/x.pid", "-dev"});
    BOOST_REQUIRE(r.ok());
    Overrides want = {{"server", "true"},         {"bootstrap_expect", "3"},
                      {"data_dir", "/var/lib/x"}, {"bind_addr", "10.0.0.5"},
                      {"retry_join", "10.0.0.6"}, {"pid_file", "/run/x.pid"}};
    BOOST_TEST((r->request.overrides == want));
    BOOST_TEST((r->request.dirs == std::vector<std::string>{"/etc/consul.d"}));
    BOOST_TEST(r->request.dev);
}

BOOST_AUTO_TEST_CASE(a_boolean_flag_takes_an_optional_value_as_in_go) {
    auto r = parse({"--server=false", "-bootstrap=true"});
    BOOST_REQUIRE(r.ok());
    Overrides want = {{"server", "false"}, {"bootstrap", "true"}};
    BOOST_TEST((r->request.overrides == want));
}

BOOST_AUTO_TEST_CASE(parsing_twice_starts_over) {
    BOOST_TEST(!parse({"--bogus"}).ok());
    auto r = parse({"--node", "x"});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->request.overrides.size() == 1u);
}

BOOST_AUTO_TEST_CASE(synopsis_and_man_page_list_every_flag) {
    const std::string man = read_source("man/muster.8");
    const std::string synopsis = agent_synopsis();
    for (const auto& def : config::option_table()) {
        for (std::string_view flag : def.flags) {
            if (flag.empty())
                continue;
            BOOST_TEST_CONTEXT(flag) {
                BOOST_TEST(synopsis.find("[--" + std::string(flag)) != std::string::npos);
                BOOST_TEST(man.find(roff_flag(flag)) != std::string::npos,
                           "man/muster.8 lacks " + roff_flag(flag));
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
