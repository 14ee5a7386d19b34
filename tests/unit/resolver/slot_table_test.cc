// Tests for src/resolver/internal/slot_table.hh: handles, reuse through the free list, stale
// handles, stable references and sweeps.
#include "resolver/internal/slot_table.hh"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <set>
#include <vector>

namespace muster::resolver::test {
namespace {
using internal::SlotTable;

struct Record {
    int value = 0;
    std::vector<int> buffer;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(slot_table)

BOOST_AUTO_TEST_CASE(handles_are_never_zero_and_find_their_record) {
    SlotTable<Record> t;
    auto a = t.acquire();
    a.value.value = 1;
    auto b = t.acquire();
    b.value.value = 2;
    BOOST_TEST(a.handle != SlotTable<Record>::no_handle);
    BOOST_TEST(b.handle != SlotTable<Record>::no_handle);
    BOOST_TEST(a.handle != b.handle);
    BOOST_REQUIRE(t.find(a.handle) != nullptr);
    BOOST_TEST(t.find(a.handle)->value == 1);
    BOOST_TEST(t.get(b.handle).value == 2);
    BOOST_TEST(t.size() == 2u);
    BOOST_TEST(t.find(SlotTable<Record>::no_handle) == nullptr);
}

BOOST_AUTO_TEST_CASE(released_handle_finds_nothing_even_after_reuse) {
    SlotTable<Record> t;
    uint64_t old = t.acquire().handle;
    t.release(old);
    BOOST_TEST(t.find(old) == nullptr);
    BOOST_TEST(t.size() == 0u);
    uint64_t reused = t.acquire().handle;
    BOOST_TEST(t.capacity() == 1u);  // the same slot, under a new handle
    BOOST_TEST(reused != old);
    BOOST_TEST(t.find(old) == nullptr);
    BOOST_TEST(t.find(reused) != nullptr);
    t.release(old);  // stale: ignored
    BOOST_TEST(t.find(reused) != nullptr);
    BOOST_TEST(t.size() == 1u);
}

BOOST_AUTO_TEST_CASE(reused_record_keeps_its_buffers_capacity) {
    SlotTable<Record> t;
    auto a = t.acquire();
    a.value.buffer.assign(1000, 7);
    const int* storage = a.value.buffer.data();
    t.release(a.handle);
    auto b = t.acquire();
    BOOST_TEST(b.value.buffer.capacity() >= 1000u);
    b.value.buffer.clear();
    b.value.buffer.push_back(1);
    BOOST_TEST(b.value.buffer.data() == storage);
}

BOOST_AUTO_TEST_CASE(references_stay_valid_while_the_table_grows) {
    SlotTable<Record> t;
    auto first = t.acquire();
    Record* where = &first.value;
    for (int i = 0; i < 1000; ++i)
        t.acquire();
    BOOST_TEST(t.find(first.handle) == where);
    BOOST_TEST(t.capacity() == 1001u);
}

BOOST_AUTO_TEST_CASE(sweep_by_position_sees_only_records_in_use) {
    SlotTable<Record> t;
    std::vector<uint64_t> handles;
    for (int i = 0; i < 5; ++i)
        handles.push_back(t.acquire().handle);
    t.release(handles[1]);
    t.release(handles[3]);
    std::set<uint64_t> seen;
    for (size_t i = 0; i < t.capacity(); ++i)
        if (uint64_t h = t.handle_at(i); h != SlotTable<Record>::no_handle)
            seen.insert(h);
    BOOST_TEST((seen == std::set<uint64_t>{handles[0], handles[2], handles[4]}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::resolver::test
