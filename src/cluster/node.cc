// cluster::Node: libraft (through internal/raft_shim) on a libuv loop of its own thread. Other
// threads hand commands over through a locked queue and uv_async_send; the loop packs them into
// entries (internal::Proposals) and publishes a Status copy after every turn. Forwarding to the
// leader is in node_forward.cc, forming, joining and leaving a cluster in node_membership.cc.
#include "cluster/node.hh"

#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "cluster/internal/mux_transport.h"
#include "cluster/internal/node_impl.hh"

namespace muster::cluster {
namespace {

namespace fs = std::filesystem;
constexpr const log::Logger& logger = internal::node_logger;
// The Status copy is refreshed after every loop turn; this timer also catches quiet periods.
constexpr uint64_t status_interval_ms = 50;

std::string errno_text(int err) {
    return std::strerror(err);
}

uint64_t random_u64() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

// Kept below 2^63 so tools that read IDs as signed integers (JSON, SQL) see them unchanged.
uint64_t random_id() {
    for (;;) {
        uint64_t id = random_u64() & 0x7fff'ffff'ffff'ffffULL;
        if (id != 0)
            return id;
    }
}

// libraft's libuv backend keeps metadata1/2, closed segments "<first>-<last>", open segments
// "open-<n>" and "snapshot-..." files.
bool is_raft_state_file(const std::string& name) {
    if (name == "metadata1" || name == "metadata2")
        return true;
    if (name.starts_with("open-") || name.starts_with("snapshot-"))
        return true;
    auto dash = name.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == name.size())
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '-' || std::isdigit(static_cast<unsigned char>(c));
    });
}

Result<bool> has_raft_state(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (is_raft_state_file(it->path().filename().string()))
            return true;
    }
    if (ec)
        return make_error(dir.string() + ": " + ec.message());
    return false;
}

Result<uint64_t> read_id(const fs::path& file) {
    std::ifstream in(file);
    if (!in)
        return make_error(file.string() + ": cannot read");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id == 0)
        return make_error(file.string() + ": not a nonzero decimal server ID: \"" + text + "\"");
    return id;
}

// tmp + fsync + rename + fsync(dir): after a crash the ID is either absent or whole.
Result<void> write_id(const fs::path& dir, uint64_t id) {
    const fs::path tmp = dir / "id.tmp";
    const fs::path file = dir / "id";
    std::string text = std::to_string(id) + "\n";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return make_error(tmp.string() + ": " + errno_text(errno));
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = n == static_cast<ssize_t>(text.size()) ? 0 : (n < 0 ? errno : EIO);
    if (err == 0 && ::fsync(fd) != 0)
        err = errno;
    ::close(fd);
    if (err == 0 && ::rename(tmp.c_str(), file.c_str()) != 0)
        err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        return make_error(file.string() + ": " + errno_text(err));
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    return {};
}

Result<void> check_options(const NodeOptions& o) {
    if (o.dir.empty())
        return make_error("no Raft dir");
    if (!internal::is_server_address(o.address))
        return make_error("address \"" + o.address + "\" is not an IPv4 a.b.c.d:port");
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

}  // namespace

Node::Impl::Impl(NodeOptions o, StateMachine& sm, uint64_t server_id)
    : options(std::move(o)),
      state_machine(sm),
      id(server_id),
      session(random_u64()),
      max_payload(std::max<size_t>(options.max_entry_bytes, size_t{1} << 20) + 64 * 1024),
      formation(server_id, options.address, options.bootstrap_expect) {}

namespace {
// Every libuv callback body runs through this: nothing may unwind into libuv or libraft.
template <class F>
void guarded(const char* what, F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        logger.error("raft loop callback failed", {{"where", what}, {"error", e.what()}});
    } catch (...) {
        logger.error("raft loop callback failed", {{"where", what}, {"error", "unknown"}});
    }
}
}  // namespace

