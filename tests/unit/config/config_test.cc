// Tests for src/config/config.cc: reading --config-file and --config-dir sources.
#include <boost/test/unit_test.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hh"
#include "support/temp_dir.hh"

using namespace muster::config;
namespace fs = std::filesystem;

using muster::test::TempDir;

namespace {}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(files_then_dirs_in_lexical_order_later_wins) {
    TempDir t;
    std::string f = t.write("main.json", R"({"datacenter": "file", "node_name": "n1",
                                             "recursors": ["10.0.0.1"]})");
    t.write("d/20-b.json", R"({"datacenter": "b", "recursors": ["10.0.0.3"]})");
    t.write("d/10-a.json", R"({"datacenter": "a", "recursors": ["10.0.0.2"]})");
    t.write("d/30-skip.txt", R"({"datacenter": "ignored"})");
    t.write("d/99-dir.json/inner.json", R"({"datacenter": "ignored"})");
    t.write("e/00.json", R"({"node_name": "n2"})");
    auto r =
        load({.files = {f}, .dirs = {t.file("d"), t.file("e")}, .overrides = {}, .dev = false});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_TEST(r->datacenter == "b");
    BOOST_TEST(r->node_name == "n2");
    BOOST_REQUIRE(r->recursors.size() == 3u);
    BOOST_TEST(r->recursors[0].text == "10.0.0.1");
    BOOST_TEST(r->recursors[1].text == "10.0.0.2");
    BOOST_TEST(r->recursors[2].text == "10.0.0.3");
    std::vector<std::string> want = {f, t.file("d/10-a.json"), t.file("d/20-b.json"),
                                     t.file("e/00.json")};
    BOOST_TEST(r->sources == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(missing_file_and_dir_say_cannot_read) {
    TempDir t;
    auto r = load(
        {.files = {t.file("nope.json")}, .dirs = {t.file("nodir")}, .overrides = {}, .dev = false});
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message ==
               t.file("nope.json") + ": cannot read: No such file or directory\n" +
                   t.file("nodir") + ": cannot read: No such file or directory");
}

BOOST_AUTO_TEST_CASE(errors_name_the_file_they_come_from) {
    TempDir t;
    t.write("d/a.json", R"({"dns_config": {"cache": {"size": "big"}}})");
    t.write("d/b.json", R"({"dns_config": {"cahce": {}}})");
    auto r = load({.files = {}, .dirs = {t.file("d")}, .overrides = {}, .dev = false});
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message ==
               t.file("d/a.json") +
                   R"(: dns_config.cache.size: expected a positive integer (got "big"))" + "\n" +
                   t.file("d/b.json") +
                   R"(: dns_config.cahce: unknown key (did you mean "cache"?))");
}

BOOST_AUTO_TEST_CASE(hosts_file_and_ca_file_must_exist_at_load) {
    TempDir t;
    std::string hosts = t.write("hosts", "127.0.0.1 localhost\n");
    std::string ok = t.write("ok.json", R"({"hosts_file": ")" + hosts + R"("})");
    auto r = load({.files = {ok}, .dirs = {}, .overrides = {}, .dev = false});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->hosts_file == hosts);
    std::string bad =
        t.write("bad.json", R"({"hosts_file": ")" + t.file("gone") + R"(", "tls": {"ca_file": ")" +
                                t.file("ca.pem") + R"("}})");
    r = load({.files = {bad}, .dirs = {}, .overrides = {}, .dev = false});
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find(bad + ": hosts_file: expected a readable file (got \"" +
                                      t.file("gone") + "\": No such file or directory)") !=
               std::string::npos);
    BOOST_TEST(r.error().message.find(bad + ": tls.ca_file: expected a readable file") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(overrides_follow_every_file) {
    TempDir t;
    std::string f = t.write("a.json", R"({"ports": {"dns": 53}, "log_level": "error"})");
    auto r = load({.files = {f},
                   .dirs = {},
                   .overrides = {{"ports.dns", "5300"}, {"log_level", "trace"}},
                   .dev = false});
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->dns_port == 5300);
    BOOST_TEST((r->log_level == muster::log::Level::trace));
}

BOOST_AUTO_TEST_CASE(a_directory_given_as_file_is_an_error) {
    TempDir t;
    t.write("d/x.json", "{}");
    auto r = load({.files = {t.file("d")}, .dirs = {}, .overrides = {}, .dev = false});
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message == t.file("d") + ": cannot read: Is a directory");
}

BOOST_AUTO_TEST_CASE(dirs_mix_hcl_and_json_in_lexical_order_and_warn_about_other_files) {
    TempDir t;
    t.write("d/10-base.hcl", "datacenter = \"hcl\"\nrecursors = [\"10.0.0.1\"]\n");
    t.write("d/20-over.json", R"({"datacenter": "json", "recursors": ["10.0.0.2"]})");
    t.write("d/30-last.hcl", "node_name = \"n3\" # the last word\n");
    t.write("d/README.txt", "notes");
    t.write("d/.hidden.hcl", "not = read {");
    auto r = load({.files = {}, .dirs = {t.file("d")}, .overrides = {}, .dev = false});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_TEST(r->datacenter == "json");
    BOOST_TEST(r->node_name == "n3");
    BOOST_REQUIRE(r->recursors.size() == 2u);
    BOOST_TEST(r->recursors[0].text == "10.0.0.1");
    std::vector<std::string> want = {t.file("d/10-base.hcl"), t.file("d/20-over.json"),
                                     t.file("d/30-last.hcl")};
    BOOST_TEST(r->sources == want, boost::test_tools::per_element());
    BOOST_REQUIRE(!r->warnings.empty());
    BOOST_TEST(r->warnings[0] == t.file("d/README.txt") + ": skipped: not a .json or .hcl file");
}

BOOST_AUTO_TEST_SUITE_END()
