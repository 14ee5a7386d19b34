// resolve_join_addresses: IPv4 literals, DNS names (getaddrinfo) and exec: commands.
#include "app/join_addresses.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/log.hh"
#include "common/subprocess.hh"

namespace muster::app {
namespace {
constexpr log::Logger logger("agent");

struct HostPort {
    std::string host;
    uint16_t port = 0;
};

HostPort split(const std::string& entry, uint16_t default_port) {
    auto colon = entry.rfind(':');
    if (colon == std::string::npos)
        return {entry, default_port};
    int port = std::atoi(entry.c_str() + colon + 1);
    if (port < 1 || port > 65535)
        return {entry, default_port};
    return {entry.substr(0, colon), static_cast<uint16_t>(port)};
}

void add(std::vector<std::string>& out, std::string address) {
    if (std::find(out.begin(), out.end(), address) == out.end())
        out.push_back(std::move(address));
}

void resolve_host(const std::string& entry, uint16_t default_port, std::vector<std::string>& out) {
    HostPort hp = split(entry, default_port);
    in_addr literal{};
    if (::inet_pton(AF_INET, hp.host.c_str(), &literal) == 1) {
        add(out, hp.host + ":" + std::to_string(hp.port));
        return;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(hp.host.c_str(), nullptr, &hints, &res); rc != 0) {
        logger.warn("retry_join: cannot resolve", {{"name", hp.host}, {"error", gai_strerror(rc)}});
        return;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        char text[INET_ADDRSTRLEN] = "";
        const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
        if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) != nullptr)
            add(out, std::string(text) + ":" + std::to_string(hp.port));
    }
    ::freeaddrinfo(res);
}

// stdout of `/bin/sh -c command`, or "" (logged) when it fails or outlives the timeout.
std::string run_command(const std::string& command, std::chrono::milliseconds timeout) {
    auto child = spawn_subprocess({"/bin/sh", "-c", command}, ChildStderr::inherit);
    if (!child) {
        logger.warn("retry_join: exec: cannot run",
                    {{"command", command}, {"error", child.error().message}});
        return "";
    }
    const pid_t pid = child->pid;
    const int output = child->output.get();
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{output, POLLIN, 0};
        int n = ::poll(&p, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            timed_out = n == 0;
            break;
        }
        char buf[4096];
        ssize_t got = ::read(output, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (out.size() < (size_t{1} << 20))
            out.append(buf, static_cast<size_t>(got));
    }
    child->output.reset();
    if (timed_out)
        ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        logger.warn("retry_join: exec: command timed out and was killed",
                    {{"command", command}, {"timeout_ms", std::to_string(timeout.count())}});
        return "";
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        logger.warn("retry_join: exec: command failed",
                    {{"command", command},
                     {"status", WIFEXITED(status) ? std::to_string(WEXITSTATUS(status))
                                                  : "signal " + std::to_string(WTERMSIG(status))}});
        return "";
    }
    return out;
}

}  // namespace

std::vector<std::string> resolve_join_addresses(const std::vector<std::string>& entries,
                                                const JoinOptions& options) {
    std::vector<std::string> out;
    for (const auto& entry : entries) {
        if (entry.starts_with("exec:")) {
            std::istringstream words(run_command(entry.substr(5), options.exec_timeout));
            std::string word;
            while (words >> word)
                if (!word.starts_with("exec:"))
                    resolve_host(word, options.default_port, out);
            continue;
        }
        resolve_host(entry, options.default_port, out);
    }
    return out;
}

}  // namespace muster::app
