// Tests for src/checks/probe_script.cc: real processes, exit codes, output, timeouts and the
// process group.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "checks/probe.hh"
#include "probe_support.hh"

using namespace std::chrono_literals;
using muster::EventLoop;
using muster::Timer;
using muster::catalog::Status;
using namespace muster::checks;
using muster::checks::test::run_for;
using muster::checks::test::run_probe;
using muster::checks::test::status_of;

namespace {

std::unique_ptr<Probe> sh(EventLoop& loop, const std::string& script,
                          std::chrono::milliseconds timeout = 5s) {
    return make_script_probe(loop, {.args = {"/bin/sh", "-c", script}, .timeout = timeout});
}

// Orphans of a killed script are re-parented to the nearest subreaper; making this process one
// lets the tests reap them, so "gone" means gone even where init does not reap (some
// containers). Only processes of `pgid` are waited for.
void become_subreaper() {
    BOOST_REQUIRE_EQUAL(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

// Whether every process of the group is gone within `limit` (SIGKILL is delivered
// asynchronously; reaping our re-parented ones as they die).
bool group_gone(pid_t pgid, std::chrono::milliseconds limit = 2s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
        }
        if (::kill(-pgid, 0) != 0 && errno == ESRCH)
            return true;
        ::usleep(10000);
    }
    return false;
}

std::string temp_path(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            (name + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
        .string();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(probe_script)

BOOST_AUTO_TEST_CASE(exit_zero_is_passing_with_stdout_and_stderr) {
    EventLoop loop;
    auto probe = sh(loop, "echo hello; echo oops >&2; exit 0");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output == "hello\noops\n");
}

BOOST_AUTO_TEST_CASE(exit_one_is_warning) {
    EventLoop loop;
    auto probe = sh(loop, "echo 'WARNING - load 5'; exit 1");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "warning");
    BOOST_TEST(out->output == "WARNING - load 5\n");
}

BOOST_AUTO_TEST_CASE(exit_two_is_critical) {
    EventLoop loop;
    auto probe = sh(loop, "echo down; exit 2");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output == "down\n");
}

BOOST_AUTO_TEST_CASE(other_exit_codes_are_critical) {
    EventLoop loop;
    auto probe = sh(loop, "exit 3");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
}

BOOST_AUTO_TEST_CASE(death_by_signal_is_critical_and_says_so) {
    EventLoop loop;
    auto probe = sh(loop, "echo before; kill -TERM $$");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.starts_with("before\nkilled by signal 15"), out->output);
}

BOOST_AUTO_TEST_CASE(argv_is_passed_without_a_shell) {
    EventLoop loop;
    auto probe = make_script_probe(loop, {.args = {"printf", "%s|", "a b", "$HOME", "*"}});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "passing");
    BOOST_TEST(out->output == "a b|$HOME|*|");
}

BOOST_AUTO_TEST_CASE(stdin_is_dev_null_and_the_script_leads_its_own_group) {
    EventLoop loop;
    auto probe = sh(loop, "readlink /proc/$$/fd/0; cut -d' ' -f5 /proc/$$/stat; echo $$");
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    std::istringstream lines(out->output);
    std::string stdin_target, pgid, pid;
    std::getline(lines, stdin_target);
    std::getline(lines, pgid);
    std::getline(lines, pid);
    BOOST_TEST(stdin_target == "/dev/null");
    BOOST_TEST(!pid.empty());
    BOOST_TEST(pgid == pid);
    BOOST_TEST(std::stoi(pgid) != ::getpgrp());
}

BOOST_AUTO_TEST_CASE(a_missing_command_is_critical_with_the_error) {
    EventLoop loop;
    auto probe = make_script_probe(loop, {.args = {"/nonexistent/muster-check"}});
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.find("/nonexistent/muster-check") != std::string::npos, out->output);
    BOOST_TEST(out->output.find("No such file or directory") != std::string::npos, out->output);
}

BOOST_AUTO_TEST_CASE(output_keeps_the_last_4_kib_of_a_megabyte) {
    EventLoop loop;
    auto probe = sh(loop, "head -c 1048576 /dev/zero | tr '\\0' x; echo; echo END; exit 1");
    auto start = std::chrono::steady_clock::now();
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 4s));
    BOOST_TEST(status_of(*out) == "warning");
    const std::string note = "Captured 4096 of 1048581 bytes\n...\n";
    BOOST_TEST(out->output.starts_with(note), out->output.substr(0, 80));
    BOOST_TEST(out->output.size() == note.size() + max_output_bytes);
    BOOST_TEST(out->output.ends_with("xxx\nEND\n"));
}

