// store_apply: the Raft apply path of the catalog without Raft: decode + Store::apply_entry of
// entries that each carry `per_entry` registrations (a new node with one service, as
// bench/raft_cluster.py sends), on one thread. Prints microseconds per registration for the
// decode, the apply and both, so a change to the codec or the writer shows in numbers, then the
// size and time of an image of the result (a Raft snapshot, taken on the Raft thread, which
// stalls meanwhile) and of restoring it into an empty store (a follower installing a snapshot).
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
    // A Raft snapshot of everything applied: Store::write_image runs on the Raft thread.
    auto i0 = Clock::now();
    auto parts = (*store)->write_image();
    auto i1 = Clock::now();
    if (!parts) {
        std::fprintf(stderr, "image: %s\n", parts.error().message.c_str());
        return 1;
    }
    // libraft writes the parts to disk and sends them as they are; a follower gets them in one.
    std::vector<uint8_t> joined(parts->header.begin(), parts->header.end());
    joined.insert(joined.end(), parts->file.begin(), parts->file.end());
    auto image = &joined;
    auto restored = catalog::Store::open({.dir = dir + "/restored",
                                          .map_size = uint64_t{1} << 34,
                                          .durability = catalog::Durability::no_sync});
    if (!restored) {
        std::fprintf(stderr, "open: %s\n", restored.error().message.c_str());
        return 1;
    }
    auto r0 = Clock::now();
    if (auto r = (*restored)->restore(*image); !r) {
        std::fprintf(stderr, "restore: %s\n", r.error().message.c_str());
        return 1;
    }
    auto r1 = Clock::now();
    auto us = [&](std::chrono::nanoseconds ns) { return ns.count() / 1000.0 / total; };
    auto ms = [](std::chrono::nanoseconds ns) { return ns.count() / 1e6; };
    std::printf(
        "registrations %u, %u per entry: encode %.2f us, decode %.2f us, apply %.2f us, "
        "decode+apply %.2f us per registration\n",
        total, per_entry, us(t1 - t0), us(decode_ns), us(apply_ns), us(decode_ns + apply_ns));
    std::printf("image of the %u registrations: %zu bytes in %.1f ms; restored in %.1f ms\n", total,
                image->size(), ms(i1 - i0), ms(r1 - r0));
    std::filesystem::remove_all(dir);
    return 0;
}
