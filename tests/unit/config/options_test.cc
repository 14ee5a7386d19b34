// Tests for src/config/options.cc: the option table and what follows from it (examples, the man
// page the build makes from man/muster.json.5.in, the sample configs etc/muster.json and
// etc/muster.hcl).
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hh"
#include "config/internal/loader.hh"
#include "config/options.hh"
#include "support/temp_dir.hh"

using namespace muster::config;
using Json = nlohmann::json;

namespace {

// muster.json(5) as the build made it (man/meson.build).
std::string man_page() {
    const char* path = std::getenv("MUSTER_MAN_PAGE");
    BOOST_REQUIRE_MESSAGE(path != nullptr, "MUSTER_MAN_PAGE is not set (meson test sets it)");
    return path;
}

std::string source_root() {
    const char* root = std::getenv("MUSTER_SOURCE_ROOT");
    BOOST_REQUIRE_MESSAGE(root != nullptr, "MUSTER_SOURCE_ROOT is not set (meson test sets it)");
    return root;
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    BOOST_REQUIRE_MESSAGE(in.good(), "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// {"a": {"b": value}} for key "a.b".
Json nest(std::string_view key, Json value) {
    auto dot = key.find('.');
    if (dot == std::string_view::npos)
        return Json{{std::string(key), std::move(value)}};
    return Json{{std::string(key.substr(0, dot)), nest(key.substr(dot + 1), std::move(value))}};
}

// Every option key path present in a config document.
void collect_keys(const Json& object, const std::string& prefix, std::set<std::string>& out) {
    for (const auto& [k, v] : object.items()) {
        std::string key = prefix.empty() ? k : prefix + "." + k;
        out.insert(key);
        const OptionDef* def = find_option(key);
        if (def != nullptr && def->kind == Kind::object && v.is_object())
            collect_keys(v, key, out);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(options)

// The default a table entry documents is the one Settings starts with: for every entry whose
// default_text begins with a JSON value, a config that sets exactly that value loads to the
// same Settings as an empty config. Defaults described in words are listed here, so a new one
// is a conscious choice.
BOOST_AUTO_TEST_CASE(every_documented_default_is_what_settings_start_with) {
    const std::set<std::string_view> described_in_words = {
        "node_name",             // the host name
        "addresses.dns",         // client_addr
        "addresses.http",        // client_addr
        "addresses.https",       // client_addr
        "service",               // none
        "check",                 // none
        "leave_on_terminate",    // by role
        "primary_datacenter",    // datacenter
        "acl_datacenter",        // datacenter
        "dns_config.listeners",  // addresses.dns at ports.dns
    };
    const auto empty = internal::load_sources({{"a.json", "{}"}}, {}, {});
    BOOST_REQUIRE(empty.ok());
    size_t checked = 0;
    for (const auto& def : option_table()) {
        if (def.kind == Kind::object)
            continue;
        BOOST_TEST_CONTEXT(def.key << " default " << def.default_text) {
            // The leading JSON value: `8600`, `"dc1"`, `false (true with --dev)` -> false.
            std::string text(def.default_text);
            Json value;
            bool parsed = false;
            for (size_t end = text.size(); end > 0 && !parsed; --end) {
                value = Json::parse(text.substr(0, end), nullptr, false);
                parsed = !value.is_discarded();
            }
            if (!parsed || described_in_words.count(def.key)) {
                BOOST_TEST(described_in_words.count(def.key) == 1u,
                           "a default that is no JSON value must be listed above");
                continue;
            }
            if (value == "" && text != R"("")")
                continue;  // `"" (none)`: unset; setting "" is refused where a value is needed
            auto r = internal::load_sources({{"a.json", nest(def.key, value).dump()}}, {}, {});
            BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
            Settings got = *r;
            got.sources = empty->sources;
            BOOST_TEST((got == *empty), "setting the documented default changes Settings");
            ++checked;
        }
    }
    BOOST_TEST(checked > 40u);
}

BOOST_AUTO_TEST_CASE(keys_are_unique_and_parents_come_first) {
    std::set<std::string_view> seen;
    for (const auto& def : option_table()) {
        BOOST_TEST_CONTEXT(def.key) {
            BOOST_TEST(seen.insert(def.key).second);
            std::string_view parent = parent_key(def.key);
            if (!parent.empty()) {
                BOOST_TEST(seen.count(parent) == 1u);
                BOOST_REQUIRE(find_option(parent) != nullptr);
                BOOST_TEST((find_option(parent)->kind == Kind::object));
            }
        }
    }
    BOOST_TEST(seen.size() > 30u);
}

BOOST_AUTO_TEST_CASE(every_option_has_doc_and_example_and_leaves_have_setter_and_default) {
    for (const auto& def : option_table()) {
        BOOST_TEST_CONTEXT(def.key) {
            BOOST_TEST(!def.doc.empty());
            BOOST_TEST(!def.example.empty());
            BOOST_TEST((def.apply == nullptr) == (def.kind == Kind::object));
            if (def.kind != Kind::object) {
                BOOST_TEST(!def.default_text.empty());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(every_example_loads_without_error) {
    for (const auto& def : option_table()) {
        BOOST_TEST_CONTEXT(def.key) {
            Json value = Json::parse(def.example);
            Json doc = nest(def.key, value);
            // Only servers form a cluster: those examples need server: true beside them.
            if (def.key == "bootstrap" || def.key == "bootstrap_expect")
                doc["server"] = true;
            // A key file's example names a file that only exists where it is installed.
            muster::test::TempDir dir;
            if (def.key == "encrypt_file") {
                std::string key_file = (dir.path() / "encrypt.key").string();
                std::ofstream(key_file) << find_option("encrypt")->example.substr(1, 44) << "\n";
                ::chmod(key_file.c_str(), 0600);
                doc["encrypt_file"] = key_file;
            }
            // The agent's TLS files: examples name where they are installed; every TLS key is
            // tried inside a whole TLS configuration (a part alone is refused on purpose).
            static const std::set<std::string_view> tls_aliases = {
                "ca_file",         "cert_file",       "key_file",
                "verify_incoming", "verify_outgoing", "verify_server_hostname"};
            if (def.key.starts_with("tls.defaults") || def.key.starts_with("tls.internal_rpc") ||
                tls_aliases.count(def.key) || def.key == "ports.https") {
                std::string pem = (dir.path() / "file.pem").string();
                std::ofstream(pem) << "PEM\n";
                ::chmod(pem.c_str(), 0600);
                Json example = nest(def.key, value);
                std::string dumped = example.dump();
                for (size_t at; (at = dumped.find("/etc/muster.d/tls/")) != std::string::npos;)
                    dumped.replace(at, dumped.find('"', at) - at, pem);
                doc = Json{{"tls",
                            {{"defaults",
                              {{"ca_file", pem},
                               {"cert_file", pem},
                               {"key_file", pem},
                               {"verify_incoming", true}}}}}};
                doc.merge_patch(Json::parse(dumped));
            }
            std::string text = doc.dump();
            auto r = internal::load_sources({{"example.json", text}}, LoadRequest{}, {});
            BOOST_TEST(r.ok(), (r.ok() ? std::string() : r.error().message));
        }
    }
}

BOOST_AUTO_TEST_CASE(find_option_and_key_helpers) {
    BOOST_REQUIRE(find_option("dns_config.cache.size") != nullptr);
    BOOST_TEST((find_option("dns_config.cache.size")->kind == Kind::uint));
    BOOST_TEST(find_option("dns_config.cache.nope") == nullptr);
    BOOST_TEST(leaf_name("dns_config.cache.size") == "size");
    BOOST_TEST(leaf_name("node_name") == "node_name");
    BOOST_TEST(parent_key("dns_config.cache.size") == "dns_config.cache");
    BOOST_TEST(parent_key("node_name") == "");
}

BOOST_AUTO_TEST_CASE(man_page_documents_every_option_as_in_the_table) {
    std::string man = read_all(man_page());
    for (const auto& def : option_table()) {
        BOOST_TEST_CONTEXT(def.key) {
            BOOST_TEST(man.find(man_entry(def)) != std::string::npos,
                       "missing:\n" + man_entry(def));
        }
    }
}

BOOST_AUTO_TEST_CASE(man_page_documents_every_recognized_consul_key) {
    std::string man = read_all(man_page());
    BOOST_TEST(consul_key_table().size() >= 100u);
    for (const auto& key : consul_key_table()) {
        BOOST_TEST_CONTEXT(key.key) {
            BOOST_TEST(man.find(man_entry(key)) != std::string::npos,
                       "missing:\n" + man_entry(key));
            // An object option may also be one, for the Consul keys nested in it ("acl").
            const OptionDef* def = find_option(key.key);
            BOOST_TEST((def == nullptr || def->kind == Kind::object),
                       "both an option and a Consul key");
        }
    }
}

BOOST_AUTO_TEST_CASE(man_page_documents_no_option_the_table_lacks) {
    std::istringstream man(read_all(man_page()));
    std::string line, previous;
    bool in_options = false;
    size_t entries = 0;
    while (std::getline(man, line)) {
        if (line.starts_with(".SH"))
            in_options = line == ".SH OPTIONS";
        if (in_options && previous == ".TP" && line.starts_with(".B ")) {
            std::string key = line.substr(3);
            BOOST_TEST(find_option(key) != nullptr, "stale man entry: " + key);
            ++entries;
        }
        previous = line;
    }
    BOOST_TEST(entries == option_table().size());
}

BOOST_AUTO_TEST_CASE(sample_config_shows_every_option_and_loads) {
    std::string path = source_root() + "/etc/muster.json";
    Json doc = Json::parse(read_all(path), nullptr, true, true);
    std::set<std::string> present;
    collect_keys(doc, "", present);
    for (const auto& def : option_table()) {
        BOOST_TEST(present.count(std::string(def.key)) == 1u, "sample lacks " << def.key);
    }
    auto r = load({.files = {path}, .dirs = {}, .overrides = {}, .dev = false});
    BOOST_TEST(r.ok(), (r.ok() ? std::string() : r.error().message));
}

BOOST_AUTO_TEST_CASE(hcl_sample_config_loads) {
    std::string path = source_root() + "/etc/muster.hcl";
    auto r = load({.files = {path}, .dirs = {}, .overrides = {}, .dev = false});
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_TEST(r->services.size() == 2u);
    BOOST_TEST(r->checks.size() == 1u);
    BOOST_TEST(r->records.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
