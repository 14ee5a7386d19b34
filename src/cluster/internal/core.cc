// core: see core.hh. Forwarding to the leader is in leader_forwarding.cc; forming, joining and
// leaving a cluster in membership.cc.
#include "cluster/internal/core.hh"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstring>

#include "cluster/internal/mux_transport.h"
#include "cluster/internal/raft_dir.hh"

namespace muster::cluster::internal {
namespace {

constexpr const log::Logger& logger = node_logger;
// The Status copy is refreshed after every loop turn; this timer also catches quiet periods.
constexpr uint64_t status_interval_ms = 50;

Role role_of(int state) {
    switch (state) {
        case MUSTER_RAFT_FOLLOWER:
            return Role::follower;
        case MUSTER_RAFT_CANDIDATE:
            return Role::candidate;
        case MUSTER_RAFT_LEADER:
            return Role::leader;
        default:
            return Role::unavailable;
    }
}

Membership::Options membership_options(const RaftServerOptions& o, uint64_t id) {
    Membership::Options m;
    m.id = id;
    m.address = o.address;
    m.bootstrapped = !o.bootstrap.empty();
    m.bootstrap_expect = o.bootstrap_expect;
    m.discover = o.discover;
    m.retry_interval = o.retry_interval;
    m.forward_timeout = o.forward_timeout;
    m.election_timeout = o.election_timeout;
    return m;
}

FeedServer::Limits feed_limits(const RaftServerOptions& o) {
    FeedServer::Limits l;
    l.ring_entries = std::max<size_t>(o.feed_ring_entries, 1);
    l.ring_bytes = std::max<size_t>(o.feed_ring_bytes, 1);
    return l;
}

}  // namespace

Core::Core(RaftServerOptions o, StateMachine& fsm, uint64_t id)
    : options_(std::move(o)),
      state_machine_(fsm),
      id_(id),
      session_(random_u64()),
      max_payload_(std::max(options_.max_entry_bytes, max_command_bytes) + 64 * 1024) {}

Core::~Core() {
    stop();
}

std::string Core::start() {
    auto policy = make_link_policy(options_.security);
    if (!policy)
        return "server-port TLS: " + policy.error().message;
    link_policy_ = std::move(policy).value();
    std::promise<std::string> started;
    auto result = started.get_future();
    thread_ = std::thread([this, &started] { run(started); });
    std::string err = result.get();
    if (!err.empty()) {
        thread_.join();
        return err;
    }
    membership_->start_discovery();
    return {};
}

void Core::stop() {
    if (!thread_.joinable())
        return;
    if (std::this_thread::get_id() == raft_thread_id_)
        MUSTER_PANIC("cluster::RaftServer destroyed on its own Raft thread");
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            stopping_ = true;
            uv_async_send(&async_);
        }
    }
    thread_.join();
    if (membership_)
        membership_->stop_discovery();
}

void Core::run(std::promise<std::string>& started) {
    raft_thread_id_ = std::this_thread::get_id();
    // A peer that hangs up makes the transport's write raise SIGPIPE, which kills the process
    // unless the application ignores it. Blocked on this thread, the write gets EPIPE instead,
    // whatever the rest of the process does with the signal.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    std::string err;
    try {
        err = setup();
    } catch (const std::exception& e) {
        err = std::string("setup: ") + e.what();
    } catch (...) {
        err = "setup: unknown exception";
    }
    if (!err.empty())
        undo_setup(err);
    else
        started.set_value(std::string());
    if (loop_ready_) {
        guarded("run", [&] { uv_run(&loop_, UV_RUN_DEFAULT); });
        if (uv_loop_close(&loop_) != 0)
            logger.error("raft loop closed with handles left", {{"dir", options_.dir}});
    }
    if (!err.empty())
        started.set_value(err);
}

// Undoes what setup did: closes the raft and the handles, then the loop finishes them.
void Core::undo_setup(const std::string& err) {
    closing_ = true;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    uv_handle_t* handles[] = {
        reinterpret_cast<uv_handle_t*>(&async_), reinterpret_cast<uv_handle_t*>(&timer_),
        reinterpret_cast<uv_handle_t*>(&check_), reinterpret_cast<uv_handle_t*>(&retry_timer_)};
    for (int i = 0; i < handles_ready_; ++i)
        uv_close(handles[i], nullptr);
    if (rpc_client_)
        rpc_client_->shutdown(err);
    if (rpc_server_)
        rpc_server_->shutdown();
    if (raft_node_ != nullptr)
        muster_raft_node_close(raft_node_, &Core::on_raft_closed, this);
}

