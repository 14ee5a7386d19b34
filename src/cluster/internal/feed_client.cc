// FeedClient: see feed_client.hh. The loop, the rounds over servers, the feed's messages and the
// commands sent through the server.
#include "cluster/internal/feed_client.hh"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include "cluster/internal/entry_codec.hh"
#include "cluster/internal/rpc_messages.hh"

namespace muster::cluster::internal {
namespace {

constexpr log::Logger logger("cluster");
constexpr uint64_t tick_ms = 20;

std::string ms_text(std::chrono::milliseconds d) {
    return std::to_string(d.count()) + "ms";
}

}  // namespace

FeedClient::FeedClient(ReplicaOptions options, StateMachine& fsm)
    : options_(std::move(options)), fsm_(fsm) {}

FeedClient::~FeedClient() {
    stop();
}

std::string FeedClient::start() {
    auto policy = make_link_policy(options_.security);
    if (!policy)
        return "server-port TLS: " + policy.error().message;
    link_policy_ = std::move(policy).value();
    std::promise<std::string> started;
    auto result = started.get_future();
    thread_ = std::thread([this, &started] { run(started); });
    std::string err = result.get();
    if (!err.empty())
        thread_.join();
    return err;
}

void FeedClient::stop() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mu_);
            if (!stopping_) {
                stopping_ = true;
                uv_async_send(&async_);
            }
        }
        thread_.join();
    }
    if (discovery_.joinable())
        discovery_.join();
}

void FeedClient::run(std::promise<std::string>& started) {
    // As on the Raft thread: a peer that hangs up gives EPIPE, never a process-killing SIGPIPE.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    if (int rv = uv_loop_init(&loop_); rv != 0) {
        started.set_value(std::string("uv_loop_init: ") + uv_strerror(rv));
        return;
    }
    if (int rv = uv_async_init(&loop_, &async_, &FeedClient::on_async); rv != 0) {
        uv_loop_close(&loop_);
        started.set_value(std::string("uv_async_init: ") + uv_strerror(rv));
        return;
    }
    uv_timer_init(&loop_, &timer_);
    async_.data = timer_.data = this;
    uv_timer_start(&timer_, &FeedClient::on_timer, tick_ms, tick_ms);
    started.set_value(std::string());
    guarded("feed start", [&] {
        publish();
        begin_round();
    });
    guarded("feed run", [&] { uv_run(&loop_, UV_RUN_DEFAULT); });
    if (uv_loop_close(&loop_) != 0)
        logger.error("feed loop closed with handles left", {{"node", options_.node}});
}

