// membership: see membership.hh.
#include "cluster/internal/membership.hh"

#include <algorithm>

#include "cluster/internal/raft_shim.h"
#include "cluster/internal/rpc_messages.hh"
#include "common/duration.hh"

namespace muster::cluster::internal {
namespace {

constexpr const log::Logger& logger = node_logger;
using Response = RpcCalls::Response;
using Outcome = RpcCalls::Outcome;
constexpr size_t max_addresses = 256;
constexpr unsigned max_change_steps = 8;

std::string voter_list(const std::vector<Peer>& voters) {
    std::string s;
    for (const Peer& p : voters)
        s += (s.empty() ? "" : ",") + std::to_string(p.id) + "@" + p.address;
    return s;
}

}  // namespace

Membership::Membership(Host& host, RpcCalls& rpc, Options options)
    : host_(host),
      rpc_(rpc),
      options_(std::move(options)),
      formation_(options_.id, options_.address, options_.bootstrap_expect) {}

Membership::~Membership() {
    stop_discovery();
}

// ---- discovery

void Membership::start_discovery() {
    if (options_.discover && !discover_thread_.joinable())
        discover_thread_ = std::thread([this] { discover_loop(); });
}

void Membership::stop_discovery() {
    if (!discover_thread_.joinable())
        return;
    {
        std::lock_guard lock(discover_mu_);
        discover_stop_ = true;
    }
    discover_cv_.notify_all();
    discover_thread_.join();
}

void Membership::discover_loop() {
    for (;;) {
        {
            std::unique_lock lock(discover_mu_);
            discover_cv_.wait(lock, [&] { return discover_stop_ || discover_wanted_; });
            if (discover_stop_)
                return;
            discover_wanted_ = false;
        }
        std::vector<std::string> found;
        try {
            found = options_.discover();
        } catch (const std::exception& e) {
            logger.warn("discover failed", {{"error", e.what()}});
            continue;
        } catch (...) {
            logger.warn("discover failed", {{"error", "unknown exception"}});
            continue;
        }
        if (!host_.deliver_discovered(std::move(found)))
            return;
    }
}

void Membership::request_discovery() {
    if (!options_.discover)
        return;
    {
        std::lock_guard lock(discover_mu_);
        discover_wanted_ = true;
    }
    discover_cv_.notify_one();
}

void Membership::discovered(std::vector<std::string> found) {
    for (auto& a : found) {
        if (!is_server_address(a)) {
            logger.warn("discovered address is not a.b.c.d:port", {{"address", a}});
            continue;
        }
        if (addresses_.size() < max_addresses)
            addresses_.insert(std::move(a));
    }
    hello_all();
}

void Membership::retry() {
    if (host_.closing() || (!forming_ && !join_wanted_))
        return;
    request_discovery();
    hello_all();
    if (join_wanted_)
        try_join(formation_.join_target());
}

// ---- hellos

Hello Membership::my_hello() const {
    const Status& s = host_.status();
    Hello h;
    h.id = options_.id;
    h.address = options_.address;
    h.fresh = forming_;
    h.in_cluster = host_.raft_started() && (!s.voters.empty() || !s.standbys.empty());
    if (s.leader_id != 0)
        h.leader_address = s.leader_address;
    h.bootstrap_expect = options_.bootstrap_expect;
    if (forming_)
        h.view = formation_.view();
    if (h.in_cluster)
        h.voters = s.voters;
    return h;
}

void Membership::hello_all() {
    for (const auto& a : addresses_)
        send_hello(a);
}

void Membership::send_hello(const std::string& address) {
    if (host_.closing() || address == options_.address || hellos_in_flight_.count(address) > 0)
        return;
    hellos_in_flight_.insert(address);
    auto timeout = std::max(options_.retry_interval, std::chrono::milliseconds(500));
    rpc_.call(
        address, MessageType::hello, encode_hello(my_hello()), timeout,
        [this, address](Response resp) {
            hellos_in_flight_.erase(address);
            if (host_.closing())
                return;
            if (resp.outcome != Outcome::replied) {
                logger.debug("no hello", {{"address", address}, {"error", resp.error}});
                return;
            }
            auto h = decode_hello(resp.payload);
            if (!h) {
                logger.debug("bad hello", {{"address", address}, {"error", h.error().message}});
                return;
            }
            on_hello(*h);
        });
}

void Membership::handle_hello(const std::vector<uint8_t>& payload, const Reply& reply) {
    auto h = decode_hello(payload);
    if (!h) {
        reply(encode_ack({h.error().message, false}));
        return;
    }
    on_hello(*h);
    // After on_hello: a server that bootstrapped on this hello no longer says it is fresh.
    reply(encode_hello(my_hello()));
}

void Membership::on_hello(const Hello& h) {
    if (h.id == options_.id)
        return;  // this server, under an address discovery gave
    if (addresses_.size() < max_addresses)
        addresses_.insert(h.address);
    bool grew = formation_.observe(h);
    if (grew && forming_)
        hello_all();  // everyone hears the new view at once, not a retry_interval later
    evaluate();
}

// ---- forming and joining

void Membership::begin_forming() {
    forming_ = true;
    host_.set_waiting_for(formation_.decide().waiting_for);
}

void Membership::evaluate() {
    if (host_.closing())
        return;
    if (!forming_) {
        if (join_wanted_)
            try_join(formation_.join_target());
        return;
    }
    auto d = formation_.decide();
    switch (d.kind) {
        case Formation::Decision::Kind::wait:
            host_.set_waiting_for(d.waiting_for);
            return;
        case Formation::Decision::Kind::bootstrap:
            bootstrap_now(d.voters);
            return;
        case Formation::Decision::Kind::join:
            break;
    }
    forming_ = false;
    if (auto e = host_.start_raft(); !e.empty()) {
        logger.error("cannot start raft to join", {{"error", e}});
        host_.fail(e);
        return;
    }
    logger.info("joining a cluster", {{"via", d.join_via}});
    host_.refresh_status();
    update_join_wanted();
    try_join(d.join_via);
}

void Membership::bootstrap_now(const std::vector<Peer>& voters) {
    if (auto e = host_.bootstrap(voters); !e.empty()) {
        logger.error("bootstrap failed", {{"error", e}});
        host_.fail("bootstrap: " + e);
        return;
    }
    forming_ = false;
    logger.info("bootstrapped", {{"bootstrap_expect", std::to_string(options_.bootstrap_expect)},
                                 {"voters", voter_list(voters)}});
    if (auto e = host_.start_raft(); !e.empty()) {
        logger.error("cannot start raft", {{"error", e}});
        host_.fail(e);
        return;
    }
    host_.set_waiting_for("");
    host_.refresh_status();
    update_join_wanted();
    hello_all();  // the others learn at once that this server is in a cluster now
}

bool Membership::is_voter() const {
    const auto& voters = host_.status().voters;
    return std::any_of(voters.begin(), voters.end(),
                       [&](const Peer& p) { return p.id == options_.id; });
}

// A server that should end up a voter through a join request (it discovers, or was to form a
// cluster) and is not one: keep asking until the configuration names it.
void Membership::update_join_wanted() {
    bool want = host_.raft_started() && !host_.closing() && !left_ && !options_.bootstrapped &&
                (options_.discover || options_.bootstrap_expect >= 2) && !is_voter();
    if (want == join_wanted_)
        return;
    join_wanted_ = want;
    if (want) {
        host_.set_waiting_for("a cluster to join");
    } else {
        if (host_.raft_started() && is_voter() && !host_.status().waiting_for.empty())
            logger.info("a voter of the cluster", {{"id", std::to_string(options_.id)}});
        host_.set_waiting_for("");
    }
}

void Membership::try_join(const std::string& target) {
    if (host_.closing() || !join_wanted_ || join_in_flight_)
        return;
    host_.set_waiting_for("a cluster to join");
    if (target.empty())
        return;
    join_in_flight_ = true;
    rpc_.call(target, MessageType::join, encode_join(JoinRequest{options_.id, options_.address}),
              options_.forward_timeout + options_.election_timeout, [this, target](Response resp) {
                  join_in_flight_ = false;
                  if (host_.closing())
                      return;
                  std::string error = resp.error;
                  if (resp.outcome == Outcome::replied) {
                      auto ack = decode_ack(resp.payload);
                      error = ack ? ack->error : ack.error().message;
                  }
                  if (error.empty())
                      logger.info("joined", {{"via", target}});
                  else
                      logger.debug("join failed", {{"via", target}, {"error", error}});
              });
}

// ---- configuration changes

void Membership::request(Change c) {
    if (c.kind == Change::Kind::remove && c.server == options_.id)
        left_ = true;
    if (host_.closing()) {
        run_barrier(c.done, make_error(host_.stop_reason()));
        return;
    }
    if (host_.status().role == Role::leader)
        run(std::move(c));
    else
        host_.to_leader(std::move(c));
}

void Membership::handle_change(MessageType type, const std::vector<uint8_t>& payload, Reply reply) {
    Change c;
    if (type == MessageType::join) {
        auto j = decode_join(payload);
        if (!j) {
            reply(encode_ack({j.error().message, false}));
            return;
        }
        c.kind = Change::Kind::join;
        c.server = j->id;
        c.address = j->address;
    } else {
        auto rm = decode_remove(payload);
        if (!rm) {
            reply(encode_ack({rm.error().message, false}));
            return;
        }
        c.kind = Change::Kind::remove;
        c.server = rm->id;
    }
    logger.debug("configuration change asked",
                 {{"kind", message_type_name(static_cast<uint8_t>(type))},
                  {"server", std::to_string(c.server)}});
    c.deadline = Clock::now() + options_.forward_timeout;
    c.done = [reply = std::move(reply)](Result<void> result) {
        Ack ack;
        if (!result.ok())
            ack.error = result.error().message;
        reply(encode_ack(ack));
    };
    request(std::move(c));
}

void Membership::run(Change c) {
    changes_.push_back(std::move(c));
    advance();
}

std::vector<Change> Membership::take_unstarted() {
    std::vector<Change> out;
    size_t keep = change_in_flight_ ? 1 : 0;
    while (changes_.size() > keep) {
        out.push_back(std::move(changes_[keep]));
        changes_.erase(changes_.begin() + static_cast<ptrdiff_t>(keep));
    }
    return out;
}

void Membership::fail(const std::string& reason, bool in_flight_too) {
    size_t keep = change_in_flight_ && !in_flight_too ? 1 : 0;
    while (changes_.size() > keep) {
        Change c = std::move(changes_.back());
        changes_.pop_back();
        run_barrier(c.done, make_error(reason));
    }
}

void Membership::finish_change(Result<void> result) {
    Change c = std::move(changes_.front());
    changes_.pop_front();
    if (result.ok() && c.steps > 1)  // one step at least changed the configuration
        logger.info("configuration changed",
                    {{"change", c.kind == Change::Kind::join ? "join" : "remove"},
                     {"server", std::to_string(c.server)}});
    run_barrier(c.done, std::move(result));
}

void Membership::advance() {
    if (host_.closing() || change_in_flight_ || changes_.empty())
        return;
    host_.refresh_status();
    while (!changes_.empty() && !change_in_flight_) {
        if (host_.status().role != Role::leader) {
            host_.leadership_lost();  // they go to the new leader
            return;
        }
        Change& c = changes_.front();
        if (Clock::now() >= c.deadline) {
            finish_change(make_error("the configuration change did not complete within " +
                                     go_duration_text(options_.forward_timeout)));
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

// One step towards the change, from the configuration as it is now (see join_step and
// remove_step).
Membership::Step Membership::next_change_step(Change& c, std::string& why) {
    if (++c.steps > max_change_steps) {
        why = "the configuration kept changing under the request";
        return Step::failed;
    }
    const uint64_t tag = ++change_tag_;
    int rv = 0;
    Step step =
        c.kind == Change::Kind::join ? join_step(c, tag, rv, why) : remove_step(c, tag, rv, why);
    if (step != Step::started)
        return step;
    if (rv == 0) {
        change_in_flight_ = true;
        return Step::started;
    }
    if (rv == MUSTER_RAFT_CANTCHANGE || rv == MUSTER_RAFT_NOTLEADER) {
        --c.steps;  // another change is still uncommitted (or a transfer runs): the timer retries
        return Step::later;
    }
    why = std::string(muster_raft_strerror(rv)) + ": " + muster_raft_errmsg(host_.raft());
    return Step::failed;
}

// join adds the server (a spare), then makes it a voter (libraft catches it up first); a stale
// entry at its address goes first. Step::started: `rv` is libraft's answer to the request.
Membership::Step Membership::join_step(const Change& c, uint64_t tag, int& rv, std::string& why) {
    const Status& s = host_.status();
    const Peer* same_id = nullptr;
    const Peer* same_address = nullptr;
    bool voter = false;
    for (const Peer& p : s.voters) {
        if (p.id == c.server) {
            same_id = &p;
            voter = true;
        } else if (p.address == c.address) {
            same_address = &p;
        }
    }
    for (const Peer& p : s.standbys) {
        if (p.id == c.server)
            same_id = &p;
        else if (p.address == c.address)
            same_address = &p;
    }
    if (same_id != nullptr && voter) {
        if (same_id->address == c.address)
            return Step::done;
        why = "server " + std::to_string(c.server) + " is in the configuration at " +
              same_id->address;
        return Step::failed;
    }
    ::raft* r = host_.raft();
    if (same_id != nullptr)
        rv = muster_raft_assign_voter(r, c.server, &Membership::on_change_done, this, tag);
    else if (same_address != nullptr)  // a server that was at this address before
        rv = muster_raft_remove(r, same_address->id, &Membership::on_change_done, this, tag);
    else
        rv =
            muster_raft_add(r, c.server, c.address.c_str(), &Membership::on_change_done, this, tag);
    return Step::started;
}

// remove takes a follower out; the leader hands leadership over first, and the new leader
// removes it.
Membership::Step Membership::remove_step(const Change& c, uint64_t tag, int& rv, std::string& why) {
    const Status& s = host_.status();
    bool present = false;
    bool other_voter = false;
    for (const Peer& p : s.voters) {
        if (p.id == c.server)
            present = true;
        else
            other_voter = true;
    }
    for (const Peer& p : s.standbys)
        present = present || p.id == c.server;
    if (!present)
        return Step::done;
    if (c.server == options_.id) {
        if (!other_voter) {
            why = "the only voter cannot leave";
            return Step::failed;
        }
        rv = muster_raft_transfer(host_.raft(), 0, &Membership::on_transfer_done, this, tag);
    } else {
        rv = muster_raft_remove(host_.raft(), c.server, &Membership::on_change_done, this, tag);
    }
    return Step::started;
}

void Membership::on_change_done(void* arg, uint64_t tag, int status) {
    guarded("configuration change",
            [&] { static_cast<Membership*>(arg)->change_ended(tag, status, false); });
}

void Membership::on_transfer_done(void* arg, uint64_t tag, int status) {
    guarded("leadership transfer",
            [&] { static_cast<Membership*>(arg)->change_ended(tag, status, true); });
}

void Membership::change_ended(uint64_t tag, int status, bool transfer) {
    if (tag != change_tag_ || !change_in_flight_)
        return;
    change_in_flight_ = false;
    if (changes_.empty())
        return;
    if (host_.closing()) {
        finish_change(make_error("the node stopped"));
        return;
    }
    host_.refresh_status();
    if (transfer) {
        logger.info("leadership transfer ended", {{"leader", host_.status().leader_address}});
        // Still the leader: the next step tries again (until the deadline). Otherwise the
        // change goes to the new leader, which removes this server.
        host_.observe_transitions();
        advance();
        return;
    }
    if (status == 0 || host_.status().role != Role::leader) {
        // Next step (or done); without the leadership, the new leader takes it over.
        advance();
        return;
    }
    std::string why = muster_raft_strerror(status);
    if (status == MUSTER_RAFT_NOCONNECTION)
        why = "could not catch the server up (unreachable?)";
    finish_change(make_error("configuration change: " + why));
    advance();
}

}  // namespace muster::cluster::internal
