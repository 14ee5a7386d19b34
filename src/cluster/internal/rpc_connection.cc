// RpcConnection: framing over a libuv TCP stream, with coalesced writes and bounded buffers.
#include "cluster/internal/rpc_connection.hh"

#include <netinet/in.h>

#include <unistd.h>

#include <cstring>

#include "cluster/internal/mux_transport.h"

namespace muster::cluster::internal {

struct RpcConnection::WriteRequest {
    uv_write_t req{};
    std::vector<uint8_t> bytes;
};

RpcConnection::RpcConnection(Owner& owner, uint64_t id, uv_stream_t* accepted,
                             const std::string& peer, size_t max_payload, PeerRole role)
    : owner_(owner),
      id_(id),
      role_(role),
      peer_(peer),
      loop_(accepted->loop),
      tcp_(accepted),
      decoder_(max_payload) {
    tcp_->data = this;
    connected_ = true;
    if (tcp_->type == UV_TCP)
        uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(tcp_), 1);
    last_read_ms_ = uv_now(loop_);
    start_reading();
}

RpcConnection::RpcConnection(Owner& owner, uint64_t id, uv_loop_t* loop, const std::string& address,
                             size_t max_payload, const LinkPolicy& policy)
    : owner_(owner), id_(id), peer_(address), loop_(loop), decoder_(max_payload) {
    tcp_ = static_cast<uv_stream_t*>(muster_mux_alloc_stream());
    if (tcp_ == nullptr)
        MUSTER_PANIC("out of memory for an RPC connection");
    const bool secure = muster_link_dial_secure(&policy) != 0;
    // cannot fail for an unbound handle
    if (secure)
        uv_pipe_init(loop, reinterpret_cast<uv_pipe_t*>(tcp_), 0);
    else
        uv_tcp_init(loop, reinterpret_cast<uv_tcp_t*>(tcp_));
    tcp_->data = this;
    last_read_ms_ = uv_now(loop_);
    out_.insert(out_.end(), MUSTER_MUX_MAGIC, MUSTER_MUX_MAGIC + 4);
    out_.push_back(MUSTER_MUX_KIND_RPC);
    sockaddr_in sa{};
    int rv = muster_mux_parse_address(address.c_str(), &sa);
    if (rv == 0 && secure) {
        dial_ = muster_link_dial_start(&policy, loop, &sa, address.c_str(),
                                       &RpcConnection::on_link_ready, this);
    } else if (rv == 0) {
        connect_.data = this;
        rv = uv_tcp_connect(&connect_, reinterpret_cast<uv_tcp_t*>(tcp_),
                            reinterpret_cast<const sockaddr*>(&sa), &RpcConnection::on_connect);
    }
    if (rv != 0)
        close(std::string("connect to ") + address + ": " + uv_strerror(rv));
}

RpcConnection::~RpcConnection() {
    // Only after on_closed: the handle is gone by then.
    if (tcp_ != nullptr)
        MUSTER_PANIC("RpcConnection destroyed with its handle open");
}

void RpcConnection::on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<RpcConnection*>(req->data);
    if (self->closing_)
        return;
    if (status != 0) {
        self->close("connect to " + self->peer_ + ": " + uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(reinterpret_cast<uv_tcp_t*>(self->tcp_), 1);
    self->on_connected();
}

void RpcConnection::on_link_ready(void* data, int fd, int status, const char* why) {
    auto* self = static_cast<RpcConnection*>(data);
    self->dial_ = nullptr;
    if (fd < 0) {
        self->close(status == UV_EPROTO ? std::string(why)
                                        : "connect to " + self->peer_ + ": " + uv_strerror(status));
        return;
    }
    if (int rv = uv_pipe_open(reinterpret_cast<uv_pipe_t*>(self->tcp_), fd); rv != 0) {
        ::close(fd);
        self->close(std::string("link: ") + uv_strerror(rv));
        return;
    }
    self->on_connected();
}

void RpcConnection::on_connected() {
    connected_ = true;
    start_reading();
    flush();
}

void RpcConnection::start_reading() {
    int rv = uv_read_start(tcp_, &RpcConnection::on_alloc, &RpcConnection::on_read);
    if (rv != 0)
        close(std::string("read: ") + uv_strerror(rv));
}

void RpcConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<RpcConnection*>(h->data);
    buf->base = self->read_buf_.data();
    buf->len = self->read_buf_.size();
}

void RpcConnection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<RpcConnection*>(s->data);
    if (nread == 0 || self->closing_)
        return;
    if (nread < 0) {
        self->close(nread == UV_EOF ? std::string("closed by the peer")
                                    : std::string("read: ") + uv_strerror(static_cast<int>(nread)));
        return;
    }
    self->last_read_ms_ = uv_now(self->loop_);
    std::vector<Frame> frames;
    auto fed =
        self->decoder_.feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf->base),
                                                     static_cast<size_t>(nread)),
                            frames);
    // Frames before a framing error still count; the connection ends after them.
    for (auto& f : frames) {
        if (self->closing_)
            return;
        self->owner_.on_frame(*self, std::move(f));
    }
    if (!fed.ok())
        self->close("protocol error: " + fed.error().message);
}

void RpcConnection::send(uint64_t request_id, uint8_t type, std::span<const uint8_t> payload) {
    if (closing_)
        return;
    append_frame(out_, request_id, type, payload);
    if (out_.size() > max_unsent_bytes) {
        close("the peer does not read its replies");
        return;
    }
    flush();
}

void RpcConnection::flush() {
    if (writing_ || out_.empty() || !connected_ || closing_)
        return;
    auto* w = new WriteRequest;
    w->bytes.swap(out_);
    w->req.data = w;
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(w->bytes.data()),
                             static_cast<unsigned>(w->bytes.size()));
    int rv = uv_write(&w->req, tcp_, &b, 1, &RpcConnection::on_write);
    if (rv != 0) {
        delete w;
        close(std::string("write: ") + uv_strerror(rv));
        return;
    }
    writing_ = true;
    writing_bytes_ = w->bytes.size();
}

void RpcConnection::on_write(uv_write_t* req, int status) {
    auto* w = static_cast<WriteRequest*>(req->data);
    // Write callbacks (canceled ones too) come before the close callback: self is alive.
    auto* self = static_cast<RpcConnection*>(req->handle->data);
    delete w;
    self->writing_ = false;
    self->writing_bytes_ = 0;
    if (status != 0) {
        self->close(std::string("write: ") + uv_strerror(status));
        return;
    }
    self->flush();
}

void RpcConnection::close(const std::string& why) {
    if (closing_)
        return;
    closing_ = true;
    close_reason_ = why;
    out_.clear();
    if (dial_ != nullptr) {
        muster_link_dial_cancel(dial_);
        dial_ = nullptr;
    }
    uv_close(reinterpret_cast<uv_handle_t*>(tcp_), &RpcConnection::on_close);
}

void RpcConnection::on_close(uv_handle_t* h) {
    auto* self = static_cast<RpcConnection*>(h->data);
    muster_mux_free_stream(h);
    self->tcp_ = nullptr;
    self->owner_.on_closed(*self);  // may destroy self
}

}  // namespace muster::cluster::internal
