// RecordingStateMachine: an append-only log of commands for the cluster tests. Records every
// entry it applied (index, commands, results); refuses a command starting with refuse_marker
// and fails the whole entry on a command starting with break_marker.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "cluster/raft_server.hh"
#include "cluster/state_machine.hh"

namespace muster::cluster::test {

using Bytes = std::vector<uint8_t>;

inline Bytes bytes(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

class RecordingStateMachine final : public StateMachine {
  public:
    static constexpr uint8_t refuse_marker = 0xFF;
    static constexpr uint8_t break_marker = 0xFE;

    struct Seen {
        uint64_t index = 0;
        std::vector<Bytes> commands;
        std::vector<std::optional<uint64_t>> results;  // nullopt: refused
        bool operator==(const Seen&) const = default;
    };

    Result<std::vector<Result<uint64_t>>> apply(
        uint64_t index, std::span<const std::span<const uint8_t>> commands) override {
        std::lock_guard lock(mu_);
        if (index <= applied_) {
            ++replayed_;
            return std::vector<Result<uint64_t>>{};
        }
        for (auto c : commands)
            if (!c.empty() && c[0] == break_marker)
                return make_error("break marker at index " + std::to_string(index));
        Seen seen{index, {}, {}};
        std::vector<Result<uint64_t>> results;
        for (auto c : commands) {
            seen.commands.emplace_back(c.begin(), c.end());
            if (!c.empty() && c[0] == refuse_marker) {
                results.emplace_back(Error{"refused"});
                seen.results.push_back(std::nullopt);
                continue;
            }
            log_.emplace_back(c.begin(), c.end());
            results.emplace_back(uint64_t{log_.size()});
            seen.results.push_back(log_.size());
        }
        applied_ = index;
        seen_.push_back(std::move(seen));
        return results;
    }

    uint64_t applied_index() const override {
        std::lock_guard lock(mu_);
        return applied_;
    }

    // u64 applied index, u64 count, then (u32 length, bytes) per command; little-endian.
    Result<muster::cluster::SnapshotData> snapshot() override {
        std::lock_guard lock(mu_);
        auto out = std::make_shared<Bytes>();
        put(*out, applied_, 8);
        put(*out, log_.size(), 8);
        for (const auto& c : log_) {
            put(*out, c.size(), 4);
            out->insert(out->end(), c.begin(), c.end());
        }
        ++snapshots_;
        // Two parts, as the catalog gives (a header and the rest), so joining them is tested.
        std::span<const uint8_t> all(*out);
        return muster::cluster::SnapshotData{.parts = {all.first(8), all.subspan(8)}, .owner = out};
    }

    Result<void> restore(std::span<const uint8_t> snapshot) override {
        std::lock_guard lock(mu_);
        size_t pos = 0;
        auto get = [&](size_t n) -> std::optional<uint64_t> {
            if (snapshot.size() - pos < n)
                return std::nullopt;
            uint64_t v = 0;
            for (size_t i = 0; i < n; ++i)
                v |= uint64_t{snapshot[pos + i]} << (8 * i);
            pos += n;
            return v;
        };
        auto applied = get(8);
        auto count = get(8);
        if (!applied || !count)
            return make_error("short snapshot");
        std::vector<Bytes> log;
        for (uint64_t i = 0; i < *count; ++i) {
            auto len = get(4);
            if (!len || snapshot.size() - pos < *len)
                return make_error("truncated snapshot");
            log.emplace_back(snapshot.begin() + static_cast<ptrdiff_t>(pos),
                             snapshot.begin() + static_cast<ptrdiff_t>(pos + *len));
            pos += *len;
        }
        if (*applied <= applied_) {
            ++restores_kept_;
            return {};
        }
        applied_ = *applied;
        log_ = std::move(log);
        ++restores_;
        return {};
    }

    std::vector<Seen> seen() const {
        std::lock_guard lock(mu_);
        return seen_;
    }
    std::vector<Bytes> log() const {
        std::lock_guard lock(mu_);
        return log_;
    }
    uint64_t replayed() const {
        std::lock_guard lock(mu_);
        return replayed_;
    }
    uint64_t restores() const {
        std::lock_guard lock(mu_);
        return restores_;
    }
    uint64_t restores_kept() const {
        std::lock_guard lock(mu_);
        return restores_kept_;
    }
    uint64_t snapshots() const {
        std::lock_guard lock(mu_);
        return snapshots_;
    }

  private:
    static void put(Bytes& out, uint64_t v, size_t n) {
        for (size_t i = 0; i < n; ++i)
            out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }

    mutable std::mutex mu_;
    uint64_t applied_ = 0;
    std::vector<Bytes> log_;
    std::vector<Seen> seen_;
    uint64_t replayed_ = 0;
    uint64_t restores_ = 0;
    uint64_t restores_kept_ = 0;
    uint64_t snapshots_ = 0;
};

}  // namespace muster::cluster::test

// Compared in BOOST_TEST, not printed.
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<uint64_t>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::test::Bytes)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::vector<muster::cluster::test::Bytes>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::test::RecordingStateMachine::Seen)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::vector<muster::cluster::test::RecordingStateMachine::Seen>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(muster::cluster::Peer)
