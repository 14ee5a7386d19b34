// Tests for src/checks/ttl_state.cc: the TTL state file and what a restarted check restores.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/test/unit_test.hpp>

#include "checks/internal/ttl_state_codec.hh"
#include "checks/monitor.hh"
#include "support/temp_dir.hh"

using namespace muster;
using namespace muster::checks;
using catalog::Status;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SysTime = std::chrono::system_clock::time_point;

using muster::test::TempDir;

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

SysTime at_ms(int64_t ms) {
    return SysTime(milliseconds(ms));
}

std::map<std::string, TtlState> sample() {
    return {{"web-ttl", {Status::passing, "all good", at_ms(1'700'000'000'123)}},
            {"db-ttl", {Status::warning, "lag \"high\"\n\ttabs", at_ms(1'700'000'005'000)}},
            {"empty", {Status::critical, "", at_ms(0)}}};
}

void check_equal(const std::map<std::string, TtlState>& a,
                 const std::map<std::string, TtlState>& b) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    for (const auto& [id, state] : a) {
        BOOST_TEST_CONTEXT("check " << id) {
            auto it = b.find(id);
            BOOST_TEST_REQUIRE((it != b.end()));
            BOOST_TEST((it->second.status == state.status));
            BOOST_TEST(it->second.output == state.output);
            BOOST_TEST((it->second.expires == state.expires));
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ttl_state_test)

BOOST_AUTO_TEST_CASE(save_then_load_round_trips) {
    TempDir dir;
    TtlStateFile file((dir.path() / "checks" / "state.json").string());  // parent created
    BOOST_TEST_REQUIRE(file.save(sample()).ok());
    check_equal(sample(), file.load());
}

BOOST_AUTO_TEST_CASE(expiry_is_kept_to_the_millisecond) {
    TempDir dir;
    TtlStateFile file((dir.path() / "state.json").string());
    SysTime fine = at_ms(1'700'000'000'123) + std::chrono::microseconds(999);
    BOOST_TEST_REQUIRE(file.save({{"a", {Status::passing, "x", fine}}}).ok());
    BOOST_TEST((file.load().at("a").expires == at_ms(1'700'000'000'123)));
}

BOOST_AUTO_TEST_CASE(missing_file_is_empty) {
    TempDir dir;
    BOOST_TEST(TtlStateFile((dir.path() / "nope.json").string()).load().empty());
}

BOOST_AUTO_TEST_CASE(corrupt_file_is_empty) {
    TempDir dir;
    auto path = dir.path() / "state.json";
    TtlStateFile file(path.string());
    for (std::string text :
         {"", "{", "garbage", "[]", "{\"version\":2,\"checks\":{}}", "{\"checks\":{}}",
          "{\"version\":1}", "{\"version\":1,\"checks\":[]}",
          R"({"version":1,"checks":{"a":{"status":"ok","output":"","expires_ms":1}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":3,"expires_ms":1}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":"","expires_ms":"1"}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":"","expires_ms":-5}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":"","expires_ms":1.5}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":""}}})",
          // past the year 2262, where the system clock's nanoseconds overflow
          R"({"version":1,"checks":{"a":{"status":"passing","output":"",)"
          R"("expires_ms":100000000000000}}})",
          R"({"version":1,"checks":{"a":{"status":"passing","output":"",)"
          R"("expires_ms":18446744073709551615}}})",
          R"({"version":1,"checks":{"good":{"status":"passing","output":"","expires_ms":1},)"
          R"("bad":7}})"}) {
        BOOST_TEST_CONTEXT("file: " << text) {
            write_file(path, text);
            BOOST_TEST(file.load().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(corrupt_file_is_replaced_by_the_next_save) {
    TempDir dir;
    auto path = dir.path() / "state.json";
    write_file(path, "{ not json");
    TtlStateFile file(path.string());
    BOOST_TEST_REQUIRE(file.save(sample()).ok());
    check_equal(sample(), file.load());
}

BOOST_AUTO_TEST_CASE(save_replaces_the_file_atomically) {
    TempDir dir;
    auto path = dir.path() / "state.json";
    TtlStateFile file(path.string());
    BOOST_TEST_REQUIRE(file.save(sample()).ok());
    struct stat before {};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &before) == 0);
    std::map<std::string, TtlState> next{{"only", {Status::critical, "down", at_ms(42)}}};
    BOOST_TEST_REQUIRE(file.save(next).ok());
    struct stat after {};
    BOOST_TEST_REQUIRE(::stat(path.c_str(), &after) == 0);
    // A new inode renamed over the old one, not the old file rewritten in place; no temporary
    // file left behind.
    BOOST_TEST(before.st_ino != after.st_ino);
    check_equal(next, file.load());
    int files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path()))
        ++files;
    BOOST_TEST(files == 1);
}

BOOST_AUTO_TEST_CASE(a_failed_save_keeps_the_old_file) {
    TempDir dir;
    auto path = dir.path() / "state.json";
    TtlStateFile file(path.string());
    BOOST_TEST_REQUIRE(file.save(sample()).ok());
    std::string old = read_file(path);
    // The temporary file's name is taken by a directory: the write fails before the rename.
    std::filesystem::create_directory(path.string() + ".tmp");
    auto r = file.save({});
    BOOST_TEST(!r.ok());
    BOOST_TEST(read_file(path) == old);
}

BOOST_AUTO_TEST_CASE(empty_map_saves_and_loads_empty) {
    TempDir dir;
    TtlStateFile file((dir.path() / "state.json").string());
    BOOST_TEST_REQUIRE(file.save({}).ok());
    BOOST_TEST(file.load().empty());
}

BOOST_AUTO_TEST_CASE(invalid_utf8_output_is_saved_with_replacements) {
    TempDir dir;
    TtlStateFile file((dir.path() / "state.json").string());
    BOOST_TEST_REQUIRE(
        file.save({{"a", {Status::warning, std::string("ok\xff\xfe end"), at_ms(5)}}}).ok());
    auto loaded = file.load();
    BOOST_TEST_REQUIRE(loaded.size() == 1u);
    BOOST_TEST(loaded.at("a").output.starts_with("ok"));
    BOOST_TEST(loaded.at("a").output.ends_with(" end"));
}

BOOST_AUTO_TEST_CASE(decode_names_what_is_wrong) {
    auto r = internal::decode_ttl_state(
        R"({"version":1,"checks":{"web":{"status":"up","output":"","expires_ms":1}}})");
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message == "checks.web: status: expected passing, warning or critical");
}

BOOST_AUTO_TEST_CASE(restored_status_of_an_unexpired_state_is_the_saved_one) {
    auto saved = sample();
    auto r = restored_ttl_status(saved, "web-ttl", at_ms(1'700'000'000'000));
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST((r->first == Status::passing));
    BOOST_TEST(r->second == "all good");
}

BOOST_AUTO_TEST_CASE(restored_status_of_an_expired_state_is_critical) {
    auto saved = sample();
    for (SysTime now : {at_ms(1'700'000'000'123), at_ms(1'800'000'000'000)}) {
        auto r = restored_ttl_status(saved, "web-ttl", now);
        BOOST_TEST_REQUIRE(r.has_value());
        BOOST_TEST((r->first == Status::critical));
        BOOST_TEST(r->second == "TTL expired (while the agent was stopped)");
    }
}

BOOST_AUTO_TEST_CASE(restored_status_of_an_unsaved_check_is_nothing) {
    auto saved = sample();
    BOOST_TEST(!restored_ttl_status(saved, "other", at_ms(0)).has_value());
    BOOST_TEST(!restored_ttl_status({}, "web-ttl", at_ms(0)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
