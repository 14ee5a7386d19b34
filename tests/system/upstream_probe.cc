// upstream-probe: sends names through one UpstreamChannel (pipelined) and prints each outcome;
// a real-process test driver for tests/system/test_upstream_channel.py.
//
//   upstream-probe --upstream tls://127.0.0.1:8853#dot.test --ca ca.pem [options] NAME...
//   options: --type A|AAAA|TXT|<n>  --no-edns  --timeout-ms N  --connect-timeout-ms N
//            --idle-timeout-ms N  --max-in-flight N  --backoff-min-ms N  --backoff-max-ms N
//            --stdin (batches of names, one batch per line; "!stats" prints counters)
//            --stats  --log-level L
// Prints "NAME RCODE ANCOUNT" or "NAME FAIL <why>" per name, "END ok|fail" after each batch
// in --stdin mode, and exits 1 when anything failed.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/event_loop.hh"
#include "common/log.hh"
#include "common/tls.hh"
#include "resolver/upstream_channel.hh"

namespace {

using muster::EventLoop;
using muster::resolver::UpstreamChannel;
using muster::resolver::UpstreamFailure;
using muster::resolver::UpstreamSpec;
using muster::resolver::UpstreamTransport;

const char* rcode_text(unsigned rcode) {
    static const char* names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                  "NXDOMAIN", "NOTIMP",  "REFUSED"};
    return rcode < 6 ? names[rcode] : "RCODE?";
}

uint16_t type_number(const std::string& t) {
    if (t == "A")
        return 1;
    if (t == "NS")
        return 2;
    if (t == "CNAME")
        return 5;
    if (t == "SOA")
        return 6;
    if (t == "TXT")
        return 16;
    if (t == "AAAA")
        return 28;
    return static_cast<uint16_t>(std::atoi(t.c_str()));
}

// RFC 1035 §4.1: header with RD, one question; an OPT RR (RFC 6891) unless no_edns.
std::vector<uint8_t> build_query(const std::string& name, uint16_t qtype, bool with_edns) {
    std::vector<uint8_t> q = {0, 0, 0x01, 0x00, 0, 1,
                              0, 0, 0,    0,    0, with_edns ? uint8_t{1} : uint8_t{0}};
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos)
            dot = name.size();
        q.push_back(static_cast<uint8_t>(dot - start));
        q.insert(q.end(), name.begin() + static_cast<long>(start),
                 name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    q.push_back(0);
    q.insert(q.end(), {static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1});
    if (with_edns)
        q.insert(q.end(), {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});  // 1232 octets
    return q;
}

// ChannelOptions::dropped_replies_total, as a worker would hand it over.
std::atomic<uint64_t> dropped_total{0};

struct Args {
    UpstreamSpec spec;
    std::string ca_file;
    uint16_t qtype = 1;
    bool edns = true;
    bool from_stdin = false;
    bool stats = false;
    muster::resolver::ChannelOptions options;
    std::vector<std::string> names;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr, "upstream-probe: %s\n", why);
    std::exit(2);
}

// "tls://127.0.0.1:853#dot.test", "tcp://[::1]:53", "udp://127.0.0.1:5353".
void parse_upstream(std::string_view uri, UpstreamSpec& spec) {
    spec.label = std::string(uri);
    uint16_t port = 53;
    if (uri.starts_with("tls://")) {
        spec.transport = UpstreamTransport::tls;
        port = 853;
    } else if (uri.starts_with("tcp://")) {
        spec.transport = UpstreamTransport::tcp;
    } else if (!uri.starts_with("udp://")) {
        usage("upstream must start with udp://, tcp:// or tls://");
    }
    uri.remove_prefix(6);
    if (size_t hash = uri.find('#'); hash != std::string_view::npos) {
        spec.tls_name = std::string(uri.substr(hash + 1));
        uri = uri.substr(0, hash);
    }
    auto addr = muster::SockAddr::parse(uri, port);
    if (!addr)
        usage(addr.error().message.c_str());
    spec.addr = addr.value();
}

Args parse_args(int argc, char** argv) {
    Args a;
    auto ms = [](const char* v) { return std::chrono::milliseconds(std::atol(v)); };
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                usage("missing option value");
            return argv[++i];
        };
        if (arg == "--upstream")
            parse_upstream(value(), a.spec);
        else if (arg == "--ca")
            a.ca_file = value();
        else if (arg == "--type")
            a.qtype = type_number(value());
        else if (arg == "--no-edns")
            a.edns = false;
        else if (arg == "--stdin")
            a.from_stdin = true;
        else if (arg == "--stats")
            a.stats = true;
        else if (arg == "--timeout-ms")
            a.options.query_timeout = ms(value());
        else if (arg == "--connect-timeout-ms")
            a.options.connect_timeout = ms(value());
        else if (arg == "--idle-timeout-ms")
            a.options.idle_timeout = ms(value());
        else if (arg == "--backoff-min-ms")
            a.options.reconnect_backoff_min = ms(value());
        else if (arg == "--backoff-max-ms")
            a.options.reconnect_backoff_max = ms(value());
        else if (arg == "--max-in-flight")
            a.options.max_in_flight = static_cast<unsigned>(std::atoi(value()));
        else if (arg == "--log-level") {
            muster::log::Level l;
            if (!muster::log::parse_level(value(), l))
                usage("bad log level");
            muster::log::set_level(l);
        } else if (arg.starts_with("--"))
            usage("unknown option");
        else
            a.names.emplace_back(arg);
    }
    if (a.spec.label.empty())
        usage("--upstream is required");
    return a;
}