std::string Core::init_handles() {
    if (int rv = uv_loop_init(&loop_); rv != 0)
        return std::string("uv_loop_init: ") + uv_strerror(rv);
    loop_ready_ = true;
    if (int rv = uv_async_init(&loop_, &async_, &Core::on_async); rv != 0)
        return std::string("uv_async_init: ") + uv_strerror(rv);
    ++handles_ready_;
    uv_timer_init(&loop_, &timer_);
    ++handles_ready_;
    uv_check_init(&loop_, &check_);
    ++handles_ready_;
    uv_timer_init(&loop_, &retry_timer_);
    ++handles_ready_;
    async_.data = timer_.data = check_.data = retry_timer_.data = this;
    return {};
}

std::string Core::setup() {
    if (auto e = init_handles(); !e.empty())
        return e;
    adapter_ = std::make_unique<FsmAdapter>(state_machine_, nullptr);
    proposals_ =
        std::make_unique<Proposals>(session_, options_.max_entry_bytes, options_.max_in_flight);
    adapter_->set_sink(proposals_.get());
    rpc_server_ = std::make_unique<RpcServer>(
        max_payload_, [this](RpcServer::Request req) { on_request(std::move(req)); });
    rpc_client_ = std::make_unique<RpcClient>(&loop_, max_payload_, link_policy_);
    forwarding_ = std::make_unique<LeaderForwarding>(
        static_cast<LeaderForwarding::Host&>(*this), *rpc_client_,
        LeaderForwarding::Limits{options_.forward_timeout, max_payload_});
    membership_ = std::make_unique<Membership>(static_cast<Membership::Host&>(*this), *rpc_client_,
                                               membership_options(options_, id_));
    feed_ = std::make_unique<FeedServer>(static_cast<FeedServer::Host&>(*this),
                                         feed_limits(options_), state_machine_.applied_index());
    adapter_->set_observer(feed_.get());
    rpc_server_->set_closed_handler([this](uint64_t connection) { feed_->closed(connection); });
    reports_ = std::make_unique<MemberReports>(
        static_cast<MemberReports::Host&>(*this), *rpc_client_,
        MemberReports::Options{
            .node = options_.node,
            .address = options_.node_address,
            .interval = std::chrono::milliseconds(500),
            .heartbeat_fresh = std::chrono::milliseconds(2500),
            .detach_kept = std::chrono::milliseconds(3000),
            .timeouts = MemberTimeouts{.member = options_.member_timeout,
                                       .detached = std::chrono::milliseconds(1500),
                                       .forget = std::chrono::hours(1)}});

    auto state = has_raft_state(options_.dir);
    if (!state)
        return state.error().message;
    muster_raft_node_options ro{};
    ro.election_timeout_ms = static_cast<unsigned>(options_.election_timeout.count());
    ro.heartbeat_timeout_ms = static_cast<unsigned>(options_.heartbeat_timeout.count());
    ro.snapshot_threshold = options_.snapshot_threshold;
    ro.snapshot_trailing = options_.snapshot_trailing;
    ro.connect_retry_ms = std::clamp<unsigned>(ro.election_timeout_ms / 2, 50, 1000);
    ro.bind_address = options_.bind.empty() ? nullptr : options_.bind.c_str();
    char errmsg[512] = {0};
    if (muster_raft_node_init(&raft_node_, &loop_, options_.dir.c_str(), id_,
                              options_.address.c_str(), adapter_->fsm(), &ro, &Core::on_rpc_accept,
                              this, link_policy_.get(), errmsg, sizeof errmsg) != 0) {
        raft_node_ = nullptr;
        return errmsg;
    }
    r_ = muster_raft_node_raft(raft_node_);
    if (auto e = setup_raft(*state); !e.empty())
        return e;
    uv_timer_start(&timer_, &Core::on_timer, status_interval_ms, status_interval_ms);
    uv_check_start(&check_, &Core::on_check);
    if (membership_->wants_retries())
        uv_timer_start(&retry_timer_, &Core::on_retry, 0,
                       static_cast<uint64_t>(options_.retry_interval.count()));
    refresh_status();
    logger.info("started", {{"id", std::to_string(id_)},
                            {"address", options_.address},
                            {"dir", options_.dir},
                            {"last_applied", std::to_string(current_.last_applied)},
                            {"waiting_for", current_.waiting_for}});
    return {};
}

