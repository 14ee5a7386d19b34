// Tests for src/resolver/local_zone.cc: local records and hosts-file names answered with AA,
// NODATA and empty non-terminals, CNAME chains, PTR from hosts lines, duplicate collapsing.
#ifndef BOOST_TEST_DYN_LINK
#define BOOST_TEST_DYN_LINK
#endif
#include "resolver/local_zone.hh"

#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "messages.hh"

using namespace muster;
using namespace muster::resolver;
using namespace muster::resolver::test;

namespace muster::resolver {
std::ostream& operator<<(std::ostream& os, LocalZone::Outcome o) {
    return os << (o == LocalZone::Outcome::answered ? "answered" : "not_ours");
}
}  // namespace muster::resolver

namespace {

LocalRecord record(std::string_view owner, uint16_t type, uint32_t ttl, std::string_view text) {
    return LocalRecord{name(owner), type, ttl, rdata(type, text)};
}

std::shared_ptr<const LocalZone> build(const Zones& zones,
                                       std::vector<std::string>* warnings = nullptr) {
    std::vector<std::string> scratch;
    auto zone = LocalZone::build(zones, warnings ? *warnings : scratch);
    if (!zone.ok())
        BOOST_FAIL("build failed: " << zone.error().message);
    return *zone;
}

std::shared_ptr<const LocalZone> build(std::vector<LocalRecord> records) {
    Zones z;
    z.records = std::move(records);
    return build(z);
}

struct Answer {
    LocalZone::Outcome outcome = LocalZone::Outcome::not_ours;
    std::optional<Message> msg;  // when answered
};

Answer ask(const LocalZone& zone, std::string_view qname, uint16_t qtype,
           uint16_t qclass = dns::klass::in) {
    auto q = make_query(qname, qtype, 0x4242, Dnssec::off, qclass);
    Bytes out(4096);
    dns::ResponseWriter w(out, out.size());
    Answer a;
    a.outcome = zone.answer(q, w, edns_of(q), dns::flag::ra);
    size_t len = w.finish();
    if (a.outcome == LocalZone::Outcome::answered) {
        BOOST_REQUIRE(len > 0);
        out.resize(len);
        a.msg = read_message(out);
        BOOST_REQUIRE_MESSAGE(a.msg, "unreadable local answer");
        BOOST_TEST(a.msg->id == 0x4242);
    } else {
        BOOST_TEST(len == 0u);  // a stage that does not answer leaves the writer alone
    }
    return a;
}

// A hosts file in the temp directory, removed with the object.
class TempFile {
  public:
    explicit TempFile(std::string_view text) {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("muster-hosts-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::ofstream(path_) << text;
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    std::string path() const { return path_.string(); }

  private:
    std::filesystem::path path_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(local_zone)

BOOST_AUTO_TEST_CASE(records_answered_with_aa_and_their_rrs) {
    auto zone = build({record("host.lan.", dns::type::a, 300, "192.168.1.10"),
                       record("host.lan.", dns::type::a, 300, "192.168.1.11"),
                       record("host.lan.", dns::type::txt, 60, "\"hello\"")});
    Answer a = ask(*zone, "HoSt.LaN.", dns::type::a);
    BOOST_TEST(a.outcome == LocalZone::Outcome::answered);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->has(dns::flag::aa));
    BOOST_TEST(a.msg->has(dns::flag::ra));
    BOOST_TEST(a.msg->rcode() == dns::rcode::noerror);
    BOOST_TEST(a.msg->qname.to_text() == "HoSt.LaN.");
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 2u);
    for (const auto& rr : a.msg->answer) {
        BOOST_TEST(rr.owner.to_text() == "HoSt.LaN.");  // the client's case
        BOOST_TEST(rr.type == dns::type::a);
        BOOST_TEST(rr.klass == dns::klass::in);
        BOOST_TEST(rr.ttl == 300u);
    }
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::a, "192.168.1.10"));
    BOOST_TEST(a.msg->answer[1].rdata == rdata(dns::type::a, "192.168.1.11"));
    BOOST_TEST(a.msg->authority.empty());

    a = ask(*zone, "host.lan.", dns::type::txt);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].ttl == 60u);
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::txt, "\"hello\""));
}

