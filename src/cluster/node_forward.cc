// node_forward: work only the leader can do (commands, barriers, configuration changes). The
// leader does it at once; a follower forwards it over the server port (RPC) to the leader that
// raft_leader() names; without a known leader it waits up to forward_timeout for one. Also the
// leader's side: forwarded commands join its group commit like local ones.
#include "cluster/internal/node_impl.hh"

namespace muster::cluster {
namespace {

constexpr const log::Logger& logger = internal::node_logger;
using internal::MessageType;
using internal::RpcClient;
using Response = internal::RpcClient::Response;
using Outcome = internal::RpcClient::Outcome;
// After a dial failed, or a server that was thought to lead said it does not.
constexpr std::chrono::milliseconds dial_backoff{100};
constexpr std::chrono::milliseconds not_leader_backoff{50};
// Forwarded requests without an answer yet; the rest wait their turn (the leader's RPC server
// refuses a connection with far more unanswered requests).
constexpr size_t max_forwards_in_flight = 4096;

std::string no_leader_text(std::chrono::milliseconds waited) {
    return "no cluster leader (waited " + go_duration_text(waited) + ")";
}

}  // namespace

void Node::Impl::route_command(std::vector<uint8_t> command, Done done) {
    if (current.role == Role::leader) {
        proposals->enqueue(std::move(command), std::move(done));
        return;
    }
    if (command.size() + internal::frame_header_bytes > max_payload) {
        run_done(done, Fate::not_leader,
                 make_error("a command of " + std::to_string(command.size()) +
                            " bytes is too large to forward to the leader"));
        return;
    }
    ToLeader item;
    item.kind = ToLeader::Kind::command;
    item.deadline = Clock::now() + options.forward_timeout;
    item.command = std::move(command);
    item.done = std::move(done);
    route(std::move(item));
}

void Node::Impl::route_barrier(BarrierDone done) {
    if (current.role == Role::leader) {
        start_barrier(std::move(done));
        return;
    }
    ToLeader item;
    item.kind = ToLeader::Kind::barrier;
    item.deadline = Clock::now() + options.forward_timeout;
    item.barrier_done = std::move(done);
    route(std::move(item));
}

void Node::Impl::route(ToLeader item) {
    to_leader.push_back(std::move(item));
    pump_to_leader();
}

bool Node::Impl::leader_elsewhere() const {
    return current.role != Role::leader && current.leader_id != 0 && current.leader_id != id &&
           !current.leader_address.empty();
}

void Node::Impl::pump_to_leader() {
    if (closing || to_leader.empty())
        return;
    if (current.role == Role::leader) {
        auto items = std::move(to_leader);
        to_leader.clear();
        for (auto& item : items)
            dispatch_local(std::move(item));
        propose_ready();
        return;
    }
    if (!leader_elsewhere() || Clock::now() < forward_retry_at)
        return;
    while (!to_leader.empty() && forwards_in_flight < max_forwards_in_flight) {
        ToLeader item = std::move(to_leader.front());
        to_leader.pop_front();
        forward(std::move(item));
    }
}

void Node::Impl::forward_answered() {
    if (forwards_in_flight > 0)
        --forwards_in_flight;
    if (!to_leader.empty())
        pump_to_leader();
}

void Node::Impl::dispatch_local(ToLeader item) {
    switch (item.kind) {
        case ToLeader::Kind::command:
            proposals->enqueue(std::move(item.command), std::move(item.done));
            break;
        case ToLeader::Kind::barrier:
            start_barrier(std::move(item.barrier_done));
            break;
        case ToLeader::Kind::change:
            changes.push_back(std::move(item.change));
            advance_changes();
            break;
    }
}

void Node::Impl::forward(ToLeader item) {
    ++forwards_in_flight;
    switch (item.kind) {
        case ToLeader::Kind::command:
            forward_command(std::move(item));
            break;
        case ToLeader::Kind::barrier:
            forward_barrier(std::move(item));
            break;
        case ToLeader::Kind::change:
            forward_change(std::move(item));
            break;
    }
}

void Node::Impl::fail_item(ToLeader& item, const std::string& why) {
    switch (item.kind) {
        case ToLeader::Kind::command:
            run_done(item.done, Fate::not_leader, make_error(why));
            break;
        case ToLeader::Kind::barrier:
            run_barrier(item.barrier_done, make_error(why));
            break;
        case ToLeader::Kind::change:
            run_barrier(item.change.done, make_error(why));
            break;
    }
}

// Back to waiting for a leader: the request never reached one (not appended anywhere).
void Node::Impl::requeue(ToLeader item, std::chrono::milliseconds backoff) {
    if (closing) {
        fail_item(item, stop_reason);
        return;
    }
    auto now = Clock::now();
    if (now >= item.deadline) {
        fail_item(item, no_leader_text(options.forward_timeout));
        return;
    }
    forward_retry_at = std::max(forward_retry_at, now + backoff);
    to_leader.push_back(std::move(item));
}

namespace {
// Runs `f` when the scope ends, whichever path it took.
template <class F>
class OnExit {
  public:
    explicit OnExit(F f) : f_(std::move(f)) {}
    ~OnExit() { f_(); }
    OnExit(const OnExit&) = delete;
    OnExit& operator=(const OnExit&) = delete;

