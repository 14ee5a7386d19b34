// Fuzz target: the http probe's response reader (src/common/http_response.cc), fed in
// pieces whose size the first byte picks. It must never keep more body than asked, and a
// complete response must stay complete.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/http_response.hh"

using namespace muster::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    size_t step = (data[0] & 0x3f) + 1;
    bool head = (data[0] & 0x40) != 0;
    bool close = (data[0] & 0x80) != 0;
    std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);

    ResponseReader reader({.head_request = head, .max_head_bytes = 4096, .max_body_kept = 64});
    bool ok = true;
    for (size_t i = 0; i < raw.size() && ok; i += step) {
        bool was_complete = reader.complete();
        auto fed = reader.feed(raw.substr(i, step));
        ok = fed.ok();
        if (!ok && fed.error().message.empty())
            __builtin_trap();
        if (was_complete && !reader.complete())
            __builtin_trap();
    }
    if (ok && close) {
        auto done = reader.finish();
        if (done.ok() != reader.complete())
            __builtin_trap();
    }
    if (reader.body().size() > 64 || reader.body_bytes() < reader.body().size())
        __builtin_trap();
    if (reader.complete() && (reader.status() < 100 || reader.status() > 999))
        __builtin_trap();
    (void)reader.header("Location");
    return 0;
}
