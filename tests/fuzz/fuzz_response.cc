// libFuzzer target: upstream response validation and re-rendering of stored answers.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dns/response.hh"

using namespace muster::dns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::span<const uint8_t> msg(data, size);
    // Ask for whatever the message's own question says (when it has one), so the fuzzer
    // reaches the record walk; fall back to a fixed question.
    Name qname;
    uint16_t qtype = type::a, qclass = klass::in;
    size_t end = 0;
    if (size > header_size && qname.assign_message(msg, header_size, &end) && size - end >= 4) {
        qtype = get16(data + end);
        qclass = get16(data + end + 2);
    } else {
        qname = *Name::from_text("www.example.com");
    }
    static ResponseInfo info;
    if (parse_response(msg, qname, qtype, qclass, info) != ResponseStatus::ok)
        return 0;
    if (info.body_end > size || info.ttl_count > max_ttl_offsets)
        __builtin_trap();
    static uint8_t body[max_message];
    std::memcpy(body, data, info.body_end);
    strip_opt_header({body, info.body_end}, info);

    Query client;
    client.id = 0x1234;
    client.flags = flag::rd;
    client.qname = qname;
    client.qtype = qtype;
    client.qclass = qclass;
    RenderParams params;
    params.elapsed_s = size;
    params.stale = (size & 1) != 0;
    params.edns.present = (size & 2) != 0;
    params.edns.has_ede = params.stale;
    params.edns.ede_code = ede::stale_answer;
    static uint8_t out[max_message];
    for (size_t limit : {size_t{512}, size_t{1232}, max_message}) {
        size_t n = render_stored({body, info.body_end}, {info.ttl_offsets, info.ttl_count}, client,
                                 params, out, limit);
        if (n > limit)
            __builtin_trap();
    }
    return 0;
}
