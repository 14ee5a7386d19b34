// store_apply: the Raft apply path of the catalog without Raft: decode + Store::apply_entry of
// entries that each carry `per_entry` registrations (a new node with one service, as
// bench/raft_cluster.py sends), on one thread. Prints microseconds per registration for the
// decode, the apply and both, so a change to the codec or the writer shows in numbers, then the
// size and time of a dump() of the result (a Raft snapshot, taken on the Raft thread).
//
// usage: muster-bench-store-apply [registrations (100000)] [per_entry (16)] [dir]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/command.hh"
#include "catalog/store.hh"

using namespace muster;
using Clock = std::chrono::steady_clock;

static catalog::Command registration(unsigned i) {
    catalog::Register r;
    std::string id = "n-bench-" + std::to_string(i);
    r.node.name = id;
    r.node.address = "10." + std::to_string(i % 250) + "." + std::to_string(i / 250 % 250) + ".1";
    catalog::Service s;
    s.id = id;
    s.name = id;
    s.port = 80;
    r.service = s;
    return r;
}

int main(int argc, char** argv) {
    unsigned total = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
    unsigned per_entry = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 16;
    std::string dir = argc > 3 ? argv[3] : "/tmp/muster-bench-store-apply";
    std::filesystem::remove_all(dir);
    auto store = catalog::Store::open(
        {.dir = dir, .map_size = uint64_t{1} << 32, .durability = catalog::Durability::no_sync});
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
    }
    std::vector<std::vector<uint8_t>> encoded;
    encoded.reserve(total);
    auto t0 = Clock::now();
    for (unsigned i = 0; i < total; ++i) {
        catalog::Command c = registration(i);
        encoded.push_back(catalog::encode(std::span<const catalog::Command>(&c, 1)));
    }
    auto t1 = Clock::now();
    std::chrono::nanoseconds decode_ns{0}, apply_ns{0};
    uint64_t raft_index = 0;
    for (unsigned first = 0; first < total; first += per_entry) {
        auto a = Clock::now();
        std::vector<std::vector<catalog::Command>> batches;
        for (unsigned i = first; i < total && i < first + per_entry; ++i) {
            auto d = catalog::decode(encoded[i]);
            if (!d) {
                std::fprintf(stderr, "decode: %s\n", d.error().message.c_str());
                return 1;
            }
            batches.push_back(std::move(d).value());
        }
        auto b = Clock::now();
        auto r = (*store)->apply_entry(++raft_index, batches);
        if (!r) {
            std::fprintf(stderr, "apply: %s\n", r.error().message.c_str());
            return 1;
        }
        auto c = Clock::now();
        decode_ns += b - a;
        apply_ns += c - b;
    }
    // A Raft snapshot of everything applied: Store::dump() runs on the Raft thread.
    auto d0 = Clock::now();
    auto dump = (*store)->dump();
    auto d1 = Clock::now();
    if (!dump) {
        std::fprintf(stderr, "dump: %s\n", dump.error().message.c_str());
        return 1;
    }
    auto us = [&](std::chrono::nanoseconds ns) { return ns.count() / 1000.0 / total; };
    std::printf(
        "registrations %u, %u per entry: encode %.2f us, decode %.2f us, apply %.2f us, "
        "decode+apply %.2f us per registration\n",
        total, per_entry, us(t1 - t0), us(decode_ns), us(apply_ns), us(decode_ns + apply_ns));
    std::printf("dump of the %u registrations: %zu bytes in %.1f ms\n", total, dump->size(),
                std::chrono::duration<double, std::milli>(d1 - d0).count());
    std::filesystem::remove_all(dir);
    return 0;
}