// Bootstraps when told to (or bootstrap_expect 1), starts the raft unless the cluster is still
// to be formed: a raft that bootstraps must not have started.
std::string Core::setup_raft(bool has_state) {
    if (!has_state && options_.bootstrap.empty() && options_.bootstrap_expect >= 2) {
        membership_->begin_forming();
        return {};
    }
    std::vector<Peer> voters = options_.bootstrap;
    if (voters.empty() && !has_state && options_.bootstrap_expect == 1)
        voters.push_back(Peer{id_, options_.address});
    if (!voters.empty()) {
        bool mine = false;
        for (Peer& p : voters) {
            if (p.id == 0)
                p.id = id_;
            if (p.id != id_)
                continue;
            mine = true;
            if (p.address != options_.address)
                return "bootstrap gives this server (" + std::to_string(id_) + ") address " +
                       p.address;
        }
        if (!mine)
            return "bootstrap voters do not include this server (" + std::to_string(id_) + ")";
        std::string e;
        int rv = bootstrap_voters(voters, e);
        if (rv == 0)
            logger.info("bootstrapped",
                        {{"dir", options_.dir}, {"voters", std::to_string(voters.size())}});
        else if (rv != MUSTER_RAFT_CANTBOOTSTRAP)  // the dir has state: start from it
            return e;
    }
    return start_raft();
}

std::string Core::bootstrap(const std::vector<Peer>& voters) {
    std::string err;
    return bootstrap_voters(voters, err) == 0 ? std::string() : err;
}

int Core::bootstrap_voters(const std::vector<Peer>& voters, std::string& err) {
    std::vector<uint64_t> ids;
    std::vector<const char*> addresses;
    for (const Peer& p : voters) {
        ids.push_back(p.id);
        addresses.push_back(p.address.c_str());
    }
    char errmsg[512] = {0};
    int rv = muster_raft_node_bootstrap(raft_node_, static_cast<unsigned>(ids.size()), ids.data(),
                                        addresses.data(), errmsg, sizeof errmsg);
    if (rv != 0)
        err = errmsg;
    return rv;
}

std::string Core::start_raft() {
    char errmsg[512] = {0};
    if (muster_raft_node_start(raft_node_, errmsg, sizeof errmsg) != 0)
        return errmsg;
    raft_started_ = true;
    if (adapter_->broken())
        return adapter_->broken_reason();
    return {};
}

void Core::on_rpc_accept(void* data, uv_stream_t* stream, const char* peer, int peer_is_server) {
    auto* self = static_cast<Core*>(data);
    guarded("accept", [&] {
        self->rpc_server_->accept(stream, peer,
                                  peer_is_server ? PeerRole::server : PeerRole::client);
    });
}

std::string Core::not_leader_message() const {
    if (current_.leader_id != 0 && current_.leader_id != id_ && !current_.leader_address.empty())
        return "not the leader; leader is " + current_.leader_address;
    return "no leader";
}

void Core::wake() {
    if (!closing_)
        uv_async_send(&async_);
}

void Core::begin_close(const std::string& reason) {
    if (closing_)
        return;
    closing_ = true;
    std::vector<Incoming> in;
    std::vector<BarrierDone> bars;
    std::vector<Change> changes_asked;
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
        stop_reason_ = reason;
        in.swap(incoming_);
        bars.swap(barriers_);
        changes_asked.swap(change_requests_);
        discovered_.reset();
    }
    for (auto& i : in)
        run_done(i.done, Fate::not_leader, make_error(reason));
    for (auto& b : bars)
        run_barrier(b, make_error(reason));
    for (auto& c : changes_asked)
        run_barrier(c.done, make_error(reason));
    fail_everything(reason);
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
    if (proposals_->in_flight() > 0)
        logger.info("stopping with entries in flight",
                    {{"entries", std::to_string(proposals_->in_flight())}});
    // libraft fails its pending requests while closing; on_raft_closed fails what is left.
    muster_raft_node_close(raft_node_, &Core::on_raft_closed, this);
}

// What waits here fails; forwarded requests still out get Fate::unknown (they may apply).
void Core::fail_everything(const std::string& reason) {
    rpc_client_->shutdown(reason);
    forwarding_->fail_all(reason);
    // The change in flight (if any) fails when libraft closes.
    membership_->fail(reason, false);
    proposals_->fail_queued(Fate::not_leader, reason);
    auto waiting = std::move(barriers_waiting_);
    barriers_waiting_.clear();
    for (auto& [behind, done] : waiting)
        run_barrier(done, make_error(reason));
    rpc_server_->shutdown();
}