void Node::Impl::run(std::promise<std::string>& started) {
    raft_thread_id = std::this_thread::get_id();
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
    if (!err.empty()) {
        // Undo what setup did: close the raft and the handles, then let the loop finish them.
        closing = true;
        {
            std::lock_guard lock(mu);
            stopping = true;
        }
        uv_handle_t* handles[] = {
            reinterpret_cast<uv_handle_t*>(&async), reinterpret_cast<uv_handle_t*>(&timer),
            reinterpret_cast<uv_handle_t*>(&check), reinterpret_cast<uv_handle_t*>(&retry_timer)};
        for (int i = 0; i < handles_ready; ++i)
            uv_close(handles[i], nullptr);
        if (rpc_client)
            rpc_client->shutdown(err);
        if (rpc_server)
            rpc_server->shutdown();
        if (raft_node != nullptr)
            muster_raft_node_close(raft_node, &Impl::on_raft_closed, this);
    } else {
        started.set_value(std::string());
    }
    if (loop_ready) {
        guarded("run", [&] { uv_run(&loop, UV_RUN_DEFAULT); });
        if (uv_loop_close(&loop) != 0)
            logger.error("raft loop closed with handles left", {{"dir", options.dir}});
    }
    if (!err.empty())
        started.set_value(err);
}

std::string Node::Impl::setup() {
    if (int rv = uv_loop_init(&loop); rv != 0)
        return std::string("uv_loop_init: ") + uv_strerror(rv);
    loop_ready = true;
    if (int rv = uv_async_init(&loop, &async, &Impl::on_async); rv != 0)
        return std::string("uv_async_init: ") + uv_strerror(rv);
    ++handles_ready;
    uv_timer_init(&loop, &timer);
    ++handles_ready;
    uv_check_init(&loop, &check);
    ++handles_ready;
    uv_timer_init(&loop, &retry_timer);
    ++handles_ready;
    async.data = timer.data = check.data = retry_timer.data = this;

    adapter = std::make_unique<internal::FsmAdapter>(state_machine, nullptr);
    proposals = std::make_unique<internal::Proposals>(session, options.max_entry_bytes,
                                                      options.max_in_flight);
    adapter->set_sink(proposals.get());
    rpc_server = std::make_unique<internal::RpcServer>(
        max_payload, [this](internal::RpcServer::Request req) { on_request(std::move(req)); });
    rpc_client = std::make_unique<internal::RpcClient>(&loop, max_payload);

    auto state = has_raft_state(options.dir);
    if (!state)
        return state.error().message;
    muster_raft_node_options ro{};
    ro.election_timeout_ms = static_cast<unsigned>(options.election_timeout.count());
    ro.heartbeat_timeout_ms = static_cast<unsigned>(options.heartbeat_timeout.count());
    ro.snapshot_threshold = options.snapshot_threshold;
    ro.snapshot_trailing = options.snapshot_trailing;
    ro.connect_retry_ms = std::clamp<unsigned>(ro.election_timeout_ms / 2, 50, 1000);
    char errmsg[512] = {0};
    if (muster_raft_node_init(&raft_node, &loop, options.dir.c_str(), id, options.address.c_str(),
                              adapter->fsm(), &ro, &Impl::on_rpc_accept, this, errmsg,
                              sizeof errmsg) != 0) {
        raft_node = nullptr;
        return errmsg;
    }
    r = muster_raft_node_raft(raft_node);
    if (auto e = setup_raft(*state); !e.empty())
        return e;
    uv_timer_start(&timer, &Impl::on_timer, status_interval_ms, status_interval_ms);
    uv_check_start(&check, &Impl::on_check);
    if (forming || options.discover)
        uv_timer_start(&retry_timer, &Impl::on_retry, 0,
                       static_cast<uint64_t>(options.retry_interval.count()));
    refresh_status();
    update_join_wanted();
    logger.info("started", {{"id", std::to_string(id)},
                            {"address", options.address},
                            {"dir", options.dir},
                            {"last_applied", std::to_string(current.last_applied)},
                            {"waiting_for", current.waiting_for}});
    return {};
}

