// leader_forwarding: see leader_forwarding.hh.
#include "cluster/internal/leader_forwarding.hh"

#include <algorithm>
#include <memory>

#include "cluster/internal/rpc_frame.hh"
#include "cluster/internal/rpc_messages.hh"
#include "common/duration.hh"

namespace muster::cluster::internal {
namespace {

using Response = RpcCalls::Response;
using Outcome = RpcCalls::Outcome;
// After a dial failed, or a server that was thought to lead said it does not.
constexpr std::chrono::milliseconds dial_backoff{100};
constexpr std::chrono::milliseconds not_leader_backoff{50};

}  // namespace

LeaderForwarding::LeaderForwarding(Host& host, RpcCalls& rpc, Limits limits)
    : host_(host), rpc_(rpc), limits_(limits) {}

std::string LeaderForwarding::no_leader_text() const {
    return "no cluster leader (waited " + go_duration_text(limits_.timeout) + ")";
}

// On the leader, route() runs the work here at once (pump); elsewhere it waits for a leader.
void LeaderForwarding::command(std::vector<uint8_t> command, CommandDone done) {
    if (host_.status().role != Role::leader &&
        command.size() + frame_header_bytes > limits_.max_payload) {
        run_done(done, Fate::not_leader,
                 make_error("a command of " + std::to_string(command.size()) +
                            " bytes is too large to forward to the leader"));
        return;
    }
    Item item = waiting(Item::Kind::command, Clock::now() + limits_.timeout);
    item.command = std::move(command);
    item.done = std::move(done);
    route(std::move(item));
}

void LeaderForwarding::barrier(BarrierDone done) {
    Item item = waiting(Item::Kind::barrier, Clock::now() + limits_.timeout);
    item.barrier_done = std::move(done);
    route(std::move(item));
}

void LeaderForwarding::change(Change change) {
    Item item = waiting(Item::Kind::change, change.deadline);
    item.change = std::move(change);
    route(std::move(item));
}

LeaderForwarding::Item LeaderForwarding::waiting(Item::Kind kind, Clock::time_point deadline) {
    Item item;
    item.kind = kind;
    item.deadline = deadline;
    return item;
}

void LeaderForwarding::route(Item item) {
    to_leader_.push_back(std::move(item));
    pump();
}

bool LeaderForwarding::leader_elsewhere() const {
    const Status& s = host_.status();
    return s.role != Role::leader && s.leader_id != 0 && s.leader_id != s.id &&
           !s.leader_address.empty();
}

void LeaderForwarding::pump() {
    if (host_.closing() || to_leader_.empty())
        return;
    if (host_.status().role == Role::leader) {
        auto items = std::move(to_leader_);
        to_leader_.clear();
        for (auto& item : items)
            run_here(std::move(item));
        return;
    }
    if (!leader_elsewhere() || Clock::now() < retry_at_)
        return;
    while (!to_leader_.empty() && in_flight_ < limits_.max_in_flight) {
        Item item = std::move(to_leader_.front());
        to_leader_.pop_front();
        forward(std::move(item));
    }
}

void LeaderForwarding::answered() {
    if (in_flight_ > 0)
        --in_flight_;
    if (!to_leader_.empty())
        pump();
}

void LeaderForwarding::run_here(Item item) {
    switch (item.kind) {
        case Item::Kind::command:
            host_.propose(std::move(item.command), std::move(item.done));
            break;
        case Item::Kind::barrier:
            host_.barrier_here(std::move(item.barrier_done));
            break;
        case Item::Kind::change:
            host_.change_here(std::move(item.change));
            break;
    }
}

void LeaderForwarding::forward(Item item) {
    ++in_flight_;
    switch (item.kind) {
        case Item::Kind::command:
            forward_command(std::move(item));
            break;
        case Item::Kind::barrier:
            forward_barrier(std::move(item));
            break;
        case Item::Kind::change:
            forward_change(std::move(item));
            break;
    }
}

void LeaderForwarding::fail(Item& item, const std::string& why) {
    switch (item.kind) {
        case Item::Kind::command:
            run_done(item.done, Fate::not_leader, make_error(why));
            break;
        case Item::Kind::barrier:
            run_barrier(item.barrier_done, make_error(why));
            break;
        case Item::Kind::change:
            run_barrier(item.change.done, make_error(why));
            break;
    }
}

// Back to waiting for a leader: the request never reached one (not appended anywhere).
void LeaderForwarding::requeue(Item item, std::chrono::milliseconds backoff) {
    if (host_.closing()) {
        fail(item, host_.stop_reason());
        return;
    }
    auto now = Clock::now();
    if (now >= item.deadline) {
        fail(item, no_leader_text());
        return;
    }
    retry_at_ = std::max(retry_at_, now + backoff);
    to_leader_.push_back(std::move(item));
}

void LeaderForwarding::forward_command(Item item) {
    const std::string leader = host_.status().leader_address;
    std::vector<uint8_t> payload = item.command;  // the item keeps its copy for a retry
    auto held = std::make_shared<Item>(std::move(item));
    rpc_.call(leader, MessageType::apply, std::move(payload), limits_.timeout,
              [this, held, leader](Response resp) {
                  Item& it = *held;
                  OnExit done_with([this] { answered(); });
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
                  auto reply = decode_apply_reply(resp.payload);
                  if (!reply)
                      run_done(it.done, Fate::unknown,
                               make_error("bad reply from the leader at " + leader + ": " +
                                          reply.error().message));
                  else if (reply->fate == Fate::not_leader)
                      requeue(std::move(it), not_leader_backoff);
                  else if (reply->fate == Fate::unknown)
                      run_done(it.done, Fate::unknown, make_error(reply->error));
                  else if (!reply->error.empty())
                      run_done(it.done, Fate::applied, make_error(reply->error));
                  else
                      run_done(it.done, Fate::applied, reply->value);
              });
}

void LeaderForwarding::forward_barrier(Item item) {
    const std::string leader = host_.status().leader_address;
    auto held = std::make_shared<Item>(std::move(item));
    rpc_.call(
        leader, MessageType::barrier, {}, limits_.timeout, [this, held, leader](Response resp) {
            Item& it = *held;
            OnExit done_with([this] { answered(); });
            if (resp.outcome == Outcome::not_sent) {
                requeue(std::move(it), dial_backoff);
                return;
            }
            if (resp.outcome == Outcome::lost) {
                run_barrier(it.barrier_done,
                            make_error("barrier at the leader " + leader + ": " + resp.error));
                return;
            }
            auto reply = decode_barrier_reply(resp.payload);
            if (!reply) {
                run_barrier(it.barrier_done, make_error("bad reply from the leader at " + leader +
                                                        ": " + reply.error().message));
            } else if (reply->not_leader) {
                requeue(std::move(it), not_leader_backoff);
            } else if (!reply->error.empty()) {
                run_barrier(it.barrier_done, make_error(reply->error));
            } else {
                applied_waits_.push_back(AppliedWait{reply->index, Clock::now() + limits_.timeout,
                                                     std::move(it.barrier_done)});
                applied(host_.status().last_applied);
            }
        });
}

void LeaderForwarding::forward_change(Item item) {
    const std::string leader = host_.status().leader_address;
    const Change& c = item.change;
    MessageType type = c.kind == Change::Kind::join ? MessageType::join : MessageType::remove;
    std::vector<uint8_t> payload = c.kind == Change::Kind::join
                                       ? encode_join(JoinRequest{c.server, c.address})
                                       : encode_remove(RemoveRequest{c.server});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - Clock::now());
    auto timeout = std::max(left, std::chrono::milliseconds(500));
    auto held = std::make_shared<Item>(std::move(item));
    rpc_.call(leader, type, std::move(payload), timeout, [this, held, leader](Response resp) {
        Item& it = *held;
        OnExit done_with([this] { answered(); });
        if (resp.outcome == Outcome::not_sent) {
            requeue(std::move(it), dial_backoff);
            return;
        }
        if (resp.outcome == Outcome::lost) {
            run_barrier(it.change.done, make_error("no answer from the leader at " + leader + ": " +
                                                   resp.error + " (the change may still happen)"));
            return;
        }
        auto ack = decode_ack(resp.payload);
        if (!ack)
            run_barrier(it.change.done, make_error("bad reply from the leader at " + leader + ": " +
                                                   ack.error().message));
        else if (ack->not_leader)
            requeue(std::move(it), not_leader_backoff);
        else if (!ack->error.empty())
            run_barrier(it.change.done, make_error(ack->error));
        else
            run_barrier(it.change.done, {});
    });
}