void Core::on_raft_closed(void* arg) {
    auto* self = static_cast<Core*>(arg);
    guarded("close", [&] {
        self->raft_node_ = nullptr;
        self->r_ = nullptr;
        self->proposals_->fail_in_flight("the node stopped before the outcome was known");
        auto bars = std::move(self->barriers_in_flight_);
        self->barriers_in_flight_.clear();
        for (auto& [tag, done] : bars)
            run_barrier(done, make_error("the node stopped"));
        if (self->membership_)
            self->membership_->fail("the node stopped", true);
        self->current_.role = Role::unavailable;
        self->current_.leader_id = 0;
        self->current_.leader_address.clear();
        std::lock_guard lock(self->status_mu_);
        self->status_ = self->current_;
    });
}

void Core::drain() {
    if (closing_)
        return;
    std::vector<Incoming> in;
    std::vector<BarrierDone> bars;
    std::vector<Change> changes_asked;
    std::optional<std::vector<std::string>> found;
    {
        std::lock_guard lock(mu_);
        in.swap(incoming_);
        bars.swap(barriers_);
        changes_asked.swap(change_requests_);
        found.swap(discovered_);
    }
    refresh_status();
    observe_transitions();
    for (auto& i : in)
        forwarding_->command(std::move(i.command), std::move(i.done));
    for (auto& b : bars)
        forwarding_->barrier(std::move(b));
    for (auto& c : changes_asked)
        membership_->request(std::move(c));
    if (found)
        membership_->discovered(std::move(*found));
    propose_ready();
}

bool Core::deliver_discovered(std::vector<std::string> found) {
    std::lock_guard lock(mu_);
    if (stopping_)
        return false;
    discovered_ = std::move(found);
    uv_async_send(&async_);  // safe: `async_` closes only after `stopping_` is set
    return true;
}

namespace {

// What a client agent sends on its feed connection; everything else is between servers.
bool client_may_send(MessageType type) {
    switch (type) {
        case MessageType::feed:
        case MessageType::heartbeat:
        case MessageType::submit:
        case MessageType::read_barrier:
            return true;
        default:
            return false;
    }
}

}  // namespace

void Core::on_request(RpcServer::Request req) {
    if (closing_)
        return;
    Reply reply = [this, conn = req.connection, rid = req.id,
                   type = req.type](std::vector<uint8_t> payload) {
        rpc_server_->reply(conn, rid, type, payload);
    };
    if (req.from == PeerRole::client && !client_may_send(req.type)) {
        muster_link_refused(link_policy_.get(), req.peer.c_str(),
                            "a server request from a certificate that does not name this "
                            "datacenter's servers (verify_server_hostname)");
        rpc_server_->close(req.connection, "server request from a client certificate");
        return;
    }
    switch (req.type) {
        case MessageType::hello:
            membership_->handle_hello(req.payload, reply);
            break;
        case MessageType::apply:
            forwarding_->handle_apply(std::move(req.payload), std::move(reply));
            break;
        case MessageType::barrier:
            forwarding_->handle_barrier(std::move(reply));
            break;
        case MessageType::join:
        case MessageType::remove:
            membership_->handle_change(req.type, req.payload, std::move(reply));
            break;
        case MessageType::feed:
            feed_->handle_feed(req.connection, req.id, req.payload);
            break;
        case MessageType::heartbeat:
            feed_->handle_heartbeat(req.connection, req.id, req.payload);
            break;
        case MessageType::submit:
            feed_->handle_submit(req.connection, req.id, std::move(req.payload));
            break;
        case MessageType::report:
            reports_->handle_report(req.payload, std::move(reply));
            break;
        case MessageType::read_barrier:
            feed_->handle_read_barrier(req.connection, req.id);
            break;
    }
}

// ---- FeedServer::Host

bool Core::feed_push(uint64_t connection, uint64_t request, std::span<const uint8_t> payload) {
    return rpc_server_->push(connection, request, MessageType::feed, payload);
}

void Core::feed_reply(uint64_t connection, uint64_t request, MessageType type,
                      std::span<const uint8_t> payload) {
    rpc_server_->reply(connection, request, type, payload);
}

