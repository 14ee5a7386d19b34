// Tests for src/catalog/internal/service_record_patch.cc: a patched ServiceRecord is
// byte-identical to a full build_service_record of the new fragments, over long random runs of
// health flips, additions and removals; and the patch says no where it cannot keep that.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "catalog/internal/service_record_patch.hh"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "catalog/dns_record.hh"
#include "common/ascii.hh"

using namespace muster::catalog;
using muster::catalog::internal::NodePeers;
using muster::catalog::internal::patch_service_record;

namespace {

struct Instance {
    std::string node, id;  // the fragment key orders by lowercase node, then ID
    InstanceData data;
    std::vector<uint8_t> fragment;
    std::string key() const { return muster::ascii::to_lower(node) + '\0' + id; }
    void encode() {
        data.node = node;
        fragment = encode_instance(data);
    }
};

// A service's instances in fragment key order, as the store keeps them.
struct Service {
    std::vector<Instance> instances;

    std::vector<uint8_t> build() const {
        std::vector<std::span<const uint8_t>> fragments;
        for (const Instance& i : instances)
            fragments.emplace_back(i.fragment);
        std::vector<uint8_t> out;
        build_service_record(fragments, out);
        return out;
    }
    // The other instances on the node of the instance with key `key`, as the store counts them.
    NodePeers peers(const std::string& key) const {
        const std::string node = key.substr(0, key.find('\0') + 1);
        NodePeers p;
        for (const Instance& i : instances) {
            if (i.key() == key || !i.key().starts_with(node))
                continue;
            const auto h = static_cast<uint8_t>(i.data.health);
            ++p.total[h];
            p.before[h] += i.key() < key ? 1 : 0;
        }
        return p;
    }
    void insert(Instance i) {
        i.encode();
        auto at = std::lower_bound(
            instances.begin(), instances.end(), i.key(),
            [](const Instance& a, const std::string& key) { return a.key() < key; });
        instances.insert(at, std::move(i));
    }
};

// Draws instances and changes. `shared`: instances share nodes and addresses (where the patch
// must often decline); otherwise each instance has a node and address of its own, as in a big
// service.
struct Generator {
    std::mt19937 rng;
    bool shared;
    unsigned addresses = 64;  // how many distinct addresses shared instances draw from
    unsigned serial = 0;

    unsigned below(unsigned n) { return std::uniform_int_distribution<unsigned>(0, n - 1)(rng); }
    Status health() { return static_cast<Status>(below(3)); }

