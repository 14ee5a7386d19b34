// libFuzzer target: client query parsing, error answers and a full answer built for it.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/response_writer.hh"
#include "dns/wire.hh"

using namespace muster::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> msg(data, size);
    Query q;
    ParseStatus st = parse_query(msg, q);
    uint8_t out[max_message];
    switch (st) {
        case ParseStatus::drop:
            return 0;
        case ParseStatus::formerr:
            write_error(msg, q, rcode::formerr, out);
            return 0;
        case ParseStatus::notimp:
            write_error(msg, q, rcode::notimp, out);
            return 0;
        case ParseStatus::badvers:
            write_error(msg, q, 16, out);
            return 0;
        case ParseStatus::ok:
            break;
    }
    write_error(msg, q, rcode::refused, out);
    EdnsOut edns;
    edns.present = q.has_edns;
    edns.do_bit = q.do_bit;
    edns.has_ede = (q.id & 1) != 0;
    edns.ede_code = ede::prohibited;
    size_t limit = q.has_edns ? q.edns_udp_size : 512;
    ResponseWriter w(out, limit);
    w.begin(q, flag::aa | flag::ra, rcode::noerror, edns);
    const uint8_t rdata[] = {192, 0, 2, 1};
    for (int i = 0; i < 40; ++i) {
        auto s = static_cast<Section>(i % 3);
        w.add(s, i % 2 ? q.qname : q.qname.parent(), q.qtype, q.qclass, 60, rdata);
    }
    size_t n = w.finish();
    if (n > limit || n > sizeof out)
        __builtin_trap();
    if (n > 0) {
        Query again;
        // Our own answer must be a well-formed response, never a query.
        if (parse_query({out, n}, again) != ParseStatus::drop)
            __builtin_trap();
    }
    return 0;
}