void Core::feed_close(uint64_t connection, const std::string& why) {
    rpc_server_->close(connection, why);
}

size_t Core::feed_unsent(uint64_t connection) const {
    return rpc_server_->unsent(connection);
}

Result<FeedServer::Snapshot> Core::feed_snapshot() {
    if (adapter_->broken())
        return make_error("the state machine is broken: " + adapter_->broken_reason());
    try {
        uint64_t index = state_machine_.applied_index();
        auto data = state_machine_.snapshot();
        if (!data)
            return data.error();
        return FeedServer::Snapshot{index, std::move(*data)};
    } catch (const std::exception& e) {
        return make_error(std::string("snapshot: ") + e.what());
    }
}

void Core::feed_submit(std::vector<uint8_t> command, CommandDone done) {
    if (closing_) {
        run_done(done, Fate::not_leader, make_error(stop_reason_));
        return;
    }
    forwarding_->command(std::move(command), std::move(done));
}

void Core::feed_barrier(std::function<void(Result<uint64_t>)> done) {
    barrier([this, done = std::move(done)](Result<void> r) {
        if (!r)
            done(r.error());
        else
            done(applied_now());
    });
}

// ---- group commit and barriers

void Core::propose(std::vector<uint8_t> command, CommandDone done) {
    proposals_->enqueue(std::move(command), std::move(done));
    wake();  // one entry for all the commands that came in this loop turn
}

// At most one new entry per call: what is still queued joins the next one, which the next loop
// turn makes (or the completion that frees an in-flight slot).
void Core::propose_ready() {
    if (closing_ || current_.role != Role::leader)
        return;
    if (proposals_->ready()) {
        propose_one();
        if (proposals_->ready())
            wake();
    }
    release_barriers();
}

void Core::propose_one() {
    auto entry = proposals_->take_entry();
    void* buf = muster_raft_malloc(entry.bytes.size());
    if (buf == nullptr) {
        proposals_->not_appended(entry.seq, Fate::not_leader, "out of memory");
        return;
    }
    std::memcpy(buf, entry.bytes.data(), entry.bytes.size());
    uint64_t index = 0;
    int rv = muster_raft_apply(r_, buf, entry.bytes.size(), &Core::on_apply_done, this, entry.seq,
                               &index);
    if (rv != 0) {
        // RAFT_NOTLEADER: refused before appending. Anything else may have reached the log.
        Fate fate = rv == MUSTER_RAFT_NOTLEADER ? Fate::not_leader : Fate::unknown;
        std::string why = rv == MUSTER_RAFT_NOTLEADER
                              ? not_leader_message()
                              : std::string("raft_apply: ") + muster_raft_strerror(rv);
        proposals_->not_appended(entry.seq, fate, why);
        return;
    }
    proposals_->appended(entry.seq, index);
    apply_started_[entry.seq] = Clock::now();
}

void Core::on_apply_done(void* arg, uint64_t seq, int status) {
    auto* self = static_cast<Core*>(arg);
    guarded("apply", [&] {
        std::string why;
        if (status != 0)
            why = status == MUSTER_RAFT_LEADERSHIPLOST
                      ? "leadership lost before the entry was known to commit"
                      : std::string("the entry's outcome is unknown: ") +
                            muster_raft_strerror(status);
        if (auto it = self->apply_started_.find(seq); it != self->apply_started_.end()) {
            if (status == 0)
                self->current_.apply_latency.observe(Clock::now() - it->second);
            self->apply_started_.erase(it);
        }
        self->proposals_->completed(seq, status, why);
        if (!self->closing_ && self->proposals_->ready())
            uv_async_send(&self->async_);
    });
}

// A barrier goes into the log after the commands queued before it (group commit may not have
// packed them yet), so that it covers them.
void Core::barrier_here(BarrierDone done) {
    uint64_t behind = proposals_->commands_enqueued();
    if (proposals_->commands_dequeued() >= behind && barriers_waiting_.empty()) {
        append_barrier(std::move(done));
        return;
    }
    barriers_waiting_.emplace_back(behind, std::move(done));
    propose_ready();
}

void Core::release_barriers() {
    while (!barriers_waiting_.empty() &&
           barriers_waiting_.front().first <= proposals_->commands_dequeued()) {
        BarrierDone done = std::move(barriers_waiting_.front().second);
        barriers_waiting_.pop_front();
        if (current_.role == Role::leader)
            append_barrier(std::move(done));
        else
            forwarding_->barrier(std::move(done));
    }
}