// Bootstraps when told to (or bootstrap_expect 1), starts the raft unless the cluster is still
// to be formed: a raft that bootstraps must not have started.
std::string Node::Impl::setup_raft(bool has_state) {
    if (!has_state && options.bootstrap.empty() && options.bootstrap_expect >= 2) {
        forming = true;
        set_waiting_for(formation.decide().waiting_for);
        return {};
    }
    std::vector<Peer> voters = options.bootstrap;
    if (voters.empty() && !has_state && options.bootstrap_expect == 1)
        voters.push_back(Peer{id, options.address});
    if (!voters.empty()) {
        std::vector<uint64_t> ids;
        std::vector<const char*> addresses;
        bool mine = false;
        for (const Peer& p : voters) {
            uint64_t pid = p.id == 0 ? id : p.id;
            if (pid == id) {
                mine = true;
                if (p.address != options.address)
                    return "bootstrap gives this server (" + std::to_string(id) + ") address " +
                           p.address;
            }
            ids.push_back(pid);
            addresses.push_back(p.address.c_str());
        }
        if (!mine)
            return "bootstrap voters do not include this server (" + std::to_string(id) + ")";
        char errmsg[512] = {0};
        int rv = muster_raft_node_bootstrap(raft_node, static_cast<unsigned>(ids.size()),
                                            ids.data(), addresses.data(), errmsg, sizeof errmsg);
        if (rv == 0)
            logger.info("bootstrapped",
                        {{"dir", options.dir}, {"voters", std::to_string(ids.size())}});
        else if (rv != MUSTER_RAFT_CANTBOOTSTRAP)  // the dir has state: start from it
            return errmsg;
    }
    return start_raft();
}

std::string Node::Impl::start_raft() {
    char errmsg[512] = {0};
    if (muster_raft_node_start(raft_node, errmsg, sizeof errmsg) != 0)
        return errmsg;
    raft_started = true;
    if (adapter->broken())
        return adapter->broken_reason();
    return {};
}

void Node::Impl::on_rpc_accept(void* data, uv_stream_t* stream) {
    auto* self = static_cast<Impl*>(data);
    guarded("accept", [&] { self->rpc_server->accept(stream); });
}

void Node::Impl::run_barrier(BarrierDone& done, Result<void> result) {
    if (!done)
        return;
    try {
        done(std::move(result));
    } catch (const std::exception& e) {
        logger.error("barrier callback threw", {{"error", e.what()}});
    } catch (...) {
        logger.error("barrier callback threw", {{"error", "unknown exception"}});
    }
}

void Node::Impl::run_done(Done& done, Fate fate, Result<uint64_t> result) {
    if (!done)
        return;
    try {
        done(fate, std::move(result));
    } catch (const std::exception& e) {
        logger.error("submit callback threw", {{"error", e.what()}});
    } catch (...) {
        logger.error("submit callback threw", {{"error", "unknown exception"}});
    }
}

std::string Node::Impl::not_leader_message() const {
    if (current.leader_id != 0 && current.leader_id != id && !current.leader_address.empty())
        return "not the leader; leader is " + current.leader_address;
    return "no leader";
}

bool Node::Impl::is_voter() const {
    return std::any_of(current.voters.begin(), current.voters.end(),
                       [&](const Peer& p) { return p.id == id; });
}

void Node::Impl::wake() {
    if (!closing)
        uv_async_send(&async);
}

void Node::Impl::begin_close(const std::string& reason) {
    if (closing)
        return;
    closing = true;
    std::vector<Incoming> in;
    std::vector<BarrierDone> bars;
    std::vector<Change> changes_asked;
    {
        std::lock_guard lock(mu);
        stopping = true;
        stop_reason = reason;
        in.swap(incoming);
        bars.swap(barriers);
        changes_asked.swap(change_requests);
        discovered.reset();
    }
    for (auto& i : in)
        run_done(i.done, Fate::not_leader, make_error(reason));
    for (auto& b : bars)
        run_barrier(b, make_error(reason));
    for (auto& c : changes_asked)
        run_barrier(c.done, make_error(reason));
    fail_everything(reason);
    uv_close(reinterpret_cast<uv_handle_t*>(&async), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&check), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer), nullptr);
    if (proposals->in_flight() > 0)
        logger.info("stopping with entries in flight",
                    {{"entries", std::to_string(proposals->in_flight())}});
    // libraft fails its pending requests while closing; on_raft_closed fails what is left.
    muster_raft_node_close(raft_node, &Impl::on_raft_closed, this);
}

// What waits here fails; forwarded requests still out get Fate::unknown (they may apply).
void Node::Impl::fail_everything(const std::string& reason) {
    rpc_client->shutdown(reason);
    auto items = std::move(to_leader);
    to_leader.clear();
    for (auto& item : items)
        fail_item(item, reason);
    auto waits = std::move(applied_waits);
    applied_waits.clear();
    for (auto& w : waits)
        run_barrier(w.done, make_error(reason));
    // The change in flight (if any) fails when libraft closes.
    while (changes.size() > (change_in_flight ? 1U : 0U)) {
        Change c = std::move(changes.back());
        changes.pop_back();
        run_barrier(c.done, make_error(reason));
    }
    proposals->fail_queued(Fate::not_leader, reason);
    auto waiting = std::move(barriers_waiting);
    barriers_waiting.clear();
    for (auto& [behind, done] : waiting)
        run_barrier(done, make_error(reason));
    rpc_server->shutdown();
}

