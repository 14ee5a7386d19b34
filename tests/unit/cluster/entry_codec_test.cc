// Tests for cluster/internal/entry_codec.cc: the group-commit entry format.
#include "cluster/internal/entry_codec.hh"

#include <boost/test/unit_test.hpp>

namespace muster::cluster::internal {
namespace {

using Bytes = std::vector<uint8_t>;

std::vector<Bytes> sample() {
    return {Bytes{'a', 'b'}, Bytes{}, Bytes(300, 0x7f)};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(entry_codec)

BOOST_AUTO_TEST_CASE(round_trip_keeps_tag_and_commands_in_order) {
    auto cmds = sample();
    auto bytes = encode_entry(EntryTag{0x1122334455667788ULL, 42}, cmds);
    BOOST_TEST(bytes.size() ==
               padded_entry_size(entry_header_bytes + 3 * command_header_bytes + 2 + 0 + 300));
    BOOST_TEST(bytes.size() % 8 == 0U);
    auto e = decode_entry(bytes);
    BOOST_REQUIRE(e.ok());
    BOOST_TEST(e->tag.session == 0x1122334455667788ULL);
    BOOST_TEST(e->tag.seq == 42U);
    BOOST_REQUIRE_EQUAL(e->commands.size(), 3U);
    for (size_t i = 0; i < cmds.size(); ++i)
        BOOST_TEST(Bytes(e->commands[i].begin(), e->commands[i].end()) == cmds[i]);
}

BOOST_AUTO_TEST_CASE(layout_is_little_endian_with_a_version_byte_and_padded_to_8_bytes) {
    auto bytes = encode_entry(EntryTag{1, 2}, std::vector<Bytes>{Bytes{'x'}});
    Bytes want = {1, 1, 0, 0, 0, 0, 0, 0, 0, 2,   0, 0, 0, 0, 0, 0,
                  0, 1, 0, 0, 0, 1, 0, 0, 0, 'x', 0, 0, 0, 0, 0, 0};
    BOOST_TEST(bytes == want);
}

BOOST_AUTO_TEST_CASE(truncated_or_padded_entries_are_refused) {
    auto good = encode_entry(EntryTag{1, 2}, sample());
    for (size_t n = 0; n < good.size(); ++n) {
        auto cut = std::span<const uint8_t>(good.data(), n);
        BOOST_TEST(!decode_entry(cut).ok(), "prefix of " << n << " bytes decoded");
    }
    auto padded = good;
    padded.push_back(0);
    BOOST_TEST(!decode_entry(padded).ok());
    padded.resize(good.size() + 8, 0);  // a whole extra block of padding
    BOOST_TEST(!decode_entry(padded).ok());
    auto dirty = encode_entry(EntryTag{1, 2}, std::vector<Bytes>{Bytes{'x'}});
    dirty.back() = 1;
    BOOST_TEST(!decode_entry(dirty).ok());
}

BOOST_AUTO_TEST_CASE(unknown_version_and_absurd_count_are_refused) {
    auto bad_version = encode_entry(EntryTag{1, 2}, sample());
    bad_version[0] = 2;
    auto r = decode_entry(bad_version);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("version") != std::string::npos);

    auto huge_count = encode_entry(EntryTag{1, 2}, std::vector<Bytes>{});
    huge_count[17] = 0xff;
    huge_count[18] = 0xff;
    huge_count[19] = 0xff;
    huge_count[20] = 0xff;
    BOOST_TEST(!decode_entry(huge_count).ok());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::cluster::internal
