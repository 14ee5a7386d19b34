// rpc_frame: encoding and the bounded, incremental decoder of cluster RPC frames.
#include "cluster/internal/rpc_frame.hh"

namespace muster::cluster::internal {
namespace {

void put_le(std::vector<uint8_t>& out, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t get_le(const uint8_t* p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i)
        v |= uint64_t{p[i]} << (8 * i);
    return v;
}

}  // namespace

bool is_request_type(uint8_t type) {
    return type >= static_cast<uint8_t>(MessageType::hello) &&
           type <= static_cast<uint8_t>(MessageType::read_barrier);
}

const char* message_type_name(uint8_t type) {
    switch (static_cast<MessageType>(type & ~reply_bit)) {
        case MessageType::hello:
            return "hello";
        case MessageType::apply:
            return "apply";
        case MessageType::barrier:
            return "barrier";
        case MessageType::join:
            return "join";
        case MessageType::remove:
            return "remove";
        case MessageType::feed:
            return "feed";
        case MessageType::heartbeat:
            return "heartbeat";
        case MessageType::report:
            return "report";
        case MessageType::read_barrier:
            return "read_barrier";
        case MessageType::submit:
            return "submit";
    }
    return "unknown";
}

void append_frame(std::vector<uint8_t>& out, uint64_t id, uint8_t type,
                  std::span<const uint8_t> payload) {
    put_le(out, frame_header_bytes - frame_length_bytes + payload.size(), 4);
    put_le(out, id, 8);
    out.push_back(type);
    out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<uint8_t> encode_frame(uint64_t id, uint8_t type, std::span<const uint8_t> payload) {
    std::vector<uint8_t> out;
    out.reserve(frame_header_bytes + payload.size());
    append_frame(out, id, type, payload);
    return out;
}

Result<void> FrameDecoder::feed(std::span<const uint8_t> bytes, std::vector<Frame>& out) {
    if (failed())
        return make_error(error_);
    // Drop what earlier calls consumed before growing the buffer.
    if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
        pos_ = 0;
    }
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    for (;;) {
        size_t have = buf_.size() - pos_;
        if (have < frame_length_bytes)
            break;
        uint64_t length = get_le(buf_.data() + pos_, 4);
        const uint64_t min = frame_header_bytes - frame_length_bytes;
        if (length < min || length - min > max_payload_) {
            error_ = "bad frame length " + std::to_string(length) + " (limit " +
                     std::to_string(min + max_payload_) + ")";
            buf_.clear();
            pos_ = 0;
            return make_error(error_);
        }
        if (have < frame_length_bytes + length)
            break;
        const uint8_t* p = buf_.data() + pos_ + frame_length_bytes;
        Frame f;
        f.id = get_le(p, 8);
        f.type = p[8];
        f.payload.assign(p + 9, p + length);
        out.push_back(std::move(f));
        pos_ += frame_length_bytes + length;
    }
    return {};
}

}  // namespace muster::cluster::internal
