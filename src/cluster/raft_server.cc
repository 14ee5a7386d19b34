// cluster::RaftServer: the public handle on one Raft server. The loop, libraft and the group commit
// are internal::Core (core.cc); forwarding to the leader is internal::LeaderForwarding, forming,
// joining and leaving a cluster internal::Membership; dir/id is internal/raft_dir.cc.
#include "cluster/raft_server.hh"

#include "cluster/internal/core.hh"
#include "cluster/internal/raft_dir.hh"
#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster {
namespace {

Result<void> check_options(const RaftServerOptions& o) {
    if (o.dir.empty())
        return make_error("no Raft dir");
    if (!internal::is_server_address(o.address))
        return make_error("address \"" + o.address + "\" is not an IPv4 a.b.c.d:port");
    if (!o.bind.empty() && !internal::is_server_address(o.bind))
        return make_error("bind address \"" + o.bind + "\" is not an IPv4 a.b.c.d:port");
    for (const Peer& p : o.bootstrap)
        if (!internal::is_server_address(p.address))
            return make_error("bootstrap address \"" + p.address +
                              "\" is not an IPv4 a.b.c.d:port");
    if (o.heartbeat_timeout.count() <= 0 || o.heartbeat_timeout >= o.election_timeout)
        return make_error("heartbeat_timeout must be positive and below election_timeout");
    if (o.snapshot_threshold == 0)
        return make_error("snapshot_threshold must be positive");
    if (o.max_in_flight == 0)
        return make_error("max_in_flight must be positive");
    if (o.retry_interval.count() <= 0)
        return make_error("retry_interval must be positive");
    if (o.forward_timeout.count() <= 0)
        return make_error("forward_timeout must be positive");
    return {};
}

}  // namespace

const char* role_name(Role r) {
    switch (r) {
        case Role::follower:
            return "follower";
        case Role::candidate:
            return "candidate";
        case Role::leader:
            return "leader";
        case Role::unavailable:
            return "unavailable";
    }
    return "?";
}

Result<uint64_t> RaftServer::server_id(const std::string& dir) {
    return internal::take_server_id(dir);
}

Result<std::unique_ptr<RaftServer>> RaftServer::start(RaftServerOptions options,
                                                      StateMachine& fsm) {
    const std::string where = "cluster (dir " + options.dir + ", address " + options.address + ")";
    if (auto ok = check_options(options); !ok)
        return make_error(where + ": " + ok.error().message);
    auto id = server_id(options.dir);
    if (!id)
        return make_error(where + ": " + id.error().message);
    auto core = std::make_unique<internal::Core>(std::move(options), fsm, *id);
    if (std::string err = core->start(); !err.empty())
        return make_error(where + ": " + err);
    return std::unique_ptr<RaftServer>(new RaftServer(std::move(core)));
}

RaftServer::RaftServer(std::unique_ptr<internal::Core> core) : core_(std::move(core)) {}

RaftServer::~RaftServer() = default;

void RaftServer::stop() {
    core_->stop();
}

void RaftServer::submit(std::vector<uint8_t> command, Done done) {
    core_->submit(std::move(command), std::move(done));
}

void RaftServer::barrier(std::function<void(Result<void>)> done) {
    core_->barrier(std::move(done));
}

void RaftServer::leave(std::function<void(Result<void>)> done) {
    core_->change(internal::Change::Kind::remove, core_->id(), std::move(done));
}

void RaftServer::remove(uint64_t id, std::function<void(Result<void>)> done) {
    core_->change(internal::Change::Kind::remove, id, std::move(done));
}

Status RaftServer::status() const {
    return core_->status_copy();
}

std::optional<std::vector<MemberState>> RaftServer::members() const {
    return core_->members_copy();
}

uint64_t RaftServer::id() const {
    return core_->id();
}

}  // namespace muster::cluster
