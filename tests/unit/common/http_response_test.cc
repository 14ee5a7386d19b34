// Tests for src/common/http_response.cc: status line, fields and body framing, fed in
// pieces as a socket delivers them.
#include "common/http_response.hh"

#include <boost/test/unit_test.hpp>
#include <string>

using namespace muster::http;

namespace {

// Feeds `raw` in pieces of `step` bytes; then finish() when `closed`.
std::string read(ResponseReader& r, const std::string& raw, size_t step, bool closed) {
    for (size_t i = 0; i < raw.size(); i += step) {
        auto fed = r.feed(std::string_view(raw).substr(i, step));
        if (!fed)
            return "error: " + fed.error().message;
    }
    if (closed) {
        auto done = r.finish();
        if (!done)
            return "error: " + done.error().message;
    }
    return r.complete() ? "complete" : "incomplete";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_response)

BOOST_AUTO_TEST_CASE(content_length_body_in_any_pieces) {
    std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello";
    for (size_t step : {1u, 2u, 7u, 1000u}) {
        ResponseReader r;
        BOOST_TEST(read(r, raw, step, false) == "complete");
        BOOST_TEST(r.status() == 200);
        BOOST_TEST(r.reason() == "OK");
        BOOST_TEST(r.body() == "hello");
        BOOST_TEST(r.header("x-a").value_or("") == "1");
    }
}

BOOST_AUTO_TEST_CASE(chunked_body_with_extensions_and_trailers) {
    std::string raw =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    for (size_t step : {1u, 3u, 1000u}) {
        ResponseReader r;
        BOOST_TEST(read(r, raw, step, false) == "complete");
        BOOST_TEST(r.body() == "hello world");
    }
}

BOOST_AUTO_TEST_CASE(a_body_without_length_runs_to_the_close) {
    ResponseReader r;
    BOOST_TEST(read(r, "HTTP/1.0 503 Service Unavailable\nServer: x\n\ndown", 4, false) ==
               "incomplete");
    BOOST_TEST(r.finish().ok());
    BOOST_TEST(r.complete());
    BOOST_TEST(r.status() == 503);
    BOOST_TEST(r.body() == "down");
}

BOOST_AUTO_TEST_CASE(keeps_only_the_start_of_a_big_body) {
    ResponseReader r({.max_body_kept = 10});
    std::string body(100000, 'z');
    body.replace(0, 10, "0123456789");
    BOOST_TEST(read(r, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + body, 4096, false) ==
               "complete");
    BOOST_TEST(r.body() == "0123456789");
    BOOST_TEST(r.body_bytes() == 100000u);
}

BOOST_AUTO_TEST_CASE(interim_responses_are_skipped) {
    ResponseReader r;
    BOOST_TEST(read(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 5, false) ==
               "complete");
    BOOST_TEST(r.status() == 204);
}

BOOST_AUTO_TEST_CASE(head_and_304_have_no_body) {
    ResponseReader head({.head_request = true});
    BOOST_TEST(read(head, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", 100, false) ==
               "complete");
    ResponseReader not_modified;
    BOOST_TEST(read(not_modified, "HTTP/1.1 304 Not Modified\r\n\r\n", 100, false) == "complete");
}

BOOST_AUTO_TEST_CASE(status_line_without_reason) {
    ResponseReader r;
    BOOST_TEST(read(r, "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 100, false) == "complete");
    BOOST_TEST(r.status() == 200);
    BOOST_TEST(r.reason() == "");
}

BOOST_AUTO_TEST_CASE(malformed_responses_are_errors) {
    for (std::string raw : {
             "SSH-2.0-OpenSSH\r\n",
             "HTTP/1.1 2x0 OK\r\n",
             "HTTP/1.1 200OK\r\n",
             "HTTP/1.1 200 OK\r\nNo colon here\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
         }) {
        ResponseReader r;
        BOOST_TEST(read(r, raw, 3, false).starts_with("error: "), raw);
    }
}

BOOST_AUTO_TEST_CASE(a_huge_header_section_is_refused) {
    ResponseReader r({.max_head_bytes = 100});
    std::string raw = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
    BOOST_TEST(read(r, raw, 10, false) == "error: response header section too large");
}

BOOST_AUTO_TEST_CASE(a_cut_response_is_an_error_at_close) {
    ResponseReader nothing;
    BOOST_TEST(read(nothing, "", 1, true) == "error: connection closed before any response");
    ResponseReader cut;
    BOOST_TEST(read(cut, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhalf", 100, true) ==
               "error: connection closed before the response was complete");
}

BOOST_AUTO_TEST_CASE(a_streamed_body_drains_piece_by_piece_past_the_kept_size) {
    ResponseReader r({.max_body_kept = 8});
    BOOST_TEST(r.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").ok());
    BOOST_TEST(r.feed("6\r\nline1\n\r\n").ok());
    BOOST_TEST(r.drain_body() == "line1\n");
    BOOST_TEST(r.body().empty());
    BOOST_TEST(r.feed("6\r\nline2\n\r\n6\r\nline3").ok());  // 12 bytes > 8 kept at once
    BOOST_TEST(r.drain_body() == "line2\nli");
    BOOST_TEST(r.feed("\n\r\n").ok());
    BOOST_TEST(r.drain_body() == "\n");  // what did not fit was read and discarded
    BOOST_TEST(!r.complete());
    BOOST_TEST(!r.finish().ok());  // cut short: the agent went away mid-stream
}

BOOST_AUTO_TEST_SUITE_END()
