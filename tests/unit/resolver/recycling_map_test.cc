// Tests for src/resolver/internal/recycling_map.hh: insert, find and erase, and that erased
// nodes are reused by later inserts instead of new ones being allocated.
#include "resolver/internal/recycling_map.hh"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <string_view>
#include <unordered_map>

namespace muster::resolver::test {
namespace {
using internal::RecyclingMap;
}  // namespace

BOOST_AUTO_TEST_SUITE(recycling_map)

BOOST_AUTO_TEST_CASE(insert_find_erase) {
    RecyclingMap<uint64_t, int> m;
    BOOST_TEST(m.insert(1, 10));
    BOOST_TEST(m.insert(2, 20));
    BOOST_TEST(!m.insert(1, 11));  // already there: unchanged
    BOOST_REQUIRE(m.find(1) != nullptr);
    BOOST_TEST(*m.find(1) == 10);
    BOOST_TEST(m.size() == 2u);
    BOOST_TEST(m.erase(1));
    BOOST_TEST(!m.erase(1));
    BOOST_TEST(m.find(1) == nullptr);
    BOOST_TEST(*m.find(2) == 20);
    BOOST_TEST(m.size() == 1u);
}

BOOST_AUTO_TEST_CASE(erased_node_is_reused_with_the_new_key_and_value) {
    RecyclingMap<uint64_t, int> m;
    BOOST_TEST(m.insert(1, 10));
    const int* node_value = m.find(1);
    BOOST_TEST(m.erase(1));
    // Had the node been freed, this map's node (the same size) would likely take its memory
    // and the insert below would get a new one.
    std::unordered_map<uint64_t, int> other{{5, 50}};
    BOOST_TEST(m.insert(7, 70));
    BOOST_REQUIRE(m.find(7) != nullptr);
    BOOST_TEST(m.find(7) == node_value);  // the same node, under its new key
    BOOST_TEST(*m.find(7) == 70);
    BOOST_TEST(m.find(1) == nullptr);
    BOOST_TEST(&other.at(5) != node_value);
}

BOOST_AUTO_TEST_CASE(string_view_keys_compare_by_content) {
    RecyclingMap<std::string_view, uint64_t> m;
    char a[] = "key";
    char b[] = "key";
    BOOST_TEST(m.insert(std::string_view(a, 3), 1u));
    BOOST_REQUIRE(m.find(std::string_view(b, 3)) != nullptr);
    BOOST_TEST(*m.find(std::string_view(b, 3)) == 1u);
    BOOST_TEST(m.erase(std::string_view(b, 3)));
    BOOST_TEST(m.size() == 0u);
}

BOOST_AUTO_TEST_CASE(for_each_visits_every_entry_and_clear_keeps_the_nodes) {
    RecyclingMap<uint64_t, int> m;
    for (uint64_t k = 1; k <= 3; ++k)
        BOOST_TEST(m.insert(k, static_cast<int>(k * 10)));
    const int* nodes[] = {m.find(1), m.find(2), m.find(3)};
    int sum = 0;
    m.for_each([&](uint64_t k, int& v) {
        sum += v;
        v = static_cast<int>(k);  // values can be changed in place
    });
    BOOST_TEST(sum == 60);
    BOOST_TEST(*m.find(2) == 2);
    BOOST_TEST(m.contains(3));
    m.clear();
    BOOST_TEST(m.empty());
    BOOST_TEST(!m.contains(3));
    // The cleared entries' nodes come back for the next inserts.
    for (uint64_t k = 4; k <= 6; ++k)
        BOOST_TEST(m.insert(k, 0));
    for (uint64_t k = 4; k <= 6; ++k) {
        const int* v = m.find(k);
        BOOST_TEST((v == nodes[0] || v == nodes[1] || v == nodes[2]));
    }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::resolver::test
