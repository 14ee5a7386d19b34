// feed_messages: encoding and the bounded decoders of the change feed's payloads (untrusted).
#include "cluster/internal/feed_messages.hh"

#include <algorithm>

#include "cluster/internal/rpc_json.hh"
#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster::internal {
namespace {

constexpr size_t max_node_name = 256;

void put_le(std::vector<uint8_t>& out, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_str(std::vector<uint8_t>& out, const std::string& s) {
    put_le(out, s.size(), 2);
    out.insert(out.end(), s.begin(), s.end());
}

// A header then a body, in one allocation. (Written so, not as push_back then insert: GCC 12
// warns about that pattern, wrongly, with -Warray-bounds.)
std::vector<uint8_t> joined(const std::vector<uint8_t>& head, std::span<const uint8_t> body) {
    std::vector<uint8_t> out(head.size() + body.size());
    std::copy(head.begin(), head.end(), out.begin());
    std::copy(body.begin(), body.end(), out.begin() + static_cast<ptrdiff_t>(head.size()));
    return out;
}

// Reads little-endian fields off the front of untrusted bytes; any short read fails it.
class Reader {
  public:
    explicit Reader(std::span<const uint8_t> b) : b_(b) {}
    bool u64(uint64_t& v) { return le(v, 8); }
    bool u16(uint64_t& v) { return le(v, 2); }
    bool str(std::string& s) {
        uint64_t n = 0;
        if (!u16(n) || b_.size() - pos_ < n)
            return false;
        s.assign(b_.begin() + static_cast<ptrdiff_t>(pos_),
                 b_.begin() + static_cast<ptrdiff_t>(pos_ + n));
        pos_ += n;
        return true;
    }
    std::span<const uint8_t> rest() const { return b_.subspan(pos_); }

  private:
    bool le(uint64_t& v, size_t n) {
        if (b_.size() - pos_ < n)
            return false;
        v = 0;
        for (size_t i = 0; i < n; ++i)
            v |= uint64_t{b_[pos_ + i]} << (8 * i);
        pos_ += n;
        return true;
    }
    std::span<const uint8_t> b_;
    size_t pos_ = 0;
};

Result<std::vector<std::string>> get_addresses(const json& j, const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end())
        return out;
    if (!it->is_array() || it->size() > max_view)
        return make_error(std::string("\"") + key + "\" is not an array of addresses");
    for (const auto& v : *it) {
        if (!v.is_string() || !is_server_address(v.get<std::string>()))
            return make_error(std::string("\"") + key + "\" holds something other than addresses");
        out.push_back(v.get<std::string>());
    }
    return out;
}

Result<FeedMessage> decode_servers(Reader& r) {
    FeedMessage m;
    m.kind = FeedKind::servers;
    uint64_t count = 0;
    if (!r.str(m.leader_address) || !r.u16(count))
        return make_error("feed servers: truncated");
    if (!m.leader_address.empty() && !is_server_address(m.leader_address))
        return make_error("feed servers: the leader is not an a.b.c.d:port address");
    if (count > max_view)
        return make_error("feed servers: too many servers");
    for (uint64_t i = 0; i < count; ++i) {
        std::string s;
        if (!r.str(s))
            return make_error("feed servers: truncated");
        if (!is_server_address(s))
            return make_error("feed servers: a server is not an a.b.c.d:port address");
        m.servers.push_back(std::move(s));
    }
    if (!r.rest().empty())
        return make_error("feed servers: trailing bytes");
    return m;
}

Result<FeedMessage> decode_snapshot(Reader& r) {
    FeedMessage m;
    m.kind = FeedKind::snapshot;
    if (!r.u64(m.index) || !r.u64(m.total) || !r.u64(m.offset))
        return make_error("feed snapshot: truncated");
    auto chunk = r.rest();
    if (m.total > feed_max_snapshot || m.offset > m.total || chunk.size() > m.total - m.offset)
        return make_error("feed snapshot: chunk outside the snapshot");
    if (chunk.empty() && m.total != 0)
        return make_error("feed snapshot: empty chunk");
    m.bytes.assign(chunk.begin(), chunk.end());
    return m;
}

}  // namespace

std::vector<uint8_t> encode_feed_request(const FeedRequest& r) {
    return dump(json{{"node", r.node}, {"address", r.address}, {"from_index", r.from_index}});
}

Result<FeedRequest> decode_feed_request(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "feed request");
    if (!j)
        return j.error();
    auto node = get_string(*j, "node", max_node_name);
    auto address = get_string(*j, "address", max_address);
    auto from = get_u64(*j, "from_index", true);
    if (!node || !address || !from)
        return make_error("feed request: missing or mistyped field");
    if (node->empty())
        return make_error("feed request: no node name");
    return FeedRequest{*node, *address, *from};
}