void Core::append_barrier(BarrierDone done) {
    uint64_t tag = next_barrier_++;
    barriers_in_flight_.emplace(tag, std::move(done));
    int rv = muster_raft_barrier(r_, &Core::on_barrier_done, this, tag);
    if (rv != 0) {
        auto it = barriers_in_flight_.find(tag);
        BarrierDone d = std::move(it->second);
        barriers_in_flight_.erase(it);
        run_barrier(d, make_error(rv == MUSTER_RAFT_NOTLEADER
                                      ? not_leader_message()
                                      : std::string("raft_barrier: ") + muster_raft_strerror(rv)));
    }
}

void Core::on_barrier_done(void* arg, uint64_t tag, int status) {
    auto* self = static_cast<Core*>(arg);
    guarded("barrier", [&] {
        auto it = self->barriers_in_flight_.find(tag);
        if (it == self->barriers_in_flight_.end())
            return;
        BarrierDone d = std::move(it->second);
        self->barriers_in_flight_.erase(it);
        if (status == 0)
            run_barrier(d, {});
        else
            run_barrier(d, make_error(std::string("barrier: ") + muster_raft_strerror(status)));
    });
}

void Core::change_here(Change change) {
    membership_->run(std::move(change));
}

void Core::to_leader(Change change) {
    forwarding_->change(std::move(change));
}

uint64_t Core::applied_now() const {
    if (r_ == nullptr)
        return current_.last_applied;
    muster_raft_info info{};
    muster_raft_get_info(r_, &info);
    return info.last_applied;
}

// ---- status

void Core::read_voters() {
    current_.voters.clear();
    current_.standbys.clear();
    unsigned n = muster_raft_n_servers(r_);
    for (unsigned i = 0; i < n; ++i) {
        uint64_t sid = 0;
        const char* address = nullptr;
        int role = 0;
        muster_raft_server(r_, i, &sid, &address, &role);
        Peer p{sid, address != nullptr ? address : ""};
        if (role == MUSTER_RAFT_VOTER)
            current_.voters.push_back(std::move(p));
        else
            current_.standbys.push_back(std::move(p));
    }
}

void Core::refresh_status() {
    if (r_ == nullptr)
        return;
    muster_raft_info info{};
    muster_raft_get_info(r_, &info);
    Role old_role = current_.role;
    current_.id = id_;
    // An unstarted raft (forming a cluster) says follower; it is not one yet.
    current_.role = raft_started_ ? role_of(info.state) : Role::unavailable;
    current_.term = info.term;
    current_.commit_index = info.commit_index;
    current_.last_applied = info.last_applied;
    if (current_.leader_id != info.leader_id) {
        if (info.leader_id != 0)
            current_.leader_changes++;
        current_.leader_id = info.leader_id;
        current_.leader_address = info.leader_address != nullptr ? info.leader_address : "";
    }
    if (info.configuration_committed_index != voters_committed_ ||
        info.configuration_uncommitted_index != voters_uncommitted_) {
        voters_committed_ = info.configuration_committed_index;
        voters_uncommitted_ = info.configuration_uncommitted_index;
        read_voters();
    }
    auto now = Clock::now();
    if (current_.role == Role::leader) {
        current_.last_contact = now;
    } else if (current_.role == Role::follower && info.leader_id != 0) {
        // A follower restarts its election timer on each AppendEntries from the leader; both
        // that and uv_now are libuv loop time in ms.
        uint64_t loop_now = uv_now(&loop_);
        uint64_t age =
            loop_now > info.election_timer_start ? loop_now - info.election_timer_start : 0;
        current_.last_contact = now - std::chrono::milliseconds(age);
    }
    if (current_.role != old_role)
        logger.info("raft role", {{"role", role_name(current_.role)},
                                  {"term", std::to_string(current_.term)},
                                  {"leader", current_.leader_address}});
    membership_->update_join_wanted();  // waiting_for goes out with the voters that settle it
    current_.snapshots = adapter_->snapshots_taken();
    current_.snapshot_seconds = adapter_->snapshot_seconds();
    std::lock_guard lock(status_mu_);
    status_ = current_;
}

void Core::set_waiting_for(std::string what) {
    if (current_.waiting_for == what)
        return;
    current_.waiting_for = std::move(what);
    std::lock_guard lock(status_mu_);
    status_.waiting_for = current_.waiting_for;
}