class Probe final : public muster::resolver::UpstreamListener {
  public:
    Probe(EventLoop& loop, Args& args) : loop_(loop), args_(args) {}

    void attach(UpstreamChannel* channel) { channel_ = channel; }

    void send_batch(const std::vector<std::string>& names) {
        for (const auto& n : names) {
            uint64_t token = next_token_++;
            outstanding_[token] = n;
            auto q = build_query(n, args_.qtype, args_.edns);
            channel_->send(token, q);
        }
        batch_failed_ = false;
        if (names.empty())
            batch_done();
    }

    void on_upstream_reply(uint64_t token, std::span<const uint8_t> msg) override {
        unsigned ancount = static_cast<unsigned>(msg[6] << 8 | msg[7]);
        std::printf("%s %s %u%s\n", outstanding_[token].c_str(), rcode_text(msg[3] & 0x0f), ancount,
                    (msg[2] & 0x02) != 0 ? " TC" : "");
        complete(token);
    }
    void on_upstream_failure(uint64_t token, UpstreamFailure why) override {
        std::printf("%s FAIL %s\n", outstanding_[token].c_str(), muster::resolver::to_string(why));
        failed_ = batch_failed_ = true;
        complete(token);
    }

    void print_stats() const {
        auto s = channel_->stats();
        std::printf(
            "STATS sent=%llu replies=%llu dropped=%llu tc_retries=%llu connects=%llu resumed=%llu "
            "connect_failures=%llu timeouts=%llu dropped_total=%llu\n",
            (unsigned long long)s.sent, (unsigned long long)s.replies,
            (unsigned long long)s.dropped_replies, (unsigned long long)s.truncated_retries,
            (unsigned long long)s.connects, (unsigned long long)s.tls_resumed,
            (unsigned long long)s.connect_failures, (unsigned long long)s.timeouts,
            (unsigned long long)dropped_total.load());
        std::fflush(stdout);
    }

    bool failed() const { return failed_; }

  private:
    void complete(uint64_t token) {
        outstanding_.erase(token);
        if (outstanding_.empty())
            batch_done();
    }
    void batch_done() {
        if (args_.from_stdin) {
            std::printf("END %s\n", batch_failed_ ? "fail" : "ok");
            std::fflush(stdout);
        } else {
            loop_.stop();
        }
    }

    EventLoop& loop_;
    Args& args_;
    UpstreamChannel* channel_ = nullptr;
    std::map<uint64_t, std::string> outstanding_;
    uint64_t next_token_ = 1;
    bool failed_ = false;
    bool batch_failed_ = false;
};

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < line.size()) {
        size_t j = line.find_first_of(" \t\r", i);
        if (j == std::string::npos)
            j = line.size();
        if (j > i)
            out.push_back(line.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    muster::log::set_level(muster::log::Level::warn);
    Args args = parse_args(argc, argv);
    EventLoop loop;
    std::unique_ptr<muster::TlsClientContext> tls;
    if (args.spec.transport == UpstreamTransport::tls) {
        auto ctx = muster::TlsClientContext::create({.ca_file = args.ca_file});
        if (!ctx)
            usage(ctx.error().message.c_str());
        tls = std::move(ctx.value());
    }
    Probe probe(loop, args);
    args.options.dropped_replies_total = &dropped_total;
    auto channel = UpstreamChannel::create(loop, args.spec, tls.get(), probe, args.options);
    probe.attach(channel.get());

    std::string pending;
    std::unique_ptr<muster::IoWatcher> input;
    if (args.from_stdin) {
        input = std::make_unique<muster::IoWatcher>(
            loop, STDIN_FILENO, muster::IoWhat::read, [&](muster::IoWhat) {
                char buf[4096];
                ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
                if (n <= 0) {
                    loop.stop();
                    return;
                }
                pending.append(buf, static_cast<size_t>(n));
                for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
                    std::string line = pending.substr(0, nl);
                    pending.erase(0, nl + 1);
                    if (line == "!stats")
                        probe.print_stats();
                    else
                        probe.send_batch(split(line));
                }
            });
        input->enable();
    } else {
        if (args.names.empty())
            usage("no names given");
        probe.send_batch(args.names);
    }
    loop.run();
    if (args.stats)
        probe.print_stats();
    std::fflush(stdout);
    channel.reset();
    return probe.failed() ? 1 : 0;
}