  private:
    F f_;
};
}  // namespace

void Node::Impl::forward_command(ToLeader item) {
    const std::string leader = current.leader_address;
    std::vector<uint8_t> payload = item.command;  // the item keeps its copy for a retry
    auto held = std::make_shared<ToLeader>(std::move(item));
    rpc_client->call(leader, MessageType::apply, std::move(payload), options.forward_timeout,
                     [this, held, leader](Response resp) {
                         ToLeader& it = *held;
                         OnExit answered([this] { forward_answered(); });
                         if (resp.outcome == Outcome::not_sent) {
                             requeue(std::move(it), dial_backoff);
                             return;
                         }
                         if (resp.outcome == Outcome::lost) {
                             run_done(it.done, Fate::unknown,
                                      make_error("forwarded to the leader at " + leader +
                                                 ", then lost it: " + resp.error));
                             return;
                         }
                         auto reply = internal::decode_apply_reply(resp.payload);
                         if (!reply) {
                             run_done(it.done, Fate::unknown,
                                      make_error("bad reply from the leader at " + leader + ": " +
                                                 reply.error().message));
                         } else if (reply->fate == Fate::not_leader) {
                             requeue(std::move(it), not_leader_backoff);
                         } else if (reply->fate == Fate::unknown) {
                             run_done(it.done, Fate::unknown, make_error(reply->error));
                         } else if (!reply->error.empty()) {
                             run_done(it.done, Fate::applied, make_error(reply->error));
                         } else {
                             run_done(it.done, Fate::applied, reply->value);
                         }
                     });
}

void Node::Impl::forward_barrier(ToLeader item) {
    const std::string leader = current.leader_address;
    auto held = std::make_shared<ToLeader>(std::move(item));
    rpc_client->call(
        leader, MessageType::barrier, {}, options.forward_timeout,
        [this, held, leader](Response resp) {
            ToLeader& it = *held;
            OnExit answered([this] { forward_answered(); });
            if (resp.outcome == Outcome::not_sent) {
                requeue(std::move(it), dial_backoff);
                return;
            }
            if (resp.outcome == Outcome::lost) {
                run_barrier(it.barrier_done,
                            make_error("barrier at the leader " + leader + ": " + resp.error));
                return;
            }
            auto reply = internal::decode_barrier_reply(resp.payload);
            if (!reply) {
                run_barrier(it.barrier_done, make_error("bad reply from the leader at " + leader +
                                                        ": " + reply.error().message));
            } else if (reply->not_leader) {
                requeue(std::move(it), not_leader_backoff);
            } else if (!reply->error.empty()) {
                run_barrier(it.barrier_done, make_error(reply->error));
            } else {
                applied_waits.push_back(AppliedWait{reply->index,
                                                    Clock::now() + options.forward_timeout,
                                                    std::move(it.barrier_done)});
                check_applied_waits();
            }
        });
}

void Node::Impl::forward_change(ToLeader item) {
    const std::string leader = current.leader_address;
    const Change& c = item.change;
    MessageType type = c.kind == Change::Kind::join ? MessageType::join : MessageType::remove;
    std::vector<uint8_t> payload =
        c.kind == Change::Kind::join
            ? internal::encode_join(internal::JoinRequest{c.server, c.address})
            : internal::encode_remove(internal::RemoveRequest{c.server});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - Clock::now());
    auto timeout = std::max(left, std::chrono::milliseconds(500));
    auto held = std::make_shared<ToLeader>(std::move(item));
    rpc_client->call(
        leader, type, std::move(payload), timeout, [this, held, leader](Response resp) {
            ToLeader& it = *held;
            OnExit answered([this] { forward_answered(); });
            if (resp.outcome == Outcome::not_sent) {
                requeue(std::move(it), dial_backoff);
                return;
            }
            if (resp.outcome == Outcome::lost) {
                run_barrier(it.change.done,
                            make_error("no answer from the leader at " + leader + ": " +
                                       resp.error + " (the change may still happen)"));
                return;
            }
            auto ack = internal::decode_ack(resp.payload);
            if (!ack)
                run_barrier(it.change.done, make_error("bad reply from the leader at " + leader +
                                                       ": " + ack.error().message));
            else if (ack->not_leader)
                requeue(std::move(it), not_leader_backoff);
            else if (!ack->error.empty())
                run_barrier(it.change.done, make_error(ack->error));
            else
                run_barrier(it.change.done, {});
        });
}

// Commands this leader had not appended yet go to the next leader; so do changes not started.
void Node::Impl::leadership_lost() {
    for (auto& [command, done] : proposals->take_queued())
        route_command(std::move(command), std::move(done));
    release_barriers();  // to the new leader, after the commands
    size_t keep = change_in_flight ? 1 : 0;
    while (changes.size() > keep) {
        ToLeader item;
        item.kind = ToLeader::Kind::change;
        item.deadline = changes[keep].deadline;
        item.change = std::move(changes[keep]);
        changes.erase(changes.begin() + static_cast<ptrdiff_t>(keep));
        to_leader.push_back(std::move(item));
    }
    pump_to_leader();
}