void Node::Impl::on_raft_closed(void* arg) {
    auto* self = static_cast<Impl*>(arg);
    guarded("close", [&] {
        self->raft_node = nullptr;
        self->r = nullptr;
        self->proposals->fail_in_flight("the node stopped before the outcome was known");
        auto bars = std::move(self->barriers_in_flight);
        self->barriers_in_flight.clear();
        for (auto& [tag, done] : bars)
            run_barrier(done, make_error("the node stopped"));
        auto left = std::move(self->changes);
        self->changes.clear();
        for (auto& c : left)
            run_barrier(c.done, make_error("the node stopped"));
        self->current.role = Role::unavailable;
        self->current.leader_id = 0;
        self->current.leader_address.clear();
        std::lock_guard lock(self->status_mu);
        self->status = self->current;
    });
}

void Node::Impl::drain() {
    if (closing)
        return;
    std::vector<Incoming> in;
    std::vector<BarrierDone> bars;
    std::vector<Change> changes_asked;
    std::optional<std::vector<std::string>> found;
    {
        std::lock_guard lock(mu);
        in.swap(incoming);
        bars.swap(barriers);
        changes_asked.swap(change_requests);
        found.swap(discovered);
    }
    refresh_status();
    observe_transitions();
    for (auto& i : in)
        route_command(std::move(i.command), std::move(i.done));
    for (auto& b : bars)
        route_barrier(std::move(b));
    for (auto& c : changes_asked)
        request_change(std::move(c));
    if (found)
        on_discovered(std::move(*found));
    propose_ready();
}

// At most one new entry per call: what is still queued joins the next one, which the next loop
// turn makes (or the completion that frees an in-flight slot).
void Node::Impl::propose_ready() {
    if (closing || current.role != Role::leader)
        return;
    if (proposals->ready()) {
        propose_one();
        if (proposals->ready())
            wake();
    }
    release_barriers();
}

void Node::Impl::propose_one() {
    auto entry = proposals->take_entry();
    void* buf = muster_raft_malloc(entry.bytes.size());
    if (buf == nullptr) {
        proposals->not_appended(entry.seq, Fate::not_leader, "out of memory");
        return;
    }
    std::memcpy(buf, entry.bytes.data(), entry.bytes.size());
    uint64_t index = 0;
    int rv = muster_raft_apply(r, buf, entry.bytes.size(), &Impl::on_apply_done, this, entry.seq,
                               &index);
    if (rv != 0) {
        // RAFT_NOTLEADER: refused before appending. Anything else may have reached the log.
        Fate fate = rv == MUSTER_RAFT_NOTLEADER ? Fate::not_leader : Fate::unknown;
        std::string why = rv == MUSTER_RAFT_NOTLEADER
                              ? not_leader_message()
                              : std::string("raft_apply: ") + muster_raft_strerror(rv);
        proposals->not_appended(entry.seq, fate, why);
        return;
    }
    proposals->appended(entry.seq, index);
}

void Node::Impl::on_apply_done(void* arg, uint64_t seq, int status) {
    auto* self = static_cast<Impl*>(arg);
    guarded("apply", [&] {
        std::string why;
        if (status != 0)
            why = status == MUSTER_RAFT_LEADERSHIPLOST
                      ? "leadership lost before the entry was known to commit"
                      : std::string("the entry's outcome is unknown: ") +
                            muster_raft_strerror(status);
        self->proposals->completed(seq, status, why);
        if (!self->closing && self->proposals->ready())
            uv_async_send(&self->async);
    });
}

// A barrier goes into the log after the commands queued before it (group commit may not have
// packed them yet), so that it covers them.
void Node::Impl::start_barrier(BarrierDone done) {
    uint64_t behind = proposals->commands_enqueued();
    if (proposals->commands_dequeued() >= behind && barriers_waiting.empty()) {
        append_barrier(std::move(done));
        return;
    }
    barriers_waiting.emplace_back(behind, std::move(done));
    propose_ready();
}

