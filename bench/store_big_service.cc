// store_big_service: what a write costs the catalog store when it changes one instance of a big
// service. Every such write rebuilds the service's DNS record (catalog/dns_record.hh) in its
// transaction, so the cost grows with the service; this prints it per write, to compare one
// build with another (bench/README.md, "Catalog answers in O(answer)").
//   1. `instances` registrations of service "big" (each on its own node, with a node check and
//      two tags, one shared and one of 100), `per_entry` to a transaction as Raft applies them;
//   2. `updates` check flips (passing <-> critical) of one node each, one transaction each:
//      the health changes a cluster writes all day.
//
// usage: muster-bench-store-big-service [instances (10000)] [updates (1000)] [per_entry (16)]
//                                       [dir]
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
    r.node.name = "b" + std::to_string(i);
    r.node.address = "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) +
                     "." + std::to_string(i % 256);
    catalog::Service s;
    s.id = "big-" + std::to_string(i);
    s.name = "big";
    s.port = 9000;
    s.tags = {"v1", "shard-" + std::to_string(i % 100)};
    r.service = s;
    catalog::Check c;
    c.node = r.node.name;
    c.id = "serf";
    c.name = "serf";
    c.status = catalog::Status::passing;
    r.checks.push_back(c);
    return r;
}

int main(int argc, char** argv) {
    unsigned instances = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
    unsigned updates = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;
    unsigned per_entry = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 16;
    std::string dir = argc > 4 ? argv[4] : "/tmp/muster-bench-store-big-service";
    if (instances == 0 || per_entry == 0) {
        std::fprintf(stderr, "instances and per_entry must be at least 1\n");
        return 2;
    }
    std::filesystem::remove_all(dir);
    auto store = catalog::Store::open(
        {.dir = dir, .map_size = uint64_t{1} << 32, .durability = catalog::Durability::no_sync});
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().message.c_str());
        return 1;
    }
    auto t0 = Clock::now();
    for (unsigned first = 0; first < instances; first += per_entry) {
        std::vector<catalog::Command> batch;
        for (unsigned i = first; i < instances && i < first + per_entry; ++i)
            batch.push_back(registration(i));
        if (auto r = (*store)->apply(batch); !r) {
            std::fprintf(stderr, "apply: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    auto t1 = Clock::now();
    for (unsigned k = 0; k < updates; ++k) {
        catalog::UpdateCheck u;
        u.node = "b" + std::to_string(k * 7919 % instances);
        u.check_id = "serf";
        u.status = (k / instances) % 2 == 0 ? catalog::Status::critical : catalog::Status::passing;
        catalog::Command c = u;
        if (auto r = (*store)->apply(std::span<const catalog::Command>(&c, 1)); !r) {
            std::fprintf(stderr, "update: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    auto t2 = Clock::now();
    auto reader = (*store)->reader();
    reader->begin();
    const size_t record = reader->service("big").size();
    reader->end();
    auto us = [](std::chrono::nanoseconds ns, unsigned n) { return ns.count() / 1000.0 / n; };
    std::printf(
        "service of %u instances (record %zu bytes): registration %.1f us each (%u per "
        "transaction); health change %.1f us each (one per transaction, %u)\n",
        instances, record, us(t1 - t0, instances), per_entry, us(t2 - t1, updates), updates);
    std::filesystem::remove_all(dir);
    return 0;
}