void LeaderForwarding::expire() {
    auto now = Clock::now();
    std::vector<Item> expired;
    for (auto it = to_leader_.begin(); it != to_leader_.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        expired.push_back(std::move(*it));
        it = to_leader_.erase(it);
    }
    const std::string why = leader_elsewhere()
                                ? "the leader at " + host_.status().leader_address +
                                      " did not take it within " + go_duration_text(limits_.timeout)
                                : no_leader_text();
    for (auto& item : expired)
        fail(item, why);
    std::vector<AppliedWait> late;
    for (auto it = applied_waits_.begin(); it != applied_waits_.end();) {
        if (it->deadline > now) {
            ++it;
            continue;
        }
        late.push_back(std::move(*it));
        it = applied_waits_.erase(it);
    }
    for (auto& w : late)
        run_barrier(w.done,
                    make_error("applied up to " + std::to_string(host_.status().last_applied) +
                               " of the leader's " + std::to_string(w.index) + " within " +
                               go_duration_text(limits_.timeout)));
}

void LeaderForwarding::applied(uint64_t last_applied) {
    std::vector<BarrierDone> ready;
    for (auto it = applied_waits_.begin(); it != applied_waits_.end();) {
        if (it->index > last_applied) {
            ++it;
            continue;
        }
        ready.push_back(std::move(it->done));
        it = applied_waits_.erase(it);
    }
    for (auto& done : ready)
        run_barrier(done, {});
}

void LeaderForwarding::fail_all(const std::string& reason) {
    auto items = std::move(to_leader_);
    to_leader_.clear();
    for (auto& item : items)
        fail(item, reason);
    auto waits = std::move(applied_waits_);
    applied_waits_.clear();
    for (auto& w : waits)
        run_barrier(w.done, make_error(reason));
}

void LeaderForwarding::handle_apply(std::vector<uint8_t> payload, Reply reply) {
    if (host_.status().role != Role::leader) {
        reply(encode_apply_reply(ApplyReply{Fate::not_leader, 0, host_.not_leader_message()}));
        return;
    }
    host_.propose(std::move(payload),
                  [reply = std::move(reply)](Fate fate, Result<uint64_t> result) {
                      ApplyReply a;
                      a.fate = fate;
                      if (result.ok())
                          a.value = *result;
                      else
                          a.error = result.error().message;
                      reply(encode_apply_reply(a));
                  });
}

void LeaderForwarding::handle_barrier(Reply reply) {
    if (host_.status().role != Role::leader) {
        reply(encode_barrier_reply(BarrierReply{0, host_.not_leader_message(), true}));
        return;
    }
    host_.barrier_here([this, reply = std::move(reply)](Result<void> result) {
        BarrierReply b;
        if (result.ok())
            b.index = host_.applied_now();
        else
            b.error = result.error().message;
        reply(encode_barrier_reply(b));
    });
}

}  // namespace muster::cluster::internal
