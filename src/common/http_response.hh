// ResponseReader: an incremental HTTP/1.1 response parser (RFC 9112) for the http probe and the
// command line's client: the status line, header fields, and a body framed by Content-Length,
// the chunked transfer coding or the closing connection. It keeps only the start of the body
// (max_body_kept).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hh"

namespace muster::http {

struct ResponseReaderOptions {
    bool head_request = false;      // a response to HEAD has no body (RFC 9110 §9.3.2)
    size_t max_head_bytes = 65536;  // status line plus header (and trailer) fields
    size_t max_body_kept = 4096;    // the body beyond this is read and discarded
};

class ResponseReader {
  public:
    explicit ResponseReader(ResponseReaderOptions options = {}) : options_(options) {}

    // Consumes all of `data`. An Error for a malformed or oversized response; the reader takes
    // nothing after an error or after the response is complete (the rest is ignored).
    Result<void> feed(std::string_view data);
    // The peer closed the connection: completes a body delimited by the close; an Error when
    // the response was cut short.
    Result<void> finish();

    bool complete() const { return state_ == State::done; }
    int status() const { return status_; }
    const std::string& reason() const { return reason_; }
    // The last value of a header field (names compare case-insensitively).
    std::optional<std::string> header(std::string_view name) const;
    const std::string& body() const { return body_; }  // the first max_body_kept bytes
    // Moves out the body kept so far, making room for as much again (a streamed body).
    std::string drain_body() { return std::exchange(body_, std::string{}); }
    uint64_t body_bytes() const { return body_bytes_; }  // all of the body seen

  private:
    enum class State {
        status_line,
        header_line,
        body_length,
        body_until_close,
        chunk_size,
        chunk_data,
        chunk_data_end,
        trailer_line,
        done,
        failed,
    };

    Result<void> fail(const std::string& why);
    // Takes one line (without CR LF) from data into line_; false when data ran out first.
    Result<bool> take_line(std::string_view& data, size_t limit);
    Result<void> on_status_line();
    Result<void> on_header_line();
    Result<void> on_head_complete();
    Result<void> on_chunk_size_line();
    void take_body(std::string_view& data, uint64_t max);

    ResponseReaderOptions options_;
    State state_ = State::status_line;
    std::string line_;
    size_t head_bytes_ = 0;
    int status_ = 0;
    std::string reason_;
    std::string error_;  // why the reader failed
    std::vector<std::pair<std::string, std::string>> headers_;
    uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
    std::string body_;
    uint64_t body_bytes_ = 0;
};

}  // namespace muster::http
