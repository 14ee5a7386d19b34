// Tests for src/resolver/internal/question.cc: reading the question and matching an upstream
// reply to the query it claims to answer (RFC 5452 §4.1, §9.1), on hand-built wire messages.
#include "resolver/internal/question.hh"

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace muster::resolver::test {
namespace {
using internal::match_reply;
using internal::Question;
using internal::read_query_question;
using internal::read_question;
using internal::ReplyMatch;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t type_a = 1, type_aaaa = 28, class_in = 1, class_ch = 3;
constexpr uint8_t qr = 0x80;

void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}

// "www.Example.test" as uncompressed labels.
void put_name(Bytes& b, std::initializer_list<std::string_view> labels) {
    for (std::string_view l : labels) {
        b.push_back(static_cast<uint8_t>(l.size()));
        b.insert(b.end(), l.begin(), l.end());
    }
    b.push_back(0);
}

struct Header {
    uint16_t id = 0x4242;
    uint8_t flags = qr;  // first flags octet: QR set by default
    uint16_t qdcount = 1;
};

Bytes header(const Header& h) {
    Bytes b;
    put16(b, h.id);
    b.push_back(h.flags);
    b.push_back(0);
    put16(b, h.qdcount);
    put16(b, 0);
    put16(b, 0);
    put16(b, 0);
    return b;
}

Bytes message(const Header& h, std::initializer_list<std::string_view> labels,
              uint16_t qtype = type_a, uint16_t qclass = class_in) {
    Bytes b = header(h);
    put_name(b, labels);
    put16(b, qtype);
    put16(b, qclass);
    return b;
}

Question asked() {
    Question q;
    Bytes query = message({.id = 0x4242, .flags = 0x01, .qdcount = 1}, {"www", "example", "test"});
    BOOST_REQUIRE(read_query_question(query, q));
    return q;
}

ReplyMatch match(const Bytes& reply) {
    return match_reply(reply, 0x4242, asked());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(question)

BOOST_AUTO_TEST_CASE(reply_with_our_id_and_question_is_ours) {
    BOOST_TEST((match(message({}, {"www", "example", "test"})) == ReplyMatch::ours));
}

BOOST_AUTO_TEST_CASE(name_compares_case_insensitively) {
    BOOST_TEST((match(message({}, {"WWW", "ExAmple", "TEST"})) == ReplyMatch::ours));
}

BOOST_AUTO_TEST_CASE(wrong_id_is_not_ours) {
    BOOST_TEST(
        (match(message({.id = 0x4243}, {"www", "example", "test"})) == ReplyMatch::not_ours));
    BOOST_TEST(
        (match(message({.id = 0x2424}, {"www", "example", "test"})) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(a_query_is_not_a_reply) {
    BOOST_TEST(
        (match(message({.flags = 0x01}, {"www", "example", "test"})) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(other_name_is_not_ours) {
    BOOST_TEST((match(message({}, {"evil", "example", "test"})) == ReplyMatch::not_ours));
    BOOST_TEST((match(message({}, {"www", "example", "test", "evil"})) == ReplyMatch::not_ours));
    BOOST_TEST((match(message({}, {"example", "test"})) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(other_type_is_not_ours) {
    BOOST_TEST((match(message({}, {"www", "example", "test"}, type_aaaa)) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(other_class_is_not_ours) {
    BOOST_TEST(
        (match(message({}, {"www", "example", "test"}, type_a, class_ch)) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(more_than_one_question_is_not_ours) {
    Bytes b = message({.qdcount = 2}, {"www", "example", "test"});
    put_name(b, {"evil", "test"});
    put16(b, type_a);
    put16(b, class_in);
    BOOST_TEST((match(b) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(our_id_without_a_question_is_reported) {
    // FORMERR/NOTIMP with QDCOUNT 0: the UDP channel fails the query instead of waiting
    BOOST_TEST((match(header({.qdcount = 0})) == ReplyMatch::no_question));
    Bytes cut = message({}, {"www", "example", "test"});
    cut.resize(cut.size() - 3);
    BOOST_TEST((match(cut) == ReplyMatch::no_question));
}

BOOST_AUTO_TEST_CASE(someone_elses_unreadable_reply_is_not_ours) {
    BOOST_TEST((match(header({.id = 0x1111, .qdcount = 0})) == ReplyMatch::not_ours));
    BOOST_TEST((match(Bytes{0x42, 0x42, qr}) == ReplyMatch::not_ours));
    BOOST_TEST((match(Bytes{}) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(compressed_question_name_is_followed) {
    // "www" and a pointer to offset 10 (ARCOUNT, whose high octet 0 is the root label): no
    // sane server compresses the question, but the name it spells is what counts
    Bytes m = header({});
    m.insert(m.end(), {3, 'w', 'w', 'w', 0xc0, 10});
    put16(m, type_a);
    put16(m, class_in);
    Question plain;
    BOOST_REQUIRE(read_query_question(message({.flags = 0x01}, {"WWW"}), plain));
    BOOST_TEST((match_reply(m, 0x4242, plain) == ReplyMatch::ours));
    BOOST_TEST((match_reply(m, 0x4242, asked()) == ReplyMatch::not_ours));
}

BOOST_AUTO_TEST_CASE(compression_loop_is_refused) {
    Bytes m = header({});
    m.push_back(0xc0);
    m.push_back(12);  // points at itself
    put16(m, type_a);
    put16(m, class_in);
    Question q;
    BOOST_TEST(!read_question(m, q));
}

BOOST_AUTO_TEST_CASE(query_must_have_exactly_one_question) {
    Question q;
    BOOST_TEST(read_query_question(message({.flags = 0x01}, {"www", "example", "test"}), q));
    BOOST_TEST(!read_query_question(header({.flags = 0x01, .qdcount = 0}), q));
    Bytes two = message({.flags = 0x01, .qdcount = 2}, {"www", "example", "test"});
    BOOST_TEST(!read_query_question(two, q));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace muster::resolver::test