// Answers every command still pending and closes the handles; the loop ends once they are.
void FeedClient::begin_stop() {
    if (closing_)
        return;
    closing_ = true;
    std::vector<Waiting> in;
    {
        std::lock_guard lock(mu_);
        in.swap(incoming_);
    }
    for (auto& w : in)
        waiting_.push_back(std::move(w));
    for (auto& w : waiting_)
        run_done(w.done, Fate::not_leader, make_error("the replica client is stopping"));
    waiting_.clear();
    {
        std::lock_guard lock(mu_);
        joins_.insert(joins_.end(), std::make_move_iterator(incoming_joins_.begin()),
                      std::make_move_iterator(incoming_joins_.end()));
        incoming_joins_.clear();
    }
    answer_joins(true, make_error("the replica client is stopping"));
    fail_sent("the replica client stopped before the outcome was known");
    if (conn_)
        conn_->close("the replica client is stopping");
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void FeedClient::on_async(uv_async_t* h) {
    auto* self = static_cast<FeedClient*>(h->data);
    guarded("feed async", [&] { self->drain(); });
}

void FeedClient::drain() {
    if (closing_)
        return;
    std::vector<Waiting> in;
    std::vector<Join> joins;
    std::optional<std::vector<std::string>> found;
    bool stop = false;
    {
        std::lock_guard lock(mu_);
        in.swap(incoming_);
        joins.swap(incoming_joins_);
        found.swap(found_);
        stop = stopping_;
    }
    for (auto& w : in)
        waiting_.push_back(std::move(w));
    if (stop) {
        joins_.insert(joins_.end(), std::make_move_iterator(joins.begin()),
                      std::make_move_iterator(joins.end()));
        begin_stop();
        return;
    }
    if (found)
        discovered(std::move(*found));
    take_joins(std::move(joins));
    send_waiting();
}

void FeedClient::on_timer(uv_timer_t* h) {
    auto* self = static_cast<FeedClient*>(h->data);
    guarded("feed timer", [&] {
        if (!self->closing_)
            self->tick();
    });
}

// Heartbeats, the server's silence, the wait between rounds and command deadlines.
void FeedClient::tick() {
    auto now = Clock::now();
    if (conn_ && !conn_->closing()) {
        if (subscribed_ && now - last_contact_ > options_.server_timeout)
            conn_->close("no word from the server for " + ms_text(options_.server_timeout));
        else if (!subscribed_ && now - dialled_ > options_.server_timeout)
            conn_->close("no answer to the feed request within " +
                         ms_text(options_.server_timeout));
        else if (subscribed_ && now >= next_heartbeat_)
            send_heartbeat();
    }
    if (retry_at_ && now >= *retry_at_) {
        retry_at_.reset();
        begin_round();
    }
    expire(now);
    answer_joins(false,
                 make_error(last_error_.empty() ? "no server answered in time" : last_error_));
    publish();
}

// ---- finding a server

// Tries the servers of join() first, then every learned server once (in a random order, the one
// just lost last), then what discover() finds (shuffled); a server that answers the feed
// request ends the round.
void FeedClient::begin_round() {
    if (closing_ || gave_up_ || conn_)
        return;
    round_active_ = true;
    tried_.clear();
    round_.clear();
    std::vector<std::string> order = learned_;
    std::shuffle(order.begin(), order.end(), shuffle_);
    auto at = std::find(order.begin(), order.end(), server_);
    if (at != order.end())
        std::rotate(at, at + 1, order.end());  // the one just lost goes last
    round_.assign(joined_.begin(), joined_.end());
    round_.insert(round_.end(), order.begin(), order.end());
    start_discovery();
    next_server();
}

void FeedClient::next_server() {
    if (closing_ || conn_ || !round_active_)
        return;
    while (!round_.empty()) {
        std::string address = round_.front();
        round_.pop_front();
        bool seen = std::any_of(tried_.begin(), tried_.end(),
                                [&](const auto& t) { return t.first == address; });
        if (!seen) {
            dial(address);
            return;
        }
    }
    if (!discovering_)
        round_failed();
}

void FeedClient::round_failed() {
    round_active_ = false;
    ++failed_rounds_;
    std::string detail;
    for (const auto& [address, why] : tried_)
        detail += (detail.empty() ? "" : "; ") + address + ": " + why;
    if (detail.empty())
        detail = "no server address known (discover found none)";
    last_error_ = "no server reachable: " + detail;
    logger.warn(
        "feed round reached no server",
        {{"node", options_.node}, {"round", std::to_string(failed_rounds_)}, {"tried", detail}});
    if (options_.retry_max != 0 && failed_rounds_ >= options_.retry_max) {
        gave_up_ = true;
        std::string why =
            std::to_string(failed_rounds_) + " rounds reached no server; last: " + detail;
        logger.error("feed gave up", {{"node", options_.node}, {"why", why}});
        publish();
        if (options_.on_give_up)
            guarded("on_give_up", [&] { options_.on_give_up(why); });
        return;
    }
    retry_at_ = Clock::now() + options_.retry_interval;
}

// discover() may block: it runs on a thread of its own, one at a time.
void FeedClient::start_discovery() {
    if (!options_.discover || discovering_)
        return;
    if (discovery_.joinable())
        discovery_.join();  // it finished: its result came through the async
    discovering_ = true;
    discovery_ = std::thread([this] {
        std::vector<std::string> found;
        try {
            found = options_.discover();
        } catch (const std::exception& e) {
            logger.warn("feed discover failed", {{"error", e.what()}});
        } catch (...) {
            logger.warn("feed discover failed", {{"error", "unknown exception"}});
        }
        std::lock_guard lock(mu_);
        if (stopping_)
            return;
        found_ = std::move(found);
        uv_async_send(&async_);
    });
}

void FeedClient::discovered(std::vector<std::string> found) {
    discovering_ = false;
    std::shuffle(found.begin(), found.end(), shuffle_);
    for (auto& address : found)
        if (std::find(round_.begin(), round_.end(), address) == round_.end())
            round_.push_back(std::move(address));
    next_server();
}

void FeedClient::dial(const std::string& address) {
    server_ = address;
    subscribed_ = false;
    assembly_.reset();
    dialled_ = Clock::now();
    conn_ = std::make_unique<RpcConnection>(static_cast<RpcConnection::Owner&>(*this),
                                            next_connection_++, &loop_, address, feed_max_payload,
                                            *link_policy_);
    feed_request_ = next_request_++;
    conn_->send(
        feed_request_, static_cast<uint8_t>(MessageType::feed),
        encode_feed_request(FeedRequest{options_.node, options_.address, fsm_.applied_index()}));
}

void FeedClient::on_closed(RpcConnection& c) {
    guarded("feed closed", [&] {
        std::string why = c.close_reason();
        bool was_subscribed = subscribed_;
        conn_.reset();  // c is gone
        subscribed_ = false;
        assembly_.reset();
        fail_sent("the connection to " + server_ + " ended before the outcome was known: " + why);
        if (closing_)
            return;
        last_error_ = server_ + ": " + why;
        if (was_subscribed)
            logger.warn("feed connection lost", {{"server", server_}, {"reason", why}});
        if (backoff_) {
            backoff_ = false;
            round_active_ = false;
            retry_at_ = Clock::now() + options_.retry_interval;
        } else if (was_subscribed) {
            begin_round();
        } else {
            tried_.emplace_back(server_, why);
            next_server();
        }
        publish();
    });
}

// ---- the feed

void FeedClient::on_frame(RpcConnection& c, Frame f) {
    guarded("feed frame", [&] {
        if (&c != conn_.get() || closing_)
            return;
        last_contact_ = Clock::now();
        Result<void> ok;
        if (f.type == (static_cast<uint8_t>(MessageType::feed) | reply_bit) &&
            f.id == feed_request_)
            ok = on_feed(f.payload);
        else if (f.type == (static_cast<uint8_t>(MessageType::heartbeat) | reply_bit))
            ok = on_heartbeat_reply(f.payload);
        else if (f.type == (static_cast<uint8_t>(MessageType::submit) | reply_bit))
            ok = on_submit_reply(f.id, f.payload);
        else if (f.type == (static_cast<uint8_t>(MessageType::read_barrier) | reply_bit))
            ok = on_read_reply(f.id, f.payload);
        else if ((f.type & reply_bit) == 0)
            ok = make_error(std::string("a request (") + message_type_name(f.type) +
                            ") from the server");
        if (!ok) {
            logger.warn("feed protocol error",
                        {{"server", server_}, {"error", ok.error().message}});
            c.close("protocol error: " + ok.error().message);
        }
        // A long restore or apply here is no silence of the server's.
        last_contact_ = Clock::now();
        publish();
    });
}

Result<void> FeedClient::on_feed(std::span<const uint8_t> payload) {
    auto m = decode_feed_message(payload);
    if (!m)
        return m.error();
    switch (m->kind) {
        case FeedKind::refused:
            conn_->close("refused: " + m->error);
            return {};
        case FeedKind::servers:
            learn(m->leader_address, m->servers);
            if (!subscribed_)
                subscribed();
            return {};
        case FeedKind::entry:
        case FeedKind::snapshot:
            if (!subscribed_)
                return make_error("feed data before the subscription was accepted");
            return m->kind == FeedKind::entry ? apply_entry(*m) : add_chunk(*m);
    }
    return {};
}

void FeedClient::subscribed() {
    subscribed_ = true;
    ++sessions_;
    round_active_ = false;
    failed_rounds_ = 0;
    next_heartbeat_ = Clock::now() + options_.heartbeat_interval;
    logger.info("feed connected", {{"node", options_.node},
                                   {"server", server_},
                                   {"from_index", std::to_string(fsm_.applied_index())}});
    answer_joins(true, {});
    send_waiting();
}

// A failure here is this client's own (its state machine): wait retry_interval before trying
// again rather than hammering the next server with the same entry.
Result<void> FeedClient::apply_entry(const FeedMessage& m) {
    if (m.index <= fsm_.applied_index())
        return {};
    auto entry = decode_entry(m.bytes);
    if (!entry)
        return make_error("entry " + std::to_string(m.index) + ": " + entry.error().message);
    Result<std::vector<Result<uint64_t>>> results = make_error("");
    try {
        results = fsm_.apply(m.index, entry->commands);
    } catch (const std::exception& e) {
        results = make_error(std::string("exception: ") + e.what());
    }
    if (!results) {
        logger.error("feed entry not applied",
                     {{"index", std::to_string(m.index)}, {"error", results.error().message}});
        backoff_ = true;
        conn_->close("applying entry " + std::to_string(m.index) + ": " + results.error().message);
    }
    return {};
}

Result<void> FeedClient::add_chunk(const FeedMessage& m) {
    if (m.offset == 0)
        assembly_ = Assembly{m.index, m.total, {}};
    if (!assembly_ || assembly_->index != m.index || assembly_->total != m.total ||
        assembly_->bytes.size() != m.offset)
        return make_error("snapshot chunk out of order");
    assembly_->bytes.insert(assembly_->bytes.end(), m.bytes.begin(), m.bytes.end());
    if (assembly_->bytes.size() < assembly_->total)
        return {};
    Assembly done = std::move(*assembly_);
    assembly_.reset();
    Result<void> restored = make_error("");
    try {
        restored = fsm_.restore(done.bytes);
    } catch (const std::exception& e) {
        restored = make_error(std::string("exception: ") + e.what());
    }
    if (!restored) {
        logger.error("feed snapshot not restored",
                     {{"index", std::to_string(done.index)}, {"error", restored.error().message}});
        backoff_ = true;
        conn_->close("restoring snapshot " + std::to_string(done.index) + ": " +
                     restored.error().message);
        return {};
    }
    logger.info("feed snapshot restored", {{"index", std::to_string(done.index)},
                                           {"bytes", std::to_string(done.total)},
                                           {"server", server_}});
    return {};
}

Result<void> FeedClient::on_heartbeat_reply(std::span<const uint8_t> payload) {
    auto r = decode_heartbeat_reply(payload);
    if (!r)
        return r.error();
    learn(r->leader_address, r->servers);
    server_applied_ = r->last_applied;
    return {};
}

void FeedClient::learn(const std::string& leader, const std::vector<std::string>& servers) {
    leader_address_ = leader;
    if (servers.empty())
        return;
    learned_ = servers;
    std::sort(learned_.begin(), learned_.end());
    learned_.erase(std::unique(learned_.begin(), learned_.end()), learned_.end());
}

void FeedClient::send_heartbeat() {
    next_heartbeat_ = Clock::now() + options_.heartbeat_interval;
    conn_->send(next_request_++, static_cast<uint8_t>(MessageType::heartbeat),
                encode_heartbeat(HeartbeatRequest{options_.node, fsm_.applied_index()}));
}

// ---- commands

// The Done of a sent command or read barrier, taken out of sent_; empty when it expired meanwhile.
CommandDone FeedClient::take_sent(uint64_t id) {
    auto it = sent_.find(id);
    if (it == sent_.end())
        return {};
    CommandDone done = std::move(it->second.done);
    sent_.erase(it);
    return done;
}

Result<void> FeedClient::on_submit_reply(uint64_t id, std::span<const uint8_t> payload) {
    auto r = decode_apply_reply(payload);
    if (!r)
        return r.error();
    CommandDone done = take_sent(id);
    if (r->fate == Fate::applied && r->error.empty())
        run_done(done, Fate::applied, r->value);
    else
        run_done(done, r->fate, make_error(r->error));
    return {};
}

// The server answers a read barrier once it holds everything the leader committed before it and
// has pushed all of that on this connection, ahead of the reply: it is applied here already.
Result<void> FeedClient::on_read_reply(uint64_t id, std::span<const uint8_t> payload) {
    auto r = decode_barrier_reply(payload);
    if (!r)
        return r.error();
    CommandDone done = take_sent(id);
    if (r->error.empty())
        run_done(done, Fate::applied, fsm_.applied_index());
    else
        run_done(done, Fate::not_leader, make_error(r->error));
    return {};
}

void FeedClient::send_waiting() {
    if (!subscribed_ || !conn_ || conn_->closing())
        return;
    while (!waiting_.empty()) {
        Waiting w = std::move(waiting_.front());
        waiting_.pop_front();
        uint64_t id = next_request_++;
        conn_->send(id,
                    static_cast<uint8_t>(w.read ? MessageType::read_barrier : MessageType::submit),
                    w.command);
        sent_.emplace(id, Sent{std::move(w.done), w.deadline});
    }
}

void FeedClient::expire(Clock::time_point now) {
    while (!waiting_.empty() && waiting_.front().deadline <= now) {
        Waiting w = std::move(waiting_.front());
        waiting_.pop_front();
        run_done(w.done, Fate::not_leader,
                 make_error("no server reachable within " + ms_text(options_.submit_timeout)));
    }
    for (auto it = sent_.begin(); it != sent_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        CommandDone done = std::move(it->second.done);
        it = sent_.erase(it);
        run_done(done, Fate::unknown,
                 make_error("no outcome within " + ms_text(options_.submit_timeout)));
    }
}

void FeedClient::fail_sent(const std::string& why) {
    auto sent = std::move(sent_);
    sent_.clear();
    for (auto& [id, s] : sent)
        run_done(s.done, Fate::unknown, make_error(why));
}

void FeedClient::publish() {
    ReplicaStatus s;
    s.connected = subscribed_;
    s.server = subscribed_ ? server_ : std::string();
    s.sessions = sessions_;
    s.leader_address = leader_address_;
    s.servers = learned_;
    s.applied = fsm_.applied_index();
    s.server_applied = server_applied_;
    s.last_contact = last_contact_;
    s.gave_up = gave_up_;
    s.last_error = last_error_;
    std::lock_guard lock(mu_);
    status_ = std::move(s);
}

// ---- any thread

// join(): the servers go first in every round from now on; a client without a connection starts
// a round at once (the wait for the next one is skipped), one that has a feed answers at once.
void FeedClient::take_joins(std::vector<Join> joins) {
    if (joins.empty())
        return;
    for (auto& j : joins) {
        for (const auto& s : j.servers)
            if (std::find(joined_.begin(), joined_.end(), s) == joined_.end())
                joined_.push_back(s);
        joins_.push_back(std::move(j));
    }
    if (subscribed_) {
        answer_joins(true, {});
        return;
    }
    logger.info("feed: joining through new servers", {{"node", options_.node}});
    if (round_active_) {
        for (auto it = joined_.rbegin(); it != joined_.rend(); ++it)
            round_.push_front(*it);
        tried_.erase(std::remove_if(tried_.begin(), tried_.end(),
                                    [&](const auto& t) {
                                        return std::find(joined_.begin(), joined_.end(), t.first) !=
                                               joined_.end();
                                    }),
                     tried_.end());
        next_server();
    } else if (!conn_) {
        gave_up_ = false;
        retry_at_.reset();
        begin_round();
    }
}

// all: every waiting join() (a subscription, or stopping); otherwise those past their deadline.
void FeedClient::answer_joins(bool all, const Result<void>& r) {
    const auto now = Clock::now();
    std::vector<Join> ready;
    for (auto it = joins_.begin(); it != joins_.end();) {
        if (all || now >= it->deadline) {
            ready.push_back(std::move(*it));
            it = joins_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto& j : ready)
        guarded("join callback", [&] { j.done(r); });
}

void FeedClient::join(std::vector<std::string> servers, std::function<void(Result<void>)> done) {
    std::unique_lock lock(mu_);
    if (stopping_) {
        lock.unlock();
        done(make_error("the replica client is stopping"));
        return;
    }
    incoming_joins_.push_back(
        Join{std::move(servers), std::move(done), Clock::now() + options_.submit_timeout});
    uv_async_send(&async_);
}

void FeedClient::barrier(std::function<void(Result<void>)> done) {
    CommandDone adapt = [done = std::move(done)](Fate, Result<uint64_t> r) {
        done(r ? Result<void>{} : Result<void>(r.error()));
    };
    std::unique_lock lock(mu_);
    if (stopping_) {
        lock.unlock();
        run_done(adapt, Fate::not_leader, make_error("the replica client is stopping"));
        return;
    }
    incoming_.push_back(
        Waiting{{}, std::move(adapt), Clock::now() + options_.submit_timeout, true});
    if (incoming_.size() == 1)
        uv_async_send(&async_);
}

void FeedClient::submit(std::vector<uint8_t> command, CommandDone done) {
    std::unique_lock lock(mu_);
    std::string refusal;
    if (stopping_)
        refusal = "the replica client is stopping";
    else if (command.size() > max_command_bytes)
        refusal = "command of " + std::to_string(command.size()) + " bytes (limit " +
                  std::to_string(max_command_bytes) + ")";
    if (!refusal.empty()) {
        lock.unlock();
        run_done(done, Fate::not_leader, make_error(refusal));
        return;
    }
    incoming_.push_back(
        Waiting{std::move(command), std::move(done), Clock::now() + options_.submit_timeout});
    if (incoming_.size() == 1)
        uv_async_send(&async_);
}

ReplicaStatus FeedClient::status() const {
    std::lock_guard lock(mu_);
    return status_;
}

}  // namespace muster::cluster::internal
