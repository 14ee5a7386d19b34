// Proposals: the leader's queue of commands, packed into entries and matched to their results.
#include "cluster/internal/proposals.hh"

#include <utility>

#include "cluster/internal/callbacks.hh"

namespace muster::cluster::internal {
namespace {
constexpr const log::Logger& logger = node_logger;
}

Proposals::Proposals(uint64_t session, size_t max_entry_bytes, unsigned max_in_flight)
    : session_(session),
      max_entry_bytes_(max_entry_bytes),
      max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight) {}

Proposals::~Proposals() {
    fail_in_flight("the node stopped before the outcome was known");
    fail_queued(Fate::not_leader, "the node stopped");
}

// A Done runs on the raft loop: nothing it throws may unwind into libuv or libraft.
void Proposals::run(Done& done, Fate fate, Result<uint64_t> result) {
    run_done(done, fate, std::move(result));
}

void Proposals::fail(std::vector<Done>& dones, Fate fate, const std::string& why) {
    for (auto& d : dones)
        run(d, fate, make_error(why));
}

void Proposals::enqueue(std::vector<uint8_t> command, Done done) {
    queue_.push_back(Queued{std::move(command), std::move(done)});
    ++enqueued_;
}

Proposals::Entry Proposals::take_entry() {
    if (!ready())
        MUSTER_PANIC("Proposals::take_entry without a ready queue");
    std::vector<std::vector<uint8_t>> commands;
    Batch batch;
    size_t bytes = entry_header_bytes;
    while (!queue_.empty()) {
        size_t add = encoded_command_size(queue_.front().command.size());
        if (!commands.empty() && padded_entry_size(bytes + add) > max_entry_bytes_)
            break;
        bytes += add;
        commands.push_back(std::move(queue_.front().command));
        batch.dones.push_back(std::move(queue_.front().done));
        queue_.pop_front();
    }
    Entry e;
    e.seq = next_seq_++;
    e.commands = commands.size();
    e.bytes = encode_entry(EntryTag{session_, e.seq}, commands);
    in_flight_.emplace(e.seq, std::move(batch));
    return e;
}

void Proposals::appended(uint64_t seq, uint64_t index) {
    auto it = in_flight_.find(seq);
    if (it != in_flight_.end())
        it->second.index = index;
}

void Proposals::not_appended(uint64_t seq, Fate fate, const std::string& why) {
    auto it = in_flight_.find(seq);
    if (it == in_flight_.end())
        return;
    auto dones = std::move(it->second.dones);
    in_flight_.erase(it);
    fail(dones, fate, why);
}

void Proposals::completed(uint64_t seq, int status, const std::string& why) {
    auto it = in_flight_.find(seq);
    if (it == in_flight_.end())
        return;
    Batch batch = std::move(it->second);
    in_flight_.erase(it);
    bool have_results = batch.applied && batch.results.size() == batch.dones.size();
    // Applied here is applied, even when libraft then reports the request as failed (leadership
    // lost between the apply and the callback).
    if (status != 0 && !have_results) {
        fail(batch.dones, Fate::unknown, why);
        return;
    }
    if (!have_results) {
        // libraft says applied but the state machine's answer for this entry was not seen.
        logger.error("entry applied without its results",
                     {{"index", std::to_string(batch.index)}, {"seq", std::to_string(seq)}});
        fail(batch.dones, Fate::unknown, "the entry was applied but its results were lost");
        return;
    }
    for (size_t i = 0; i < batch.dones.size(); ++i)
        run(batch.dones[i], Fate::applied, std::move(batch.results[i]));
}

void Proposals::on_applied(EntryTag tag, uint64_t index, std::vector<Result<uint64_t>> results) {
    if (tag.session != session_)
        return;
    auto it = in_flight_.find(tag.seq);
    if (it == in_flight_.end())
        return;
    Batch& b = it->second;
    if (b.index != 0 && b.index != index) {
        // Same tag at another index: a Raft safety violation (or a tag collision).
        MUSTER_PANIC("entry seq " + std::to_string(tag.seq) + " appended at " +
                     std::to_string(b.index) + " but applied at " + std::to_string(index));
    }
    b.applied = true;
    b.applied_index = index;
    b.results = std::move(results);
}

void Proposals::fail_queued(Fate fate, const std::string& why) {
    std::vector<Done> dones;
    dones.reserve(queue_.size());
    for (auto& q : queue_)
        dones.push_back(std::move(q.done));
    queue_.clear();
    fail(dones, fate, why);
}

std::vector<std::pair<std::vector<uint8_t>, Proposals::Done>> Proposals::take_queued() {
    std::vector<std::pair<std::vector<uint8_t>, Done>> out;
    out.reserve(queue_.size());
    for (auto& q : queue_)
        out.emplace_back(std::move(q.command), std::move(q.done));
    queue_.clear();
    return out;
}

void Proposals::fail_in_flight(const std::string& why) {
    auto batches = std::move(in_flight_);
    in_flight_.clear();
    for (auto& [seq, b] : batches)
        fail(b.dones, Fate::unknown, why);
}

}  // namespace muster::cluster::internal