std::vector<uint8_t> encode_heartbeat(const HeartbeatRequest& r) {
    return dump(json{{"node", r.node}, {"applied", r.applied}});
}

Result<HeartbeatRequest> decode_heartbeat(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "heartbeat");
    if (!j)
        return j.error();
    auto node = get_string(*j, "node", max_node_name);
    auto applied = get_u64(*j, "applied", false);
    if (!node || !applied)
        return make_error("heartbeat: mistyped field");
    if (node->empty())
        return make_error("heartbeat: no node name");
    return HeartbeatRequest{*node, *applied};
}

std::vector<uint8_t> encode_heartbeat_reply(const HeartbeatReply& r) {
    json j = {{"servers", r.servers}, {"last_applied", r.last_applied}};
    if (!r.leader_address.empty())
        j["leader"] = r.leader_address;
    return dump(j);
}

Result<HeartbeatReply> decode_heartbeat_reply(std::span<const uint8_t> bytes) {
    auto j = parse_object(bytes, "heartbeat reply");
    if (!j)
        return j.error();
    auto leader = get_address(*j, "leader", false);
    auto servers = get_addresses(*j, "servers");
    auto applied = get_u64(*j, "last_applied", false);
    if (!leader)
        return make_error("heartbeat reply: " + leader.error().message);
    if (!servers)
        return make_error("heartbeat reply: " + servers.error().message);
    if (!applied)
        return make_error("heartbeat reply: " + applied.error().message);
    return HeartbeatReply{*leader, *servers, *applied};
}

std::vector<uint8_t> encode_feed_entry(uint64_t index, std::span<const uint8_t> entry) {
    std::vector<uint8_t> head{static_cast<uint8_t>(FeedKind::entry)};
    put_le(head, index, 8);
    return joined(head, entry);
}

std::vector<uint8_t> encode_feed_snapshot(uint64_t index, uint64_t total, uint64_t offset,
                                          std::span<const uint8_t> chunk) {
    std::vector<uint8_t> head{static_cast<uint8_t>(FeedKind::snapshot)};
    put_le(head, index, 8);
    put_le(head, total, 8);
    put_le(head, offset, 8);
    return joined(head, chunk);
}

std::vector<uint8_t> encode_feed_servers(const std::string& leader_address,
                                         const std::vector<std::string>& servers) {
    std::vector<uint8_t> out;
    out.push_back(static_cast<uint8_t>(FeedKind::servers));
    put_str(out, leader_address);
    put_le(out, servers.size(), 2);
    for (const auto& s : servers)
        put_str(out, s);
    return out;
}

std::vector<uint8_t> encode_feed_refused(const std::string& error) {
    std::string text = clip(error);
    std::vector<uint8_t> head{static_cast<uint8_t>(FeedKind::refused)};
    return joined(
        head, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

std::vector<uint8_t> encode_feed_message(const FeedMessage& m) {
    switch (m.kind) {
        case FeedKind::entry:
            return encode_feed_entry(m.index, m.bytes);
        case FeedKind::snapshot:
            return encode_feed_snapshot(m.index, m.total, m.offset, m.bytes);
        case FeedKind::servers:
            return encode_feed_servers(m.leader_address, m.servers);
        case FeedKind::refused:
            return encode_feed_refused(m.error);
    }
    return {};
}

Result<FeedMessage> decode_feed_message(std::span<const uint8_t> bytes) {
    if (bytes.empty())
        return make_error("feed message: empty");
    Reader r(bytes.subspan(1));
    switch (static_cast<FeedKind>(bytes[0])) {
        case FeedKind::entry: {
            FeedMessage m;
            if (!r.u64(m.index))
                return make_error("feed entry: truncated");
            if (m.index == 0)
                return make_error("feed entry: index 0");
            m.bytes.assign(r.rest().begin(), r.rest().end());
            return m;
        }
        case FeedKind::snapshot:
            return decode_snapshot(r);
        case FeedKind::servers:
            return decode_servers(r);
        case FeedKind::refused: {
            FeedMessage m;
            m.kind = FeedKind::refused;
            auto rest = r.rest();
            if (rest.size() > max_error_text)
                return make_error("feed refused: reason too long");
            m.error.assign(rest.begin(), rest.end());
            if (m.error.empty())
                m.error = "refused without a reason";
            return m;
        }
    }
    return make_error("feed message: unknown kind " + std::to_string(bytes[0]));
}

}  // namespace muster::cluster::internal
