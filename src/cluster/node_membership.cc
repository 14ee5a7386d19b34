// node_membership: forming a cluster (bootstrap_expect), joining one, and configuration changes
// (join, remove, leave) run by the leader one at a time. Discovery runs on a thread of its own;
// everything else on the Raft loop.
#include <algorithm>

#include "cluster/internal/node_impl.hh"

namespace muster::cluster {
namespace {

constexpr const log::Logger& logger = internal::node_logger;
using internal::MessageType;
using Response = internal::RpcClient::Response;
using Outcome = internal::RpcClient::Outcome;
constexpr size_t max_addresses = 256;
constexpr unsigned max_change_steps = 8;

std::string voter_list(const std::vector<Peer>& voters) {
    std::string s;
    for (const Peer& p : voters)
        s += (s.empty() ? "" : ",") + std::to_string(p.id) + "@" + p.address;
    return s;
}

}  // namespace

// ---- discovery

void Node::Impl::start_discovery_thread() {
    if (options.discover)
        discover_thread = std::thread([this] { discover_loop(); });
}

void Node::Impl::stop_discovery_thread() {
    if (!discover_thread.joinable())
        return;
    {
        std::lock_guard lock(discover_mu);
        discover_stop = true;
    }
    discover_cv.notify_all();
    discover_thread.join();
}

void Node::Impl::discover_loop() {
    for (;;) {
        {
            std::unique_lock lock(discover_mu);
            discover_cv.wait(lock, [&] { return discover_stop || discover_wanted; });
            if (discover_stop)
                return;
            discover_wanted = false;
        }
        std::vector<std::string> found;
        try {
            found = options.discover();
        } catch (const std::exception& e) {
            logger.warn("discover failed", {{"error", e.what()}});
            continue;
        } catch (...) {
            logger.warn("discover failed", {{"error", "unknown exception"}});
            continue;
        }
        std::lock_guard lock(mu);
        if (stopping)
            return;
        discovered = std::move(found);
        uv_async_send(&async);  // safe: `async` closes only after `stopping` is set
    }
}

void Node::Impl::request_discovery() {
    if (!options.discover)
        return;
    {
        std::lock_guard lock(discover_mu);
        discover_wanted = true;
    }
    discover_cv.notify_one();
}

void Node::Impl::on_discovered(std::vector<std::string> found) {
    for (auto& a : found) {
        if (!internal::is_server_address(a)) {
            logger.warn("discovered address is not a.b.c.d:port", {{"address", a}});
            continue;
        }
        if (addresses.size() < max_addresses)
            addresses.insert(std::move(a));
    }
    hello_all();
}

void Node::Impl::on_retry(uv_timer_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    try {
        self->retry();
    } catch (const std::exception& e) {
        logger.error("retry failed", {{"error", e.what()}});
    }
}

void Node::Impl::retry() {
    if (closing || (!forming && !join_wanted))
        return;
    request_discovery();
    hello_all();
    if (join_wanted)
        try_join(formation.join_target());
}

// ---- hellos

internal::Hello Node::Impl::my_hello() const {
    internal::Hello h;
    h.id = id;
    h.address = options.address;
    h.fresh = forming;
    h.in_cluster = raft_started && (!current.voters.empty() || !current.standbys.empty());
    if (current.leader_id != 0)
        h.leader_address = current.leader_address;
    h.bootstrap_expect = options.bootstrap_expect;
    if (forming)
        h.view = formation.view();
    if (h.in_cluster)
        h.voters = current.voters;
    return h;
}

void Node::Impl::hello_all() {
    for (const auto& a : addresses)
        send_hello(a);
}

void Node::Impl::send_hello(const std::string& address) {
    if (closing || address == options.address || hellos_in_flight.count(address) > 0)
        return;
    hellos_in_flight.insert(address);
    auto timeout = std::max(options.retry_interval, std::chrono::milliseconds(500));
    rpc_client->call(
        address, MessageType::hello, internal::encode_hello(my_hello()), timeout,
        [this, address](Response resp) {
            hellos_in_flight.erase(address);
            if (closing)
                return;
            if (resp.outcome != Outcome::replied) {
                logger.debug("no hello", {{"address", address}, {"error", resp.error}});
                return;
            }
            auto h = internal::decode_hello(resp.payload);
            if (!h) {
                logger.debug("bad hello", {{"address", address}, {"error", h.error().message}});
                return;
            }
            on_hello(*h);
        });
}

void Node::Impl::handle_hello(internal::RpcServer::Request& req) {
    auto h = internal::decode_hello(req.payload);
    if (!h) {
        rpc_server->reply(req.connection, req.id, MessageType::hello,
                          internal::encode_ack({h.error().message, false}));
        return;
    }
    on_hello(*h);
    // After on_hello: a server that bootstrapped on this hello no longer says it is fresh.
    rpc_server->reply(req.connection, req.id, MessageType::hello,
                      internal::encode_hello(my_hello()));
}

void Node::Impl::on_hello(const internal::Hello& h) {
    if (h.id == id)
        return;  // this server, under an address discovery gave
    if (addresses.size() < max_addresses)
        addresses.insert(h.address);
    bool grew = formation.observe(h);
    if (grew && forming)
        hello_all();  // everyone hears the new view at once, not a retry_interval later
    evaluate();
}

void Node::Impl::set_waiting_for(std::string what) {
    if (current.waiting_for == what)
        return;
    current.waiting_for = std::move(what);
    std::lock_guard lock(status_mu);
    status.waiting_for = current.waiting_for;
}

void Node::Impl::evaluate() {
    if (closing)
        return;
    if (!forming) {
        if (join_wanted)
            try_join(formation.join_target());
        return;
    }
    auto d = formation.decide();
    switch (d.kind) {
        case internal::Formation::Decision::Kind::wait:
            set_waiting_for(d.waiting_for);
            return;
        case internal::Formation::Decision::Kind::bootstrap:
            bootstrap_now(d.voters);
            return;
        case internal::Formation::Decision::Kind::join:
            break;
    }
    forming = false;
    if (auto e = start_raft(); !e.empty()) {
        logger.error("cannot start raft to join", {{"error", e}});
        begin_close(e);
        return;
    }
    logger.info("joining a cluster", {{"via", d.join_via}});
    refresh_status();
    update_join_wanted();
    try_join(d.join_via);
}

void Node::Impl::bootstrap_now(const std::vector<Peer>& voters) {
    std::vector<uint64_t> ids;
    std::vector<const char*> list;
    for (const Peer& p : voters) {
        ids.push_back(p.id);
        list.push_back(p.address.c_str());
    }
    char errmsg[512] = {0};
    int rv = muster_raft_node_bootstrap(raft_node, static_cast<unsigned>(ids.size()), ids.data(),
                                        list.data(), errmsg, sizeof errmsg);
    if (rv != 0) {
        logger.error("bootstrap failed", {{"error", errmsg}});
        begin_close(std::string("bootstrap: ") + errmsg);
        return;
    }
    forming = false;
    logger.info("bootstrapped", {{"bootstrap_expect", std::to_string(options.bootstrap_expect)},
                                 {"voters", voter_list(voters)}});
    if (auto e = start_raft(); !e.empty()) {
        logger.error("cannot start raft", {{"error", e}});
        begin_close(e);
        return;
    }
    set_waiting_for("");
    refresh_status();
    update_join_wanted();
    hello_all();  // the others learn at once that this server is in a cluster now
}

// A server that should end up a voter through a join request (it discovers, or was to form a
// cluster) and is not one: keep asking until the configuration names it.
void Node::Impl::update_join_wanted() {
    bool want = raft_started && !closing && !left && options.bootstrap.empty() &&
                (options.discover || options.bootstrap_expect >= 2) && !is_voter();
    if (want == join_wanted)
        return;
    join_wanted = want;
    if (want) {
        set_waiting_for("a cluster to join");
    } else {
        if (raft_started && is_voter() && !current.waiting_for.empty())
            logger.info("a voter of the cluster", {{"id", std::to_string(id)}});
        set_waiting_for("");
    }
}

void Node::Impl::try_join(const std::string& target) {
    if (closing || !join_wanted || join_in_flight)
        return;
    set_waiting_for("a cluster to join");
    if (target.empty())
        return;
    join_in_flight = true;
    rpc_client->call(target, MessageType::join,
                     internal::encode_join(internal::JoinRequest{id, options.address}),
                     options.forward_timeout + options.election_timeout,
                     [this, target](Response resp) {
                         join_in_flight = false;
                         if (closing)
                             return;
                         std::string error = resp.error;
                         if (resp.outcome == Outcome::replied) {
                             auto ack = internal::decode_ack(resp.payload);
                             error = ack ? ack->error : ack.error().message;
                         }
                         if (error.empty())
                             logger.info("joined", {{"via", target}});
                         else
                             logger.debug("join failed", {{"via", target}, {"error", error}});
                     });
}

// ---- configuration changes

void Node::Impl::post_change(Change::Kind kind, uint64_t server, BarrierDone done) {
    std::unique_lock lock(mu);
    if (stopping || server == 0) {
        std::string why = stopping ? stop_reason : "server ID 0";
        lock.unlock();
        done(make_error(why));
        return;
    }
    Change c;
    c.kind = kind;
    c.server = server;
    c.done = std::move(done);
    c.deadline = Clock::now() + options.forward_timeout;
    change_requests.push_back(std::move(c));
    uv_async_send(&async);
}

void Node::Impl::request_change(Change c) {
    if (c.kind == Change::Kind::remove && c.server == id)
        left = true;
    if (closing) {
        run_barrier(c.done, make_error(stop_reason));
        return;
    }
    if (current.role == Role::leader) {
        changes.push_back(std::move(c));
        advance_changes();
        return;
    }
    ToLeader item;
    item.kind = ToLeader::Kind::change;
    item.deadline = c.deadline;
    item.change = std::move(c);
    route(std::move(item));
}

void Node::Impl::finish_change(Result<void> result) {
    Change c = std::move(changes.front());
    changes.pop_front();
    if (result.ok() && c.steps > 1)  // one step at least changed the configuration
        logger.info("configuration changed",
                    {{"change", c.kind == Change::Kind::join ? "join" : "remove"},
                     {"server", std::to_string(c.server)}});
    run_barrier(c.done, std::move(result));
}

void Node::Impl::advance_changes() {
    if (closing || change_in_flight || changes.empty())
        return;
    refresh_status();
    while (!changes.empty() && !change_in_flight) {
        if (current.role != Role::leader) {
            leadership_lost();  // they go to the new leader
            return;
        }
        Change& c = changes.front();
        if (Clock::now() >= c.deadline) {
            finish_change(make_error("the configuration change did not complete within " +
                                     go_duration_text(options.forward_timeout)));
            continue;
        }
        std::string why;
        switch (next_change_step(c, why)) {
            case Step::started:
            case Step::later:
                return;
            case Step::done:
                finish_change({});
                break;
            case Step::failed:
                finish_change(make_error(why));
                break;
        }
    }
}

// One step towards the change, from the configuration as it is now: join adds the server (a
// spare), then makes it a voter (libraft catches it up first); a stale entry at its address
// goes first. remove takes a follower out; the leader hands leadership over first, and the new
// leader removes it.
Node::Impl::Step Node::Impl::next_change_step(Change& c, std::string& why) {
    if (++c.steps > max_change_steps) {
        why = "the configuration kept changing under the request";
        return Step::failed;
    }
    const Peer* same_id = nullptr;
    const Peer* same_address = nullptr;
    bool voter = false;
    bool other_voter = false;
    for (const Peer& p : current.voters) {
        if (p.id == c.server) {
            same_id = &p;
            voter = true;
        } else {
            other_voter = true;
            if (c.kind == Change::Kind::join && p.address == c.address)
                same_address = &p;
        }
    }
    for (const Peer& p : current.standbys) {
        if (p.id == c.server)
            same_id = &p;
        else if (c.kind == Change::Kind::join && p.address == c.address)
            same_address = &p;
    }
    const uint64_t tag = ++change_tag;
    int rv = 0;
    if (c.kind == Change::Kind::join) {
        if (same_id != nullptr && voter) {
            if (same_id->address == c.address)
                return Step::done;
            why = "server " + std::to_string(c.server) + " is in the configuration at " +
                  same_id->address;
            return Step::failed;
        }
        if (same_id != nullptr)
            rv = muster_raft_assign_voter(r, c.server, &Impl::on_change_done, this, tag);
        else if (same_address != nullptr)  // a server that was at this address before
            rv = muster_raft_remove(r, same_address->id, &Impl::on_change_done, this, tag);
        else
            rv = muster_raft_add(r, c.server, c.address.c_str(), &Impl::on_change_done, this, tag);
    } else {
        if (same_id == nullptr)
            return Step::done;
        if (c.server == id) {
            if (!other_voter) {
                why = "the only voter cannot leave";
                return Step::failed;
            }
            rv = muster_raft_transfer(r, 0, &Impl::on_transfer_done, this, tag);
        } else {
            rv = muster_raft_remove(r, c.server, &Impl::on_change_done, this, tag);
        }
    }
    if (rv == 0) {
        change_in_flight = true;
        return Step::started;
    }
    if (rv == MUSTER_RAFT_CANTCHANGE || rv == MUSTER_RAFT_NOTLEADER) {
        --c.steps;  // another change is still uncommitted (or a transfer runs): the timer retries
        return Step::later;
    }
    why = std::string(muster_raft_strerror(rv)) + ": " + muster_raft_errmsg(r);
    return Step::failed;
}

void Node::Impl::on_change_done(void* arg, uint64_t tag, int status) {
    auto* self = static_cast<Impl*>(arg);
    try {
        if (tag != self->change_tag || !self->change_in_flight)
            return;
        self->change_in_flight = false;
        if (self->changes.empty())
            return;
        if (self->closing) {
            self->finish_change(make_error("the node stopped"));
            return;
        }
        self->refresh_status();
        if (status == 0 || self->current.role != Role::leader) {
            // Next step (or done); without the leadership, the new leader takes it over.
            self->advance_changes();
            return;
        }
        std::string why = muster_raft_strerror(status);
        if (status == MUSTER_RAFT_NOCONNECTION)
            why = "could not catch the server up (unreachable?)";
        self->finish_change(make_error("configuration change: " + why));
        self->advance_changes();
    } catch (const std::exception& e) {
        logger.error("configuration change callback failed", {{"error", e.what()}});
    }
}

void Node::Impl::on_transfer_done(void* arg, uint64_t tag, int) {
    auto* self = static_cast<Impl*>(arg);
    try {
        if (tag != self->change_tag || !self->change_in_flight)
            return;
        self->change_in_flight = false;
        if (self->changes.empty())
            return;
        if (self->closing) {
            self->finish_change(make_error("the node stopped"));
            return;
        }
        self->refresh_status();
        logger.info("leadership transfer ended", {{"leader", self->current.leader_address}});
        // Still the leader: the next step tries again (until the deadline). Otherwise the change
        // goes to the new leader, which removes this server.
        self->observe_transitions();
        self->advance_changes();
    } catch (const std::exception& e) {
        logger.error("leadership transfer callback failed", {{"error", e.what()}});
    }
}

}  // namespace muster::cluster