BOOST_AUTO_TEST_CASE(name_with_other_types_gets_nodata) {
    auto zone = build({record("host.lan.", dns::type::a, 300, "192.168.1.10")});
    Answer a = ask(*zone, "host.lan.", dns::type::aaaa);
    BOOST_TEST(a.outcome == LocalZone::Outcome::answered);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->rcode() == dns::rcode::noerror);
    BOOST_TEST(a.msg->has(dns::flag::aa));
    BOOST_TEST(a.msg->answer.empty());
}

BOOST_AUTO_TEST_CASE(parents_of_local_names_are_forwarded) {
    // A hosts entry for a.b.c.lan must not hide b.c.lan from the upstreams (dnsmasq, and
    // Unbound's transparent local zone, behave the same).
    auto zone = build({record("a.b.c.lan.", dns::type::a, 300, "192.168.1.10")});
    for (const char* parent : {"b.c.lan.", "c.lan.", "B.C.LAN."}) {
        BOOST_TEST_CONTEXT(parent) {
            BOOST_TEST(ask(*zone, parent, dns::type::a).outcome == LocalZone::Outcome::not_ours);
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_names_are_not_ours) {
    auto zone = build({record("host.lan.", dns::type::a, 300, "192.168.1.10")});
    BOOST_TEST(ask(*zone, "other.lan.", dns::type::a).outcome == LocalZone::Outcome::not_ours);
    BOOST_TEST(ask(*zone, "below.host.lan.", dns::type::a).outcome == LocalZone::Outcome::not_ours);
    BOOST_TEST(ask(*zone, "example.com.", dns::type::a).outcome == LocalZone::Outcome::not_ours);
    auto empty = build(std::vector<LocalRecord>{});
    BOOST_TEST(empty->name_count() == 0u);
    BOOST_TEST(ask(*empty, "host.lan.", dns::type::a).outcome == LocalZone::Outcome::not_ours);
}

BOOST_AUTO_TEST_CASE(other_classes_are_not_ours) {
    auto zone = build({record("a.b.lan.", dns::type::a, 300, "192.168.1.10")});
    BOOST_TEST(ask(*zone, "a.b.lan.", dns::type::txt, dns::klass::ch).outcome ==
               LocalZone::Outcome::not_ours);
    // The empty non-terminal is IN data too: a CHAOS query for it is not ours either.
    BOOST_TEST(ask(*zone, "b.lan.", dns::type::txt, dns::klass::ch).outcome ==
               LocalZone::Outcome::not_ours);
}

BOOST_AUTO_TEST_CASE(cname_chain_followed_inside_local_data) {
    auto zone = build({record("alias.lan.", dns::type::cname, 60, "mid.lan."),
                       record("mid.lan.", dns::type::cname, 70, "HOST.lan."),
                       record("host.lan.", dns::type::a, 300, "192.168.1.10")});
    Answer a = ask(*zone, "alias.lan.", dns::type::a);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->has(dns::flag::aa));
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 3u);
    const auto& ans = a.msg->answer;
    BOOST_TEST(ans[0].owner.to_text() == "alias.lan.");
    BOOST_TEST(ans[0].type == dns::type::cname);
    BOOST_TEST(ans[0].ttl == 60u);
    BOOST_TEST(ans[0].rdata == rdata(dns::type::cname, "mid.lan."));
    BOOST_TEST(ans[1].owner.to_text() == "mid.lan.");
    BOOST_TEST(ans[1].type == dns::type::cname);
    BOOST_TEST(ans[2].owner.to_text() == "host.lan.");
    BOOST_TEST(ans[2].type == dns::type::a);
    BOOST_TEST(ans[2].rdata == rdata(dns::type::a, "192.168.1.10"));

    // Asked for the CNAME itself: just the CNAME.
    a = ask(*zone, "alias.lan.", dns::type::cname);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].type == dns::type::cname);

    // The chain ends in NODATA at host.lan for a type it lacks.
    a = ask(*zone, "alias.lan.", dns::type::aaaa);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->answer.size() == 2u);
}

BOOST_AUTO_TEST_CASE(cname_out_of_local_data_ends_the_chain) {
    auto zone = build({record("www.lan.", dns::type::cname, 60, "www.example.com.")});
    Answer a = ask(*zone, "www.lan.", dns::type::a);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::cname, "www.example.com."));
}