void Node::Impl::expire() {
    auto now = Clock::now();
    std::vector<ToLeader> expired;
    for (auto it = to_leader.begin(); it != to_leader.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        expired.push_back(std::move(*it));
        it = to_leader.erase(it);
    }
    const std::string why = leader_elsewhere() ? "the leader at " + current.leader_address +
                                                     " did not take it within " +
                                                     go_duration_text(options.forward_timeout)
                                               : no_leader_text(options.forward_timeout);
    for (auto& item : expired)
        fail_item(item, why);
    std::vector<AppliedWait> late;
    for (auto it = applied_waits.begin(); it != applied_waits.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        late.push_back(std::move(*it));
        it = applied_waits.erase(it);
    }
    for (auto& w : late)
        run_barrier(w.done, make_error("applied up to " + std::to_string(current.last_applied) +
                                       " of the leader's " + std::to_string(w.index) + " within " +
                                       go_duration_text(options.forward_timeout)));
}

void Node::Impl::check_applied_waits() {
    std::vector<BarrierDone> ready;
    for (auto it = applied_waits.begin(); it != applied_waits.end();) {
        if (it->index > current.last_applied) {
            ++it;
            continue;
        }
        ready.push_back(std::move(it->done));
        it = applied_waits.erase(it);
    }
    for (auto& done : ready)
        run_barrier(done, {});
}

// ---- the receiving side

void Node::Impl::on_request(internal::RpcServer::Request req) {
    if (closing)
        return;
    switch (req.type) {
        case MessageType::hello:
            handle_hello(req);
            break;
        case MessageType::apply:
            handle_apply(req);
            break;
        case MessageType::barrier:
            handle_barrier(req);
            break;
        case MessageType::join:
        case MessageType::remove:
            handle_change(req);
            break;
    }
}

// A forwarded command is never forwarded again: a server that does not lead says so, and the
// follower finds the leader itself.
void Node::Impl::handle_apply(internal::RpcServer::Request& req) {
    const uint64_t conn = req.connection;
    const uint64_t rid = req.id;
    if (current.role != Role::leader) {
        rpc_server->reply(conn, rid, MessageType::apply,
                          internal::encode_apply_reply(
                              internal::ApplyReply{Fate::not_leader, 0, not_leader_message()}));
        return;
    }
    proposals->enqueue(
        std::move(req.payload), [this, conn, rid](Fate fate, Result<uint64_t> result) {
            internal::ApplyReply a;
            a.fate = fate;
            if (result.ok())
                a.value = *result;
            else
                a.error = result.error().message;
            rpc_server->reply(conn, rid, MessageType::apply, internal::encode_apply_reply(a));
        });
    wake();  // one entry for all the commands that came in this loop turn
}

void Node::Impl::handle_barrier(internal::RpcServer::Request& req) {
    const uint64_t conn = req.connection;
    const uint64_t rid = req.id;
    if (current.role != Role::leader) {
        rpc_server->reply(
            conn, rid, MessageType::barrier,
            internal::encode_barrier_reply(internal::BarrierReply{0, not_leader_message(), true}));
        return;
    }
    start_barrier([this, conn, rid](Result<void> result) {
        internal::BarrierReply b;
        if (result.ok())
            b.index = raft_last_applied();
        else
            b.error = result.error().message;
        rpc_server->reply(conn, rid, MessageType::barrier, internal::encode_barrier_reply(b));
    });
}

void Node::Impl::handle_change(internal::RpcServer::Request& req) {
    const uint64_t conn = req.connection;
    const uint64_t rid = req.id;
    const MessageType type = req.type;
    Change c;
    if (type == MessageType::join) {
        auto j = internal::decode_join(req.payload);
        if (!j) {
            rpc_server->reply(conn, rid, type, internal::encode_ack({j.error().message, false}));
            return;
        }
        c.kind = Change::Kind::join;
        c.server = j->id;
        c.address = j->address;
    } else {
        auto rm = internal::decode_remove(req.payload);
        if (!rm) {
            rpc_server->reply(conn, rid, type, internal::encode_ack({rm.error().message, false}));
            return;
        }
        c.kind = Change::Kind::remove;
        c.server = rm->id;
    }
    logger.debug("configuration change asked",
                 {{"kind", internal::message_type_name(static_cast<uint8_t>(type))},
                  {"server", std::to_string(c.server)}});
    c.deadline = Clock::now() + options.forward_timeout;
    c.done = [this, conn, rid, type](Result<void> result) {
        internal::Ack ack;
        if (!result.ok())
            ack.error = result.error().message;
        rpc_server->reply(conn, rid, type, internal::encode_ack(ack));
    };
    request_change(std::move(c));
}

}  // namespace muster::cluster
