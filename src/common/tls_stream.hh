// TlsStream: RAII over an OpenSSL client connection on a connected non-blocking socket, for the
// command line's blocking HTTPS calls (send and receive with a deadline).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hh"
#include "common/tls.hh"

struct ssl_st;

namespace muster {

class TlsStream {
  public:
    using Deadline = std::chrono::steady_clock::time_point;

    // Handshakes on `fd` (connected, non-blocking, owned by the caller and outliving the stream)
    // with SNI and certificate verification against `host` (a name or an IP literal). Errors say
    // what failed ("certificate verify failed: ...", "timed out").
    static Result<TlsStream> connect(int fd, const TlsClientContext& ctx, const std::string& host,
                                     Deadline deadline);
    ~TlsStream();
    TlsStream(TlsStream&& o) noexcept;
    TlsStream& operator=(TlsStream&&) = delete;
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    Result<void> write_all(std::string_view data, Deadline deadline);
    // Some bytes into buf; 0 at the end of the stream (close_notify or a closed socket).
    Result<size_t> read(char* buf, size_t size, Deadline deadline);

  private:
    TlsStream(ssl_st* ssl, int fd) : ssl_(ssl), fd_(fd) {}
    Error alert_or(Error write_error);
    ssl_st* ssl_ = nullptr;
    int fd_ = -1;
};

}  // namespace muster