BOOST_AUTO_TEST_CASE(cname_loop_is_bounded) {
    auto zone = build({record("a.lan.", dns::type::cname, 60, "b.lan."),
                       record("b.lan.", dns::type::cname, 60, "a.lan.")});
    Answer a = ask(*zone, "a.lan.", dns::type::a);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->answer.size() >= 2u);
    BOOST_TEST(a.msg->answer.size() <= 8u);
}

BOOST_AUTO_TEST_CASE(hosts_file_gives_addresses_and_ptr_for_canonical_name) {
    TempFile hosts(
        "# local machines\n"
        "192.168.1.10  Router.lan router   # the gateway\n"
        "2001:db8::5   nas.lan\n"
        "not-an-address  broken.lan\n");
    Zones z;
    z.hosts_file = hosts.path();
    z.local_ttl = 120;
    std::vector<std::string> warnings;
    auto zone = build(z, &warnings);
    BOOST_REQUIRE_EQUAL(warnings.size(), 1u);
    BOOST_TEST(warnings[0].find(hosts.path()) != std::string::npos);
    BOOST_TEST(warnings[0].find("line 4") != std::string::npos);

    for (const char* n : {"router.lan.", "ROUTER.lan.", "router."}) {
        BOOST_TEST_CONTEXT(n) {
            Answer a = ask(*zone, n, dns::type::a);
            BOOST_REQUIRE(a.msg);
            BOOST_TEST(a.msg->has(dns::flag::aa));
            BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
            BOOST_TEST(a.msg->answer[0].ttl == 120u);
            BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::a, "192.168.1.10"));
        }
    }
    Answer a = ask(*zone, "nas.lan.", dns::type::aaaa);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::aaaa, "2001:db8::5"));
    BOOST_TEST(ask(*zone, "nas.lan.", dns::type::a).msg->answer.empty());  // NODATA
    BOOST_TEST(ask(*zone, "broken.lan.", dns::type::a).outcome == LocalZone::Outcome::not_ours);

    // PTR names the canonical (first) name, lowercased; aliases get none.
    a = ask(*zone, "10.1.168.192.in-addr.arpa.", dns::type::ptr);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].type == dns::type::ptr);
    BOOST_TEST(a.msg->answer[0].ttl == 120u);
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::ptr, "router.lan."));

    a = ask(*zone, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
            dns::type::ptr);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 1u);
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::ptr, "nas.lan."));
}

BOOST_AUTO_TEST_CASE(missing_hosts_file_is_an_error) {
    Zones z;
    z.hosts_file = "/nonexistent/muster-test/hosts";
    std::vector<std::string> warnings;
    auto zone = LocalZone::build(z, warnings);
    BOOST_REQUIRE(!zone.ok());
    BOOST_TEST(zone.error().message.find(z.hosts_file) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(duplicate_records_collapse) {
    TempFile hosts(
        "192.168.1.10 host.lan\n"
        "192.168.1.10 HOST.lan\n"
        "192.168.1.11 host.lan\n");
    Zones z;
    z.records = {record("host.lan.", dns::type::a, 300, "192.168.1.10"),
                 record("Host.Lan.", dns::type::a, 300, "192.168.1.10"),
                 record("host.lan.", dns::type::txt, 300, "\"192.168.1.10\"")};
    z.hosts_file = hosts.path();
    auto zone = build(z);

    Answer a = ask(*zone, "host.lan.", dns::type::a);
    BOOST_REQUIRE(a.msg);
    BOOST_REQUIRE_EQUAL(a.msg->answer.size(), 2u);  // .10 once, .11 once
    BOOST_TEST(a.msg->answer[0].rdata == rdata(dns::type::a, "192.168.1.10"));
    BOOST_TEST(a.msg->answer[1].rdata == rdata(dns::type::a, "192.168.1.11"));
    BOOST_TEST(ask(*zone, "host.lan.", dns::type::txt).msg->answer.size() == 1u);
    BOOST_TEST(ask(*zone, "10.1.168.192.in-addr.arpa.", dns::type::ptr).msg->answer.size() == 1u);
}

BOOST_AUTO_TEST_CASE(any_query_returns_every_type) {
    auto zone = build({record("host.lan.", dns::type::a, 300, "192.168.1.10"),
                       record("host.lan.", dns::type::aaaa, 300, "2001:db8::10")});
    Answer a = ask(*zone, "host.lan.", dns::type::any);
    BOOST_REQUIRE(a.msg);
    BOOST_TEST(a.msg->answer.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
