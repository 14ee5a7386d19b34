// MemberReports: servers report who they hear from; the leader decides who is alive.
#include "cluster/internal/member_reports.hh"

#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster::internal {

MemberReports::MemberReports(Host& host, RpcCalls& rpc, Options options)
    : host_(host), rpc_(rpc), options_(std::move(options)), table_(options_.timeouts) {}

MemberReport MemberReports::own_report(Clock::time_point now) {
    MemberReport r;
    r.node = options_.node;
    r.address = options_.address;
    std::set<std::string> attached;
    for (const auto& c : host_.feed_attached()) {
        if (now - c.last_heartbeat > options_.heartbeat_fresh || c.node.empty())
            continue;
        r.attached.push_back({c.node, c.address});
        attached.insert(c.node);
        detached_.erase(c.node);
    }
    for (const auto& node : attached_before_)
        if (!attached.count(node))
            detached_.emplace(node, now);
    attached_before_ = std::move(attached);
    for (auto it = detached_.begin(); it != detached_.end();) {
        if (now - it->second > options_.detach_kept) {
            it = detached_.erase(it);
            continue;
        }
        r.detached.push_back(it->first);
        ++it;
    }
    return r;
}

void MemberReports::take(const MemberReport& r, Clock::time_point now) {
    table_.heard(r.node, r.address, true, now);
    for (const auto& c : r.attached)
        table_.heard(c.node, c.address, false, now);
    for (const auto& node : r.detached)
        table_.detached(node, now);
}

void MemberReports::tick(Clock::time_point now) {
    if (now < next_ || options_.node.empty())
        return;
    next_ = now + options_.interval;
    const Status& st = host_.status();
    if (st.role == Role::leader && !host_.closing()) {
        if (!leading_) {
            table_.lead(now);
            leading_ = true;
        }
        take(own_report(now), now);
        host_.publish_members(table_.decided(now));
        return;
    }
    if (leading_) {
        table_.follow();
        leading_ = false;
        host_.publish_members(std::nullopt);
    }
    MemberReport r = own_report(now);
    if (st.leader_address.empty() || in_flight_ || host_.closing())
        return;
    in_flight_ = true;
    rpc_.call(st.leader_address, MessageType::report, encode_report(r), 2 * options_.interval,
              [this](RpcCalls::Response) { in_flight_ = false; });
}

void MemberReports::handle_report(std::span<const uint8_t> payload, Reply reply) {
    if (host_.status().role != Role::leader || !leading_) {
        reply(encode_ack(Ack{"not the leader", true}));
        return;
    }
    auto r = decode_report(payload);
    if (!r) {
        reply(encode_ack(Ack{r.error().message, false}));
        return;
    }
    take(*r, Clock::now());
    reply(encode_ack(Ack{}));
}

}  // namespace muster::cluster::internal