// Acts on a change of role or leader since the last look: work for the leader goes where the
// leadership went.
void Core::observe_transitions() {
    if (closing_)
        return;
    bool lost = seen_role_ == Role::leader && current_.role != Role::leader;
    bool changed = current_.role != seen_role_ || current_.leader_id != seen_leader_;
    seen_role_ = current_.role;
    seen_leader_ = current_.leader_id;
    if (lost)
        leadership_lost();
    if (changed) {
        forwarding_->pump();
        membership_->advance();
        propose_ready();
    }
}

// Commands this leader had not appended yet go to the next leader; so do changes not started.
void Core::leadership_lost() {
    for (auto& [command, done] : proposals_->take_queued())
        forwarding_->command(std::move(command), std::move(done));
    release_barriers();  // to the new leader, after the commands
    for (auto& c : membership_->take_unstarted())
        forwarding_->change(std::move(c));
    forwarding_->pump();
}

void Core::after_turn() {
    if (closing_)
        return;
    if (adapter_->broken()) {
        begin_close("the state machine is broken: " + adapter_->broken_reason());
        return;
    }
    refresh_status();
    observe_transitions();
    forwarding_->applied(current_.last_applied);
    membership_->update_join_wanted();
    feed_->pump();
}

void Core::on_async(uv_async_t* h) {
    auto* self = static_cast<Core*>(h->data);
    guarded("async", [&] {
        if (self->closing_)
            return;
        bool stop = false;
        {
            std::lock_guard lock(self->mu_);
            stop = self->stopping_;
        }
        if (stop) {
            self->begin_close("the node is stopping");
            return;
        }
        self->drain();
    });
}

void Core::on_timer(uv_timer_t* h) {
    auto* self = static_cast<Core*>(h->data);
    guarded("timer", [&] {
        if (self->closing_)
            return;
        self->drain();
        self->forwarding_->expire();
        self->forwarding_->pump();
        self->membership_->advance();
        self->reports_->tick(Clock::now());
    });
}

void Core::on_retry(uv_timer_t* h) {
    auto* self = static_cast<Core*>(h->data);
    guarded("retry", [&] { self->membership_->retry(); });
}

// Runs after every loop turn (each raft event): publish the status, and act on what changed.
void Core::on_check(uv_check_t* h) {
    auto* self = static_cast<Core*>(h->data);
    guarded("check", [&] { self->after_turn(); });
}

// ---- any thread

void Core::submit(std::vector<uint8_t> command, CommandDone done) {
    if (command.size() > max_command_bytes) {
        done(Fate::not_leader, make_error("a command of " + std::to_string(command.size()) +
                                          " bytes is larger than the " +
                                          std::to_string(max_command_bytes) + " a server takes"));
        return;
    }
    std::unique_lock lock(mu_);
    if (stopping_) {
        std::string why = stop_reason_;
        lock.unlock();
        done(Fate::not_leader, make_error(why));
        return;
    }
    incoming_.push_back(Incoming{std::move(command), std::move(done)});
    // One wakeup per batch: the loop takes the whole queue when it runs.
    if (incoming_.size() == 1)
        uv_async_send(&async_);
}

void Core::barrier(BarrierDone done) {
    std::unique_lock lock(mu_);
    if (stopping_) {
        std::string why = stop_reason_;
        lock.unlock();
        done(make_error(why));
        return;
    }
    barriers_.push_back(std::move(done));
    uv_async_send(&async_);
}

void Core::change(Change::Kind kind, uint64_t server, BarrierDone done) {
    std::unique_lock lock(mu_);
    if (stopping_ || server == 0) {
        std::string why = stopping_ ? stop_reason_ : "server ID 0";
        lock.unlock();
        done(make_error(why));
        return;
    }
    Change c;
    c.kind = kind;
    c.server = server;
    c.done = std::move(done);
    c.deadline = Clock::now() + options_.forward_timeout;
    change_requests_.push_back(std::move(c));
    uv_async_send(&async_);
}

void Core::publish_members(std::optional<std::vector<MemberState>> decided) {
    std::lock_guard lock(status_mu_);
    members_ = std::move(decided);
}

std::optional<std::vector<MemberState>> Core::members_copy() const {
    std::lock_guard lock(status_mu_);
    return members_;
}

Status Core::status_copy() const {
    std::lock_guard lock(status_mu_);
    return status_;
}

}  // namespace muster::cluster::internal
