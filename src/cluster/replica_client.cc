// cluster::ReplicaClient: the public handle on a client agent's change feed; the loop and the
// protocol are internal::FeedClient (feed_client.cc), the server's side internal::FeedServer.
#include "cluster/replica_client.hh"

#include "cluster/internal/feed_client.hh"

namespace muster::cluster {
namespace {

Result<void> check_options(const ReplicaOptions& o) {
    if (o.node.empty())
        return make_error("no node name");
    if (!o.discover)
        return make_error("no discover function: no server to join through");
    if (o.retry_interval.count() <= 0 || o.heartbeat_interval.count() <= 0 ||
        o.server_timeout.count() <= 0 || o.submit_timeout.count() <= 0)
        return make_error(
            "retry_interval, heartbeat_interval, server_timeout and "
            "submit_timeout must be positive");
    if (o.server_timeout <= o.heartbeat_interval)
        return make_error("server_timeout must be longer than heartbeat_interval");
    return {};
}

}  // namespace

Result<std::unique_ptr<ReplicaClient>> ReplicaClient::start(ReplicaOptions options,
                                                            StateMachine& fsm) {
    const std::string where = "replica client (node " + options.node + ")";
    if (auto ok = check_options(options); !ok)
        return make_error(where + ": " + ok.error().message);
    auto impl = std::make_unique<internal::FeedClient>(std::move(options), fsm);
    if (auto err = impl->start(); !err.empty())
        return make_error(where + ": " + err);
    return std::unique_ptr<ReplicaClient>(new ReplicaClient(std::move(impl)));
}

ReplicaClient::ReplicaClient(std::unique_ptr<internal::FeedClient> impl) : impl_(std::move(impl)) {}

ReplicaClient::~ReplicaClient() = default;

void ReplicaClient::stop() {
    impl_->stop();
}

void ReplicaClient::submit(std::vector<uint8_t> command, CommandDone done) {
    impl_->submit(std::move(command), std::move(done));
}

void ReplicaClient::join(std::vector<std::string> servers, std::function<void(Result<void>)> done) {
    impl_->join(std::move(servers), std::move(done));
}

void ReplicaClient::barrier(std::function<void(Result<void>)> done) {
    impl_->barrier(std::move(done));
}

ReplicaStatus ReplicaClient::status() const {
    return impl_->status();
}

}  // namespace muster::cluster
