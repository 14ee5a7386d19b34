// Helpers for the probe tests: running one probe on a loop with a time limit, TCP listeners on
// loopback, and a TLS server with a self-signed certificate made in-process.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "checks/probe.hh"
#include "common/event_loop.hh"

namespace muster::checks::test {

// The status as text, so failed checks print it.
inline std::string status_of(const Outcome& o) {
    return std::string(catalog::status_name(o.status));
}

// Runs one probe run on `loop` until its outcome arrives; nullopt when `limit` passed first.
std::optional<Outcome> run_probe(EventLoop& loop, Probe& probe,
                                 std::chrono::milliseconds limit = std::chrono::seconds(5));

// Runs the loop for `d` (to let callbacks that should not come prove they do not).
void run_for(EventLoop& loop, std::chrono::milliseconds d);

// A listening TCP socket on 127.0.0.1 (or ::1) that never accepts: the kernel completes
// connections into the backlog, which is enough for a TCP check.
class Listener {
  public:
    enum class Family { ipv4, ipv6 };
    explicit Listener(Family family = Family::ipv4);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    bool ok() const { return fd_ >= 0; }
    uint16_t port() const { return port_; }
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
uint16_t closed_port();

// A self-signed certificate for "localhost" and 127.0.0.1, written as PEM to a temporary
// directory (removed on destruction).
class TestCertificate {
  public:
    TestCertificate();
    ~TestCertificate();
    TestCertificate(const TestCertificate&) = delete;
    TestCertificate& operator=(const TestCertificate&) = delete;
    const std::string& cert_file() const { return cert_file_; }
    const std::string& key_file() const { return key_file_; }

  private:
    std::string dir_;
    std::string cert_file_;
    std::string key_file_;
};

// A TLS server on 127.0.0.1 running on a thread of its own with blocking OpenSSL: for each
// connection it completes the handshake, and when `response` is not empty reads a request
// head and writes `response`, then closes.
class TlsServer {
  public:
    TlsServer(const TestCertificate& cert, std::string response);
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;
    uint16_t port() const { return listener_.port(); }
    int handshakes() const { return handshakes_.load(); }

  private:
    void serve();
    void serve_one(int fd);

    Listener listener_;
    std::string response_;
    void* ctx_ = nullptr;  // SSL_CTX*
    std::atomic<bool> stop_{false};
    std::atomic<int> handshakes_{0};
    std::thread thread_;
};

}  // namespace muster::checks::test