void Node::Impl::release_barriers() {
    while (!barriers_waiting.empty() &&
           barriers_waiting.front().first <= proposals->commands_dequeued()) {
        BarrierDone done = std::move(barriers_waiting.front().second);
        barriers_waiting.pop_front();
        if (current.role == Role::leader)
            append_barrier(std::move(done));
        else
            route_barrier(std::move(done));
    }
}

void Node::Impl::append_barrier(BarrierDone done) {
    uint64_t tag = next_barrier++;
    barriers_in_flight.emplace(tag, std::move(done));
    int rv = muster_raft_barrier(r, &Impl::on_barrier_done, this, tag);
    if (rv != 0) {
        auto it = barriers_in_flight.find(tag);
        BarrierDone d = std::move(it->second);
        barriers_in_flight.erase(it);
        run_barrier(d, make_error(rv == MUSTER_RAFT_NOTLEADER
                                      ? not_leader_message()
                                      : std::string("raft_barrier: ") + muster_raft_strerror(rv)));
    }
}

void Node::Impl::on_barrier_done(void* arg, uint64_t tag, int status) {
    auto* self = static_cast<Impl*>(arg);
    guarded("barrier", [&] {
        auto it = self->barriers_in_flight.find(tag);
        if (it == self->barriers_in_flight.end())
            return;
        BarrierDone d = std::move(it->second);
        self->barriers_in_flight.erase(it);
        if (status == 0)
            run_barrier(d, {});
        else
            run_barrier(d, make_error(std::string("barrier: ") + muster_raft_strerror(status)));
    });
}

uint64_t Node::Impl::raft_last_applied() const {
    if (r == nullptr)
        return current.last_applied;
    muster_raft_info info{};
    muster_raft_get_info(r, &info);
    return info.last_applied;
}

void Node::Impl::refresh_status() {
    if (r == nullptr)
        return;
    muster_raft_info info{};
    muster_raft_get_info(r, &info);
    Role old_role = current.role;
    current.id = id;
    // An unstarted raft (forming a cluster) says follower; it is not one yet.
    current.role = raft_started ? role_of(info.state) : Role::unavailable;
    current.term = info.term;
    current.commit_index = info.commit_index;
    current.last_applied = info.last_applied;
    if (current.leader_id != info.leader_id) {
        current.leader_id = info.leader_id;
        current.leader_address = info.leader_address != nullptr ? info.leader_address : "";
    }
    if (info.configuration_committed_index != voters_committed ||
        info.configuration_uncommitted_index != voters_uncommitted) {
        voters_committed = info.configuration_committed_index;
        voters_uncommitted = info.configuration_uncommitted_index;
        current.voters.clear();
        current.standbys.clear();
        unsigned n = muster_raft_n_servers(r);
        for (unsigned i = 0; i < n; ++i) {
            uint64_t sid = 0;
            const char* address = nullptr;
            int role = 0;
            muster_raft_server(r, i, &sid, &address, &role);
            Peer p{sid, address != nullptr ? address : ""};
            if (role == MUSTER_RAFT_VOTER)
                current.voters.push_back(std::move(p));
            else
                current.standbys.push_back(std::move(p));
        }
    }
    auto now = Clock::now();
    if (current.role == Role::leader) {
        current.last_contact = now;
    } else if (current.role == Role::follower && info.leader_id != 0) {
        // A follower restarts its election timer on each AppendEntries from the leader; both
        // that and uv_now are libuv loop time in ms.
        uint64_t loop_now = uv_now(&loop);
        uint64_t age =
            loop_now > info.election_timer_start ? loop_now - info.election_timer_start : 0;
        current.last_contact = now - std::chrono::milliseconds(age);
    }
    if (current.role != old_role)
        logger.info("raft role", {{"role", role_name(current.role)},
                                  {"term", std::to_string(current.term)},
                                  {"leader", current.leader_address}});
    update_join_wanted();  // waiting_for goes out with the voters that settle it
    std::lock_guard lock(status_mu);
    status = current;
}

// Acts on a change of role or leader since the last look: work for the leader goes where the
// leadership went.
void Node::Impl::observe_transitions() {
    if (closing)
        return;
    bool lost = seen_role == Role::leader && current.role != Role::leader;
    bool changed = current.role != seen_role || current.leader_id != seen_leader;
    seen_role = current.role;
    seen_leader = current.leader_id;
    if (lost)
        leadership_lost();
    if (changed) {
        pump_to_leader();
        advance_changes();
        propose_ready();
    }
}