BOOST_AUTO_TEST_CASE(a_background_child_holding_the_pipe_does_not_delay_the_result) {
    become_subreaper();
    EventLoop loop;
    auto probe = sh(loop, "echo $$; sleep 5 & echo ok");
    auto start = std::chrono::steady_clock::now();
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
    BOOST_TEST(status_of(*out) == "passing");
    pid_t pgid = std::stoi(out->output);
    BOOST_TEST(out->output.ends_with("ok\n"));
    ::kill(-pgid, SIGKILL);  // clean up the background sleep
    BOOST_TEST(group_gone(pgid));
}

BOOST_AUTO_TEST_CASE(timeout_kills_the_whole_process_group) {
    become_subreaper();
    EventLoop loop;
    auto probe = sh(loop, "echo $$; sleep 30 & echo $!; sleep 30", 300ms);
    auto start = std::chrono::steady_clock::now();
    auto out = run_probe(loop, *probe);
    BOOST_REQUIRE(out);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
    BOOST_TEST(status_of(*out) == "critical");
    BOOST_TEST(out->output.starts_with("timed out after 300ms"), out->output);

    std::istringstream lines(out->output);
    std::string note, leader, background;
    std::getline(lines, note);
    std::getline(lines, leader);
    std::getline(lines, background);
    BOOST_REQUIRE(!leader.empty() && !background.empty());
    pid_t pgid = std::stoi(leader);
    // The leader was reaped by the probe itself.
    BOOST_TEST(::waitpid(pgid, nullptr, WNOHANG) == -1);
    BOOST_TEST(group_gone(pgid));
    BOOST_TEST((::kill(std::stoi(background), 0) != 0 && errno == ESRCH));
}

BOOST_AUTO_TEST_CASE(destroying_the_probe_mid_run_kills_the_group_and_skips_done) {
    become_subreaper();
    EventLoop loop;
    std::string pid_file = temp_path("muster-probe-pid");
    auto probe = sh(loop, "echo $$ > " + pid_file + "; sleep 30 & sleep 30", 10s);
    bool called = false;
    probe->run([&](Outcome) { called = true; });

    // Wait (on the loop) until the script has written its pid.
    auto deadline = std::chrono::steady_clock::now() + 3s;
    std::string pid_text;
    while (pid_text.find('\n') == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        run_for(loop, 10ms);
        pid_text = read_file(pid_file);
    }
    BOOST_REQUIRE(pid_text.find('\n') != std::string::npos);
    pid_t pgid = std::stoi(pid_text);
    BOOST_TEST(::kill(-pgid, 0) == 0);

    probe.reset();
    run_for(loop, 50ms);
    BOOST_TEST(!called);
    BOOST_TEST((::waitpid(pgid, nullptr, WNOHANG) == -1 && errno == ECHILD));  // reaped
    BOOST_TEST(group_gone(pgid));
    std::filesystem::remove(pid_file);
}

BOOST_AUTO_TEST_CASE(a_probe_runs_again_from_inside_done) {
    EventLoop loop;
    auto probe = sh(loop, "echo run");
    int runs = 0;
    std::function<void(Outcome)> again = [&](Outcome o) {
        BOOST_TEST(status_of(o) == "passing");
        BOOST_TEST(o.output == "run\n");
        if (++runs < 3)
            probe->run(again);
        else
            loop.stop();
    };
    Timer guard(loop, [&loop] { loop.stop(); });
    guard.arm(5s);
    probe->run(again);
    loop.run();
    BOOST_TEST(runs == 3);
}

BOOST_AUTO_TEST_CASE(done_is_never_called_inside_run) {
    EventLoop loop;
    auto probe = make_script_probe(loop, {.args = {"/nonexistent/muster-check"}});
    bool inside = true;
    bool called_inside = false;
    std::optional<Outcome> got;
    probe->run([&](Outcome o) {
        called_inside = inside;
        got = std::move(o);
        loop.stop();
    });
    inside = false;
    Timer guard(loop, [&loop] { loop.stop(); });
    guard.arm(2s);
    loop.run();
    BOOST_TEST(!called_inside);
    BOOST_TEST(got.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
