// Tests for src/resolver/internal/sparse_shuffle.hh: every prefix is part of a permutation (no
// repeats, all of [0, n) in n steps), the first item is uniform, max_steps bounds the walk, and
// reset() starts over.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/internal/sparse_shuffle.hh"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <set>
#include <vector>

using muster::resolver::internal::SparseShuffle;

namespace {

struct Rng {
    uint64_t state = 0x9E3779B97F4A7C15ull;
    uint64_t operator()() {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1DULL;
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(sparse_shuffle)

BOOST_AUTO_TEST_CASE(gives_each_item_once) {
    SparseShuffle shuffle(64);
    Rng rng;
    for (uint32_t n : {0u, 1u, 2u, 7u, 64u}) {
        shuffle.reset(n);
        std::set<uint32_t> got;
        while (!shuffle.done()) {
            const uint32_t item = shuffle.next(rng);
            BOOST_TEST(item < n);
            BOOST_TEST(got.insert(item).second);
        }
        BOOST_TEST(got.size() == n);
    }
}

BOOST_AUTO_TEST_CASE(max_steps_bounds_a_large_permutation) {
    SparseShuffle shuffle(100);
    Rng rng;
    for (int round = 0; round < 50; ++round) {  // reused: the stamps empty the table each time
        shuffle.reset(1'000'000);
        std::set<uint32_t> got;
        while (!shuffle.done())
            BOOST_TEST_REQUIRE(got.insert(shuffle.next(rng)).second);
        BOOST_TEST(shuffle.given() == 100u);
        BOOST_TEST(got.size() == 100u);
        BOOST_TEST(*got.rbegin() < 1'000'000u);
    }
}

BOOST_AUTO_TEST_CASE(first_and_later_items_are_uniform) {
    // 10 items, 100,000 shuffles: each position-item count is about 10,000; a chi-square over
    // the 10 counts of one position has 9 degrees of freedom, and 40 is far out in its tail.
    constexpr uint32_t n = 10;
    constexpr int rounds = 100000;
    SparseShuffle shuffle(n);
    Rng rng;
    std::vector<std::vector<int>> counts(n, std::vector<int>(n, 0));
    for (int r = 0; r < rounds; ++r) {
        shuffle.reset(n);
        for (uint32_t pos = 0; pos < n; ++pos)
            ++counts[pos][shuffle.next(rng)];
    }
    for (uint32_t pos = 0; pos < n; ++pos) {
        double chi2 = 0;
        const double expected = double(rounds) / n;
        for (uint32_t item = 0; item < n; ++item)
            chi2 += (counts[pos][item] - expected) * (counts[pos][item] - expected) / expected;
        BOOST_TEST(chi2 < 40.0, "position " << pos << " chi2 " << chi2);
    }
}

BOOST_AUTO_TEST_SUITE_END()