    std::string node_name() {
        static const char* spellings[] = {"node-", "Node-", "NODE-", "n", "web.", "Web-"};
        if (shared)
            return std::string(spellings[below(6)]) + std::to_string(below(40));
        return std::string(spellings[below(6)]) + std::to_string(serial++);
    }
    std::string address(unsigned n) {
        if (below(8) == 0)
            return "not-an-address";
        if (below(3) == 0)
            return "2001:db8::" + std::to_string(n % 65536);
        return "10.0." + std::to_string(n / 256 % 256) + "." + std::to_string(n % 256);
    }
    std::vector<std::string> tags() {
        static const char* common[] = {"v1", "V1", "primary", "Primary", "canary", "", "zone-a"};
        std::vector<std::string> out;
        const unsigned n = below(5);
        for (unsigned k = 0; k < n; ++k) {
            switch (below(3)) {
                case 0:
                    out.emplace_back(common[below(7)]);
                    break;
                case 1:
                    out.push_back("shard-" + std::to_string(below(10)));
                    break;
                default:
                    out.push_back("only-" + std::to_string(serial++));
            }
        }
        if (n > 0 && below(4) == 0)
            out.push_back(out.front());  // a tag given twice counts once
        return out;
    }
    Instance instance(const Service& s) {
        Instance i;
        if (shared && !s.instances.empty() && below(3) == 0) {
            i.node = s.instances[below(s.instances.size())].node;  // another instance on a node
        } else {
            i.node = node_name();
        }
        i.id = "svc-" + std::to_string(serial++);
        i.data.health = health();
        const unsigned a = shared ? below(addresses) : serial++;
        i.data.own_address = below(4) == 0;
        i.data.addr = ip_bytes(address(a));
        i.data.port = static_cast<uint16_t>(8000 + below(3));
        i.data.weights = {.passing = 1 + below(3), .warning = 1};
        i.data.tags = tags();
        return i;
    }
};

struct Outcome {
    unsigned steps = 0, patched = 0;
    unsigned with_peers = 0;  // patched steps whose instance shared its node
};

// Applies `steps` random changes to a service of about `size` instances; after each, the
// patched record (when the patch applies) must equal the full build.
Outcome run(uint32_t seed, bool shared, unsigned size, unsigned steps) {
    Generator gen{.rng = std::mt19937(seed), .shared = shared, .addresses = 4 + seed % 3 * 30};
    Service s;
    for (unsigned k = 0; k < size; ++k) {
        Instance i = gen.instance(s);
        if (std::none_of(s.instances.begin(), s.instances.end(),
                         [&](const Instance& o) { return o.key() == i.key(); }))
            s.insert(std::move(i));
    }
    Outcome outcome;
    std::vector<uint8_t> record = s.build(), patched;
    for (unsigned step = 0; step < steps; ++step) {
        std::vector<uint8_t> before, after;
        std::string key;  // the changed instance's
        const unsigned what = gen.below(10);
        if (what < 6 || s.instances.size() > 2 * size) {  // a health change
            Instance& i = s.instances[gen.below(s.instances.size())];
            key = i.key();
            before = i.fragment;
            Status h = gen.health();
            if (h == i.data.health)
                h = static_cast<Status>((static_cast<int>(h) + 1) % 3);
            i.data.health = h;
            i.encode();
            after = i.fragment;
        } else if (what < 8 || s.instances.size() < 2) {  // an addition
            Instance i = gen.instance(s);
            i.encode();
            after = i.fragment;
            key = i.key();
            s.insert(std::move(i));
        } else {  // a removal
            const auto at = gen.below(s.instances.size());
            before = s.instances[at].fragment;
            key = s.instances[at].key();
            s.instances.erase(s.instances.begin() + at);
        }
        const std::vector<uint8_t> expected = s.build();
        ++outcome.steps;
        const NodePeers peers = s.peers(key);
        if (patch_service_record(record, before, after, peers, patched)) {
            ++outcome.patched;
            outcome.with_peers += peers.total[0] + peers.total[1] + peers.total[2] > 0 ? 1 : 0;
            BOOST_REQUIRE_MESSAGE(patched == expected, "seed " << seed << " step " << step);
        }
        record = expected;
    }
    return outcome;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(service_record_patch)

BOOST_AUTO_TEST_CASE(patched_record_equals_full_build_one_instance_per_node) {
    for (uint32_t seed = 1; seed <= 6; ++seed) {
        const Outcome o = run(seed, false, 40 * seed, 1500);
        // Only a removal of the last instance declines here.
        BOOST_TEST(o.patched * 10 >= o.steps * 9, "seed " << seed << ": " << o.patched);
    }
}

BOOST_AUTO_TEST_CASE(patched_record_equals_full_build_with_shared_nodes_and_addresses) {
    for (uint32_t seed = 1; seed <= 6; ++seed) {
        const Outcome o = run(100 + seed, true, 10 * seed, 2000);
        BOOST_TEST_MESSAGE("seed " << seed << ": " << o.patched << " of " << o.steps << ", "
                                   << o.with_peers << " beside others on their node");
        BOOST_TEST(o.patched * 10 >= o.steps * 9, "seed " << seed << ": " << o.patched);
        BOOST_TEST(o.with_peers * 5 >= o.patched);  // instances that share a node are patched
    }
}

BOOST_AUTO_TEST_CASE(declines_a_before_fragment_the_record_does_not_hold) {
    InstanceData a;
    a.node = "a";
    a.addr = ip_bytes("10.0.0.1");
    InstanceData b = a;
    b.node = "b";
    b.addr = ip_bytes("10.0.0.2");
    const std::vector<InstanceData> both{a, b};
    const std::vector<uint8_t> record = encode_service_record(both);
    InstanceData stale = a;
    stale.port = 99;  // not what the record holds for node a
    InstanceData flipped = a;
    flipped.health = Status::critical;
    std::vector<uint8_t> out;
    BOOST_TEST(
        !patch_service_record(record, encode_instance(stale), encode_instance(flipped), {}, out));
    BOOST_TEST(patch_service_record(record, encode_instance(a), encode_instance(flipped), {}, out));
    BOOST_TEST(!patch_service_record(record, {}, {}, {}, out));
}

BOOST_AUTO_TEST_CASE(declines_to_remove_the_last_instance) {
    InstanceData a;
    a.node = "a";
    const std::vector<InstanceData> one{a};
    std::vector<uint8_t> out;
    BOOST_TEST(!patch_service_record(encode_service_record(one), encode_instance(a), {}, {}, out));
}

BOOST_AUTO_TEST_SUITE_END()
