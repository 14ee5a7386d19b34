// A libuv loop driven by the test thread (bounded polling, no fixed sleeps), and raw TCP
// streams on it: a dialling client and a wrapper for streams the mux hands over, both keeping
// what they read.
#pragma once

#include <uv.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "cluster/internal/mux_transport.h"

namespace muster::cluster::test {

class Loop {
  public:
    Loop() { uv_loop_init(&loop_); }
    ~Loop() {
        run_until([&] { return !uv_loop_alive(&loop_); }, std::chrono::seconds(5));
        BOOST_CHECK_MESSAGE(uv_loop_close(&loop_) == 0, "handles left open on the test loop");
    }
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;
    uv_loop_t* get() { return &loop_; }

    template <class Pred>
    bool run_until(Pred pred, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!pred()) {
            if (std::chrono::steady_clock::now() >= deadline)
                return pred();
            uv_run(&loop_, UV_RUN_NOWAIT);
            if (!pred())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    // Every handle closed (the loop has nothing left to do).
    bool settle(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        return run_until([&] { return !uv_loop_alive(&loop_); }, timeout);
    }

  private:
    uv_loop_t loop_{};
};

// A TCP stream that keeps what it reads. Either dials an address or takes over a stream that
// the mux (or a dial of it) handed over; close() before destruction, then let the loop run.
class RawStream {
  public:
    RawStream(uv_loop_t* loop, const std::string& address) {
        tcp_ = static_cast<uv_tcp_t*>(muster_mux_alloc_stream());
        uv_tcp_init(loop, tcp_);
        tcp_->data = this;
        sockaddr_in sa{};
        BOOST_REQUIRE(muster_mux_parse_address(address.c_str(), &sa) == 0);
        connect_.data = this;
        BOOST_REQUIRE(uv_tcp_connect(&connect_, tcp_, reinterpret_cast<const sockaddr*>(&sa),
                                     &RawStream::on_connect) == 0);
    }
    explicit RawStream(uv_stream_t* handed_over) {
        tcp_ = reinterpret_cast<uv_tcp_t*>(handed_over);
        tcp_->data = this;
        connected = true;
        start_reading();
    }
    ~RawStream() { BOOST_CHECK_MESSAGE(closed, "RawStream destroyed before its close completed"); }
    RawStream(const RawStream&) = delete;
    RawStream& operator=(const RawStream&) = delete;

    void write(const std::vector<uint8_t>& bytes) {
        auto* w = new Write{{}, bytes};
        w->req.data = w;
        uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()),
                                 static_cast<unsigned>(w->bytes.size()));
        if (uv_write(&w->req, reinterpret_cast<uv_stream_t*>(tcp_), &b, 1, &RawStream::on_write) !=
            0)
            delete w;
    }
    void write(const std::string& s) { write(std::vector<uint8_t>(s.begin(), s.end())); }
    void close() {
        if (!closing_) {
            closing_ = true;
            uv_close(reinterpret_cast<uv_handle_t*>(tcp_), &RawStream::on_close);
        }
    }
    std::string text() const { return std::string(got.begin(), got.end()); }

    bool connected = false;
    int connect_status = 0;
    bool eof = false;  // the peer closed (or the read failed)
    bool closed = false;
    std::vector<uint8_t> got;

  private:
    struct Write {
        uv_write_t req;
        std::vector<uint8_t> bytes;
    };
    void start_reading() {
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(tcp_),
            [](uv_handle_t* h, size_t, uv_buf_t* buf) {
                auto* self = static_cast<RawStream*>(h->data);
                buf->base = self->buf_;
                buf->len = sizeof self->buf_;
            },
            [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                auto* self = static_cast<RawStream*>(s->data);
                if (n < 0) {
                    self->eof = true;
                    uv_read_stop(s);
                } else if (n > 0) {
                    self->got.insert(self->got.end(), buf->base, buf->base + n);
                }
            });
    }
    static void on_connect(uv_connect_t* req, int status) {
        auto* self = static_cast<RawStream*>(req->data);
        self->connect_status = status;
        if (status == 0 && !self->closing_) {
            self->connected = true;
            self->start_reading();
        }
    }
    static void on_write(uv_write_t* req, int) { delete static_cast<Write*>(req->data); }
    static void on_close(uv_handle_t* h) {
        auto* self = static_cast<RawStream*>(h->data);
        muster_mux_free_stream(h);
        self->closed = true;
    }

    uv_tcp_t* tcp_ = nullptr;
    uv_connect_t connect_{};
    bool closing_ = false;
    char buf_[4096];
};

}  // namespace muster::cluster::test