void Node::Impl::after_turn() {
    if (closing)
        return;
    if (adapter->broken()) {
        begin_close("the state machine is broken: " + adapter->broken_reason());
        return;
    }
    refresh_status();
    observe_transitions();
    if (!applied_waits.empty())
        check_applied_waits();
    update_join_wanted();
}

void Node::Impl::on_async(uv_async_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    guarded("async", [&] {
        if (self->closing)
            return;
        bool stop = false;
        {
            std::lock_guard lock(self->mu);
            stop = self->stopping;
        }
        if (stop) {
            self->begin_close("the node is stopping");
            return;
        }
        self->drain();
    });
}

void Node::Impl::on_timer(uv_timer_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    guarded("timer", [&] {
        if (self->closing)
            return;
        self->drain();
        self->expire();
        self->pump_to_leader();
        self->advance_changes();
    });
}

// Runs after every loop turn (each raft event): publish the status, and act on what changed.
void Node::Impl::on_check(uv_check_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    guarded("check", [&] { self->after_turn(); });
}

Result<uint64_t> Node::server_id(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return make_error(dir + ": " + ec.message());
    const fs::path file = fs::path(dir) / "id";
    if (fs::exists(file, ec))
        return read_id(file);
    auto state = has_raft_state(dir);
    if (!state)
        return state.error();
    if (*state)
        return make_error(dir +
                          " holds Raft state but no id file: restore dir/id (the server's "
                          "decimal ID) rather than start as a new server");
    uint64_t id = random_id();
    if (auto w = write_id(dir, id); !w)
        return w.error();
    return id;
}

Result<std::unique_ptr<Node>> Node::start(NodeOptions options, StateMachine& fsm) {
    const std::string where = "cluster (dir " + options.dir + ", address " + options.address + ")";
    if (auto ok = check_options(options); !ok)
        return make_error(where + ": " + ok.error().message);
    auto id = server_id(options.dir);
    if (!id)
        return make_error(where + ": " + id.error().message);
    auto impl = std::make_unique<Impl>(std::move(options), fsm, *id);
    std::promise<std::string> started;
    auto result = started.get_future();
    impl->thread = std::thread([p = impl.get(), &started] { p->run(started); });
    std::string err = result.get();
    if (!err.empty()) {
        impl->thread.join();
        return make_error(where + ": " + err);
    }
    impl->start_discovery_thread();
    return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() {
    if (!impl_)
        return;
    if (std::this_thread::get_id() == impl_->raft_thread_id)
        MUSTER_PANIC("cluster::Node destroyed on its own Raft thread");
    {
        std::lock_guard lock(impl_->mu);
        if (!impl_->stopping) {
            impl_->stopping = true;
            uv_async_send(&impl_->async);
        }
    }
    impl_->thread.join();
    impl_->stop_discovery_thread();
}

void Node::submit(std::vector<uint8_t> command, Done done) {
    std::unique_lock lock(impl_->mu);
    if (impl_->stopping) {
        std::string why = impl_->stop_reason;
        lock.unlock();
        done(Fate::not_leader, make_error(why));
        return;
    }
    impl_->incoming.push_back(Impl::Incoming{std::move(command), std::move(done)});
    // One wakeup per batch: the loop takes the whole queue when it runs.
    if (impl_->incoming.size() == 1)
        uv_async_send(&impl_->async);
}

void Node::barrier(std::function<void(Result<void>)> done) {
    std::unique_lock lock(impl_->mu);
    if (impl_->stopping) {
        std::string why = impl_->stop_reason;
        lock.unlock();
        done(make_error(why));
        return;
    }
    impl_->barriers.push_back(std::move(done));
    uv_async_send(&impl_->async);
}

void Node::leave(std::function<void(Result<void>)> done) {
    impl_->post_change(Impl::Change::Kind::remove, impl_->id, std::move(done));
}

void Node::remove(uint64_t id, std::function<void(Result<void>)> done) {
    impl_->post_change(Impl::Change::Kind::remove, id, std::move(done));
}

Status Node::status() const {
    std::lock_guard lock(impl_->status_mu);
    return impl_->status;
}

uint64_t Node::id() const {
    return impl_->id;
}

}  // namespace muster::cluster
