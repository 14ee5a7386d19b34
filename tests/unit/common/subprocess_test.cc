// Tests for src/common/subprocess.cc: what every child of muster starts with.
#include "common/subprocess.hh"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <string>

using namespace muster;

namespace {

// Everything the child writes, then its exit status.
std::pair<std::string, int> finish(Subprocess& child) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(child.output.get(), buf, sizeof buf)) > 0)
        out.append(buf, static_cast<size_t>(n));
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(subprocess)

BOOST_AUTO_TEST_CASE(a_child_ignores_no_signal_the_daemon_ignores) {
    // The daemon ignores SIGPIPE; a child must not inherit that (a shell pipeline would then
    // run on after its reader quit).
    auto old = ::signal(SIGPIPE, SIG_IGN);
    auto child = spawn_subprocess({"cat", "/proc/self/status"}, ChildStderr::inherit);
    ::signal(SIGPIPE, old);
    BOOST_REQUIRE(child.ok());
    auto [out, status] = finish(*child);
    BOOST_TEST(status == 0);
    BOOST_TEST(out.find("SigBlk:\t0000000000000000") != std::string::npos, out);
    // SigIgn is a hex mask, bit N-1 for signal N (glibc's own real-time signals may show).
    auto at = out.find("SigIgn:\t");
    BOOST_REQUIRE(at != std::string::npos);
    unsigned long long ignored = std::stoull(out.substr(at + 8, 16), nullptr, 16);
    BOOST_TEST((ignored & (1ull << (SIGPIPE - 1))) == 0u, out);
}

BOOST_AUTO_TEST_CASE(a_child_leads_its_own_process_group_and_reads_dev_null) {
    auto child = spawn_subprocess({"sh", "-c", "cut -d' ' -f5 /proc/$$/stat; cat; echo end"},
                                  ChildStderr::inherit);
    BOOST_REQUIRE(child.ok());
    const pid_t pid = child->pid;
    auto [out, status] = finish(*child);
    BOOST_TEST(status == 0);
    BOOST_TEST(out == std::to_string(pid) + "\nend\n");
}

BOOST_AUTO_TEST_CASE(stderr_joins_the_output_only_when_asked) {
    auto joined = spawn_subprocess({"sh", "-c", "echo out; echo err >&2"}, ChildStderr::to_output);
    BOOST_REQUIRE(joined.ok());
    BOOST_TEST(finish(*joined).first == "out\nerr\n");
}

BOOST_AUTO_TEST_CASE(a_missing_program_is_an_error_naming_it) {
    auto r = spawn_subprocess({"/no/such/program"}, ChildStderr::inherit);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message == "cannot run \"/no/such/program\": No such file or directory");
    BOOST_TEST(!spawn_subprocess({}, ChildStderr::inherit).ok());
}

BOOST_AUTO_TEST_SUITE_END()
